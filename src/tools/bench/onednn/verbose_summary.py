#!/usr/bin/env python3
"""Per-step time by oneDNN primitive from ONEDNN_VERBOSE=1 / DNNL_VERBOSE=1 logs (oneDNN 2.x and 3.x formats).

Reads the `exec` lines of one log, splits them into a training and an inference phase (everything from the first
`forward_inference` primitive on is inference, as ModelBench and LibtorchBench run training first or alone) and
prints, per phase, each convolution problem's implementation and milliseconds per step for each pass, then the
milliseconds per step by primitive kind (reorders, convolutions, batch norm, ...). A step is one execution of the
stem convolution's forward pass (the first convolution of the log). libtorch runs its inference on
`forward_training` primitives, so its inference log reads as one training phase without backward passes.

Usage: python3 verbose_summary.py LOG [--tsv]
"""
import collections
import re
import sys


def parse(path):
    rows = []
    for line in open(path, errors="replace"):
        if ",exec," not in line or "verbose" not in line.split(",", 1)[0]:
            continue
        f = line.rstrip("\n").split(",")
        try:
            ms = float(f[-1])
        except ValueError:
            continue
        # 2.x: prefix,exec,cpu,kind,impl,prop,mds,attrs,aux,problem,time
        # 3.x: prefix,primitive,exec,cpu,kind,impl,prop,mds,attrs,aux,problem,time
        i = f.index("exec")
        kind, impl, prop = f[i + 2], f[i + 3], f[i + 4]
        problem = f[-2]
        rows.append((f[0], kind, impl, prop, f[i + 5], problem, ms))
    return rows


def short(problem):
    m = re.search(r"mb(\d+)_?ic(\d+)oc(\d+)_ih(\d+)oh(\d+)kh(\d+)sh(\d+)", problem)
    if not m:
        return problem
    mb, ic, oc, ih, oh, kh, sh = m.groups()
    return f"{ic}-{oc}@{ih}k{kh}s{sh}"


def main():
    path = sys.argv[1]
    rows = parse(path)
    convs = [r for r in rows if r[1] == "convolution"]
    if not convs:
        print("no convolutions in", path)
        return
    stem = convs[0][5]
    phases = {"train": [], "infer": []}
    phase = "train"
    for r in rows:
        if r[3] == "forward_inference" and r[1] == "convolution":
            phase = "infer"
        phases[phase].append(r)
    for name, rs in phases.items():
        steps = sum(1 for r in rs if r[1] == "convolution" and r[5] == stem and r[3].startswith("forward"))
        if not steps:
            continue
        print(f"## {path}: {name}, {steps} steps, per step")
        per = collections.OrderedDict()
        for r in rs:
            if r[1] != "convolution":
                continue
            key = (short(r[5]), r[3])
            e = per.setdefault(key, [r[2], 0, 0.0])
            e[1] += 1
            e[2] += r[6]
        for (shape, prop), (impl, n, ms) in per.items():
            print(f"conv\t{shape}\t{prop}\t{impl}\t{n / steps:g}\t{ms / steps:.1f}")
        kinds = collections.Counter()
        for r in rs:
            kinds[(r[0].split("_")[0], r[1])] += r[6]
        for (lib, kind), ms in kinds.most_common():
            print(f"kind\t{lib}\t{kind}\t{ms / steps:.1f}")


if __name__ == "__main__":
    main()
