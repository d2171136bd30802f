"""Image-decoding fixtures (tests/fixtures/images): small JPEG and PNG files of every kind the
image-folder loader takes, and what TensorFlow makes of them.

  /opt/tnref/bin/python tools/make_image_fixtures.py      (from the repo root; needs cc and -ljpeg)

Writes, under tests/fixtures/images/:
  files/<name>      the images: JPEG baseline 4:2:0 and 4:4:4, progressive, greyscale (TensorFlow's
                    encoder), CMYK and YCCK (libjpeg-turbo's, tools/make_cmyk_jpeg.c: TensorFlow has no
                    CMYK encoder); PNG 8-bit RGB, RGBA, 16-bit RGB and 8-bit grey.
  decoded.npz       tf.io.decode_image(file, channels=C, expand_animations=False) for C = 1 and 3, as
                    "<name>.c<C>" (uint8, height x width x C); combinations TensorFlow refuses (grey
                    from CMYK) are absent.
  folder/<class>/   a few of the files as an image folder, and
  keras.npz         keras.utils.image_dataset_from_directory(folder, image_size=(H, W), shuffle=False,
                    batch_size=None) for color_mode "rgb" and "grayscale" (float32, 0..255), the
                    labels, and the file order.
Rerunning writes the same files (fixed patterns, no randomness outside a seeded generator).
"""
import os, shutil, subprocess, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
import numpy as np
import tensorflow as tf
import keras

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "images")
H, W = 29, 35          # every file's size (odd, so chroma subsampling has a ragged edge)
RH, RW = 12, 17        # the Keras folder's image_size: a downscale in both directions


def pattern(c, seed, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W]
    top = 65535 if dtype == np.uint16 else 255
    planes = [(x * 9 + y * 4) % 256, (x * x + 3 * y) % 256, (250 - y * 6 + x) % 256, (x * y) % 256][:c]
    img = np.stack(planes, -1).astype(np.float64) * (top / 255) + rng.normal(0, 18 * top / 255, (H, W, c))
    return np.clip(np.round(img), 0, top).astype(dtype)


def main():
    files = os.path.join(ROOT, "files")
    shutil.rmtree(ROOT, ignore_errors=True)
    os.makedirs(files)
    out = {}
    def put(name, data):
        with open(os.path.join(files, name), "wb") as f:
            f.write(data)
    put("rgb420.jpg", tf.io.encode_jpeg(pattern(3, 1), quality=80).numpy())
    put("rgb444.jpg", tf.io.encode_jpeg(pattern(3, 2), quality=92, chroma_downsampling=False).numpy())
    put("progressive.jpg", tf.io.encode_jpeg(pattern(3, 3), quality=75, progressive=True).numpy())
    put("grey.jpg", tf.io.encode_jpeg(pattern(1, 4), quality=85).numpy())
    tool = os.path.join(ROOT, "make_cmyk_jpeg")
    subprocess.run(["cc", "-O1", os.path.join(os.path.dirname(__file__), "make_cmyk_jpeg.c"), "-o", tool, "-ljpeg"], check=True)
    for kind in ("cmyk", "ycck"):
        subprocess.run([tool, os.path.join(files, kind + ".jpg"), kind, str(W), str(H)], check=True)
    os.remove(tool)
    put("rgb8.png", tf.io.encode_png(pattern(3, 5)).numpy())
    put("rgba8.png", tf.io.encode_png(pattern(4, 6)).numpy())
    put("rgb16.png", tf.io.encode_png(pattern(3, 7, np.uint16)).numpy())
    put("grey8.png", tf.io.encode_png(pattern(1, 8)).numpy())

    decoded = {}
    for name in sorted(os.listdir(files)):
        data = open(os.path.join(files, name), "rb").read()
        for c in (1, 3):
            try:
                img = tf.io.decode_image(data, channels=c, expand_animations=False).numpy()
            except tf.errors.InvalidArgumentError:
                assert name in ("cmyk.jpg", "ycck.jpg") and c == 1, (name, c)
                continue
            assert img.shape == (H, W, c) and img.dtype == np.uint8, (name, img.shape)
            decoded[f"{name}.c{c}"] = img
    np.savez(os.path.join(ROOT, "decoded.npz"), **decoded)

    folder = os.path.join(ROOT, "folder")
    members = {"a_photos": ["rgb420.jpg", "progressive.jpg", "grey.jpg"], "b_drawings": ["rgb8.png", "grey8.png", "rgb16.png"]}
    for cls, names in members.items():
        os.makedirs(os.path.join(folder, cls))
        for n in names:
            shutil.copy(os.path.join(files, n), os.path.join(folder, cls, n))
    res = {}
    for mode, key in (("rgb", "rgb"), ("grayscale", "grey")):
        ds = keras.utils.image_dataset_from_directory(folder, image_size=(RH, RW), color_mode=mode,
                                                      shuffle=False, batch_size=None, verbose=False)
        xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
        res[key] = np.stack(xs).astype(np.float32)
        res["labels"] = np.array(ys, dtype=np.int32)
        order = [os.path.relpath(p, folder) for p in ds.file_paths]
    res["order"] = np.array(order)
    print("keras file order:", order)
    np.savez(os.path.join(ROOT, "keras.npz"), **{k: v for k, v in res.items() if k != "order"})
    with open(os.path.join(ROOT, "keras_order.txt"), "w") as f:
        f.write("\n".join(order) + "\n")
    print("wrote", sorted(decoded), "and keras.npz", res["rgb"].shape, res["grey"].shape)


if __name__ == "__main__":
    main()
