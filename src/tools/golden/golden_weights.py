#!/usr/bin/env python3
"""Golden files for visionzoo's weight import and export (package io.github.visionzoo.zoo.weights).

Run from the repository root with Debian's python3-torch and python3-torchvision (never needed at build or run time):

    /usr/bin/python3 src/tools/golden/golden_weights.py
        Writes zoo/src/test/resources/golden/weights/: for small configurations of each family (a ResNet with basic
        blocks, one with bottlenecks, a narrow VGG with and without batch norm, torchvision's AlexNet at a small
        width) random weights with non-trivial batch-norm statistics as .pth (torch.save of the state dict),
        .safetensors (written below, since the safetensors package may be absent) and .npz (numpy.savez); a fixed
        input; PyTorch's logits and softmax in eval mode. Plus dtype and format variants of the basic ResNet (float16
        .pth, bfloat16 .pth and .safetensors, the legacy non-zip .pth, a float64 Fortran-order .npz), a .pth of
        strided views of one storage, and a training checkpoint dict around a DataParallel state dict. Every file is
        the same on each run except resnet_basic_legacy.pth, whose storage keys are memory addresses.

    /usr/bin/python3 src/tools/golden/golden_weights.py --full DIR
        Writes full-size torchvision resnet50, vgg16 and alexnet with random weights (DIR/NAME.pth,
        DIR/NAME.safetensors, DIR/NAME_input.npy, DIR/NAME_logits.npy), for
        io.github.visionzoo.examples.bench.CompareFull. Not committed: 100-550 MB each.

    /usr/bin/python3 src/tools/golden/golden_weights.py --verify-export FILE.safetensors MODEL
        Loads a safetensors file that visionzoo exported into the matching PyTorch model with a strict
        load_state_dict and compares its logits with the golden ones. MODEL is a small model's name (resnet_basic,
        ...) with the golden input, or resnet50/vgg16/alexnet with the input in the --full DIR next to FILE.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.models.alexnet import AlexNet
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet
from torchvision.models.vgg import VGG, make_layers

OUT = os.path.join("zoo", "src", "test", "resources", "golden", "weights")
CLASSES = 5

ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64"}


# ---------------------------------------------------------------- safetensors without the safetensors package

def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    np_types = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "BF16": "<i2"}
    out = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        b, e = v["data_offsets"]
        arr = np.frombuffer(data[base + b:base + e], dtype=np_types[v["dtype"]]).reshape(v["shape"]).copy()
        t = torch.from_numpy(arr)
        if v["dtype"] == "BF16":
            t = t.view(torch.bfloat16)
        out[name] = t
    return out, header.get("__metadata__", {})


# ---------------------------------------------------------------- small models with torchvision's module names

class NarrowResNet(ResNet):
    """torchvision's ResNet with stage widths w, 2w, 4w, 8w instead of 64..512 (same modules, same forward)."""

    def __init__(self, block, layers, width, num_classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = width
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


def narrow_vgg(cfg, batch_norm, hidden, num_classes):
    """torchvision's VGG (features, avgpool 7x7, classifier) with narrow convolutions and classifier."""
    model = VGG(make_layers(cfg, batch_norm=batch_norm), num_classes=num_classes)
    last = [c for c in cfg if c != "M"][-1]
    model.classifier = nn.Sequential(
        nn.Linear(last * 7 * 7, hidden), nn.ReLU(True), nn.Dropout(0.5),
        nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(0.5),
        nn.Linear(hidden, num_classes))
    return model


def narrow_alexnet(widths, hidden, num_classes):
    """torchvision's AlexNet (same Sequential indices) at small widths: its constructor fixes 64-192-384-256-256."""
    model = AlexNet(num_classes=num_classes)
    w = widths
    model.features = nn.Sequential(
        nn.Conv2d(3, w[0], kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(w[0], w[1], kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(w[1], w[2], kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(w[2], w[3], kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(w[3], w[4], kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2))
    model.classifier = nn.Sequential(
        nn.Dropout(p=0.5), nn.Linear(w[4] * 6 * 6, hidden), nn.ReLU(inplace=True),
        nn.Dropout(p=0.5), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
        nn.Linear(hidden, num_classes))
    return model


def tiny_vit(image_size, num_classes):
    """torchvision's VisionTransformer with 2 blocks of width 32 (2 heads, MLP 64) and 16 px patches."""
    from torchvision.models.vision_transformer import VisionTransformer
    return VisionTransformer(image_size=image_size, patch_size=16, num_layers=2, num_heads=2, hidden_dim=32,
                             mlp_dim=64, num_classes=num_classes)


# name -> (constructor, input size); the Java test builds the matching visionzoo spec
SMALL = {
    # new ResNetSpec(BASIC, [1, 1, 1, 1], 4, false, 64)
    "resnet_basic": (lambda: NarrowResNet(BasicBlock, [1, 1, 1, 1], 4, CLASSES), 64),
    # new ResNetSpec(BOTTLENECK, [2, 1, 1, 1], 4, false, 64): the second block of layer1 has an identity shortcut
    "resnet_bottleneck": (lambda: NarrowResNet(Bottleneck, [2, 1, 1, 1], 4, CLASSES), 64),
    # new VggSpec([1, 1, 2, 2, 2], [8, 8, 16, 16, 16], false, 16, 0.5, 64)
    "vgg": (lambda: narrow_vgg([8, "M", 8, "M", 16, 16, "M", 16, 16, "M", 16, 16, "M"], False, 16, CLASSES), 64),
    # new VggSpec([1, 1, 2, 2, 2], [8, 8, 16, 16, 16], true, 16, 0.5, 64)
    "vgg_bn": (lambda: narrow_vgg([8, "M", 8, "M", 16, 16, "M", 16, 16, "M", 16, 16, "M"], True, 16, CLASSES), 64),
    # new AlexNetSpec([8, 16, 16, 16, 16], 2, false, true, 16, 0.5, 100)
    "alexnet": (lambda: narrow_alexnet([8, 16, 16, 16, 16], 16, CLASSES), 100),
    # new VitSpec(16, 32, 2, 2, 64, 0.0, 0.0, 64)
    "vit": (lambda: tiny_vit(64, CLASSES), 64),
}

FULL = {
    "resnet50": lambda: torchvision.models.resnet50(weights=None),
    "vgg16": lambda: torchvision.models.vgg16(weights=None),
    "alexnet": lambda: torchvision.models.alexnet(weights=None),
    "vit_b_16": lambda: torchvision.models.vit_b_16(weights=None),
}


def randomize(model, size, gen):
    """Random batch-norm affine parameters, then running statistics from a few train-mode passes; a ViT's class
    token and head, which torchvision initializes to zeros, get random values so that they show in the output."""
    if hasattr(model, "class_token"):
        with torch.no_grad():
            for p in (model.class_token, model.heads.head.weight, model.heads.head.bias):
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.copy_(torch.rand(bn.weight.shape, generator=gen) + 0.5)
            bn.bias.copy_(torch.rand(bn.bias.shape, generator=gen) - 0.5)
    if bns:
        for bn in bns:
            bn.momentum = None  # a cumulative average: the statistics of all warm-up batches
        model.train()
        with torch.no_grad():
            for _ in range(3):
                model(torch.randn(4, 3, size, size, generator=gen) * 1.5 + 0.3)
        for bn in bns:
            bn.momentum = 0.1
    model.eval()
    return model


def outputs(model, x):
    with torch.no_grad():
        logits = model(x)
    return logits.numpy(), torch.softmax(logits, dim=1).numpy()


def input_for(size, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(2, 3, size, size, generator=g)


def save_all_formats(path_stem, sd):
    torch.save(sd, path_stem + ".pth")
    write_safetensors(path_stem + ".safetensors", sd, {"format": "pt"})
    np.savez(path_stem + ".npz", **{k: v.numpy() for k, v in sd.items()})


def rounded(model_fn, sd, dtype):
    """A fresh float32 model holding sd's floating tensors rounded to dtype."""
    m = model_fn()
    m.load_state_dict({k: (v.to(dtype).float() if v.is_floating_point() else v) for k, v in sd.items()})
    return m.eval()


def small(out):
    os.makedirs(out, exist_ok=True)
    inputs = {}
    for size in sorted({s for _, s in SMALL.values()}):
        x = input_for(size, 1000 + size)
        np.save(os.path.join(out, "input_%d.npy" % size), x.numpy())
        inputs[size] = x
    for i, (name, (fn, size)) in enumerate(SMALL.items()):
        torch.manual_seed(100 + i)
        gen = torch.Generator().manual_seed(200 + i)
        model = randomize(fn(), size, gen)
        sd = model.state_dict()
        save_all_formats(os.path.join(out, name), sd)
        logits, softmax = outputs(model, inputs[size])
        np.save(os.path.join(out, name + "_logits.npy"), logits)
        np.save(os.path.join(out, name + "_softmax.npy"), softmax)
        print("%-18s %6d parameters, logits in [%.3f, %.3f]" % (
            name, sum(p.numel() for p in model.parameters()), logits.min(), logits.max()))
        if name == "resnet_basic":
            variants(out, fn, sd, inputs[size])
    strided(out)
    checkpoint(out)


def variants(out, fn, sd, x):
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in sd.items()}
    torch.save(half, os.path.join(out, "resnet_basic_fp16.pth"))
    np.save(os.path.join(out, "resnet_basic_fp16_logits.npy"), outputs(rounded(fn, sd, torch.float16), x)[0])
    bf16 = {k: (v.bfloat16() if v.is_floating_point() else v) for k, v in sd.items()}
    torch.save(bf16, os.path.join(out, "resnet_basic_bf16.pth"))
    write_safetensors(os.path.join(out, "resnet_basic_bf16.safetensors"), bf16)
    np.save(os.path.join(out, "resnet_basic_bf16_logits.npy"), outputs(rounded(fn, sd, torch.bfloat16), x)[0])
    # the same float32 values: compare with resnet_basic_logits.npy
    torch.save(sd, os.path.join(out, "resnet_basic_legacy.pth"), _use_new_zipfile_serialization=False)
    np.savez(os.path.join(out, "resnet_basic_f64_fortran.npz"),
             **{k: np.asfortranarray(v.numpy().astype(np.float64) if v.is_floating_point() else v.numpy())
                for k, v in sd.items()})


def strided(out):
    """Views of one storage: a transpose, a row at an offset, the base; values base[i][j] = 4 * i + j."""
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    torch.save({"base": base, "transposed": base.t(), "row1": base[1], "column2": base[:, 2]},
               os.path.join(out, "strided.pth"))


def checkpoint(out):
    """A training checkpoint dict around a DataParallel state dict of nn.Parameters (torch._utils._rebuild_parameter)."""
    conv = nn.Conv2d(2, 3, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.arange(6, dtype=torch.float32).reshape(3, 2, 1, 1))
        conv.bias.copy_(torch.tensor([-1.0, 0.5, 2.0]))
    sd = {"module.conv.weight": conv.weight, "module.conv.bias": conv.bias}
    torch.save({"epoch": 7, "arch": "tiny", "best": 0.5, "state_dict": sd}, os.path.join(out, "checkpoint.pth"))


def full(out):
    os.makedirs(out, exist_ok=True)
    for i, (name, fn) in enumerate(FULL.items()):
        torch.manual_seed(300 + i)
        gen = torch.Generator().manual_seed(400 + i)
        model = randomize(fn(), 64, gen)
        sd = model.state_dict()
        torch.save(sd, os.path.join(out, name + ".pth"))
        write_safetensors(os.path.join(out, name + ".safetensors"), sd, {"format": "pt"})
        x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(500 + i))
        np.save(os.path.join(out, name + "_input.npy"), x.numpy())
        logits, _ = outputs(model, x)
        np.save(os.path.join(out, name + "_logits.npy"), logits)
        print("%-9s logits in [%.4f, %.4f], |max| %.4f" % (name, logits.min(), logits.max(), np.abs(logits).max()))


def verify_export(path, model_name):
    tensors, meta = read_safetensors(path)
    if model_name in SMALL:
        fn, size = SMALL[model_name]
        x = torch.from_numpy(np.load(os.path.join(OUT, "input_%d.npy" % size)))
        expected = np.load(os.path.join(OUT, model_name + "_logits.npy"))
    else:
        fn = FULL[model_name]
        folder = os.path.dirname(os.path.abspath(path))
        x = torch.from_numpy(np.load(os.path.join(folder, model_name + "_input.npy")))
        expected = np.load(os.path.join(folder, model_name + "_logits.npy"))
    model = fn()
    model.load_state_dict(tensors, strict=True)
    logits, _ = outputs(model.eval(), x)
    diff = float(np.abs(logits - expected).max())
    print("%s: %d tensors, metadata %s; strict load_state_dict accepted it; max |logits - golden| = %.3g"
          % (path, len(tensors), meta, diff))
    return 0 if diff <= 1e-4 else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--full", metavar="DIR", help="export full-size torchvision models to DIR instead")
    p.add_argument("--verify-export", nargs=2, metavar=("FILE", "MODEL"),
                   help="check a safetensors file exported by visionzoo in PyTorch")
    args = p.parse_args()
    torch.set_num_threads(2)
    if args.verify_export:
        sys.exit(verify_export(*args.verify_export))
    if args.full:
        full(args.full)
    else:
        small(OUT)


if __name__ == "__main__":
    main()
