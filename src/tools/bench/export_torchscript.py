#!/usr/bin/env python3
"""TorchScript files of bench_pytorch.py's models for the libtorch peer of `visionzoo-examples bench --libtorch`.

Scripts (torch.jit.script, so that dropout and batch norm follow the module's train/eval mode) the very torchvision
modules that bench_pytorch.py measures, at the bench's input size and class count, and saves them with
torch.jit.save; libtorch 2.7 loads files saved by torch 1.13. `bench --libtorch` runs this script itself for a model
whose file is missing.

Usage: /usr/bin/python3 src/tools/bench/export_torchscript.py --model resnet34 --out DIR/resnet34-224-10.pt \
           [--image-size N] [--classes 10]
"""
import argparse
import json
import os
import sys
import tempfile

import torch

from bench_pytorch import MODELS


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=sorted(MODELS), required=True)
    parser.add_argument("--out", required=True, help="the .pt file to write (atomically)")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--image-size", type=int, default=None, help="default: the model's own")
    args = parser.parse_args()
    constructor, default_size = MODELS[args.model]
    size = args.image_size or default_size
    torch.manual_seed(0)
    module = torch.jit.script(constructor(args.classes, size))
    with torch.no_grad():  # fails here, not in the peer, if the size does not suit the model
        module.eval()
        module(torch.rand(1, 3, size, size))
    module.train()
    folder = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".pt.tmp", dir=folder)
    os.close(fd)
    try:
        torch.jit.save(module, tmp)
        os.replace(tmp, args.out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    # one JSON line, as every child of `bench` answers
    print(json.dumps({"model": args.model, "imageSize": size, "classes": args.classes, "file": args.out}))


if __name__ == "__main__":
    sys.exit(main())
