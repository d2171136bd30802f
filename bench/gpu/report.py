#!/usr/bin/env python3
"""Joins typenet_gpu_bench's and torch_bench.py's TSV lines into one table and the GPU_SUMMARY line.

    report.py TYPENET.tsv TORCH.tsv
Rows: model, batch. For each precision (fp32, tf32): typenet's best mode (eager or graph) and time,
PyTorch's best mode of that precision and time, and the speed-up (PyTorch best / typenet best).
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


def best_of(modes, prefix):
    group = {m: v for m, v in modes.items() if m.startswith(prefix)}
    if not group:
        return None, None
    mode = min(group, key=group.get)
    return mode, group[mode]


def main(typenet_tsv, torch_tsv):
    tn, pt = read(typenet_tsv), read(torch_tsv)
    print("| model | batch | typenet fp32 us (mode) | PyTorch fp32 us (mode) | speed-up fp32 "
          "| typenet TF32 us (mode) | PyTorch TF32 us (mode) | speed-up TF32 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    ratios = {"fp32": [], "tf32": []}
    m2_batch1 = None
    for key in sorted(tn):
        cells = [key[0], str(key[1])]
        for prec in ("fp32", "tf32"):
            tmode, tbest = best_of(tn[key], prec)
            pmode, pbest = best_of(pt.get(key, {}), prec)
            if prec == "fp32" and key == ("M2", 1):
                m2_batch1 = tbest
            cells.append(f"{tbest:.1f} ({tmode})" if tbest else "-")
            cells.append(f"{pbest:.1f} ({pmode})" if pbest else "-")
            if tbest and pbest:
                ratios[prec].append(pbest / tbest)
                cells.append(f"{pbest / tbest:.2f}x")
            else:
                cells.append("-")
        print("| " + " | ".join(cells) + " |")
    fmt = lambda xs: f"{min(xs):.3f}" if xs else "nan"
    print(f"GPU_SUMMARY min_speedup_vs_torch_fp32={fmt(ratios['fp32'])} "
          f"min_speedup_vs_torch_tf32={fmt(ratios['tf32'])} "
          f"m2_batch1_us={m2_batch1 if m2_batch1 is not None else 'nan'}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
