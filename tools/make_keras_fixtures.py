#!/usr/bin/env python3
"""Generate golden Keras fixtures for the typenet C++ tests.

Usage (from the repo root):
    /opt/tnref/bin/python tools/make_keras_fixtures.py [--out tests/fixtures/keras]

Reference environment: keras 3.15, tensorflow-cpu 2.21, numpy 2.4.
Runs on CPU only with deterministic ops; all randomness comes from fixed seeds,
so rerunning produces byte-identical files (np.savez stamps every zip entry
with the fixed date 1980-01-01).

For every model <name> it writes, under the output folder:
    <name>.weights.npz  np.savez(path, *model.get_weights())
                        (np.savez_compressed for m1, m6, m8, m10)
    <name>.weights.txt  "<index> <layer name> <variable name> <shape>" per array
    <name>.io.npz       x, y, layer_NN_<kerasname> (inference-mode outputs)
    <name>.layers.txt   "<name> <Class> <output shape> <params> <trainable>"
                        per layer, then "total T trainable A non_trainable B"
    <name>.summary.txt  raw text of model.summary()
See tests/fixtures/keras/README.md for details.
"""

import os

# Must be set before TensorFlow / Keras are imported.
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"        # force CPU
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_DETERMINISTIC_OPS"] = "1"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"         # plain Eigen kernels
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ["PYTHONHASHSEED"] = "0"
os.environ["COLUMNS"] = "200"   # summary() width must not depend on the tty

import argparse
import hashlib
import io
import sys

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 20240611

# Models whose weights are quantized to multiples of 1/64 and written with
# np.savez_compressed.
BIG = {"m1", "m6", "m8", "m10"}

# Expected (total, trainable, non_trainable) parameter counts.
EXPECTED = {
    "m1": (1_050_890, 1_050_890, 0),
    "m2": (93_322, 93_322, 0),
    "m6": (833_610, 830_858, 2_752),
    "m8": (646_260, 646_260, 0),
    "m9": (15_120, 15_120, 0),
    "m10": (592_554, 591_914, 640),
}

# Samples per io batch. m6 has ~20 full-resolution (32x32x32) intermediate
# outputs, so it uses fewer samples to keep the fixture folder small.
BATCH = {"m6": 1}
DEFAULT_BATCH = 3


# --------------------------------------------------------------------------
# Architectures
# --------------------------------------------------------------------------

def build_m1():
    return keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="m1")


def build_m2():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="m2")


def _residual_block(x, filters, stride=1, conv_shortcut=False):
    # Main path first (layer creation order matters for names / weights).
    y = layers.Conv2D(filters, 3, strides=stride, padding="same")(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    y = layers.BatchNormalization()(y)
    # Then the shortcut.
    if conv_shortcut:
        s = layers.Conv2D(filters, 1, strides=stride, padding="valid")(x)
        s = layers.BatchNormalization()(s)
    else:
        s = x
    out = layers.Add()([y, s])
    return layers.Activation("relu")(out)


def build_m6():
    inp = keras.Input((32, 32, 3))
    x = layers.Conv2D(32, 3, padding="same")(inp)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = _residual_block(x, 32)
    x = _residual_block(x, 32)
    x = _residual_block(x, 64, stride=2, conv_shortcut=True)
    x = _residual_block(x, 64)
    x = _residual_block(x, 128, stride=2, conv_shortcut=True)
    x = _residual_block(x, 128)
    x = layers.AveragePooling2D(4)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(0.5)(x)
    out = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inp, out, name="m6")


def build_m8():
    return keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Flatten(),
        layers.Dense(200, activation="relu"),
        layers.Dense(150, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="m8")


def build_m9():
    return keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(10, (4, 4), strides=2, padding="same"),
        layers.Conv2D(20, (3, 3), strides=2, padding="same"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ], name="m9")


def build_m10(slope):
    seq = [keras.Input((32, 32, 3))]
    for f, s in [(32, 1), (32, 2), (64, 1), (64, 2)]:
        seq += [layers.Conv2D(f, (3, 3), strides=s, padding="same"),
                layers.BatchNormalization(),
                layers.LeakyReLU(**slope)]
    seq += [layers.Flatten(),
            layers.Dense(128),
            layers.BatchNormalization(),
            layers.LeakyReLU(**slope),
            layers.Dropout(0.5),
            layers.Dense(10),
            layers.Softmax()]
    return keras.Sequential(seq, name="m10")


def build_e1():
    return keras.Sequential([
        keras.Input((7, 7, 2)),
        layers.Conv2D(3, (4, 4), strides=2, padding="same"),
        layers.Conv2D(2, (3, 3), strides=2, padding="same"),
    ], name="e1")


def build_e2():
    return keras.Sequential([
        keras.Input((8, 6, 3)),
        layers.Conv2D(4, (2, 3), strides=(2, 1), padding="same",
                      use_bias=False),
        layers.MaxPooling2D(pool_size=3, strides=2, padding="same"),
        layers.AveragePooling2D(2, padding="same"),
        layers.Flatten(),
        layers.Dense(5, activation="tanh"),
    ], name="e2")


def build_e3(slope):
    return keras.Sequential([
        keras.Input((5, 5, 4)),
        layers.BatchNormalization(),
        layers.LeakyReLU(**slope),
        layers.GlobalAveragePooling2D(),
        layers.Dense(3, activation="sigmoid"),
    ], name="e3")


def build_e4():
    return keras.Sequential([
        keras.Input((9, 9, 2)),
        layers.MaxPooling2D(3, strides=2),
        layers.GlobalMaxPooling2D(),
        layers.Dense(4),
        layers.Softmax(),
    ], name="e4")


def build_e5():
    return keras.Sequential([
        keras.Input((6,)),
        layers.Dense(4, activation="relu"),
        layers.Dropout(0.25),
        layers.Reshape((2, 2)),
        layers.Flatten(),
        layers.Dense(2),
    ], name="e5")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def real_layers(model):
    return [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]


def shape_str(shape):
    return "(" + ",".join("None" if d is None else str(int(d)) for d in shape) + ")"


def var_owner_map(model):
    """id(variable) -> owning layer name, for every layer of the model."""
    owner = {}
    for l in real_layers(model):
        for v in l.weights:
            owner.setdefault(id(v), l.name)
    return owner


def quant(a):
    return (np.round(a * 64.0) / 64.0).astype(np.float32)


def init_weights(model, rng, quantize):
    """Deterministic, non-trivial weights drawn in model.weights order."""
    new = []
    for v in model.weights:
        shape = tuple(int(d) for d in v.shape)
        vname = v.name
        if vname == "kernel":
            if len(shape) == 4:           # conv (kh, kw, cin, cout)
                rf = shape[0] * shape[1]
                fan_in, fan_out = rf * shape[2], rf * shape[3]
            else:                         # dense (in, out)
                fan_in, fan_out = shape[0], shape[1]
            lim = np.sqrt(6.0 / (fan_in + fan_out))
            a = rng.uniform(-lim, lim, shape)
        elif vname == "bias":
            a = rng.uniform(-0.2, 0.2, shape)
        elif vname == "gamma":
            a = rng.uniform(0.5, 1.5, shape)
        elif vname == "beta":
            a = rng.uniform(-0.5, 0.5, shape)
        elif vname == "moving_mean":
            a = rng.uniform(-0.5, 0.5, shape)
        elif vname == "moving_variance":
            a = rng.uniform(0.5, 2.0, shape)
        else:
            raise RuntimeError(f"unexpected variable {v.path}")
        a = a.astype(np.float32)
        if quantize:
            a = quant(a)
            if vname in ("bias", "beta"):
                # keep biases non-zero after rounding
                z = a == 0
                a[z] = np.where(rng.uniform(size=int(z.sum())) < 0.5,
                                -1.0, 1.0).astype(np.float32) / 64.0
        new.append(a)
    model.set_weights(new)
    got = model.get_weights()
    assert len(got) == len(new)
    for g, n in zip(got, new):
        assert g.dtype == np.float32 and np.array_equal(g, n)


def param_counts(model):
    tr = int(sum(np.prod(v.shape) for v in model.trainable_weights))
    ntr = int(sum(np.prod(v.shape) for v in model.non_trainable_weights))
    return tr + ntr, tr, ntr


def conv2d_ref_same(x, k, b, stride, pad):
    """Naive NHWC conv with explicit padding ((pt,pb),(pl,pr))."""
    n, h, w, c = x.shape
    kh, kw, _, co = k.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), pad[0], pad[1], (0, 0)))
    oh = (xp.shape[1] - kh) // stride + 1
    ow = (xp.shape[2] - kw) // stride + 1
    out = np.zeros((n, oh, ow, co))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, k.astype(np.float64),
                                           axes=([1, 2, 3], [0, 1, 2]))
    return out + b


def check_e1_padding(model, x, outs):
    """Verify TF 'same' padding for the odd-input / even-kernel conv."""
    k, b = model.layers[0].get_weights()
    ref = conv2d_ref_same(x, k, b, 2, ((1, 2), (1, 2)))
    assert np.allclose(ref, outs[0], atol=1e-5), "e1: TF padding is not (1,2)"
    alt = conv2d_ref_same(x, k, b, 2, ((2, 1), (2, 1)))
    assert not np.allclose(alt, outs[0], atol=1e-3)
    return "(1,2)"


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def make_input(name, model, rng):
    n = BATCH.get(name, DEFAULT_BATCH)
    shape = (n,) + tuple(int(d) for d in model.inputs[0].shape[1:])
    if name.startswith("m"):
        return rng.uniform(0.0, 1.0, shape).astype(np.float32)   # images
    return rng.standard_normal(shape).astype(np.float32)


def emit(name, build, outdir, log):
    keras.backend.clear_session()            # layer names restart at conv2d...
    keras.utils.set_random_seed(SEED)
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")
    rng = np.random.default_rng([SEED, seed])

    model = build()
    total, tr, ntr = param_counts(model)
    if name in EXPECTED:
        assert (total, tr, ntr) == EXPECTED[name], (name, total, tr, ntr)
    assert total == model.count_params()

    init_weights(model, rng, quantize=name in BIG)
    weights = model.get_weights()

    # 2. weights exactly as a user would save them
    wpath = os.path.join(outdir, f"{name}.weights.npz")
    if name in BIG:
        np.savez_compressed(wpath, *weights)
    else:
        np.savez(wpath, *weights)

    owner = var_owner_map(model)
    with open(os.path.join(outdir, f"{name}.weights.txt"), "w") as f:
        assert len(model.weights) == len(weights)
        for i, (v, a) in enumerate(zip(model.weights, weights)):
            assert tuple(v.shape) == a.shape
            f.write(f"{i} {owner[id(v)]} {v.name} {shape_str(a.shape)}\n")

    # 3. io batch + every layer output in inference mode
    x = make_input(name, model, rng)
    y = np.asarray(model(x, training=False), dtype=np.float32)
    lys = real_layers(model)
    probe = keras.Model(inputs=model.inputs[0], outputs=[l.output for l in lys])
    outs = probe(x, training=False)
    outs = [np.asarray(o, dtype=np.float32) for o in outs]
    assert np.array_equal(outs[-1], y) or np.allclose(outs[-1], y, atol=1e-6)
    yp = model.predict(x, verbose=0)
    assert np.allclose(yp, y, atol=1e-5)
    io_arrays = {"x": x, "y": y}
    for i, (l, o) in enumerate(zip(lys, outs)):
        assert o.shape[1:] == tuple(l.output.shape[1:]), (l.name, o.shape)
        io_arrays[f"layer_{i:02d}_{l.name}"] = o
    for k, a in io_arrays.items():
        assert a.dtype == np.float32 and np.all(np.isfinite(a)), k
    np.savez(os.path.join(outdir, f"{name}.io.npz"), **io_arrays)

    extra = ""
    if name == "e1":
        extra = " e1 first-conv padding=" + check_e1_padding(model, x, outs)

    # 4. layer table
    with open(os.path.join(outdir, f"{name}.layers.txt"), "w") as f:
        for l in lys:
            f.write(f"{l.name} {type(l).__name__} {shape_str(l.output.shape)} "
                    f"{l.count_params()} {int(l.trainable)}\n")
        f.write(f"total {total} trainable {tr} non_trainable {ntr}\n")

    # 5. raw summary text
    buf = io.StringIO()
    model.summary(print_fn=lambda s, *a, **k: buf.write(s))
    with open(os.path.join(outdir, f"{name}.summary.txt"), "w") as f:
        f.write(buf.getvalue())

    # activation magnitudes (sanity: stay O(1), softmax not saturated)
    stats = " ".join(f"{np.abs(o).max():.2g}" for o in outs)
    log(f"{name}: params {total} ({tr}/{ntr}) batch {x.shape[0]} "
        f"y[0]={np.array2string(y[0].ravel()[:10], precision=3)}{extra}\n"
        f"    max|out| per layer: {stats}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
        "keras"))
    args = ap.parse_args()
    outdir = os.path.normpath(args.out)
    os.makedirs(outdir, exist_ok=True)

    tf.config.set_visible_devices([], "GPU")
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(SEED)

    default_slope = float(keras.layers.LeakyReLU().negative_slope)
    print(f"keras {keras.__version__} tf {tf.__version__} numpy {np.__version__}")
    print(f"LeakyReLU default negative_slope = {default_slope}")
    print(f"BatchNormalization default epsilon = "
          f"{keras.layers.BatchNormalization().epsilon}")
    # The spec says Keras' default slope is 0.3; pass it explicitly only if the
    # installed Keras disagrees (so the layer config stays the default one).
    slope = {} if abs(default_slope - 0.3) < 1e-12 else {"negative_slope": 0.3}

    builders = {
        "m1": build_m1, "m2": build_m2, "m6": build_m6, "m8": build_m8,
        "m9": build_m9, "m10": lambda: build_m10(slope),
        "e1": build_e1, "e2": build_e2, "e3": lambda: build_e3(slope),
        "e4": build_e4, "e5": build_e5,
    }
    for name, b in builders.items():
        emit(name, b, outdir, lambda s: print(s, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
