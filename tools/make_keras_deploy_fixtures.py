#!/usr/bin/env python3
"""Generate the fixtures of tools/keras_to_typenet.py (issue #12, "Deploy").

Usage (from the repo root):
    /opt/tnref/bin/python tools/make_keras_deploy_fixtures.py [--out tests/fixtures/keras_deploy]

Reference environment: keras 3.15, tensorflow-cpu 2.21, numpy 2.4 (as
tools/make_keras_fixtures.py). CPU only, deterministic ops, fixed seeds; the
.keras files are rewritten with a fixed date_saved and fixed zip timestamps, so
a rerun writes byte-identical files.

Writes, under the output folder (see its README.md):
    <name>.keras       model.save(): m2, m7, m9, m10 (tests/fixtures/keras'
                       architectures; m7 trained as the tutorial trains it), res
                       (a small ResNet like M6), text (Embedding, Conv1D, pooling,
                       Bidirectional(LSTM), GRU), opts, seq and res2 (other
                       options, sequence layers, functional forms)
    m9.h5              M9 again, as a legacy HDF5 model file
    <name>.io.npz      x (the inputs: float32, int32 token ids for text) and
                       y = model(x, training=False) (float32)
    arch/mN.json       model.to_json() of every seed model M1..M13
    counts.txt         "<name> <total> <trainable> <non_trainable>" (Keras'
                       count_params()) for every model above
    unsupported/<case>.json    models keras_to_typenet must refuse, and
    unsupported/<case>.expect  the message it must print (stderr, exit status 2)
    broken/m9_truncated.keras, broken/m9_truncated.h5: the first 4 KiB of the
                       real files (a clean error, exit status 1)
"""

import os

# Must be set before TensorFlow / Keras are imported.
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"        # force CPU
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_DETERMINISTIC_OPS"] = "1"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"         # plain Eigen kernels
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ["PYTHONHASHSEED"] = "0"

import argparse
import hashlib
import io
import json
import re
import sys
import zipfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import keras_to_typenet as k2t  # noqa: E402  (the tool's own reader, checked against Keras below)
# The seed models that tools/make_keras_fixtures.py already builds: the same functions, not copies.
from make_keras_fixtures import build_m1, build_m2, build_m6, build_m8, build_m9  # noqa: E402
from make_keras_fixtures import _residual_block as residual_block  # noqa: E402

SEED = 20240611
FIXED_DATE = "2024-06-11@00:00:00"
BATCH = 3

# Keras' count_params() of the seed models (../shared/SEED_MODELS.md): total, trainable, non-trainable.
SEED_COUNTS = {
    "m1": (1_050_890, 1_050_890, 0),
    "m2": (93_322, 93_322, 0),
    "m3": (1_292_417, 1_292_417, 0),
    "m4": (1_329_473, 1_329_473, 0),
    "m5": (21_140_042, 6_425_354, 14_714_688),
    "m6": (833_610, 830_858, 2_752),
    "m7": (2, 2, 0),
    "m8": (646_260, 646_260, 0),
    "m9": (15_120, 15_120, 0),
    "m10": (592_554, 591_914, 640),
    "m11": (18_049_025, 18_049_025, 0),
    "m12": (8_637_473, 8_637_473, 0),
    "m13": (7_928_177, 7_928_177, 0),
}


# --------------------------------------------------------------------------
# Architectures: the seed models (as tools/make_keras_fixtures.py builds them)
# --------------------------------------------------------------------------

def build_m3():
    return keras.Sequential([
        keras.Input((20,), dtype="int32"),
        layers.Embedding(10000, 128),
        layers.SimpleRNN(64),
        layers.Dense(1, activation="sigmoid"),
    ], name="m3")


def build_m4():
    return keras.Sequential([
        keras.Input((20,), dtype="int32"),
        layers.Embedding(10000, 128),
        layers.LSTM(64),
        layers.Dense(1, activation="sigmoid"),
    ], name="m4")


def build_m5():
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    base.trainable = False
    return keras.Sequential([
        keras.Input((224, 224, 3)),
        base,
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="m5")


def build_m7():
    return keras.Sequential([keras.Input((1,)), layers.Dense(1)], name="m7")


def build_m10():
    seq = [keras.Input((32, 32, 3))]
    for f, s in [(32, 1), (32, 2), (64, 1), (64, 2)]:
        seq += [layers.Conv2D(f, (3, 3), strides=s, padding="same"),
                layers.BatchNormalization(),
                layers.LeakyReLU()]
    seq += [layers.Flatten(),
            layers.Dense(128),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Dropout(0.5),
            layers.Dense(10),
            layers.Softmax()]
    return keras.Sequential(seq, name="m10")


def build_m11():
    return keras.Sequential([
        keras.Input((125, 94, 3)),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ], name="m11")


def build_m12():
    return keras.Sequential([
        keras.Input((125, 94, 3)),
        layers.Conv2D(24, (3, 3), activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(128, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ], name="m12")


def build_m13():
    return keras.Sequential([
        keras.Input((125, 94, 3)),
        layers.Conv2D(48, (3, 3), activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(48, (3, 3), activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(256, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ], name="m13")


# --------------------------------------------------------------------------
# Small models saved with weights
# --------------------------------------------------------------------------

def build_res():
    """M6 in small: stem, an identity block, a stride-2 block with a 1x1 conv shortcut, BN head."""
    inp = keras.Input((16, 16, 3))
    x = layers.Conv2D(8, 3, padding="same")(inp)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = residual_block(x, 8)
    x = residual_block(x, 16, stride=2, conv_shortcut=True)
    x = layers.AveragePooling2D(4)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(0.5)(x)
    out = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inp, out, name="res")


def build_text():
    return keras.Sequential([
        keras.Input((20,), dtype="int32"),
        layers.Embedding(50, 8),
        layers.Conv1D(8, 3, activation="relu"),
        layers.MaxPooling1D(2),
        layers.Bidirectional(layers.LSTM(6, return_sequences=True)),
        layers.GRU(5),
        layers.Dense(1, activation="sigmoid"),
    ], name="text")


def build_opts():
    """Options away from the defaults: non-square kernels, pools and strides, no bias, BN epsilon and
    momentum, ReLU with a slope, leaky_relu as an activation, Reshape with -1, Dense on a sequence,
    a frozen layer, Activation('softmax')."""
    conv = layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same", use_bias=False, activation="tanh")
    conv.trainable = False
    return keras.Sequential([
        keras.Input((12, 10, 3)),
        conv,
        layers.BatchNormalization(epsilon=1e-5, momentum=0.9),
        layers.ReLU(negative_slope=0.1),
        layers.MaxPooling2D((2, 3), strides=(1, 2), padding="same"),
        layers.AveragePooling2D(2, padding="same"),
        layers.Conv2D(3, 1, activation="leaky_relu"),
        layers.Reshape((-1, 3)),
        layers.Dense(5, activation="sigmoid"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dropout(0.25),
        layers.GlobalMaxPooling1D(),
        layers.Dense(4),
        layers.Activation("softmax"),
    ], name="opts")


def build_seq():
    """Sequence options: strided same Conv1D, AveragePooling1D with stride 1, Bidirectional(GRU),
    GRU and LSTM reading backwards, SimpleRNN(relu) without bias, GlobalAveragePooling1D."""
    return keras.Sequential([
        keras.Input((10, 4)),
        layers.Conv1D(6, 3, strides=2, padding="same", activation="sigmoid"),
        layers.AveragePooling1D(2, strides=1, padding="same"),
        layers.Bidirectional(layers.GRU(4, return_sequences=True)),
        layers.GRU(4, return_sequences=True, go_backwards=True),
        layers.SimpleRNN(5, activation="relu", return_sequences=True, use_bias=False),
        layers.LSTM(3, go_backwards=True, return_sequences=True),
        layers.GlobalAveragePooling1D(),
        layers.Dense(2),
    ], name="seq")


def build_res2():
    """A functional model with Add([shortcut, main]) (shortcut first), a frozen BN inside the main
    branch, and a nested Sequential model as a layer."""
    inp = keras.Input((8, 8, 2))
    x = layers.Conv2D(4, 3, padding="same")(inp)
    y = layers.Conv2D(4, 3, padding="same")(x)
    bn = layers.BatchNormalization()
    bn.trainable = False
    y = bn(y)
    s = layers.Conv2D(4, 1)(x)
    x = layers.Add()([s, y])
    x = layers.ReLU()(x)
    block = keras.Sequential([keras.Input((8, 8, 4)), layers.Conv2D(2, 3), layers.Flatten()], name="block")
    x = block(x)
    out = layers.Dense(3)(x)
    return keras.Model(inp, out, name="res2")


# --------------------------------------------------------------------------
# Models keras_to_typenet must refuse (architecture only) and its messages
# --------------------------------------------------------------------------

def unsupported_cases():
    def seq(name, *ls, shape=(8, 8, 3), dtype="float32"):
        return keras.Sequential([keras.Input(shape, dtype=dtype), *ls], name=name)

    def functional_concat():
        inp = keras.Input((8, 8, 3))
        a = layers.Conv2D(4, 3, padding="same")(inp)
        b = layers.Conv2D(4, 1)(inp)
        out = layers.Concatenate()([a, b])
        return keras.Model(inp, out, name="concat")

    return {
        "conv2d_dilation": (
            lambda: seq("conv2d_dilation", layers.Conv2D(4, 3, name="conv2d_3"),
                        layers.Conv2D(4, 3, dilation_rate=2, name="dilated")),
            "keras_to_typenet: layer 'dilated' (Conv2D): dilation_rate=(2, 2) is not supported by typenet "
            "(only 1)"),
        "rescaling": (
            lambda: seq("rescaling", layers.Rescaling(1.0 / 255), layers.Flatten(), layers.Dense(2)),
            "keras_to_typenet: layer 'rescaling' (Rescaling): is not supported by typenet (no such layer; see "
            "docs/keras_to_typenet.md for the layers it translates)"),
        "gru_reset_before": (
            lambda: seq("gru_reset_before", layers.GRU(4, reset_after=False), shape=(5, 3)),
            "keras_to_typenet: layer 'gru' (GRU): reset_after=False is not supported by typenet (only True)"),
        "lstm_hard_sigmoid": (
            lambda: seq("lstm_hard_sigmoid", layers.LSTM(4, recurrent_activation="hard_sigmoid"), shape=(5, 3)),
            "keras_to_typenet: layer 'lstm' (LSTM): recurrent_activation='hard_sigmoid' is not supported by "
            "typenet (only 'sigmoid')"),
        "embedding_mask_zero": (
            lambda: seq("embedding_mask_zero", layers.Embedding(30, 4, mask_zero=True), layers.LSTM(3),
                        shape=(6,), dtype="int32"),
            "keras_to_typenet: layer 'embedding' (Embedding): mask_zero=True is not supported by typenet "
            "(only False)"),
        "dense_gelu": (
            lambda: seq("dense_gelu", layers.Flatten(), layers.Dense(4, activation="gelu")),
            "keras_to_typenet: layer 'dense' (Dense): activation='gelu' is not supported by typenet (only "
            "'relu', 'sigmoid', 'tanh', 'softmax', 'linear', 'leaky_relu')"),
        "conv1d_causal": (
            lambda: seq("conv1d_causal", layers.Conv1D(4, 3, padding="causal"), shape=(10, 2)),
            "keras_to_typenet: layer 'conv1d' (Conv1D): padding='causal' is not supported by typenet (only "
            "'valid' or 'same')"),
        "concatenate": (
            functional_concat,
            "keras_to_typenet: layer 'concatenate' (Concatenate): is not supported by typenet (a residual "
            "block joins its branches with Add)"),
    }


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def param_counts(model):
    tr = int(sum(np.prod(v.shape) for v in model.trainable_weights))
    ntr = int(sum(np.prod(v.shape) for v in model.non_trainable_weights))
    return tr + ntr, tr, ntr


def owner_of(model):
    """variable path -> the Keras class of the layer that owns it (kernels differ per class)."""
    out = {}

    def visit(l):
        if hasattr(l, "layers") and isinstance(l, keras.Model):
            for s in l.layers:
                visit(s)
            return
        for v in l.weights:
            out.setdefault(v.path, type(l).__name__)

    for l in model.layers:
        visit(l)
    return out


def init_weights(model, rng):
    """Trained-looking weights (float32, full mantissas) drawn in model.weights order."""
    owners = owner_of(model)
    new = []
    for v in model.weights:
        shape = tuple(int(d) for d in v.shape)
        name = v.name
        if name in ("kernel", "recurrent_kernel"):
            if len(shape) >= 3:           # conv (k..., cin, cout)
                rf = int(np.prod(shape[:-2]))
                fan_in, fan_out = rf * shape[-2], rf * shape[-1]
            else:
                fan_in, fan_out = shape[0], shape[1]
            lim = np.sqrt(6.0 / (fan_in + fan_out))
            if name == "recurrent_kernel":
                lim *= 1.5
            a = rng.uniform(-lim, lim, shape)
        elif name == "embeddings":
            a = rng.uniform(-1.0, 1.0, shape)
        elif name == "bias":
            a = rng.uniform(-0.2, 0.2, shape)
        elif name == "gamma":
            a = rng.uniform(0.5, 1.5, shape)
        elif name == "beta":
            a = rng.uniform(-0.5, 0.5, shape)
        elif name == "moving_mean":
            a = rng.uniform(-0.5, 0.5, shape)
        elif name == "moving_variance":
            a = rng.uniform(0.5, 2.0, shape)
        else:
            raise RuntimeError(f"unexpected variable {v.path} ({owners.get(v.path)})")
        new.append(a.astype(np.float32))
    model.set_weights(new)
    for g, n in zip(model.get_weights(), new):
        assert g.dtype == np.float32 and np.array_equal(g, n)


def train_m7(model):
    """M7 as the tutorial trains it: y = 2x - 1 on x = -1..4, SGD, mean squared error, 500 epochs."""
    x = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0], dtype=np.float32).reshape(-1, 1)
    y = 2.0 * x - 1.0
    model.compile(optimizer="sgd", loss="mean_squared_error")
    model.fit(x, y, epochs=500, verbose=0)
    w, b = model.get_weights()
    assert abs(float(w[0, 0]) - 2.0) < 0.05 and abs(float(b[0]) + 1.0) < 0.1, (w, b)


def make_input(name, model, rng):
    shape = (BATCH,) + tuple(int(d) for d in model.inputs[0].shape[1:])
    if name == "text":
        return rng.integers(0, 50, shape).astype(np.int32)
    if name == "m7":
        return np.array([[10.0], [-1.0], [0.5]], dtype=np.float32)
    return rng.uniform(0.0, 1.0, shape).astype(np.float32)


def renumber_shared_objects(text):
    """config.json's shared_object_id values are Python id()s: number them 1, 2, ... instead."""
    ids = {}

    def sub(m):
        return f'"shared_object_id": {ids.setdefault(m.group(1), len(ids) + 1)}'

    return re.sub(r'"shared_object_id": (\d+)', sub, text)


def normalize_keras_zip(path):
    """Rewrite a .keras zip with a fixed date_saved, renumbered shared objects and fixed entry
    dates, so that reruns write byte-identical files."""
    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if name == "metadata.json":
                meta = json.loads(data)
                meta["date_saved"] = FIXED_DATE
                data = json.dumps(meta).encode()
            elif name == "config.json":
                data = renumber_shared_objects(data.decode()).encode()
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    with open(path, "wb") as f:
        f.write(out.getvalue())


def check_tool_reads(path, model, with_weights=True):
    """keras_to_typenet's reader against Keras: the flat array it writes is get_weights()."""
    mf = k2t.ModelFile.open(path, with_weights)
    tr = k2t.Translator()
    inp, in_shape, in_name, elements, out_shape = tr.model(mf.config)
    assert tuple(out_shape) == tuple(int(d) for d in model.outputs[0].shape[1:]), (path, out_shape)
    leaves = [l for e in k2t.group_frozen(elements, True) for l in e.leaves()]
    if not with_weights:
        return leaves
    store = mf.weights.top_level(mf.config)
    got = []
    for top, arrays in store.items():
        got += arrays
    ref = model.get_weights()
    assert len(got) == len(ref), (path, len(got), len(ref))
    for a, b in zip(got, ref):
        assert a.shape == b.shape and np.array_equal(a, b), path
    # typenet's order (the leaves' order) is Keras' for every fixture
    shapes = [wt.shape for l in leaves for wt in l.weights]
    assert shapes == [tuple(w.shape) for w in ref], (path, shapes)
    return leaves


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def model_seed(name):
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def fresh(name):
    keras.backend.clear_session()            # layer names restart at conv2d, dense, ...
    keras.utils.set_random_seed(SEED)
    return np.random.default_rng([SEED, model_seed(name)])


def emit_weighted(name, build, outdir, counts, log, legacy=False):
    rng = fresh(name)
    model = build()
    total, tr, ntr = param_counts(model)
    assert total == model.count_params()
    if name in SEED_COUNTS:
        assert (total, tr, ntr) == SEED_COUNTS[name], (name, total, tr, ntr)
    if name == "m7":
        train_m7(model)
    else:
        init_weights(model, rng)
    x = make_input(name, model, rng)
    y = np.asarray(model(x, training=False), dtype=np.float32)
    assert np.all(np.isfinite(y))
    path = os.path.join(outdir, f"{name}.keras")
    model.save(path)
    normalize_keras_zip(path)
    again = keras.models.load_model(path)
    assert np.allclose(np.asarray(again(x, training=False)), y, atol=1e-6)
    check_tool_reads(path, model)
    if legacy:
        hpath = os.path.join(outdir, f"{name}.h5")
        model.save(hpath)
        check_tool_reads(hpath, model)
    np.savez(os.path.join(outdir, f"{name}.io.npz"), x=x, y=y)
    counts.append((name, total, tr, ntr))
    log(f"{name}: {total} params ({tr}/{ntr}), {os.path.getsize(path)} bytes, y[0] = "
        f"{np.array2string(y[0].ravel()[:6], precision=4)}")


def emit_arch(name, build, outdir, counts, log):
    fresh(name)
    model = build()
    total, tr, ntr = param_counts(model)
    assert total == model.count_params()
    assert (total, tr, ntr) == SEED_COUNTS[name], (name, total, tr, ntr)
    path = os.path.join(outdir, "arch", f"{name}.json")
    with open(path, "w") as f:
        f.write(model.to_json())
        f.write("\n")
    leaves = check_tool_reads(path, model, with_weights=False)
    counts.append((f"arch/{name}", total, tr, ntr))
    log(f"arch/{name}: {total} params ({tr}/{ntr}), {len(leaves)} layers")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "tests", "fixtures", "keras_deploy"))
    args = ap.parse_args()
    outdir = os.path.normpath(args.out)
    for sub in ("", "arch", "unsupported", "broken"):
        os.makedirs(os.path.join(outdir, sub), exist_ok=True)

    tf.config.set_visible_devices([], "GPU")
    tf.config.experimental.enable_op_determinism()
    print(f"keras {keras.__version__} tf {tf.__version__} numpy {np.__version__}")
    assert abs(float(keras.layers.LeakyReLU().negative_slope) - 0.3) < 1e-12

    log = lambda s: print(s, flush=True)
    counts = []
    weighted = {"m2": build_m2, "m7": build_m7, "m9": build_m9, "m10": build_m10,
                "res": build_res, "text": build_text, "opts": build_opts, "seq": build_seq, "res2": build_res2}
    for name, b in weighted.items():
        emit_weighted(name, b, outdir, counts, log, legacy=(name == "m9"))

    seeds = {"m1": build_m1, "m2": build_m2, "m3": build_m3, "m4": build_m4, "m5": build_m5,
             "m6": build_m6, "m7": build_m7, "m8": build_m8, "m9": build_m9, "m10": build_m10,
             "m11": build_m11, "m12": build_m12, "m13": build_m13}
    for name, b in seeds.items():
        emit_arch(name, b, outdir, counts, log)

    with open(os.path.join(outdir, "counts.txt"), "w") as f:
        for name, total, tr, ntr in counts:
            f.write(f"{name} {total} {tr} {ntr}\n")

    for case, (build, message) in unsupported_cases().items():
        fresh(case)
        model = build()
        path = os.path.join(outdir, "unsupported", f"{case}.json")
        with open(path, "w") as f:
            f.write(model.to_json())
            f.write("\n")
        with open(os.path.join(outdir, "unsupported", f"{case}.expect"), "w") as f:
            f.write(message + "\n")
        try:
            check_tool_reads(path, model, with_weights=False)
        except k2t.Refused as e:
            assert f"keras_to_typenet: {e}" == message, (case, str(e))
        else:
            raise AssertionError(f"{case}: keras_to_typenet accepted it")
        log(f"unsupported/{case}: refused as expected")

    for src in ("m9.keras", "m9.h5"):
        with open(os.path.join(outdir, src), "rb") as f:
            head = f.read(4096)
        stem, ext = os.path.splitext(src)
        with open(os.path.join(outdir, "broken", f"{stem}_truncated{ext}"), "wb") as f:
            f.write(head)
    return 0


if __name__ == "__main__":
    sys.exit(main())
