#!/usr/bin/env python3
"""Golden values for visionzoo's LocalResponseNorm, from PyTorch's nn.LocalResponseNorm.

Run from the repository root with Debian's python3-torch (never needed at build or run time):

    /usr/bin/python3 src/tools/golden/golden_lrn.py

Writes zoo/src/test/resources/golden/lrn/*.npy: a fixed [2, 7, 5, 4] input (float64) and the outputs of
LocalResponseNorm(5, 1e-4, 0.75, 2) (the reference study's setting), of (5, 1e-1, 0.75, 2) where the
normalization is strong, and of (4, 1e-1, 0.75, 2) for an even window.
"""
import os

import numpy as np
import torch

OUT = os.path.join("zoo", "src", "test", "resources", "golden", "lrn")


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(2012)
    x = (torch.randn(2, 7, 5, 4, generator=g, dtype=torch.float64) * 3.0)
    np.save(os.path.join(OUT, "input.npy"), x.numpy())
    np.save(os.path.join(OUT, "output_n5.npy"), torch.nn.LocalResponseNorm(5, 1e-1, 0.75, 2.0)(x).numpy())
    np.save(os.path.join(OUT, "output_n4.npy"), torch.nn.LocalResponseNorm(4, 1e-1, 0.75, 2.0)(x).numpy())
    np.save(os.path.join(OUT, "output_default.npy"), torch.nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0)(x).numpy())


if __name__ == "__main__":
    main()
