#!/usr/bin/env python3
"""PyTorch DataLoader throughput on an Imagenette folder, for comparison with LoaderBench.

Same work as the Java benchmark: decode (Pillow) + the reference study's augmentation (RandomResizedCrop, horizontal
flip) + ToTensor + Normalize with ImageNet statistics, batches of NCHW float tensors, measured as images per second
after a few warm-up batches. num_workers=0 (loading in the main process, one thread) is the baseline; each other
worker count is reported as a ratio to it. With --java FILE (the JSON LoaderBench wrote on the same machine
and data) the Java rates are added, as ratios to this baseline and to the PyTorch rate with the same number of
workers/threads.

Needs torch and torchvision (e.g. Debian's python3-torchvision, or pip). Example:

    python3 src/tools/bench/bench_pytorch_dataloader.py --data DIR --workers 0,1,2 \
        --java loader-benchmark.json --out pytorch-loader-benchmark.json
"""
import argparse
import json
import os
import platform
import time

import torch
import torchvision
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def measure(loader, warmup, batches):
    it = iter(loader)

    def next_batch():
        nonlocal it
        try:
            return next(it)
        except StopIteration:
            it = iter(loader)
            return next(it)

    for _ in range(warmup):
        next_batch()
    images = 0
    c0 = time.process_time()
    t0 = time.perf_counter()
    for _ in range(batches):
        x, _ = next_batch()
        images += x.shape[0]
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return images, seconds, cpu


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="Imagenette root (holding train/ and val/)")
    p.add_argument("--split", default="train")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--batches", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--workers", default=None, help="comma-separated worker counts (default 0,1,2,4,... up to CPUs)")
    p.add_argument("--java", default=None, help="JSON written by LoaderBench, to compare with")
    p.add_argument("--out", default="pytorch-loader-benchmark.json")
    a = p.parse_args()

    torch.manual_seed(1)
    torch.set_num_threads(1)
    tf = transforms.Compose([
        transforms.RandomResizedCrop(a.size),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    ds = datasets.ImageFolder(os.path.join(a.data, a.split), transform=tf)
    cpus = os.cpu_count() or 1
    if a.workers:
        workers = [int(w) for w in a.workers.split(",")]
    else:
        workers, w = [0, 1], 2
        while w <= cpus:
            workers.append(w)
            w *= 2
        if cpus not in workers:
            workers.append(cpus)
    if workers[0] != 0:
        workers.insert(0, 0)

    results = []
    for w in workers:
        extra = {"persistent_workers": True, "prefetch_factor": 2} if w > 0 else {}
        loader = DataLoader(ds, batch_size=a.batch, shuffle=True, num_workers=w, drop_last=False, **extra)
        images, seconds, cpu = measure(loader, a.warmup, a.batches)
        rate = images / seconds
        r = {"workers": w, "images_per_s": round(rate, 3), "images": images, "seconds": round(seconds, 3)}
        if w == 0:
            # CPU time of this process; with workers the work happens in other processes, not counted here.
            r["cpu_ms_per_image"] = round(cpu * 1000 / images, 3)
        results.append(r)
        print(f"num_workers {w:2d}: {rate:8.1f} images/s ({images} images in {seconds:.2f} s)", flush=True)
        del loader
    base = results[0]["images_per_s"]
    for r in results:
        r["ratio_to_baseline"] = round(r["images_per_s"] / base, 3)

    out = {
        "benchmark": "PyTorch DataLoader: decode + augmentation + normalize + batch",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "data": os.path.basename(os.path.normpath(a.data)),
        "split": a.split,
        "images_in_split": len(ds),
        "preset": "study",
        "image_size": a.size,
        "batch_size": a.batch,
        "batches_timed": a.batches,
        "warmup_batches": a.warmup,
        "cpus": cpus,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "python": platform.python_version(),
        "baseline": {"workers": 0, "images_per_s": base},
        "results": results,
    }
    if a.java:
        with open(a.java) as f:
            java = json.load(f)
        by_workers = {r["workers"]: r["images_per_s"] for r in results}
        cmp = []
        for r in java["results"]:
            t = r["threads"]
            entry = {"threads": t, "images_per_s": r["images_per_s"],
                     "ratio_to_pytorch_baseline": round(r["images_per_s"] / base, 3)}
            # One Java loader thread does the work of one DataLoader worker process.
            if t in by_workers and t > 0:
                entry["ratio_to_pytorch_same_workers"] = round(r["images_per_s"] / by_workers[t], 3)
            cmp.append(entry)
        out["java"] = {"benchmark": java.get("benchmark"), "results": cmp}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print("Wrote", a.out)


if __name__ == "__main__":
    main()
