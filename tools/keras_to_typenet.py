#!/usr/bin/env python3
"""keras_to_typenet: turn a Keras model file into a C++ header for typenet.

Usage:
    keras_to_typenet.py MODEL -o OUT.hpp [--namespace NS] [--no-weights]

MODEL is one of
    a Keras 3 ``.keras`` file (a zip holding config.json and model.weights.h5),
    a legacy ``.h5`` model file (``model.save("m.h5")``: root attribute
        model_config, weights under model_weights/),
    an architecture ``.json`` (``model.to_json()`` or a .keras file's config.json):
        no weights, so only the network type and its static_asserts are written.

The header defines, in namespace NS: ``net`` (the network as a typenet type),
static_asserts on Keras' parameter counts and on every weight array's shape,
``weights`` (Keras' get_weights() arrays concatenated, exact float literals) and
``model`` (``typenet::rom_model<net>``, which reads ``weights`` in place).

A layer or an option typenet cannot express stops the tool (exit status 2) with
a message naming the layer, its class, the option and its value; an unreadable
or inconsistent file exits with status 1. Nothing is ever translated into a
different model. docs/keras_to_typenet.md is the reference.

Only the Python standard library, numpy and h5py are used (no Keras, no
TensorFlow), so Debian's python3 with python3-numpy and python3-h5py runs it.
"""

import argparse
import io
import json
import math
import os
import re
import struct
import sys
import zipfile
from fractions import Fraction

PROG = "keras_to_typenet"
TN = "typenet::"


class Refused(Exception):
    """The model uses something typenet does not have (exit status 2)."""


class BadInput(Exception):
    """The file cannot be read, or contradicts itself (exit status 1)."""


def fmt_value(v):
    """A config value as Keras users write it: lists become tuples, strings quoted."""
    if isinstance(v, list):
        return fmt_value(tuple(v))
    if isinstance(v, tuple):
        inner = ", ".join(fmt_value(x) for x in v)
        return "(" + inner + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, dict):
        if "class_name" in v:  # a serialized object (regularizer, initializer, dtype policy)
            cfg = v.get("config")
            if isinstance(cfg, dict) and cfg:
                args = ", ".join(f"{k}={fmt_value(x)}" for k, x in cfg.items())
                return f"{v['class_name']}({args})"
            return f"{v['class_name']}()"
        return repr(v)
    return repr(v)


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def shape_str(shape):
    return fmt_value(tuple(int(d) for d in shape))


def float32_decimal(value):
    """The shortest decimal that is the same float32 as `value`, if `value` is a float32 written out
    in full (Keras 2 configs hold LeakyReLU's alpha as 0.30000001192092896, float32(0.3)); else None."""
    v = float(value)
    try:
        as32 = struct.unpack("<f", struct.pack("<f", v))[0]
    except OverflowError:
        return None
    if as32 != v:
        return None
    for digits in range(1, 10):
        d = f"{v:.{digits}g}"
        if struct.unpack("<f", struct.pack("<f", float(d)))[0] == v:
            return d
    return None


def fraction_of(value, what):
    """The exact rational a config float is written as (0.001 -> 1/1000, 0.3 -> 3/10).

    JSON floats are written with Python's shortest repr, so the decimal string is the value Keras
    was given; typenet takes it as N/D template arguments (every compiler accepts those). A float32
    written out in full (0.30000001192092896) becomes its shortest float32 decimal (0.3): Keras
    computes with it as a float32, and the two are the same float32."""
    text = repr(float(value))
    short = float32_decimal(value)
    if short is not None and len(short) < len(text):
        text = short
    f = Fraction(text)
    if f.denominator > 2**62 or abs(f.numerator) > 2**62:
        raise Refused(f"{what}={value!r} has no exact N/D form with 64-bit integers")
    return f


# ---------------------------------------------------------------------------------------------
# Reading the file
# ---------------------------------------------------------------------------------------------

class ModelFile:
    """The model's config (dict), where it came from, and (optionally) a weight store."""

    def __init__(self, path):
        self.path = path
        self.config = None
        self.keras_version = None
        self.kind = None
        self.weights = None  # a WeightStore or None

    @staticmethod
    def open(path, want_weights):
        mf = ModelFile(path)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise BadInput(f"cannot read {path}: {e.strerror}")
        head = data[:8]
        if head.startswith(b"PK"):
            mf._read_keras(data, want_weights)
        elif head.startswith(b"\x89HDF\r\n\x1a\n"):
            mf._read_h5(data, want_weights)
        elif data.lstrip()[:1] == b"{":
            mf._read_json(data)
        else:
            raise BadInput(f"{path} is neither a .keras zip, an HDF5 (.h5) file nor JSON")
        if not isinstance(mf.config, dict) or "class_name" not in mf.config:
            raise BadInput(f"{path}: the model config has no class_name")
        return mf

    def _read_json(self, data):
        self.kind = "json"
        try:
            self.config = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise BadInput(f"{self.path}: not valid JSON ({e})")
        if isinstance(self.config, dict):
            self.keras_version = self.config.get("keras_version")

    def _read_keras(self, data, want_weights):
        self.kind = "keras"
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
            names = set(z.namelist())
            if "config.json" not in names:
                raise BadInput(f"{self.path}: a zip without config.json is not a .keras file")
            self.config = json.loads(z.read("config.json").decode("utf-8"))
            if "metadata.json" in names:
                meta = json.loads(z.read("metadata.json").decode("utf-8"))
                self.keras_version = meta.get("keras_version")
            if want_weights:
                if "model.weights.h5" not in names:
                    raise BadInput(f"{self.path}: no model.weights.h5 inside (sharded or npz weights "
                                   "are not read; use --no-weights for the type only)")
                self.weights = KerasWeights(self.path, z.read("model.weights.h5"))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, KeyError) as e:
            raise BadInput(f"{self.path}: not a readable .keras file ({type(e).__name__}: {e})")
        except (OSError, RuntimeError) as e:  # zlib / CRC errors in a damaged member
            raise BadInput(f"{self.path}: not a readable .keras file ({type(e).__name__}: {e})")

    def _read_h5(self, data, want_weights):
        self.kind = "h5"
        h5 = open_h5(self.path, data)
        if "model_config" not in h5.attrs:
            raise BadInput(f"{self.path}: an HDF5 file without the model_config attribute (a weights-only "
                           "file?); give the .keras file or a full model.save('m.h5')")
        mc = h5.attrs["model_config"]
        if isinstance(mc, bytes):
            mc = mc.decode("utf-8")
        try:
            self.config = json.loads(str(mc))
        except ValueError as e:
            raise BadInput(f"{self.path}: model_config is not valid JSON ({e})")
        kv = h5.attrs.get("keras_version")
        self.keras_version = kv.decode() if isinstance(kv, bytes) else (str(kv) if kv is not None else None)
        if want_weights:
            if "model_weights" not in h5:
                raise BadInput(f"{self.path}: no model_weights group (saved with include_optimizer only?)")
            self.weights = LegacyWeights(self.path, h5["model_weights"])


def open_h5(path, data):
    try:
        import h5py
    except ImportError:
        raise BadInput("reading .h5 / .keras weights needs the h5py module (Debian: python3-h5py); "
                       "--no-weights with a .json file needs neither")
    try:
        return h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError) as e:
        raise BadInput(f"{path}: not a readable HDF5 file ({e})")


def read_array(ds, where):
    """One weight array as float32 numpy, checking dtype and values."""
    import numpy as np
    try:
        a = ds[()]
    except Exception as e:  # h5py raises OSError/KeyError/... on damaged data
        raise BadInput(f"{where}: cannot read the array ({type(e).__name__}: {e})")
    a = np.asarray(a)
    if a.dtype != np.float32:
        raise Refused(f"{where} holds {a.dtype} values; typenet's header holds float32 (Keras' default dtype)")
    if not np.all(np.isfinite(a)):
        raise BadInput(f"{where} holds a NaN or an infinity")
    return a


def snake_case(name):
    # keras.src.utils.naming.to_snake_case: how Keras 3 names a layer's folder in model.weights.h5.
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def container_layers(cfg):
    """The layer list of a Sequential / Functional config, as Keras' `model.layers` holds them."""
    layers = cfg["config"].get("layers", [])
    if cfg["class_name"] == "Sequential":  # Sequential.layers omits its InputLayer
        layers = [l for l in layers if l.get("class_name") != "InputLayer"]
    return layers


RNN_CLASSES = ("SimpleRNN", "LSTM", "GRU")
CONTAINER_CLASSES = ("Sequential", "Functional", "Model")


class KerasWeights:
    """Keras 3 model.weights.h5: layers/<snake_case(class), numbered>/vars/<i> (saving_lib)."""

    def __init__(self, path, blob):
        self.path = path
        self.h5 = open_h5(path + ":model.weights.h5", blob)

    def top_level(self, model_cfg):
        """{layer name: [arrays in that layer's get_weights() order]} for the model's layers."""
        root = self.h5
        if "layers" not in root:
            raise BadInput(f"{self.path}: model.weights.h5 has no 'layers' group")
        return self._container(root["layers"], model_cfg, model_cfg["config"].get("name", "model"))

    def _container(self, group, cfg, where):
        out = {}
        used = {}
        for lc in container_layers(cfg):
            stem = snake_case(lc["class_name"])
            if stem in used:
                used[stem] += 1
                key = f"{stem}_{used[stem]}"
            else:
                used[stem] = 0
                key = stem
            name = lc["config"]["name"]
            if key not in group and lc["class_name"] == "InputLayer":
                out[name] = []
                continue
            if key not in group:
                raise BadInput(f"{self.path}: model.weights.h5 has no group layers/{key} for layer '{name}'")
            out[name] = self._layer(group[key], lc, f"{where}/{name}")
        return out

    def _vars(self, group, where, path):
        import h5py
        if "vars" not in group:
            return []
        v = group["vars"]
        n = len(v.keys())
        arrays = []
        for i in range(n):
            if str(i) not in v or not isinstance(v[str(i)], h5py.Dataset):
                raise BadInput(f"{self.path}: {path}/vars holds no array {i}")
            arrays.append(read_array(v[str(i)], f"{where} array {i}"))
        return arrays

    def _layer(self, group, lc, where):
        cls = lc["class_name"]
        if cls in CONTAINER_CLASSES:
            flat = []
            if "layers" in group:
                for arrays in self._container(group["layers"], lc, where).values():
                    flat += arrays
            return flat
        if cls in RNN_CLASSES:
            return self._vars(group["cell"], where, "cell") if "cell" in group else []
        if cls == "Bidirectional":
            out = []
            for side in ("forward_layer", "backward_layer"):  # get_weights(): forward first
                if side in group and "cell" in group[side]:
                    out += self._vars(group[side]["cell"], f"{where}/{side}", f"{side}/cell")
            return out
        return self._vars(group, where, "")


class LegacyWeights:
    """Legacy .h5: model_weights/<layer name> with attribute weight_names (get_weights() order)."""

    def __init__(self, path, group):
        self.path = path
        self.group = group

    def top_level(self, model_cfg):
        out = {}
        for lc in container_layers(model_cfg):
            if lc.get("class_name") == "InputLayer":
                continue
            name = lc["config"]["name"]
            if name not in self.group:
                raise BadInput(f"{self.path}: model_weights has no group for layer '{name}'")
            g = self.group[name]
            names = g.attrs.get("weight_names", [])
            arrays = []
            for wn in names:
                wn = wn.decode() if isinstance(wn, bytes) else str(wn)
                if wn not in g:
                    raise BadInput(f"{self.path}: model_weights/{name} lists {wn} but does not hold it")
                arrays.append(read_array(g[wn], f"layer '{name}' weight {wn}"))
            out[name] = arrays
        return out


# ---------------------------------------------------------------------------------------------
# The translated network
# ---------------------------------------------------------------------------------------------

class Weight:
    def __init__(self, var, shape, trainable=True):
        self.var = var            # Keras' variable name: kernel, bias, gamma, ...
        self.shape = tuple(shape)
        self.trainable = trainable
        self.array = None


class Leaf:
    def __init__(self, name, cls, cpp, weights=(), frozen=False, top=None, order=()):
        self.name = name          # Keras layer name
        self.cls = cls            # Keras class name
        self.cpp = cpp            # the typenet type
        self.weights = list(weights)
        self.frozen = frozen
        self.top = top            # name of the top-level Keras layer whose arrays hold this one's
        self.order = order        # position in Keras' get_weights() order inside `top`
        self.notes = []

    def leaves(self):
        return [self]

    def all_frozen(self):
        return self.frozen


class Residual:
    def __init__(self, name, main, shortcut):
        self.name = name          # the Add layer
        self.main = main          # lists of elements
        self.shortcut = shortcut

    def leaves(self):
        # typenet's order (model/composite.hpp residual::order): layers by depth from the block's
        # output, main branch first at equal depth -- Keras' functional get_weights() order.
        m, s = len(self.main), len(self.shortcut)
        i = j = 0
        out = []
        while i < m or j < s:
            take_main = j >= s or (i < m and (m - i) >= (s - j))
            if take_main:
                out += self.main[i].leaves()
                i += 1
            else:
                out += self.shortcut[j].leaves()
                j += 1
        return out

    def all_frozen(self):
        return all(e.all_frozen() for e in self.main + self.shortcut)


class Frozen:
    def __init__(self, items):
        self.items = items

    def leaves(self):
        out = []
        for e in self.items:
            out += e.leaves()
        return out


class Layer:
    """One Keras layer's config, with bookkeeping of the options that were looked at."""

    IGNORED_SUFFIXES = ("_initializer",)
    TRAINING_ONLY_SUFFIXES = ("_regularizer", "_constraint")

    def __init__(self, entry, frozen_ctx=False):
        self.entry = entry
        self.cls = entry.get("class_name", "?")
        self.cfg = entry.get("config", {}) or {}
        self.name = self.cfg.get("name", entry.get("name", "?"))
        # batch_input_shape: Keras 2 puts the model's input shape on its first layer
        self.used = {"name", "trainable", "dtype", "seed", "batch_input_shape"}
        self.frozen = frozen_ctx or (self.cfg.get("trainable", True) is False)
        self.notes = []

    def refuse(self, msg):
        raise Refused(f"layer '{self.name}' ({self.cls}): {msg}")

    def get(self, key, default=None):
        self.used.add(key)
        return self.cfg.get(key, default)

    def only(self, key, allowed, default, shown=None):
        """The option's value, refused unless it is one of `allowed`."""
        v = self.get(key, default)
        norm = tuple(v) if isinstance(v, list) else v
        if norm not in allowed:
            self.refuse(f"{key}={fmt_value(v)} is not supported by typenet (only {shown or fmt_value(allowed[0])})")
        return v

    def ignore_training_only(self, *keys):
        for k in keys:
            self.used.add(k)
            v = self.cfg.get(k)
            if v not in (None, 0, 0.0, False):
                self.notes.append(f"{k}={fmt_value(v)} (training only)")

    def check_dtype(self):
        d = self.cfg.get("dtype")
        name = d
        if isinstance(d, dict):
            name = (d.get("config") or {}).get("name")
        if name not in (None, "float32"):
            self.refuse(f"dtype={fmt_value(name)} is not supported by typenet (only 'float32')")

    def finish(self):
        """Every option not looked at must be a default, an initializer or training-only."""
        self.check_dtype()
        for k, v in self.cfg.items():
            if k in self.used:
                continue
            if k.endswith(self.IGNORED_SUFFIXES):
                continue
            if k.endswith(self.TRAINING_ONLY_SUFFIXES):
                if v is not None:
                    self.notes.append(f"{k}={fmt_value(v)} (training only)")
                continue
            if v is None:
                continue
            self.refuse(f"option {k}={fmt_value(v)} is not known to {PROG}")


def pair(v, what, layer):
    if isinstance(v, int):
        return (v, v)
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, int) for x in v):
        return (v[0], v[1])
    layer.refuse(f"{what}={fmt_value(v)} is not a size")


def single(v, what, layer):
    if isinstance(v, int):
        return v
    if isinstance(v, (list, tuple)) and len(v) == 1 and isinstance(v[0], int):
        return v[0]
    layer.refuse(f"{what}={fmt_value(v)} is not a size")


def conv_options(pad, act, bias):
    """A convolution's options after its kernel size and strides: padding, activation, use_bias."""
    opts = [TN + "same"] if pad == "same" else []
    if not act.endswith("linear"):
        opts.append(act)
    if not bias:
        opts.append(TN + "use_bias<false>")
    return opts


def conv_weights(kernel_shape, bias):
    """A convolution's arrays in get_weights() order: kernel, then bias (filters) if it has one."""
    return [Weight("kernel", kernel_shape)] + ([Weight("bias", (kernel_shape[-1],))] if bias else [])


def window_out(n, k, s, pad):
    if pad == "same":
        return -(-n // s)
    return (n - k) // s + 1


ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax",
               "linear": "linear", "leaky_relu": "leaky_relu<1, 5>"}  # Keras' leaky_relu: slope 0.2


def activation_name(v):
    if v is None:
        return "linear"
    if isinstance(v, dict):  # {"module": "keras.activations", "class_name": "function", "config": "relu"}
        c = v.get("config")
        if isinstance(c, str):
            return c
        return v.get("class_name", "?")
    return v


def activation_type(layer, key="activation", default="linear", elementwise=False):
    v = layer.get(key, default)
    a = activation_name(v)
    if a not in ACTIVATIONS or (elementwise and a == "softmax"):
        names = [k for k in ACTIVATIONS if not (elementwise and k == "softmax")]
        layer.refuse(f"{key}={fmt_value(a)} is not supported by typenet (only " + ", ".join(repr(n) for n in names) + ")")
    return a, TN + ACTIVATIONS[a]


def leaky_type(slope, layer, key):
    if isinstance(slope, bool) or not isinstance(slope, (int, float)) or slope < 0:
        layer.refuse(f"{key}={fmt_value(slope)} is not supported by typenet (a slope >= 0)")
    try:
        f = fraction_of(slope, key)
    except Refused as e:
        layer.refuse(str(e))
    if f == Fraction(3, 10):
        return TN + "leaky_relu<>"
    return f"{TN}leaky_relu<{f.numerator}, {f.denominator}>"


def tmpl(name, args):
    args = [str(a) for a in args if a is not None and a != ""]
    return f"{TN}{name}<{', '.join(args)}>"


class Translator:
    def __init__(self):
        self.input_note = None

    # ---- containers -------------------------------------------------------------------------

    def model(self, cfg):
        """The whole model: (input cpp, input shape, elements, output shape)."""
        cls = cfg.get("class_name")
        c = cfg.get("config", {})
        if cls not in CONTAINER_CLASSES:
            raise Refused(f"the file holds a {cls}, not a Sequential or Functional model")
        if cls == "Sequential":
            in_shape, in_dtype, in_name = self.sequential_input(cfg)
        else:
            in_shape, in_dtype, in_name = self.functional_input(cfg)
        elements, out = self.container(cfg, in_shape, top=None, frozen=c.get("trainable", True) is False,
                                       order=())
        first = first_leaf(elements)
        for e in elements:
            for l in e.leaves():
                if l.cls == "Embedding" and l is not first:
                    raise Refused(f"layer '{l.name}' (Embedding): is not the first layer; typenet's "
                                  "embedding reads the network's token input, so it must come first")
        if in_dtype.startswith(("int", "uint")):
            if first is None or first.cls != "Embedding":
                raise Refused(f"input '{in_name}' has dtype {in_dtype!r}: typenet reads integer inputs "
                              "(tokens<len>) only with an Embedding as the first layer")
        elif in_dtype != "float32":
            raise Refused(f"input '{in_name}' has dtype {in_dtype!r}; typenet's inputs are float32, "
                          "or int32 token ids read by an Embedding")
        if first is not None and first.cls == "Embedding":
            if len(in_shape) != 1:
                raise Refused(f"layer '{first.name}' (Embedding): input shape {shape_str(in_shape)}; typenet's "
                              "tokens<len> input is one sequence of ids per sample")
            inp = tmpl("tokens", [in_shape[0]])
            if not in_dtype.startswith(("int", "uint")):
                self.input_note = f"{in_dtype}: Keras casts the ids to int32"
        else:
            inp = tmpl("input", list(in_shape))
        return inp, in_shape, in_name, elements, out

    def input_layer(self, entry):
        L = Layer(entry)
        shape = L.get("batch_shape", None)
        if shape is None:
            shape = L.get("batch_input_shape", None)
        if shape is None:
            L.refuse("has no batch_shape")
        dtype = L.get("dtype", "float32")
        if isinstance(dtype, dict):
            dtype = (dtype.get("config") or {}).get("name", "float32")
        for k in ("sparse", "ragged", "optional"):
            if L.get(k) not in (None, False):
                L.refuse(f"{k}={fmt_value(L.cfg[k])} is not supported by typenet (only False)")
        L.get("input_tensor")
        dims = list(shape[1:])
        if not dims:
            L.refuse("has a scalar input (shape ()); typenet's inputs have at least one extent")
        if any(d is None for d in dims):
            L.refuse(f"shape {fmt_value(tuple(shape[1:]))} has an extent of unknown size; typenet needs every "
                     "extent (give Input(shape=...) numbers)")
        for k, v in L.cfg.items():
            if k not in L.used and v is not None:
                L.refuse(f"option {k}={fmt_value(v)} is not known to {PROG}")
        return tuple(int(d) for d in dims), str(dtype), L.name

    def sequential_input(self, cfg):
        layers = cfg["config"].get("layers", [])
        if layers and layers[0].get("class_name") == "InputLayer":
            return self.input_layer(layers[0])
        bis = cfg["config"].get("build_input_shape")
        if bis is None and layers:
            bis = (layers[0].get("config", {}) or {}).get("batch_input_shape")
            if bis is None:
                bis = (layers[0].get("build_config") or {}).get("input_shape")
        if bis is None:
            raise Refused(f"model '{cfg['config'].get('name')}' (Sequential) has no input shape (never built); "
                          "give it a keras.Input")
        if any(d is None for d in bis[1:]):
            raise Refused(f"model '{cfg['config'].get('name')}' (Sequential): input shape "
                          f"{fmt_value(tuple(bis[1:]))} has an extent of unknown size")
        return tuple(int(d) for d in bis[1:]), "float32", cfg["config"].get("name", "?")

    def functional_input(self, cfg):
        c = cfg["config"]
        ins = tensor_refs(c.get("input_layers"))
        outs = tensor_refs(c.get("output_layers"))
        name = c.get("name", "?")
        if len(ins) != 1 or len(outs) != 1:
            raise Refused(f"model '{name}' ({cfg['class_name']}) has {plural(len(ins), 'input')} and "
                          f"{plural(len(outs), 'output')}; typenet networks have one of each")
        for l in c.get("layers", []):
            if l["config"].get("name", l.get("name")) == ins[0] or l.get("name") == ins[0]:
                if l.get("class_name") != "InputLayer":
                    raise Refused(f"model '{name}': its input is layer '{ins[0]}' ({l.get('class_name')}), "
                                  "not an InputLayer")
                return self.input_layer(l)
        raise BadInput(f"model '{name}': input layer '{ins[0]}' is not in its layer list")

    def container(self, cfg, in_shape, top, frozen, order):
        """A Sequential / Functional config as a list of elements, inlined."""
        if cfg["class_name"] == "Sequential":
            return self.sequential_body(cfg, in_shape, top, frozen, order)
        return self.functional_body(cfg, in_shape, top, frozen, order)

    def sequential_body(self, cfg, shape, top, frozen, order):
        elements = []
        layers = cfg["config"].get("layers", [])
        idx = 0
        for entry in layers:
            if entry.get("class_name") == "InputLayer":
                if elements or idx:
                    raise Refused(f"model '{cfg['config'].get('name')}': an InputLayer after its first layer")
                s, _, _ = self.input_layer(entry)
                if top is not None and s != shape:  # a nested model: its input must be what it gets
                    raise Refused(f"model '{cfg['config'].get('name')}' expects input {shape_str(s)} but gets "
                                  f"{shape_str(shape)}")
                continue
            name = entry["config"]["name"]
            t = top if top is not None else name
            els, shape = self.layer(entry, shape, t, frozen, order + (idx,))
            elements += els
            idx += 1
        return elements, shape

    def functional_body(self, cfg, in_shape, top, frozen, order):
        c = cfg["config"]
        mname = c.get("name", "?")
        entries = {}
        index = {}
        inputs = {}
        consumers = {}
        for i, e in enumerate(c.get("layers", [])):
            n = e.get("name") or e["config"]["name"]
            entries[n] = e
            index[n] = i
            nodes = e.get("inbound_nodes", [])
            if len(nodes) > 1:
                Layer(e).refuse(f"is called {len(nodes)} times (a shared layer); typenet networks have none")
            srcs = node_inputs(nodes[0]) if nodes else []
            if srcs is None:
                Layer(e).refuse("takes a tensor as a keyword argument; typenet layers take one input")
            inputs[n] = srcs
            consumers.setdefault(n, [])
        for n, srcs in inputs.items():
            for s in srcs:
                if s not in entries:
                    raise BadInput(f"model '{mname}': layer '{n}' reads '{s}', which is not in the model")
                consumers[s].append(n)
        in_name = tensor_refs(c.get("input_layers"))
        out_name = tensor_refs(c.get("output_layers"))
        if len(in_name) != 1 or len(out_name) != 1:
            raise Refused(f"model '{mname}' has {plural(len(in_name), 'input')} and "
                          f"{plural(len(out_name), 'output')}; typenet networks have one of each")
        in_name, out_name = in_name[0], out_name[0]
        if top is not None:
            s, _, _ = self.input_layer(entries[in_name])
            if s != in_shape:
                raise Refused(f"model '{mname}' expects input {shape_str(s)} but gets {shape_str(in_shape)}")
        for n in entries:
            if not consumers[n] and n != out_name and entries[n].get("class_name") != "InputLayer":
                Layer(entries[n]).refuse("has an output that nothing reads (typenet networks are one path "
                                         "with residual blocks)")

        def leaf(n, shape):
            t = top if top is not None else n
            return self.layer(entries[n], shape, t, frozen, order + (index[n],))

        def walk(cur, shape, stop):
            """Elements from the output of `cur` until `stop` (merge) or the model's output."""
            elements = []
            while True:
                cons = consumers[cur]
                if cur == out_name and not cons:
                    return elements, shape, None, cur
                if len(cons) == 1:
                    nxt = cons[0]
                    if len(inputs[nxt]) > 1:
                        return elements, shape, nxt, cur
                    els, shape = leaf(nxt, shape)
                    elements += els
                    cur = nxt
                    continue
                if len(cons) == 2:
                    block, shape, cur = fork(cur, shape, cons)
                    elements.append(block)
                    continue
                if cur == out_name:
                    Layer(entries[cur]).refuse("is the model's output and also read by other layers")
                Layer(entries[cur]).refuse(f"its output is read by {len(cons)} layers; typenet's residual "
                                           "blocks have two branches")

        def fork(cur, shape, cons):
            branches = []
            for cn in cons:
                if len(inputs[cn]) > 1:  # the merge itself: the identity branch
                    branches.append(([], shape, cn, cur))
                else:
                    els, s1 = leaf(cn, shape)
                    more, s2, merge, end = walk(cn, s1, None)
                    if merge is None:
                        Layer(entries[cn]).refuse("starts a branch that never joins the other one "
                                                  "(typenet networks have one output)")
                    branches.append((els + more, s2, merge, end))
            (e0, s0, m0, end0), (e1, s1, m1, end1) = branches
            if m0 != m1:
                Layer(entries[cur]).refuse(f"its output splits into branches that end in different layers "
                                           f"('{m0}' and '{m1}'); typenet's residual blocks join in one Add")
            add = Layer(entries[m0])
            if add.cls != "Add":
                add.refuse("is not supported by typenet (a residual block joins its branches with Add)")
            srcs = inputs[m0]
            if len(srcs) != 2 or sorted(srcs) != sorted([end0, end1]):
                add.refuse(f"adds {len(srcs)} tensors; typenet's residual blocks add two branches of one input")
            if not e0 and not e1:
                add.refuse("adds a tensor to itself; typenet's residual blocks need a main branch")
            if s0 != s1:
                add.refuse(f"adds shapes {shape_str(s0)} and {shape_str(s1)}")
            # Main = the branch of Add's first input (Keras' get_weights() puts its layers first at
            # equal depth); the identity branch is always the shortcut.
            first = srcs[0]
            if e0 and (end0 == first or not e1):
                main, sc = e0, e1
            else:
                main, sc = e1, e0
            add.finish()
            block = Residual(add.name, main, sc)
            return block, s0, m0

        els, shape, merge, end = walk(in_name, in_shape, None)
        if merge is not None:
            Layer(entries[merge]).refuse("joins branches that do not start at one fork (typenet's residual "
                                         "blocks add two branches of one input)")
        if end != out_name:
            raise BadInput(f"model '{mname}': the path from its input ends at '{end}', not at its output "
                           f"'{out_name}'")
        return els, shape

    # ---- one layer --------------------------------------------------------------------------

    def layer(self, entry, shape, top, frozen, order):
        cls = entry.get("class_name")
        if cls in CONTAINER_CLASSES:
            fz = frozen or (entry.get("config", {}).get("trainable", True) is False)
            return self.container(entry, shape, top, fz, order)
        L = Layer(entry, frozen)
        fn = getattr(self, "layer_" + cls, None) if isinstance(cls, str) else None
        if fn is None:
            raise Refused(f"layer '{L.name}' ({cls}): is not supported by typenet (no such layer; see "
                          "docs/keras_to_typenet.md for the layers it translates)")
        cpp, out, weights = fn(L, shape)
        L.finish()
        leaf = Leaf(L.name, cls, cpp, weights, frozen=L.frozen, top=top, order=order)
        leaf.notes = L.notes
        leaf.in_shape = shape
        leaf.out_shape = out
        return [leaf], out

    def needs_rank(self, L, shape, rank, what):
        if len(shape) != rank:
            L.refuse(f"needs {what} input but gets shape {shape_str(shape)}")

    def data_format(self, L):
        L.only("data_format", ("channels_last", None), "channels_last", "'channels_last'")

    def layer_Dense(self, L, shape):
        units = L.get("units")
        _, act = activation_type(L)
        bias = L.get("use_bias", True)
        L.only("lora_rank", (None, 0), None, "None")
        L.get("lora_alpha")
        L.only("quantization_config", (None,), None, "None")
        if not shape:
            L.refuse("needs an input with at least one axis")
        opts = [act if not act.endswith("linear") else None, None if bias else TN + "use_bias<false>"]
        w = [Weight("kernel", (shape[-1], units))] + ([Weight("bias", (units,))] if bias else [])
        return tmpl("dense", [units] + opts), shape[:-1] + (units,), w

    def conv_common(self, L, rank):
        filters = L.get("filters")
        ks = L.get("kernel_size")
        st = L.get("strides", 1)
        pad = L.only("padding", ("valid", "same"), "valid", "'valid' or 'same'")
        self.data_format(L)
        L.only("dilation_rate", ((1,) * rank, 1), 1, "1")
        L.only("groups", (1,), 1, "1")
        L.only("lora_rank", (None, 0), None, "None")
        L.get("lora_alpha")
        L.only("quantization_config", (None,), None, "None")
        _, act = activation_type(L)
        bias = L.get("use_bias", True)
        return filters, ks, st, pad, act, bias

    def layer_Conv2D(self, L, shape):
        filters, ks, st, pad, act, bias = self.conv_common(L, 2)
        kh, kw = pair(ks, "kernel_size", L)
        sh, sw = pair(st, "strides", L)
        self.needs_rank(L, shape, 3, "an (H, W, C)")
        oh, ow = window_out(shape[0], kh, sh, pad), window_out(shape[1], kw, sw, pad)
        if oh <= 0 or ow <= 0:
            L.refuse(f"kernel {kh}x{kw} is larger than its input {shape_str(shape)}")
        k = str(kh) if kh == kw else f"{TN}kernel<{kh}, {kw}>"
        opts = [k]
        if (sh, sw) != (1, 1):
            opts.append(f"{TN}strides<{sh}>" if sh == sw else f"{TN}strides<{sh}, {sw}>")
        w = conv_weights((kh, kw, shape[2], filters), bias)
        return tmpl("conv2d", [filters] + opts + conv_options(pad, act, bias)), (oh, ow, filters), w

    def layer_Conv1D(self, L, shape):
        filters, ks, st, pad, act, bias = self.conv_common(L, 1)
        k = single(ks, "kernel_size", L)
        s = single(st, "strides", L)
        self.needs_rank(L, shape, 2, "a (time, features)")
        t = window_out(shape[0], k, s, pad)
        if t <= 0:
            L.refuse(f"kernel {k} is longer than its input {shape_str(shape)}")
        opts = [k]
        if s != 1:
            opts.append(f"{TN}strides<{s}>")
        w = conv_weights((k, shape[1], filters), bias)
        return tmpl("conv1d", [filters] + opts + conv_options(pad, act, bias)), (t, filters), w

    def pool2d(self, L, shape, name):
        ph, pw = pair(L.get("pool_size", 2), "pool_size", L)
        st = L.get("strides", None)
        sh, sw = (ph, pw) if st is None else pair(st, "strides", L)
        pad = L.only("padding", ("valid", "same"), "valid", "'valid' or 'same'")
        self.data_format(L)
        self.needs_rank(L, shape, 3, "an (H, W, C)")
        oh, ow = window_out(shape[0], ph, sh, pad), window_out(shape[1], pw, sw, pad)
        if oh <= 0 or ow <= 0:
            L.refuse(f"pool {ph}x{pw} is larger than its input {shape_str(shape)}")
        args = [ph]
        if ph != pw:
            args.append(f"{TN}pool<{ph}, {pw}>")
        if (sh, sw) != (ph, pw):
            args.append(f"{TN}strides<{sh}>" if sh == sw else f"{TN}strides<{sh}, {sw}>")
        if pad == "same":
            args.append(TN + "same")
        return tmpl(name, args), (oh, ow, shape[2]), []

    def layer_MaxPooling2D(self, L, shape):
        return self.pool2d(L, shape, "max_pool2d")

    def layer_AveragePooling2D(self, L, shape):
        return self.pool2d(L, shape, "average_pool2d")

    def pool1d(self, L, shape, name):
        p = single(L.get("pool_size", 2), "pool_size", L)
        st = L.get("strides", None)
        s = p if st is None else single(st, "strides", L)
        pad = L.only("padding", ("valid", "same"), "valid", "'valid' or 'same'")
        self.data_format(L)
        self.needs_rank(L, shape, 2, "a (time, features)")
        t = window_out(shape[0], p, s, pad)
        if t <= 0:
            L.refuse(f"pool {p} is longer than its input {shape_str(shape)}")
        args = [p]
        if s != p:
            args.append(f"{TN}strides<{s}>")
        if pad == "same":
            args.append(TN + "same")
        return tmpl(name, args), (t, shape[1]), []

    def layer_MaxPooling1D(self, L, shape):
        return self.pool1d(L, shape, "max_pool1d")

    def layer_AveragePooling1D(self, L, shape):
        return self.pool1d(L, shape, "average_pool1d")

    def global_pool(self, L, shape, name, rank, what):
        self.data_format(L)
        L.only("keepdims", (False,), False, "False")
        self.needs_rank(L, shape, rank, what)
        return TN + name, (shape[-1],), []

    def layer_GlobalAveragePooling2D(self, L, shape):
        return self.global_pool(L, shape, "global_average_pool2d", 3, "an (H, W, C)")

    def layer_GlobalMaxPooling2D(self, L, shape):
        return self.global_pool(L, shape, "global_max_pool2d", 3, "an (H, W, C)")

    def layer_GlobalAveragePooling1D(self, L, shape):
        return self.global_pool(L, shape, "global_average_pool1d", 2, "a (time, features)")

    def layer_GlobalMaxPooling1D(self, L, shape):
        return self.global_pool(L, shape, "global_max_pool1d", 2, "a (time, features)")

    def layer_Flatten(self, L, shape):
        self.data_format(L)
        return TN + "flatten", (math.prod(shape),), []

    def layer_Reshape(self, L, shape):
        target = L.get("target_shape")
        if not isinstance(target, (list, tuple)) or not target:
            L.refuse(f"target_shape={fmt_value(target)} is not a shape")
        target = list(target)
        n = math.prod(shape)
        if target.count(-1) > 1:
            L.refuse(f"target_shape={fmt_value(target)} has more than one -1")
        if -1 in target:
            known = math.prod(d for d in target if d != -1)
            if known <= 0 or n % known:
                L.refuse(f"target_shape={fmt_value(target)} does not fit an input of {n} values")
            target[target.index(-1)] = n // known
        if math.prod(target) != n or any(d <= 0 for d in target):
            L.refuse(f"target_shape={fmt_value(target)} does not fit an input of {n} values")
        return tmpl("reshape", target), tuple(target), []

    def layer_Dropout(self, L, shape):
        rate = L.get("rate")
        L.ignore_training_only("noise_shape")
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not (0 <= rate < 1):
            L.refuse(f"rate={fmt_value(rate)} is not supported by typenet (a rate in [0, 1))")
        try:
            f = fraction_of(rate, "rate")
        except Refused as e:
            L.refuse(str(e))
        return f"{TN}dropout<{f.numerator}, {f.denominator}>", shape, []

    def layer_BatchNormalization(self, L, shape):
        axis = L.get("axis", -1)
        if isinstance(axis, list) and len(axis) == 1:
            axis = axis[0]
        if axis not in (-1, len(shape)):
            L.refuse(f"axis={fmt_value(L.cfg.get('axis'))} is not supported by typenet (only -1, the last axis)")
        L.only("center", (True,), True, "True")
        L.only("scale", (True,), True, "True")
        L.only("renorm", (False,), False, "False")
        L.used.update(("renorm_momentum", "renorm_clipping", "fused"))  # no effect without renorm
        L.ignore_training_only("synchronized", "virtual_batch_size", "adjustment")
        eps = L.get("epsilon", 1e-3)
        mom = L.get("momentum", 0.99)
        opts = []
        for key, v, default in (("epsilon", eps, Fraction(1, 1000)), ("momentum", mom, Fraction(99, 100))):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                L.refuse(f"{key}={fmt_value(v)} is not a number")
            try:
                f = fraction_of(v, key)
            except Refused as e:
                L.refuse(str(e))
            if key == "epsilon" and f <= 0:
                L.refuse(f"epsilon={fmt_value(v)} is not supported by typenet (epsilon > 0)")
            if key == "momentum" and not (0 <= f <= 1):
                L.refuse(f"momentum={fmt_value(v)} is not supported by typenet (in [0, 1])")
            if f != default:
                opts.append(f"{TN}{key}<{f.numerator}, {f.denominator}>")
        if not shape:
            L.refuse("needs an input with at least one axis")
        c = shape[-1]
        w = [Weight("gamma", (c,)), Weight("beta", (c,)), Weight("moving_mean", (c,), False),
             Weight("moving_variance", (c,), False)]
        return tmpl("batch_norm", opts), shape, w

    def layer_Activation(self, L, shape):
        a, t = activation_type(L, default=None)
        if a == "softmax" and not shape:
            L.refuse("softmax needs an input with at least one axis")
        return t, shape, []

    def layer_ReLU(self, L, shape):
        mv = L.get("max_value", None)
        th = L.get("threshold", 0.0)
        ns = L.get("negative_slope", 0.0)
        if mv is not None:
            L.refuse(f"max_value={fmt_value(mv)} is not supported by typenet (only None)")
        if th not in (0, 0.0, None):
            L.refuse(f"threshold={fmt_value(th)} is not supported by typenet (only 0)")
        if ns in (0, 0.0, None):
            return TN + "relu", shape, []
        return leaky_type(ns, L, "negative_slope"), shape, []

    def layer_LeakyReLU(self, L, shape):
        if "negative_slope" in L.cfg:
            key = "negative_slope"
        elif "alpha" in L.cfg:
            key = "alpha"  # Keras 2's name
        else:
            key = "negative_slope"
        s = L.get(key, 0.3)
        return leaky_type(s, L, key), shape, []

    def layer_Softmax(self, L, shape):
        axis = L.get("axis", -1)
        if isinstance(axis, list) and len(axis) == 1:
            axis = axis[0]
        if axis not in (-1, len(shape)):
            L.refuse(f"axis={fmt_value(L.cfg.get('axis'))} is not supported by typenet (only -1, the last axis)")
        return TN + "softmax", shape, []

    def layer_Embedding(self, L, shape):
        v = L.get("input_dim")
        d = L.get("output_dim")
        L.only("mask_zero", (False,), False, "False")
        L.only("sparse", (False,), False, "False")
        L.only("lora_rank", (None, 0), None, "None")
        L.get("lora_alpha")
        L.only("quantization_config", (None,), None, "None")
        il = L.get("input_length")  # Keras 2
        if il is not None and tuple(shape) != (il,):
            L.refuse(f"input_length={il} but the input is {shape_str(shape)}")
        if len(shape) != 1:
            L.refuse(f"needs a sequence of token ids but gets shape {shape_str(shape)}")
        return tmpl("embedding", [v, d]), (shape[0], d), [Weight("embeddings", (v, d))]

    def rnn(self, L, shape, cls):
        units = L.get("units")
        _, act = activation_type(L, default="tanh", elementwise=True)
        if cls != "SimpleRNN":
            a = activation_name(L.get("recurrent_activation", "sigmoid"))
            if a != "sigmoid":
                L.refuse(f"recurrent_activation={fmt_value(a)} is not supported by typenet (only 'sigmoid')")
        bias = L.get("use_bias", True)
        seq = L.get("return_sequences", False)
        back = L.get("go_backwards", False)
        L.only("return_state", (False,), False, "False")
        L.only("stateful", (False,), False, "False")
        L.only("time_major", (False, None), False, "False")
        if cls == "GRU":
            L.only("reset_after", (True,), True, "True")
        # Same function, different schedule or masking of masked steps (no masks in typenet):
        for k in ("unroll", "zero_output_for_mask", "implementation", "unit_forget_bias", "use_cudnn"):
            L.used.add(k)
        L.ignore_training_only("dropout", "recurrent_dropout")
        self.needs_rank(L, shape, 2, "a (time, features)")
        g = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[cls]
        opts = []
        if seq:
            opts.append(TN + "return_sequences<true>")
        if back:
            opts.append(TN + "go_backwards<true>")
        if not act.endswith("tanh"):
            opts.append(act)
        if not bias:
            opts.append(TN + "use_bias<false>")
        w = [Weight("kernel", (shape[1], g * units)), Weight("recurrent_kernel", (units, g * units))]
        if bias:
            w.append(Weight("bias", (2, g * units) if cls == "GRU" else (g * units,)))
        name = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[cls]
        out = (shape[0], units) if seq else (units,)
        return tmpl(name, [units] + opts), out, w, dict(units=units, act=act, bias=bias, seq=seq, back=back)

    def layer_SimpleRNN(self, L, shape):
        return self.rnn(L, shape, "SimpleRNN")[:3]

    def layer_LSTM(self, L, shape):
        return self.rnn(L, shape, "LSTM")[:3]

    def layer_GRU(self, L, shape):
        return self.rnn(L, shape, "GRU")[:3]

    def layer_Bidirectional(self, L, shape):
        L.only("merge_mode", ("concat",), "concat", "'concat'")
        inner = L.get("layer")
        back = L.get("backward_layer")
        if not isinstance(inner, dict) or inner.get("class_name") not in RNN_CLASSES:
            cls = inner.get("class_name") if isinstance(inner, dict) else inner
            L.refuse(f"layer={fmt_value(cls)} is not supported by typenet (a SimpleRNN, LSTM or GRU)")
        fL = Layer(inner, L.frozen)
        fL.name = f"{L.name}/{fL.name}"
        cpp, out, w, fo = self.rnn(fL, shape, inner["class_name"])
        fL.finish()
        if back is not None:
            bL = Layer(back, L.frozen)
            bL.name = f"{L.name}/{bL.name}"
            if back.get("class_name") != inner["class_name"]:
                L.refuse(f"backward_layer is a {back.get('class_name')}, the forward layer a "
                         f"{inner['class_name']}; typenet's bidirectional runs one layer both ways")
            _, _, _, bo = self.rnn(bL, shape, back["class_name"])
            bL.finish()
            fo2 = dict(fo, back=not fo["back"])
            if bo != fo2:
                L.refuse("backward_layer is not the forward layer reading the other way (typenet's "
                         "bidirectional runs one layer both ways)")
        L.notes += fL.notes
        bw = [Weight(x.var, x.shape, x.trainable) for x in w]
        o = out[:-1] + (2 * out[-1],)
        return f"{TN}bidirectional<{cpp}>", o, w + bw


def first_leaf(elements):
    for e in elements:
        ls = e.leaves()
        if ls:
            return ls[0]
    return None


def tensor_refs(v):
    """input_layers / output_layers: ["name", 0, 0] or [["name", 0, 0], ...] -> names."""
    if v is None:
        return []
    if isinstance(v, list) and v and isinstance(v[0], str):
        return [v[0]]
    if isinstance(v, dict):  # a dict of inputs
        return [tensor_refs(x)[0] for x in v.values()]
    return [x[0] for x in v]


def node_inputs(node):
    """The names of the layers a call node reads (Keras 3 and Keras 2 formats); None if a tensor is
    passed as a keyword argument."""
    names = []

    def collect(x):
        if isinstance(x, dict):
            if x.get("class_name") == "__keras_tensor__":
                names.append(x["config"]["keras_history"][0])
                return True
            return any([collect(v) for v in x.values()])
        if isinstance(x, (list, tuple)):
            return any([collect(v) for v in x])
        return False

    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        collect(node.get("args", []))
        before = len(names)
        collect(node.get("kwargs", {}))
        if len(names) != before:
            return None
        return names
    # Keras 2: [["name", node_index, tensor_index, kwargs], ...]
    for item in node:
        if isinstance(item, list) and item and isinstance(item[0], str):
            names.append(item[0])
    return names


# ---------------------------------------------------------------------------------------------
# Writing the header
# ---------------------------------------------------------------------------------------------

def has_params(elements):
    return any(l.weights for e in elements for l in e.leaves())


def group_frozen(elements, merge):
    """Wrap frozen elements in typenet::frozen<...>: runs of them at the top level (merge), one by
    one inside residual branches, where the number of elements decides the parameter order. A run
    without parameters needs no wrapper."""
    out, run = [], []

    def flush():
        if run:
            if has_params(run):
                out.append(Frozen(list(run)))
            else:
                out.extend(run)
            run.clear()

    for e in elements:
        if isinstance(e, Residual) and not e.all_frozen():
            e.main = group_frozen(e.main, False)
            e.shortcut = group_frozen(e.shortcut, False)
        if e.all_frozen():
            run.append(e)
            if not merge:
                flush()
        else:
            flush()
            out.append(e)
    flush()
    return out


def leaf_comment(l):
    c = f"{l.name} ({l.cls})"
    if l.notes:
        c += "; ignored: " + ", ".join(l.notes)
    return c


def render(e, indent):
    """Lines (code, comment) for one element."""
    pad = "    " * indent
    if isinstance(e, Leaf):
        return [[pad + e.cpp, leaf_comment(e)]]
    if isinstance(e, Frozen):
        if len(e.items) == 1 and isinstance(e.items[0], Leaf):
            l = e.items[0]
            return [[f"{pad}{TN}frozen<{l.cpp}>", leaf_comment(l) + "; trainable = False"]]
        lines = [[pad + TN + "frozen<", "trainable = False"]]
        lines += render_list(e.items, indent + 1)
        lines[-1][0] += ">"
        return lines
    if isinstance(e, Residual):
        lines = [[pad + TN + "residual<", f"{e.name} (Add)" + ("" if e.shortcut else "; shortcut: identity")]]
        lines.append([pad + "    " + TN + "path<", "main branch"])
        lines += render_list(e.main, indent + 2)
        lines[-1][0] += ">"
        if e.shortcut:
            lines[-1][0] += ","
            lines.append([pad + "    " + TN + "path<", "shortcut"])
            lines += render_list(e.shortcut, indent + 2)
            lines[-1][0] += ">"
        lines[-1][0] += ">"
        return lines
    raise AssertionError(e)


def render_list(elements, indent):
    lines = []
    for i, e in enumerate(elements):
        ls = render(e, indent)
        if i + 1 < len(elements):
            ls[-1][0] += ","
        lines += ls
    return lines


def hex_float(v):
    """An exact C++ float literal: 0x1.8p+3f (the value is a float32, so the literal is exact)."""
    f = float(v)
    if f == 0.0:
        return "-0.0f" if math.copysign(1.0, f) < 0 else "0.0f"
    h = f.hex()  # e.g. -0x1.8000000000000p+3
    mant, exp = h.split("p")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return f"{mant}p{exp}f"


def thousands(n):
    return f"{n:,}"


def emit_header(out, source_name, ns, model_name, model_cls, keras_version, inp, in_name, elements, leaves,
                with_weights, keras_order_same, total, trainable, input_note=None):
    w = []
    w.append(f"// generated by tools/keras_to_typenet.py from {source_name} (do not edit)")
    ver = f", Keras {keras_version}" if keras_version else ""
    w.append(f"// Keras model '{model_name}' ({model_cls}{ver}): {thousands(total)} parameters, "
             f"{thousands(trainable)} trainable, {thousands(total - trainable)} non-trainable.")
    if with_weights:
        w.append("// net: the network as a typenet type; weights: Keras' get_weights() arrays concatenated in C order,")
        w.append("// exact float literals; model: typenet::rom_model<net>, which reads `weights` in place.")
    else:
        w.append("// net: the network as a typenet type (architecture only: no weights).")
    if not keras_order_same:
        w.append("// note: typenet orders this model's parameters differently from Keras' get_weights(); the")
        w.append("// arrays below are in typenet's order (keras_weights lists them).")
    w.append("#pragma once")
    w.append("")
    w.append("#include <typenet/embedded.hpp>")
    w.append("")
    w.append(f"namespace {ns} {{")
    w.append("")
    lines = [["    " + inp, f"{in_name} (InputLayer)" + (f"; {input_note}" if input_note else "")]]
    body = render_list(elements, 1)
    if body:
        lines[0][0] += ","
    lines += body
    lines[-1][0] += ">;"
    width = min(max(len(c) for c, _ in lines), 96)
    w.append("using net = typenet::sequential<")
    for code, com in lines:
        if com:
            w.append(f"{code.ljust(width)}  // {com}")
        else:
            w.append(code)
    w.append("")
    w.append('static_assert(net::valid, "typenet rejects this network (see the diag:: error above)");')
    w.append(f'static_assert(net::param_count == {total}, "Keras count_params(): {thousands(total)}");')
    w.append(f'static_assert(net::trainable_count == {trainable}, "Keras: {thousands(trainable)} trainable");')
    w.append(f'static_assert(net::non_trainable_count == {total - trainable}, '
             f'"Keras: {thousands(total - trainable)} non-trainable");')
    w.append("")
    arrays = [(l, wt) for l in leaves for wt in l.weights]
    w.append("// Keras' weight arrays in the order of the flat parameter array: owning layer, variable, shape,")
    w.append("// trainable. The static_assert checks typenet's layout (net::param_blocks) against them.")
    w.append("struct keras_weight {")
    w.append("    const char* layer;")
    w.append("    const char* name;")
    w.append("    typenet::dims shape;")
    w.append("    bool trainable;")
    w.append("};")
    if arrays:
        w.append(f"inline constexpr keras_weight keras_weights[{len(arrays)}] = {{")
        for l, wt in arrays:
            dims = ", ".join(str(d) for d in wt.shape)
            tr = "true" if (wt.trainable and not l.frozen) else "false"
            w.append(f'    {{"{l.name}", "{wt.var}", {{{{{dims}}}, {len(wt.shape)}}}, {tr}}},')
        w.append("};")
    else:
        w.append("inline constexpr keras_weight* keras_weights = nullptr;  // no parameters")
    w.append("constexpr bool layout_matches_keras() {")
    w.append(f"    constexpr std::size_t n = {len(arrays)};")
    w.append("    if (net::param_blocks.size() != n) return false;")
    if arrays:
        w.append("    for (std::size_t i = 0; i < n; ++i) {")
        w.append("        const auto& b = net::param_blocks[i];")
        w.append("        const keras_weight& k = keras_weights[i];")
        w.append("        if (!(b.shape == k.shape) || b.trainable != k.trainable) return false;")
        w.append("        for (std::size_t c = 0;; ++c) {")
        w.append("            if (b.name[c] != k.name[c]) return false;")
        w.append("            if (b.name[c] == 0) break;")
        w.append("        }")
        w.append("    }")
    w.append("    return true;")
    w.append("}")
    w.append('static_assert(layout_matches_keras(), "typenet\'s parameter arrays are not Keras\' (keras_weights)");')
    if with_weights:
        w.append("")
        w.append(f"alignas(64) inline constexpr float weights[{max(total, 1)}] = {{")
        for l, wt in arrays:
            vals = wt.array.reshape(-1)
            w.append(f"    // {l.name}/{wt.var} {shape_str(wt.shape)}")
            lits = [hex_float(x) for x in vals.tolist()]
            line = "   "
            for s in lits:
                if len(line) + len(s) + 2 > 118:
                    w.append(line)
                    line = "   "
                line += " " + s + ","
            if line.strip():
                w.append(line)
        if total == 0:
            w.append("    0.0f  // no parameters (a C++ array cannot be empty)")
        w.append("};")
        w.append("")
        w.append("// Inference with the parameters read in place from `weights` (no copy, no heap).")
        w.append("using model = typenet::rom_model<net>;")
    w.append("")
    w.append(f"}}  // namespace {ns}")
    out.write("\n".join(w) + "\n")


# ---------------------------------------------------------------------------------------------

def translate(path, ns, with_weights, out_path):
    mf = ModelFile.open(path, with_weights and not path.lower().endswith(".json"))
    cfg = mf.config
    if with_weights and mf.weights is None:
        with_weights = False  # a .json file: architecture only
    tr = Translator()
    try:
        inp, in_shape, in_name, elements, out_shape = tr.model(cfg)
    except (KeyError, TypeError, AttributeError, IndexError) as e:
        raise BadInput(f"{path}: the model config is not one Keras writes ({type(e).__name__}: {e})")
    elements = group_frozen(elements, True)
    leaves = []
    for e in elements:
        leaves += e.leaves()
    # Keras' get_weights() order: top-level layers in config order, each layer's arrays in order.
    top_order = {}
    for i, l in enumerate(container_layers(cfg)):
        top_order[l["config"]["name"]] = i
    keras_leaves = sorted(leaves, key=lambda l: (top_order.get(l.top, -1), l.order))
    keras_order_same = [id(l) for l in keras_leaves if l.weights] == [id(l) for l in leaves if l.weights]
    if with_weights:
        store = mf.weights.top_level(cfg)
        by_top = {}
        for l in keras_leaves:
            by_top.setdefault(l.top, []).append(l)
        for top, arrays in store.items():
            ls = by_top.get(top, [])
            need = sum(len(l.weights) for l in ls)
            if len(arrays) != need:
                owner = ls[0] if ls else None
                cls = owner.cls if owner and owner.name == top else "?"
                raise BadInput(f"layer '{top}' ({cls}): the file holds {len(arrays)} weight arrays, the layer "
                               f"has {need}")
            k = 0
            for l in ls:
                for wt in l.weights:
                    a = arrays[k]
                    k += 1
                    if tuple(a.shape) != wt.shape:
                        raise BadInput(f"layer '{l.name}' ({l.cls}): weight {wt.var} has shape "
                                       f"{shape_str(a.shape)} in the file but the layer implies {shape_str(wt.shape)}")
                    wt.array = a
        for l in leaves:
            for wt in l.weights:
                if wt.array is None:
                    raise BadInput(f"layer '{l.name}' ({l.cls}): the file holds no weights for it")
    total = sum(math.prod(wt.shape) for l in leaves for wt in l.weights)
    trainable = sum(math.prod(wt.shape) for l in leaves for wt in l.weights if wt.trainable and not l.frozen)
    name = cfg.get("config", {}).get("name", "model")
    buf = io.StringIO()
    emit_header(buf, os.path.basename(path), ns, name, cfg.get("class_name"), mf.keras_version, inp, in_name,
                elements, leaves, with_weights, keras_order_same, total, trainable, tr.input_note)
    text = buf.getvalue()
    if out_path in (None, "-"):
        sys.stdout.write(text)
    else:
        tmp = out_path + ".tmp"
        try:
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, out_path)
        except OSError as e:
            raise BadInput(f"cannot write {out_path}: {e.strerror}")


def default_namespace(path):
    stem = os.path.basename(path)
    stem = re.sub(r"\.(keras|h5|hdf5|json)$", "", stem, flags=re.I)
    ns = re.sub(r"\W", "_", stem)
    if not ns or ns[0].isdigit():
        ns = "m_" + ns
    return ns


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description="Turn a Keras model (.keras, legacy .h5, or "
                                 "architecture .json) into a C++ header for typenet.")
    ap.add_argument("model", help="MODEL.keras, MODEL.h5 or MODEL.json")
    ap.add_argument("-o", "--output", help="the header to write (default: standard output)")
    ap.add_argument("--namespace", help="C++ namespace of net / weights / model (default: the file's stem)")
    ap.add_argument("--no-weights", action="store_true", help="write only the network type and its checks")
    args = ap.parse_args(argv)
    ns = args.namespace or default_namespace(args.model)
    if not re.fullmatch(r"[A-Za-z_]\w*(::[A-Za-z_]\w*)*", ns):
        ap.error(f"--namespace {ns!r} is not a C++ namespace name")
    try:
        translate(args.model, ns, not args.no_weights, args.output)
    except Refused as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except BadInput as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # a damaged file can fail anywhere: say so, without a traceback
        if os.environ.get("KERAS_TO_TYPENET_DEBUG"):
            raise
        print(f"{PROG}: cannot translate {args.model}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
