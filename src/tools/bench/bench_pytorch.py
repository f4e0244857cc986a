#!/usr/bin/env python3
"""PyTorch reference for `visionzoo-examples bench --pytorch`: the same models, batch, input size and optimizer.

Measures one model per process (so peak memory is the model's own) and prints one JSON object on the last line of
stdout:
  training images/s (forward, cross-entropy, backward, AdamW step) and inference images/s (eval mode, no_grad),
  each the median of the timed steps after warm-up steps; peak resident memory (ru_maxrss); parameters.
With --peak it instead measures the machine's float32 matrix-product GFLOP/s through torch.

Setup on Debian: apt-get install python3-torch python3-torchvision libopenblas0
(without libopenblas0 Debian's torch links the reference BLAS and its linear layers are several times slower; the
"blas" field of the output says which library torch loaded). OpenBLAS may not recognise the CPU and fall back to
its generic Prescott kernels (OPENBLAS_VERBOSE=2 prints "Core: Prescott"; 31-35 GFLOP/s for --peak on the 2-core
development VM, against 199 with OPENBLAS_CORETYPE=SkylakeX). `bench` sets OPENBLAS_CORETYPE for this script as
visionzoo sets it for ND4J's OpenBLAS; run alone, set it yourself. The output's "openblasCoretype" records it.

DaViT (davit_tiny, davit_small, davit_base) is timm's own davit.py, which needs --timm-repo PATH (default the TIMM_REPO
environment variable), a clone of huggingface/pytorch-image-models: src/tools/timm_davit.py reads the file at its
pinned commit and imports it with stand-ins for the timm names it uses (Debian has no timm).

Usage: python3 src/tools/bench/bench_pytorch.py --model resnet34 [--batch 16] [--warmup 2] [--steps 5] [--threads N]
       python3 src/tools/bench/bench_pytorch.py --model davit_tiny --timm-repo PATH [...]
       python3 src/tools/bench/bench_pytorch.py --peak [--threads N]
"""
import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torchvision
from torchvision.models.vision_transformer import VisionTransformer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import timm_davit  # noqa: E402


def alexnet_paper(num_classes):
    """visionzoo's `alexnet`: the paper's AlexNet as the reference study trained it (96-256-384-384-256, LRN after
    conv1 and conv2, 227 px input, 58,322,314 parameters at 10 classes)."""
    model = torchvision.models.AlexNet(num_classes=num_classes)
    model.features = nn.Sequential(
        nn.Conv2d(3, 96, kernel_size=11, stride=4), nn.ReLU(inplace=True),
        nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2))
    model.avgpool = nn.Identity()  # the paper's 227 px input gives 6x6 maps already, as in visionzoo
    return model


# visionzoo registry name -> (constructor taking the class count and the input size, default input size); the CNNs
# take any size (alexnet only its 227), the ViTs build their position embedding for the size, the Swin pads its windows
MODELS = {
    "alexnet": (lambda n, s: alexnet_paper(n), 227),
    "vgg16": (lambda n, s: torchvision.models.vgg16(num_classes=n), 224),
    "resnet18": (lambda n, s: torchvision.models.resnet18(num_classes=n), 224),
    "resnet34": (lambda n, s: torchvision.models.resnet34(num_classes=n), 224),
    "resnet50": (lambda n, s: torchvision.models.resnet50(num_classes=n), 224),
    "vit_s_16": (lambda n, s: VisionTransformer(image_size=s, patch_size=16, num_layers=12, num_heads=6,
                                                hidden_dim=384, mlp_dim=1536, num_classes=n), 224),
    "vit_b_16": (lambda n, s: torchvision.models.vit_b_16(num_classes=n, image_size=s), 224),
    "swin_t": (lambda n, s: torchvision.models.swin_t(num_classes=n), 224),
}
# timm's DaViT, built by main once --timm-repo has loaded davit.py (the DaViTs pad their windows too)
DAVIT = {}
MODELS.update({name: (lambda n, s, a=args: DAVIT["module"].DaVit(num_classes=n, **a), 224)
               for name, args in timm_davit.VARIANTS.items()})


def median_seconds(warmup, steps, fn):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def blas_library():
    """The BLAS shared library this process mapped (Debian picks it through update-alternatives)."""
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "blas" in line.lower() and line.split()[-1].startswith("/")}
        return ", ".join(sorted(os.path.realpath(p).rsplit("/", 1)[-1] for p in libs)) or "none mapped"
    except OSError:
        return "unknown"


def allocator():
    """The malloc this process runs on: a preloaded tcmalloc, jemalloc or mimalloc by file name, else "system"."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                name = line.rstrip().rsplit("/", 1)[-1] if "/" in line else ""
                if name.startswith(("libtcmalloc", "libjemalloc", "libmimalloc")):
                    return name
        return "system"
    except OSError:
        return "unknown"


def measure_model(name, batch, warmup, steps, classes, image_size):
    constructor, default_size = MODELS[name]
    size = image_size or default_size
    torch.manual_seed(0)
    model = constructor(classes, size)
    x = torch.rand(batch, 3, size, size)
    y = torch.arange(batch) % classes
    # decay the kernels only, as visionzoo's recipes do (biases and normalization parameters are not decayed)
    kernels = [p for p in model.parameters() if p.ndim > 1]
    others = [p for p in model.parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW([{"params": kernels, "weight_decay": 0.01}, {"params": others, "weight_decay": 0.0}],
                                  lr=1e-4)
    loss_fn = nn.CrossEntropyLoss()

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    model.train()
    train = median_seconds(warmup, steps, train_step)
    model.eval()
    with torch.no_grad():
        infer = median_seconds(warmup, steps, lambda: model(x))
    return {
        "model": name,
        "imageSize": size,
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainImagesPerSecond": batch / train,
        "inferenceImagesPerSecond": batch / infer,
        "trainStepSeconds": train,
        "inferenceStepSeconds": infer,
        "peakRssBytes": peak_rss_bytes(),
        "allocator": allocator(),
    }


def measure_peak(n=2048, warmup=2, steps=5):
    a = torch.rand(n, n)
    b = torch.rand(n, n)
    seconds = median_seconds(warmup, steps, lambda: torch.mm(a, b))
    return {"matmulSize": n, "matmulGflops": 2.0 * n ** 3 / seconds / 1e9}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", choices=sorted(MODELS))
    what.add_argument("--peak", action="store_true", help="float32 matrix-product GFLOP/s instead of a model")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--image-size", type=int, default=None, help="default: the model's own")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="default: all cores")
    parser.add_argument("--timm-repo", default=os.environ.get("TIMM_REPO"),
                        help="for davit_*: a clone of huggingface/pytorch-image-models (default: $TIMM_REPO)")
    args = parser.parse_args()
    if args.batch < 1 or args.steps < 1 or args.warmup < 0 or args.threads < 1:
        parser.error("--batch, --steps and --threads must be >= 1 and --warmup >= 0")
    davit = args.model in timm_davit.VARIANTS
    if davit and not args.timm_repo:
        parser.error("--model %s needs --timm-repo PATH (or TIMM_REPO), a clone of huggingface/pytorch-image-models"
                     % args.model)
    torch.set_num_threads(args.threads)
    if args.peak:
        result = measure_peak()
    else:
        with tempfile.TemporaryDirectory() as workdir:
            if davit:
                DAVIT["module"] = timm_davit.load_davit(args.timm_repo, workdir)
            result = measure_model(args.model, args.batch, args.warmup, args.steps, args.classes, args.image_size)
        if davit:
            result["timm"] = timm_davit.TIMM_COMMIT
    result.update({"framework": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
                   "blas": blas_library(), "openblasCoretype": os.environ.get("OPENBLAS_CORETYPE")})
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
