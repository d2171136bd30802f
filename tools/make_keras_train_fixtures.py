#!/usr/bin/env python3
"""Generate golden Keras *training* fixtures for the typenet C++ tests.

Usage (from the repo root):
    /opt/tnref/bin/python tools/make_keras_train_fixtures.py [--out tests/fixtures/keras_train]

Reference environment: keras 3.15, tensorflow-cpu 2.21, numpy 2.4 (same as
tools/make_keras_fixtures.py). Runs on CPU only with deterministic ops; all
randomness comes from fixed seeds, so rerunning produces byte-identical files.

It writes, under the output folder:
    train_init.weights.npz  np.savez(path, *initial get_weights()) of model T
    train_weights.txt       get_weights() order and trainable_weights order
    train_batches.npz       x0,y0,x1,y1,x2,y2 (3 batches of 8 samples)
    train_grads.npz         g_<j>: d loss / d trainable_weights[j] at the
                            initial weights on batch 0 (training=True)
    <config>.npz            loss (3,), w<step>_<index> (step 1..3) for
                            sgd, sgd_momentum, sgd_nesterov, adam, rmsprop
    losses.npz              inputs, loss and d loss / d prediction for
                            cce, cce_logits, sce, bce, mse, mae
    toy.npz                 Dense(1) regression, 500 epochs of full-batch SGD
See tests/fixtures/keras_train/README.md for details.

Every optimizer result is cross-checked against an independent
re-implementation of the update formulas (numpy, float32, gradients from
tf.GradientTape), and the BatchNormalization moving-statistics update is
checked against the biased and unbiased batch variance.
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
import sys

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 20240612
BATCH = 8
STEPS = 3

CONFIGS = {
    "sgd": lambda: keras.optimizers.SGD(learning_rate=0.1),
    "sgd_momentum": lambda: keras.optimizers.SGD(learning_rate=0.1,
                                                 momentum=0.9),
    "sgd_nesterov": lambda: keras.optimizers.SGD(learning_rate=0.1,
                                                 momentum=0.9, nesterov=True),
    "adam": lambda: keras.optimizers.Adam(learning_rate=0.01),
    "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=0.01),
}


def f32(a):
    return np.asarray(a, dtype=np.float32)


def shape_str(shape):
    return "(" + ",".join(str(int(d)) for d in shape) + ")"


def savez(path, *args, **kwargs):
    for a in list(args) + list(kwargs.values()):
        assert a.dtype == np.float32 and np.all(np.isfinite(a)), path
    np.savez(path, *args, **kwargs)


# --------------------------------------------------------------------------
# Model T
# --------------------------------------------------------------------------

def build_t():
    keras.backend.clear_session()            # names restart at conv2d, dense
    keras.utils.set_random_seed(SEED)
    return keras.Sequential([
        keras.Input((6, 6, 2)),
        layers.Conv2D(3, (3, 3), padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(5),
        layers.Dense(4, activation="softmax"),
    ], name="t")


def draw_init_weights(model, rng):
    """Deterministic, non-trivial weights drawn in model.weights order."""
    new = []
    for v in model.weights:
        shape = tuple(int(d) for d in v.shape)
        if v.name == "kernel":
            if len(shape) == 4:
                rf = shape[0] * shape[1]
                fan_in, fan_out = rf * shape[2], rf * shape[3]
            else:
                fan_in, fan_out = shape
            lim = np.sqrt(6.0 / (fan_in + fan_out))
            a = rng.uniform(-lim, lim, shape)
        elif v.name == "bias":
            a = rng.uniform(-0.2, 0.2, shape)
        elif v.name == "gamma":
            a = rng.uniform(0.5, 1.5, shape)
        elif v.name == "beta":
            a = rng.uniform(-0.5, 0.5, shape)
        elif v.name == "moving_mean":
            a = rng.uniform(-0.5, 0.5, shape)
        elif v.name == "moving_variance":
            a = rng.uniform(0.5, 2.0, shape)
        else:
            raise RuntimeError(f"unexpected variable {v.path}")
        new.append(f32(a))
    return new


def set_and_check(model, weights):
    model.set_weights(weights)
    for g, n in zip(model.get_weights(), weights):
        assert g.dtype == np.float32 and np.array_equal(g, n)


def owner_map(model):
    owner = {}
    for l in model.layers:
        for v in l.weights:
            owner.setdefault(id(v), l.name)
    return owner


def write_weights_txt(model, path):
    owner = owner_map(model)
    idx = {id(v): i for i, v in enumerate(model.weights)}
    with open(path, "w") as f:
        for i, v in enumerate(model.weights):
            f.write(f"weights {i} {owner[id(v)]} {v.name} "
                    f"{shape_str(v.shape)} {int(v.trainable)}\n")
        for j, v in enumerate(model.trainable_weights):
            f.write(f"trainable {j} {owner[id(v)]} {v.name} "
                    f"{shape_str(v.shape)} {idx[id(v)]}\n")


def cce_loss_fn():
    return keras.losses.CategoricalCrossentropy()


def tape_grads(model, x, y):
    """Loss and gradients exactly as train_step computes them.

    NB: model(x, training=True) also updates the BN moving statistics, as
    train_step does."""
    with tf.GradientTape() as tape:
        pred = model(x, training=True)
        loss = cce_loss_fn()(y, pred)
    grads = tape.gradient(loss, model.trainable_weights)
    return float(loss), [f32(g) for g in grads]


# --------------------------------------------------------------------------
# Independent re-implementation of the Keras 3 update rules (float32)
# --------------------------------------------------------------------------

class RefOpt:
    def __init__(self, kind, n):
        self.kind = kind
        self.t = 0
        self.s1 = [None] * n
        self.s2 = [None] * n

    def step(self, ws, gs):
        self.t += 1
        one = np.float32(1)
        out = []
        for i, (w, g) in enumerate(zip(ws, gs)):
            if self.s1[i] is None:
                self.s1[i] = np.zeros_like(w)
                self.s2[i] = np.zeros_like(w)
            if self.kind == "sgd":
                w = w - g * np.float32(0.1)
            elif self.kind in ("sgd_momentum", "sgd_nesterov"):
                lr, mu = np.float32(0.1), np.float32(0.9)
                m = self.s1[i] * mu - g * lr
                self.s1[i] = m
                if self.kind == "sgd_momentum":
                    w = w + m
                else:
                    w = w + (m * mu - g * lr)
            elif self.kind == "adam":
                lr, b1, b2, eps = (np.float32(0.01), np.float32(0.9),
                                   np.float32(0.999), np.float32(1e-7))
                t = np.float32(self.t)
                alpha = lr * np.sqrt(one - b2 ** t) / (one - b1 ** t)
                m = self.s1[i] + (g - self.s1[i]) * (one - b1)
                v = self.s2[i] + (g * g - self.s2[i]) * (one - b2)
                self.s1[i], self.s2[i] = m, v
                w = w - (m * alpha) / (np.sqrt(v) + eps)
            elif self.kind == "rmsprop":
                lr, rho, eps = (np.float32(0.01), np.float32(0.9),
                                np.float32(1e-7))
                v = rho * self.s2[i] + (one - rho) * (g * g)
                self.s2[i] = v
                w = w - (lr * g) / np.sqrt(v + eps)
            else:
                raise RuntimeError(self.kind)
            out.append(f32(w))
        return out


def reference_run(kind, init, batches):
    """Steps with tape gradients + RefOpt; returns losses and weights."""
    model = build_t()
    set_and_check(model, init)
    ti = [i for i, v in enumerate(model.weights) if v.trainable]
    opt = RefOpt(kind, len(ti))
    losses, snaps = [], []
    for x, y in batches:
        loss, grads = tape_grads(model, x, y)    # also moves BN stats
        ws = model.get_weights()
        new = opt.step([ws[i] for i in ti], grads)
        for i, w in zip(ti, new):
            ws[i] = w
        model.set_weights(ws)
        losses.append(loss)
        snaps.append(model.get_weights())
    return losses, snaps


# --------------------------------------------------------------------------
# 1. optimizer steps
# --------------------------------------------------------------------------

def make_train(outdir, log):
    rng = np.random.default_rng([SEED, 1])
    model = build_t()
    init = draw_init_weights(model, rng)
    set_and_check(model, init)
    assert len(init) == 10 and len(model.trainable_weights) == 8
    assert model.count_params() == 233
    savez(os.path.join(outdir, "train_init.weights.npz"), *init)
    write_weights_txt(model, os.path.join(outdir, "train_weights.txt"))

    batches = []
    for _ in range(STEPS):
        x = f32(rng.uniform(0.0, 1.0, (BATCH, 6, 6, 2)))
        lab = rng.integers(0, 4, BATCH)
        y = f32(np.eye(4)[lab])
        batches.append((x, y))
    bdict = {}
    for k, (x, y) in enumerate(batches):
        bdict[f"x{k}"], bdict[f"y{k}"] = x, y
    savez(os.path.join(outdir, "train_batches.npz"), **bdict)

    # gradients at the initial weights on batch 0
    model = build_t()
    set_and_check(model, init)
    loss0, grads = tape_grads(model, *batches[0])
    savez(os.path.join(outdir, "train_grads.npz"),
          **{f"g_{j}": g for j, g in enumerate(grads)})
    log(f"initial loss on batch 0 (training=True): {loss0:.6f}; "
        f"max|g| per tensor: "
        + " ".join(f"{np.abs(g).max():.3g}" for g in grads))

    # training-mode loss goes through the logits (softmax output carries
    # _keras_logits): check against both formulas
    model = build_t()
    set_and_check(model, init)
    x0, y0 = batches[0]
    pred = model(x0, training=True)
    assert hasattr(pred, "_keras_logits")
    logits = np.asarray(pred._keras_logits, dtype=np.float64)
    lse = np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1)) \
        + logits.max(1)
    ce_logits = float(np.mean(lse - (y0 * logits).sum(1)))
    assert abs(ce_logits - loss0) < 1e-5, (ce_logits, loss0)

    # BN batch statistics of the conv output on batch 0 (conv is the same in
    # both modes), to decide biased vs unbiased moving_variance update
    model = build_t()
    set_and_check(model, init)
    conv_out = np.asarray(model.layers[0](x0), dtype=np.float64)
    bmean = conv_out.mean(axis=(0, 1, 2))
    n = conv_out.shape[0] * conv_out.shape[1] * conv_out.shape[2]
    bvar_biased = conv_out.var(axis=(0, 1, 2))
    bvar_unbiased = bvar_biased * n / (n - 1)

    results = {}
    for cfg, make_opt in CONFIGS.items():
        model = build_t()
        set_and_check(model, init)
        model.compile(optimizer=make_opt(), loss="categorical_crossentropy",
                      jit_compile=False, run_eagerly=False)
        arrays = {}
        losses = []
        for k, (x, y) in enumerate(batches):
            l = model.train_on_batch(x, y)
            losses.append(float(l))
            for i, w in enumerate(model.get_weights()):
                arrays[f"w{k + 1}_{i}"] = f32(w)
        arrays["loss"] = f32(losses)
        savez(os.path.join(outdir, f"{cfg}.npz"), **arrays)
        results[cfg] = arrays

        # cross-check against the independent re-implementation
        rl, rs = reference_run(cfg, init, batches)
        assert np.allclose(rl, losses, rtol=1e-5, atol=1e-5), (cfg, rl, losses)
        maxdiff = 0.0
        for k in range(STEPS):
            for i, w in enumerate(rs[k]):
                d = float(np.abs(w - arrays[f"w{k + 1}_{i}"]).max())
                maxdiff = max(maxdiff, d)
        assert maxdiff < 1e-4, (cfg, maxdiff)
        log(f"{cfg}: loss {np.array2string(arrays['loss'], precision=6)} "
            f"max|keras - reference| over all weights/steps {maxdiff:.2e}")

    # step-1 checks with the saved gradients
    gw = [i for i, v in enumerate(build_t().weights) if v.trainable]
    for j, i in enumerate(gw):
        w0, g = init[i], grads[j]
        assert np.allclose(results["sgd"][f"w1_{i}"], w0 - 0.1 * g, atol=1e-6)
        assert np.allclose(results["sgd_momentum"][f"w1_{i}"], w0 - 0.1 * g,
                           atol=1e-6)
        assert np.allclose(results["sgd_nesterov"][f"w1_{i}"],
                           w0 - 1.9 * 0.1 * g, atol=1e-6)

    # BN moving statistics after step 1 (index 4 = moving_mean, 5 = var)
    mm0, mv0 = init[4].astype(np.float64), init[5].astype(np.float64)
    mm1 = results["sgd"]["w1_4"].astype(np.float64)
    mv1 = results["sgd"]["w1_5"].astype(np.float64)
    assert np.allclose(mm1, 0.99 * mm0 + 0.01 * bmean, atol=1e-6)
    # batch variance implied by the update, vs. the two candidates
    implied = (mv1 - 0.99 * mv0) / 0.01
    eb = np.abs(implied - bvar_biased).max()
    eu = np.abs(implied - bvar_unbiased).max()
    verdict = "BIASED (divide by N)" if eb < eu else "UNBIASED (N-1)"
    assert eb < 1e-4 and eu > 10 * eb, (eb, eu)
    log(f"BN moving_variance update uses the {verdict} batch variance: "
        f"implied batch var {np.array2string(implied, precision=6)}, "
        f"biased {np.array2string(bvar_biased, precision=6)}, "
        f"unbiased {np.array2string(bvar_unbiased, precision=6)} "
        f"(N = {n} values per channel)")
    # step-1 moving statistics depend only on the initial weights
    for cfg, arr in results.items():
        for i in (4, 5):
            assert np.array_equal(arr[f"w1_{i}"], results["sgd"][f"w1_{i}"])


# --------------------------------------------------------------------------
# 2. losses
# --------------------------------------------------------------------------

def loss_and_grad(loss_obj, target, pred):
    p = tf.Variable(pred)            # a plain tensor: no _keras_logits
    with tf.GradientTape() as tape:
        l = loss_obj(tf.constant(target), p)
    g = tape.gradient(l, p)
    return f32([float(l)]), f32(g)


def make_losses(outdir, log):
    rng = np.random.default_rng([SEED, 2])
    eps = np.float32(keras.backend.epsilon())
    log(f"keras.backend.epsilon() = {float(eps)!r}; float32(1 - eps) = "
        f"{float(np.float32(1) - eps)!r}")
    out = {}

    # categorical: 4x5, row 3 has a near-zero probability on its true class
    logits = f32(rng.normal(0.0, 1.5, (4, 5)))
    lab = np.array([2, 0, 4, 1])
    logits[3, 1] = np.float32(-22.0)          # true class of row 3
    t = f32(np.eye(5)[lab])
    z = logits.astype(np.float64)
    p = f32(np.exp(z - z.max(1, keepdims=True))
            / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True))
    assert p[3, 1] < 1e-7 and p[3, 1] > 0
    out["cce_p"], out["cce_t"] = p, t
    out["cce_loss"], out["cce_grad"] = loss_and_grad(
        keras.losses.CategoricalCrossentropy(), t, p)
    out["cce_logits_logits"], out["cce_logits_t"] = logits, t
    out["cce_logits_loss"], out["cce_logits_grad"] = loss_and_grad(
        keras.losses.CategoricalCrossentropy(from_logits=True), t, logits)
    out["sce_p"] = p
    out["sce_labels"] = f32(lab)
    sl, sg = loss_and_grad(keras.losses.SparseCategoricalCrossentropy(),
                           lab.astype(np.int32), p)
    out["sce_loss"], out["sce_grad"] = sl, sg

    # binary: 4x3 sigmoid outputs, one p near 0 (target 1) and one p that is
    # 1.0 in float32 (target 0), both clipped
    bl = rng.normal(0.0, 1.5, (4, 3))
    p2 = f32(1.0 / (1.0 + np.exp(-bl)))
    t2 = f32(rng.integers(0, 2, (4, 3)))
    p2[1, 2], t2[1, 2] = np.float32(1e-9), 1.0
    p2[2, 0], t2[2, 0] = np.float32(1.0 - 1e-9), 0.0   # == 1.0f
    out["bce_p"], out["bce_t"] = p2, t2
    out["bce_loss"], out["bce_grad"] = loss_and_grad(
        keras.losses.BinaryCrossentropy(), t2, p2)

    # regression: 4x3
    yp = f32(rng.normal(0.0, 1.0, (4, 3)))
    yt = f32(rng.normal(0.0, 1.0, (4, 3)))
    out["mse_p"], out["mse_t"] = yp, yt
    out["mse_loss"], out["mse_grad"] = loss_and_grad(
        keras.losses.MeanSquaredError(), yt, yp)
    out["mae_p"], out["mae_t"] = yp, yt
    out["mae_loss"], out["mae_grad"] = loss_and_grad(
        keras.losses.MeanAbsoluteError(), yt, yp)

    # ---- numpy (float64) checks of the formulas described in README ----
    N = 4
    # CCE: q = p / sum(p); clip q to [eps, 1-eps]; -sum t log q; mean.
    P = p.astype(np.float64)
    S = P.sum(1, keepdims=True)
    q = np.clip(P / S, eps, 1 - eps)
    ref = np.mean(-(t * np.log(q)).sum(1))
    assert abs(ref - out["cce_loss"][0]) < 1e-5 * max(1, ref)
    inside = (P / S >= eps) & (P / S <= 1 - eps)
    # d/dp_j -log(q_y) = (1/S - [j==y]/p_y) if q_y not clipped, else 0
    gref = np.zeros_like(P)
    for r in range(N):
        y = lab[r]
        if inside[r, y]:
            gref[r] = 1.0 / S[r, 0]
            gref[r, y] -= 1.0 / P[r, y]
    gref /= N
    assert np.allclose(gref, out["cce_grad"], rtol=1e-4, atol=1e-6)
    assert np.all(out["cce_grad"][3] == 0)
    # SCE: clip p to [eps,1-eps], then softmax CE of log(clip p):
    #      -log(c_y) + log(sum c);  grad_j = (c_j/S_c - [j==y]) / p_j inside
    c = np.clip(P, eps, 1 - eps)
    Sc = c.sum(1)
    ref = np.mean(-np.log(c[np.arange(N), lab]) + np.log(Sc))
    assert abs(ref - out["sce_loss"][0]) < 1e-5 * max(1, ref)
    gref = (c / Sc[:, None] - np.eye(5)[lab]) / c
    gref[(P < eps) | (P > 1 - eps)] = 0.0
    gref /= N
    assert np.allclose(gref, out["sce_grad"], rtol=1e-4, atol=1e-6)
    # CCE with logits: grad = (softmax - t) / N
    sm = np.exp(z - z.max(1, keepdims=True))
    sm /= sm.sum(1, keepdims=True)
    assert np.allclose((sm - t) / N, out["cce_logits_grad"], atol=1e-6)
    # BCE: clip to [eps, 1-eps], elementwise, mean over last axis then batch
    P2 = p2.astype(np.float64)
    e32, one_e32 = float(eps), float(np.float32(1) - eps)
    c2 = np.clip(P2, e32, one_e32)
    ref = np.mean(-(t2 * np.log(c2) + (1 - t2) * np.log(1 - c2)))
    assert abs(ref - out["bce_loss"][0]) < 1e-5 * max(1, ref)
    gref = (-(t2 / c2) + (1 - t2) / (1 - c2)) / p2.size
    gref[(P2 < e32) | (P2 > one_e32)] = 0.0
    assert np.allclose(gref, out["bce_grad"], rtol=1e-3, atol=1e-6)
    assert out["bce_grad"][1, 2] == 0 and out["bce_grad"][2, 0] == 0
    # MSE / MAE: mean over all elements
    d = yp.astype(np.float64) - yt
    assert abs(np.mean(d * d) - out["mse_loss"][0]) < 1e-6
    assert np.allclose(out["mse_grad"], 2 * d / d.size, atol=1e-7)
    assert abs(np.mean(np.abs(d)) - out["mae_loss"][0]) < 1e-6
    assert np.allclose(out["mae_grad"], np.sign(d) / d.size, atol=1e-7)

    savez(os.path.join(outdir, "losses.npz"), **out)
    for k in ("cce", "cce_logits", "sce", "bce", "mse", "mae"):
        log(f"{k}: loss {out[k + '_loss'][0]:.7g}")
    log(f"cce_grad row 3 (true class clipped): {out['cce_grad'][3]}")
    log(f"sce_grad row 3: {out['sce_grad'][3]}")


# --------------------------------------------------------------------------
# 3. toy regression
# --------------------------------------------------------------------------

def make_toy(outdir, log):
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    x = f32([-1, 0, 1, 2, 3, 4]).reshape(6, 1)
    y = 2 * x - 1
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1)], name="toy")
    model.set_weights([f32([[0.5]]), f32([0.0])])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
                  loss="mse", jit_compile=False)
    hist = model.fit(x, y, epochs=500, batch_size=6, shuffle=False, verbose=0)
    k, b = model.get_weights()
    pred = model.predict(f32([[10.0]]), verbose=0)
    loss = f32(hist.history["loss"])
    assert loss.shape == (500,)

    # float64 gradient-descent reference (loss recorded before each step)
    w64, b64, ref = 0.5, 0.0, []
    X, Y = x[:, 0].astype(np.float64), y[:, 0].astype(np.float64)
    for _ in range(500):
        r = w64 * X + b64 - Y
        ref.append(np.mean(r * r))
        w64, b64 = (w64 - 0.01 * np.mean(2 * r * X),
                    b64 - 0.01 * np.mean(2 * r))
    assert np.allclose(loss, ref, rtol=1e-4, atol=1e-6)
    assert abs(k[0, 0] - w64) < 1e-4 and abs(b[0] - b64) < 1e-4
    savez(os.path.join(outdir, "toy.npz"), w=f32(k.reshape(1)),
          b=f32(b.reshape(1)), predict10=f32(pred.reshape(1)), loss=loss)
    log(f"toy: w {k[0, 0]:.7g} b {b[0]:.7g} predict(10) {pred[0, 0]:.7g} "
        f"loss[0] {loss[0]:.7g} loss[-1] {loss[-1]:.7g} "
        f"(float64 GD: w {w64:.7g} b {b64:.7g})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
        "keras_train"))
    args = ap.parse_args()
    outdir = os.path.normpath(args.out)
    os.makedirs(outdir, exist_ok=True)

    tf.config.set_visible_devices([], "GPU")
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(SEED)
    print(f"keras {keras.__version__} tf {tf.__version__} numpy {np.__version__}")

    def log(s):
        print(s, flush=True)

    make_train(outdir, log)
    make_losses(outdir, log)
    make_toy(outdir, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
