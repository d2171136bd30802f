#!/usr/bin/env python3
"""Joins typenet_gpu_bench's and torch_bench.py's TSV lines into one table and the GPU_SUMMARY line.

    report.py TYPENET.tsv TORCH.tsv
Rows: model, batch. Columns: typenet eager and graph (best us), PyTorch's best fp32 mode and its
time, the speed-up (PyTorch best / typenet best), PyTorch's best TF32 mode. typenet has no
tensor-core mode yet, so min_speedup_vs_torch_tf32 compares its fp32 best with PyTorch's TF32 best.
"""
import sys


def read(path):
    rows = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or "\t" not in line:
                continue
            side, model, batch, mode, best, median, ips = line.rstrip("\n").split("\t")
            rows.setdefault((model, int(batch)), {})[mode] = float(best)
    return rows


def main(typenet_tsv, torch_tsv):
    tn, pt = read(typenet_tsv), read(torch_tsv)
    print("| model | batch | typenet eager us | typenet graph us | PyTorch best fp32 (mode) us | speed-up fp32 "
          "| PyTorch best TF32 (mode) us | typenet fp32 vs PyTorch TF32 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    fp32, tf32 = [], []
    m2_batch1 = None
    for key in sorted(tn, key=lambda k: (k[0], k[1])):
        t = tn[key]
        best = min(t.values())
        if key == ("M2", 1):
            m2_batch1 = best
        p = pt.get(key, {})
        p32 = {m: v for m, v in p.items() if m.startswith("fp32")}
        ptf = {m: v for m, v in p.items() if m.startswith("tf32")}
        cells = [key[0], str(key[1]), f"{t.get('eager', float('nan')):.1f}", f"{t.get('graph', float('nan')):.1f}"]
        for group, acc in ((p32, fp32), (ptf, tf32)):
            if group:
                mode = min(group, key=group.get)
                ratio = group[mode] / best
                acc.append(ratio)
                cells += [f"{group[mode]:.1f} ({mode})", f"{ratio:.2f}x"]
            else:
                cells += ["-", "-"]
        print("| " + " | ".join(cells) + " |")
    fmt = lambda xs: f"{min(xs):.3f}" if xs else "nan"
    print(f"GPU_SUMMARY min_speedup_vs_torch_fp32={fmt(fp32)} min_speedup_vs_torch_tf32={fmt(tf32)} "
          f"m2_batch1_us={m2_batch1 if m2_batch1 is not None else 'nan'}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
