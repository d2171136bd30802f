#!/usr/bin/env python3
"""Generate golden Keras fixtures for typenet's sequence layers.

Usage (from the repo root):
    /opt/tnref/bin/python tools/make_keras_rnn_fixtures.py [--out tests/fixtures/keras_rnn]

Reference environment: keras 3.15, tensorflow-cpu 2.21, numpy 2.4 (as
tools/make_keras_fixtures.py). CPU only, deterministic ops, fixed seeds: a rerun
writes byte-identical files.

Inference fixtures, one per model <name> (same formats as tests/fixtures/keras):
    <name>.weights.npz  np.savez(path, *model.get_weights())
                        (np.savez_compressed, weights multiples of 1/64, for m3, m4)
    <name>.weights.txt  "<index> <layer name> <variable name> <shape>" per array
    <name>.io.npz       x (float32; token ids as exact values for m3, m4),
                        ids (int32, token models only), y, layer_NN_<kerasname>
    <name>.layers.txt   "<name> <Class> <output shape> <params> <trainable>" per
                        layer, then "total T trainable A non_trainable B"
    <name>.summary.txt  raw text of model.summary()

Models:
    m3  Embedding(10000, 128) -> SimpleRNN(64) -> Dense(1, sigmoid)   1,292,417
    m4  Embedding(10000, 128) -> LSTM(64) -> Dense(1, sigmoid)        1,329,473
    r1  GRU(8) (reset_after) -> Dense(3, softmax) on (12, 6) floats
    r2  LSTM(8, return_sequences) -> Dense(6, tanh) on the last axis ->
        GRU(5, return_sequences, go_backwards) -> SimpleRNN(4, go_backwards)
        -> Dense(2), on (10, 5) floats
    r3  Embedding(50, 6) -> Bidirectional(LSTM(5, return_sequences)) ->
        Bidirectional(GRU(4)) -> Dense(2, softmax), tokens (9,)
    r4  Conv1D(4, 3, same, relu) -> MaxPooling1D(2) -> Conv1D(5, 2, strides 2,
        no bias) -> AveragePooling1D(3, strides 1, same) ->
        GlobalAveragePooling1D -> Dense(2), on (16, 3) floats
    r5  Conv1D(3, 4, strides 2, same, tanh) (TensorFlow's asymmetric padding) ->
        MaxPooling1D(3, strides 2, same) -> GRU(3, return_sequences) ->
        GlobalMaxPooling1D -> Dense(2, softmax), on (9, 4) floats

Training fixture (M4, binary cross-entropy, Adam() with its default learning rate 0.001):
    m4_train.npz  init_<i> (initial get_weights(), embeddings rows 0..255 only:
                  the batches use ids below 256, so no other row ever changes),
                  x0..x2 (4, 20) ids as float32 (no id twice in a batch, see
                  emit_m4_train), y0..y2 (4, 1),
                  g_<i> gradients at the initial weights on batch 0
                  (training=True, embeddings rows 0..255), loss (3,),
                  w<step>_<i> weights after each of three Adam steps (rows 0..255)
    The rows 256..9999 of the embeddings start as uniform(-0.05, 0.05) draws
    from numpy's default_rng(7) -- the C++ test draws nothing: it checks they
    are unchanged, which is what every optimizer must do for a zero gradient.
"""

import os

os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_DETERMINISTIC_OPS"] = "1"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ["PYTHONHASHSEED"] = "0"
os.environ["COLUMNS"] = "200"

import argparse
import hashlib
import io

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 20261205
BIG = {"m3", "m4"}
TOKENS = {"m3": 10000, "m4": 10000, "r3": 50}
EXPECTED = {"m3": 1_292_417, "m4": 1_329_473}
ROWS = 256  # training fixture: ids below this
TRAIN_BATCH = 4


def build_m3():
    return keras.Sequential([
        keras.Input((20,)),
        layers.Embedding(10000, 128),
        layers.SimpleRNN(64),
        layers.Dense(1, activation="sigmoid"),
    ], name="m3")


def build_m4():
    return keras.Sequential([
        keras.Input((20,)),
        layers.Embedding(10000, 128),
        layers.LSTM(64),
        layers.Dense(1, activation="sigmoid"),
    ], name="m4")


def build_r1():
    return keras.Sequential([
        keras.Input((12, 6)),
        layers.GRU(8),
        layers.Dense(3, activation="softmax"),
    ], name="r1")


def build_r2():
    return keras.Sequential([
        keras.Input((10, 5)),
        layers.LSTM(8, return_sequences=True),
        layers.Dense(6, activation="tanh"),
        layers.GRU(5, return_sequences=True, go_backwards=True),
        layers.SimpleRNN(4, go_backwards=True),
        layers.Dense(2),
    ], name="r2")


def build_r3():
    return keras.Sequential([
        keras.Input((9,)),
        layers.Embedding(50, 6),
        layers.Bidirectional(layers.LSTM(5, return_sequences=True)),
        layers.Bidirectional(layers.GRU(4)),
        layers.Dense(2, activation="softmax"),
    ], name="r3")


def build_r4():
    return keras.Sequential([
        keras.Input((16, 3)),
        layers.Conv1D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(5, 2, strides=2, use_bias=False),
        layers.AveragePooling1D(3, strides=1, padding="same"),
        layers.GlobalAveragePooling1D(),
        layers.Dense(2),
    ], name="r4")


def build_r5():
    return keras.Sequential([
        keras.Input((9, 4)),
        layers.Conv1D(3, 4, strides=2, padding="same", activation="tanh"),
        layers.MaxPooling1D(3, strides=2, padding="same"),
        layers.GRU(3, return_sequences=True),
        layers.GlobalMaxPooling1D(),
        layers.Dense(2, activation="softmax"),
    ], name="r5")


def real_layers(model):
    return [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]


def shape_str(shape):
    return "(" + ",".join("None" if d is None else str(int(d)) for d in shape) + ")"


def draw(v, rng):
    """Non-trivial weights for variable v, by its name."""
    shape = tuple(int(d) for d in v.shape)
    if v.name in ("kernel", "recurrent_kernel"):
        lim = np.sqrt(6.0 / (shape[0] + shape[-1]))
        return rng.uniform(-lim, lim, shape)
    if v.name == "bias":
        return rng.uniform(-0.2, 0.2, shape)
    if v.name == "embeddings":
        return rng.uniform(-0.5, 0.5, shape)
    raise RuntimeError(f"unexpected variable {v.path}")


def set_weights(model, rng, quantize):
    new = []
    for v in model.weights:
        a = draw(v, rng).astype(np.float32)
        if quantize:
            a = (np.round(a * 64.0) / 64.0).astype(np.float32)
        new.append(a)
    model.set_weights(new)
    for g, n in zip(model.get_weights(), new):
        assert g.dtype == np.float32 and np.array_equal(g, n)


def owners(model):
    owner = {}
    for l in real_layers(model):
        for v in l.weights:
            owner.setdefault(id(v), l.name)
    return owner


def emit(name, build, outdir, log):
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")
    rng = np.random.default_rng([SEED, seed])
    model = build()
    total = model.count_params()
    if name in EXPECTED:
        assert total == EXPECTED[name], (name, total)
    set_weights(model, rng, name in BIG)
    weights = model.get_weights()
    wpath = os.path.join(outdir, f"{name}.weights.npz")
    (np.savez_compressed if name in BIG else np.savez)(wpath, *weights)
    owner = owners(model)
    with open(os.path.join(outdir, f"{name}.weights.txt"), "w") as f:
        for i, (v, a) in enumerate(zip(model.weights, weights)):
            f.write(f"{i} {owner[id(v)]} {v.path} {shape_str(a.shape)}\n")

    n = 3
    shape = (n,) + tuple(int(d) for d in model.inputs[0].shape[1:])
    arrays = {}
    if name in TOKENS:
        ids = rng.integers(0, TOKENS[name], shape).astype(np.int32)
        ids[0, :3] = 0                      # padding ids, as pad_sequences writes them
        ids[1, -1] = TOKENS[name] - 1       # the last row of the table
        x = ids.astype(np.float32)
        arrays["ids"] = ids
    else:
        x = rng.standard_normal(shape).astype(np.float32)
    y = np.asarray(model(x, training=False), dtype=np.float32)
    lys = real_layers(model)
    probe = keras.Model(inputs=model.inputs[0], outputs=[l.output for l in lys])
    outs = [np.asarray(o, dtype=np.float32) for o in probe(x, training=False)]
    assert np.allclose(outs[-1], y, atol=1e-6)
    if name in TOKENS:  # int32 ids give the same outputs as their float values
        assert np.allclose(np.asarray(model(arrays["ids"], training=False)), y, atol=1e-6)
    arrays.update({"x": x, "y": y})
    for i, (l, o) in enumerate(zip(lys, outs)):
        arrays[f"layer_{i:02d}_{l.name}"] = o
    np.savez(os.path.join(outdir, f"{name}.io.npz"), **arrays)

    total_tr = int(sum(np.prod(v.shape) for v in model.trainable_weights))
    with open(os.path.join(outdir, f"{name}.layers.txt"), "w") as f:
        for l in lys:
            f.write(f"{l.name} {type(l).__name__} {shape_str(l.output.shape)} "
                    f"{l.count_params()} {int(l.trainable)}\n")
        f.write(f"total {total} trainable {total_tr} non_trainable {total - total_tr}\n")
    buf = io.StringIO()
    model.summary(print_fn=lambda s, *a, **k: buf.write(s))
    with open(os.path.join(outdir, f"{name}.summary.txt"), "w") as f:
        f.write(buf.getvalue())
    log(f"{name}: params {total} y[0]={np.array2string(y[0].ravel()[:4], precision=4)} "
        f"max|out| {' '.join(f'{np.abs(o).max():.2g}' for o in outs)}")


def emit_m4_train(outdir, log):
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng([SEED, 4])
    model = build_m4()
    init = []
    for v in model.weights:
        a = draw(v, rng).astype(np.float32)
        if v.name == "embeddings":
            a[ROWS:] = np.random.default_rng(7).uniform(-0.05, 0.05, a[ROWS:].shape)
        init.append(a)
    model.set_weights(init)
    # No id twice in a batch: for a repeated id, TensorFlow's sparse (IndexedSlices) Adam update
    # squares each occurrence's gradient separately instead of their sum, which no dense
    # optimizer (PyTorch, JAX, typenet) does; distinct ids make both the same Adam.
    xs = [rng.permutation(ROWS)[:TRAIN_BATCH * 20].reshape(TRAIN_BATCH, 20).astype(np.float32) for _ in range(3)]
    ys = [rng.integers(0, 2, (TRAIN_BATCH, 1)).astype(np.float32) for _ in range(3)]
    loss_fn = keras.losses.BinaryCrossentropy()
    out = {}
    cut = lambda i, a: a[:ROWS] if i == 0 else a
    for i, a in enumerate(init):
        out[f"init_{i}"] = cut(i, a)
    for s in range(3):
        out[f"x{s}"], out[f"y{s}"] = xs[s], ys[s]
    with tf.GradientTape() as tape:
        loss = loss_fn(ys[0], model(xs[0], training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    for i, g in enumerate(grads):
        g = tf.convert_to_tensor(g).numpy().astype(np.float32)
        assert not np.any(g[ROWS:]) if i == 0 else True
        out[f"g_{i}"] = cut(i, g)
    model.compile(optimizer=keras.optimizers.Adam(), loss=loss_fn)
    losses = []
    for s in range(3):
        losses.append(float(model.train_on_batch(xs[s], ys[s])))
        for i, w in enumerate(model.get_weights()):
            if i == 0:
                assert np.array_equal(w[ROWS:], init[0][ROWS:])
            out[f"w{s + 1}_{i}"] = cut(i, w)
    out["loss"] = np.asarray(losses, dtype=np.float32)
    for k, a in out.items():
        assert a.dtype == np.float32 and np.all(np.isfinite(a)), k
    np.savez(os.path.join(outdir, "m4_train.npz"), **out)
    log(f"m4_train: losses {losses}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures/keras_rnn")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tf.config.experimental.enable_op_determinism()
    for name, build in [("m3", build_m3), ("m4", build_m4), ("r1", build_r1), ("r2", build_r2), ("r3", build_r3), ("r4", build_r4),
                        ("r5", build_r5)]:
        emit(name, build, args.out, print)
    emit_m4_train(args.out, print)


if __name__ == "__main__":
    main()
