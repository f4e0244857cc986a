#!/usr/bin/python3
"""Writes Fashion-MNIST as an image folder that `train --data` and torchvision's ImageFolder both read.

Reads Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist: the four IDX files of Xiao et
al. 2017 under /usr/share/datasets/fashion-mnist) and writes

    OUT/train/<class>/<index>.png    the official training split (60,000 images, 6,000 per class)
    OUT/val/<class>/<index>.png      the official test split (10,000 images, 1,000 per class)
    OUT/fashion-mnist.json           what was written (the options below), so a second run can tell it is done

as 28x28 8-bit grayscale PNGs; <index> is the image's position in its IDX file (five digits), so a file can be traced
back. The class folders are the ten classes' names, so their sorted order (ImageFolder's labels) is not the
official label order: ankle-boot, bag, coat, dress, pullover, sandal, shirt, sneaker, trouser, tshirt-top.

With --train-per-class N and --val-per-class M, each class keeps N (M) images drawn without replacement with
numpy's default_rng(--seed); the same options write the same files. The folder is written beside OUT and renamed
into place when complete. OUT must not exist, unless it holds a folder written with the same options, which is kept.

Usage (from the repository root):
    /usr/bin/python3 src/tools/fashion_mnist_folder.py --out data/fashion-mnist
    /usr/bin/python3 src/tools/fashion_mnist_folder.py --out data/fmnist-1k --train-per-class 1000 --val-per-class 200
"""
import argparse
import gzip
import json
import os
import shutil
import sys

import numpy as np
from PIL import Image

SOURCE = "/usr/share/datasets/fashion-mnist"
# the official label order (label i is CLASSES[i]); folder names keep to [a-z-]
CLASSES = ["tshirt-top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
SPLITS = {"train": "train", "val": "t10k"}
MARKER = "fashion-mnist.json"


def read_idx(path, magic, dims):
    """An IDX file (big-endian magic, sizes, then uint8 data) as a uint8 array of `dims` + 1 dimensions."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    found = int.from_bytes(data[0:4], "big")
    if found != magic:
        raise ValueError(f"{path}: magic number {found:#x}, expected {magic:#x}: not an IDX file of this kind")
    sizes = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims + 1)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 * (dims + 2))
    if body.size != int(np.prod(sizes)):
        raise ValueError(f"{path}: {body.size} bytes of data, the header says {sizes}")
    return body.reshape(sizes)


def load(source, split):
    """(images [n, 28, 28], labels [n]) of the official split, 'train' or 't10k'."""
    images = read_idx(os.path.join(source, f"{split}-images-idx3-ubyte.gz"), 0x803, 2)
    labels = read_idx(os.path.join(source, f"{split}-labels-idx1-ubyte.gz"), 0x801, 0)
    if len(images) != len(labels):
        raise ValueError(f"{source}: {len(images)} {split} images but {len(labels)} labels")
    return images, labels


def choose(labels, per_class, rng):
    """Indices of up to `per_class` images of each label (all when None), drawn without replacement, sorted."""
    keep = []
    for c in range(len(CLASSES)):
        idx = np.flatnonzero(labels == c)
        if per_class is not None:
            if per_class > len(idx):
                raise ValueError(f"class {CLASSES[c]} has {len(idx)} images, fewer than the {per_class} asked for")
            idx = np.sort(rng.choice(idx, size=per_class, replace=False))
        keep.append(idx)
    return np.concatenate(keep)


def write(out, source=SOURCE, train_per_class=None, val_per_class=None, seed=0):
    """Writes the folder (or keeps the one already there with these options); returns `out`."""
    options = {"source": "dataset-fashion-mnist", "trainPerClass": train_per_class, "valPerClass": val_per_class,
               "seed": seed}
    marker = os.path.join(out, MARKER)
    if os.path.exists(out):
        if os.path.isfile(marker):
            with open(marker) as f:
                if json.load(f) == options:
                    return out
        raise SystemExit(f"fashion_mnist_folder: --out {out} exists and was not written with these options; "
                         "give a new folder")
    if not os.path.isdir(source):
        raise SystemExit(f"fashion_mnist_folder: {source} is missing; install it with "
                         "'apt-get install dataset-fashion-mnist'")
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    partial = os.path.join(parent, "." + os.path.basename(os.path.abspath(out)) + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    rng = np.random.default_rng(seed)
    for folder, split in SPLITS.items():
        images, labels = load(source, split)
        per_class = train_per_class if folder == "train" else val_per_class
        for name in CLASSES:
            os.makedirs(os.path.join(partial, folder, name))
        for i in choose(labels, per_class, rng):
            Image.fromarray(images[i], mode="L").save(
                os.path.join(partial, folder, CLASSES[labels[i]], f"{i:05d}.png"))
    with open(os.path.join(partial, MARKER), "w") as f:
        json.dump(options, f, indent=1)
    os.rename(partial, out)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="the folder to write (must not exist)")
    p.add_argument("--train-per-class", type=int, help="training images per class (default: all 6,000)")
    p.add_argument("--val-per-class", type=int, help="validation images per class (default: all 1,000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the per-class draws (default: 0)")
    p.add_argument("--source", default=SOURCE, help=f"the IDX files' folder (default: {SOURCE})")
    a = p.parse_args()
    for name in ("train_per_class", "val_per_class"):
        if getattr(a, name) is not None and getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    try:
        write(a.out, a.source, a.train_per_class, a.val_per_class, a.seed)
    except ValueError as e:
        raise SystemExit(f"fashion_mnist_folder: {e}")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    sys.exit(main())
