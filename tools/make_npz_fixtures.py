#!/usr/bin/env python3
"""Generate the small numpy .npy/.npz fixtures used by tests/unit/test_npz.cpp.

Usage (from the repo root):
    /opt/tnref/bin/python tools/make_npz_fixtures.py [--out tests/fixtures/npz]

Reference environment: numpy 2.4. Every value is derived from np.arange and
is exactly representable in the stored dtype, so the C++ test recomputes the
expected values with the same formulas (keep the two in sync). The zip
timestamps are pinned, so rerunning the script gives byte-identical files.

Files written (all tiny; the whole folder stays far below 20 KB):
  savez_f32.npz         np.savez(p, a0, a1, a2, a3, a4)  (method 0, stored)
  savez_compressed_f32.npz  np.savez_compressed of the same (method 8)
        a0 = float32 0-d scalar 3.5
        a1 = arange(5) * 0.5 - 1                       shape (5,)
        a2 = (arange(12) - 5) / 4                      shape (3, 4)
        a3 = arange(24) * 0.25                         shape (2, 3, 4)
        a4 = zeros                                     shape (0, 3)
  named.npz             np.savez(p, kernel=(arange(6) - 2) / 8 as (2, 3) f32,
                                    bias=[0.5, -0.25, 1] f32)
  dtypes.npz            np.savez(p, f64=, i64=, fortran=, be_f4=)  (see below)
  f64.npy               arange(6) / 8 - 0.25 as (2, 3) float64
  i64.npy               (arange(7) - 3) * 1_000_000_007 as int64, shape (7,)
  fortran_f4.npy        arange(24).reshape(2, 3, 4) * 0.5 stored with
                        fortran_order=True (np.asfortranarray), float32
  be_f4.npy             (arange(6) - 2) * 0.75 as '>f4', shape (3, 2)
  ints.npz              i1/u1/i2/u2/i4/u4/u8/f2 arrays: arange(4) - 2 (signed),
                        arange(4) * 3 (unsigned), [0.5, -2, 65504, 0.000061035156]
                        for float16 (u8 is arange(4) * 2**40)
  bool.npy              [True, False, True] (|b1: not convertible to float)
  v2_f4.npy / v3_f4.npy arange(4) float32 written with header versions 2.0/3.0
  datadesc.npz          zip written to an unseekable stream, so every member
                        uses a data descriptor (flag bit 3); member 'x.npy' is
                        stored, 'y.npy' deflated. x = arange(3) f32,
                        y = arange(10) * 2 f64
  zip64_eocd.npz        named.npz re-written with a ZIP64 end-of-central-
                        directory record + locator in front of the classic EOCD
                        (numpy only writes those for huge archives)
"""

import argparse
import io
import os
import struct
import sys
import time
import zipfile
from unittest import mock

import numpy as np

# 2024-06-11 12:00:00 local time; keeps the zip timestamps reproducible.
PINNED_TIME = time.mktime((2024, 6, 11, 12, 0, 0, 0, 0, -1))


def f32_set():
    a = np.arange
    return [
        np.array(3.5, dtype=np.float32),
        (a(5, dtype=np.float32) * 0.5 - 1).astype(np.float32),
        ((a(12, dtype=np.float32) - 5) / 4).reshape(3, 4).astype(np.float32),
        (a(24, dtype=np.float32) * 0.25).reshape(2, 3, 4).astype(np.float32),
        np.zeros((0, 3), dtype=np.float32),
    ]


def named_set():
    return {
        "kernel": ((np.arange(6) - 2) / 8).reshape(2, 3).astype(np.float32),
        "bias": np.array([0.5, -0.25, 1.0], dtype=np.float32),
    }


def f64_arr():
    return (np.arange(6) / 8 - 0.25).reshape(2, 3).astype(np.float64)


def i64_arr():
    return ((np.arange(7) - 3) * 1_000_000_007).astype(np.int64)


def fortran_arr():
    a = np.asfortranarray(
        (np.arange(24) * 0.5).reshape(2, 3, 4).astype(np.float32))
    assert a.flags.f_contiguous and not a.flags.c_contiguous
    return a


def be_arr():
    return ((np.arange(6) - 2) * 0.75).reshape(3, 2).astype(">f4")


def ints_set():
    s = np.arange(4) - 2
    u = np.arange(4) * 3
    return {
        "i1": s.astype(np.int8), "u1": u.astype(np.uint8),
        "i2": s.astype(">i2"), "u2": u.astype(np.uint16),
        "i4": s.astype(np.int32), "u4": u.astype(">u4"),
        "u8": (np.arange(4, dtype=np.uint64) * (1 << 40)).astype(np.uint64),
        "f2": np.array([0.5, -2.0, 65504.0, 2.0 ** -14], dtype=np.float16),
    }


class Unseekable(io.RawIOBase):
    """Write-only stream without seek/tell, so zipfile uses data descriptors."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def seekable(self):
        return False

    def write(self, b):
        self.buf += b
        return len(b)


def npy_bytes(arr, version=None):
    f = io.BytesIO()
    np.lib.format.write_array(f, arr, version=version)
    return f.getvalue()


def add_zip64_eocd(data):
    """Insert a ZIP64 EOCD record and locator before the classic EOCD."""
    eocd = data.rfind(b"PK\x05\x06")
    assert eocd >= 0 and data.rfind(b"PK\x06\x06") < 0
    (_, disk, cd_disk, n_disk, n_total, cd_size, cd_off,
     clen) = struct.unpack("<IHHHHIIH", data[eocd:eocd + 22])
    z64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0,
                      n_disk, n_total, cd_size, cd_off)
    loc = struct.pack("<IIQI", 0x07064B50, 0, eocd, 1)
    # Classic EOCD with every field that ZIP64 overrides set to its escape.
    new_eocd = struct.pack("<IHHHHIIH", 0x06054B50, disk, cd_disk, 0xFFFF,
                           0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, clen)
    return data[:eocd] + z64 + loc + new_eocd + data[eocd + 22:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures/npz")
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)

    with mock.patch("time.time", return_value=PINNED_TIME):
        np.savez(p("savez_f32.npz"), *f32_set())
        np.savez_compressed(p("savez_compressed_f32.npz"), *f32_set())
        np.savez(p("named.npz"), **named_set())
        np.savez(p("dtypes.npz"), f64=f64_arr(), i64=i64_arr(),
                 fortran=fortran_arr(), be_f4=be_arr())
        np.savez(p("ints.npz"), **ints_set())

        # Data descriptors: zipfile writes them only to unseekable streams.
        raw = Unseekable()
        with zipfile.ZipFile(raw, "w") as z:
            info = zipfile.ZipInfo("x.npy", time.localtime(PINNED_TIME)[:6])
            z.writestr(info, npy_bytes(np.arange(3, dtype=np.float32)),
                       compress_type=zipfile.ZIP_STORED)
            info = zipfile.ZipInfo("y.npy", time.localtime(PINNED_TIME)[:6])
            z.writestr(info, npy_bytes(np.arange(10, dtype=np.float64) * 2),
                       compress_type=zipfile.ZIP_DEFLATED)
        with open(p("datadesc.npz"), "wb") as f:
            f.write(bytes(raw.buf))

    np.save(p("f64.npy"), f64_arr())
    np.save(p("i64.npy"), i64_arr())
    np.save(p("fortran_f4.npy"), fortran_arr())
    np.save(p("be_f4.npy"), be_arr())
    np.save(p("bool.npy"), np.array([True, False, True]))
    with open(p("v2_f4.npy"), "wb") as f:
        f.write(npy_bytes(np.arange(4, dtype=np.float32), (2, 0)))
    with open(p("v3_f4.npy"), "wb") as f:
        f.write(npy_bytes(np.arange(4, dtype=np.float32), (3, 0)))

    with open(p("named.npz"), "rb") as f:
        z64 = add_zip64_eocd(f.read())
    with open(p("zip64_eocd.npz"), "wb") as f:
        f.write(z64)

    # Self-checks: numpy reads everything back, the flags are as intended.
    with np.load(p("zip64_eocd.npz")) as z:
        assert sorted(z.files) == ["bias", "kernel"]
        assert np.array_equal(z["kernel"], named_set()["kernel"])
    with zipfile.ZipFile(p("datadesc.npz")) as z:
        assert all(i.flag_bits & 0x08 for i in z.infolist())
    with np.load(p("datadesc.npz")) as z:
        assert np.array_equal(z["y"], np.arange(10) * 2.0)
    with zipfile.ZipFile(p("savez_compressed_f32.npz")) as z:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED
                   for i in z.infolist())
    assert np.load(p("fortran_f4.npy")).flags.f_contiguous
    assert np.load(p("be_f4.npy")).dtype.str == ">f4"

    total = sum(os.path.getsize(p(n)) for n in os.listdir(out))
    print(f"wrote {len(os.listdir(out))} files, {total} bytes, to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
