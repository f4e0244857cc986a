#!/usr/bin/python3
"""Golden values for visionzoo's DaViT (io.github.visionzoo.zoo.models.DavitSpec), computed with timm's own davit.py.

The reference is timm's timm/models/davit.py at the commit pinned in src/tools/timm_davit.py, unchanged, read
from a git checkout or bare clone (--timm-repo, default the TIMM_REPO environment variable) and imported with that
module's minimal stand-ins for the timm names it imports (timm itself is not installed: Debian has no package of it).

Run from the repository root with Debian's PyTorch 1.13 (python3-torch):

    /usr/bin/python3 src/tools/golden/golden_davit.py --timm-repo PATH
        Writes zoo/src/test/resources/golden/davit/tiny/ (about 100 kB): a tiny DaViT (depths (1, 1), embed_dims
        (8, 16), num_heads (2, 4), window_size 3, 3 classes, 16 px input: 4x4 tokens after the stem and 2x2 after the
        downsampling, both padded to whole windows), every parameter random, eval mode:
        state/<state-dict key>.npy (one file per tensor), input.npy [2, 3, 16, 16], stem.npy [2, 8, 4, 4],
        stage0.npy [2, 8, 4, 4], logits.npy [2, 3] (pre-softmax), softmax.npy [2, 3]; and prints the parameter
        counts of davit_tiny, davit_small and davit_base (1000 and 10 classes) and davit_tiny's multiply-adds at 224.

    /usr/bin/python3 src/tools/golden/golden_davit.py --timm-repo PATH --full DIR
        Writes a full-size davit_tiny with timm's random initialization (DIR/davit_tiny.safetensors,
        DIR/davit_tiny_input.npy, DIR/davit_tiny_logits.npy) for io.github.visionzoo.examples.bench.CompareFull.
        Not committed (110 MB).

    /usr/bin/python3 src/tools/golden/golden_davit.py --timm-repo PATH --verify-export FILE.safetensors DIR
        Loads a davit_tiny safetensors file that visionzoo exported (`import --from DIR/davit_tiny.safetensors
        --model davit_tiny`, then `export`) into timm's model with a strict load_state_dict and compares its logits on
        DIR/davit_tiny_input.npy with DIR/davit_tiny_logits.npy. Exit code 0 within 1e-4.

Weights and inputs are stored as float32; the reference outputs are computed in float64 from those float32 numbers.
Deterministic (fixed seeds).
"""
import argparse
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from golden_weights import read_safetensors, write_safetensors  # noqa: E402
from timm_davit import TIMM_COMMIT, VARIANTS, load_davit  # noqa: E402

SEED = 20261206
OUT = os.path.join("zoo", "src", "test", "resources", "golden", "davit")


def save(path, tensor, dtype):
    full = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    np.save(full, tensor.detach().cpu().numpy().astype(dtype))


def macs(model, size):
    """Multiply-adds of convolutions, linear layers and the attention's matrix products, as fvcore counts them."""
    total = [0]

    def conv(m, inp, out):
        total[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear(m, inp, out):
        total[0] += out.numel() * m.in_features

    def window(m, inp, out):
        b, n, c = inp[0].shape
        total[0] += 2 * b * n * n * c  # q k^T and attn v

    def channel(m, inp, out):
        b, n, c = inp[0].shape
        total[0] += 2 * b * n * c * (c // m.num_heads)  # k^T v and attn q^T

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(conv)
        elif isinstance(m, nn.Linear):
            m.register_forward_hook(linear)
        elif type(m).__name__ == "WindowAttention":
            m.register_forward_hook(window)
        elif type(m).__name__ == "ChannelAttention":
            m.register_forward_hook(channel)
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    return total[0]


def counts(davit):
    for name, args in VARIANTS.items():
        n = [sum(p.numel() for p in davit.DaVit(num_classes=k, **args).parameters()) for k in (1000, 10)]
        print(f"{name}: {n[0]:,} parameters (1000 classes), {n[1]:,} (10 classes)")
    tiny = davit.DaVit(num_classes=1000, **VARIANTS["davit_tiny"]).eval()
    print(f"davit_tiny at 224: {macs(tiny, 224) / 1e9:.3f} GMACs")


def tiny(davit):
    torch.manual_seed(SEED)
    model = davit.DaVit(depths=(1, 1), embed_dims=(8, 16), num_heads=(2, 4), window_size=3, num_classes=3).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.2 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    for name, p in model.state_dict().items():
        save(f"tiny/state/{name}.npy", p, np.float32)
    # 16 px: 4x4 tokens after the stem, padded to two by two 3x3 windows; 2x2 after the downsampling, padded to one
    x = torch.randn(2, 3, 16, 16)
    save("tiny/input.npy", x, np.float32)
    model = model.double()
    with torch.no_grad():
        xd = x.double()
        stem = model.stem(xd)
        stage0 = model.stages[0](stem)
        logits = model(xd)
    save("tiny/stem.npy", stem, np.float64)
    save("tiny/stage0.npy", stage0, np.float64)
    save("tiny/logits.npy", logits, np.float64)
    save("tiny/softmax.npy", torch.softmax(logits, dim=1), np.float64)


def full(davit, out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED + 1)
    model = davit.DaVit(num_classes=1000, **VARIANTS["davit_tiny"]).eval()
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(out, "davit_tiny.safetensors"), sd, {"format": "pt"})
    x = torch.randn(2, 3, 224, 224)
    np.save(os.path.join(out, "davit_tiny_input.npy"), x.numpy())
    with torch.no_grad():
        logits = model.double()(x.double())
    np.save(os.path.join(out, "davit_tiny_logits.npy"), logits.numpy())
    print(f"wrote {out}/davit_tiny.*")


def verify_export(davit, path, folder):
    tensors, meta = read_safetensors(path)
    model = davit.DaVit(num_classes=1000, **VARIANTS["davit_tiny"]).eval()
    model.load_state_dict(tensors, strict=True)
    x = torch.from_numpy(np.load(os.path.join(folder, "davit_tiny_input.npy")))
    expected = np.load(os.path.join(folder, "davit_tiny_logits.npy"))
    with torch.no_grad():
        logits = model(x).numpy()
    diff = float(np.abs(logits - expected).max())
    print("%s: %d tensors, metadata %s; strict load_state_dict accepted it; max |logits - timm| = %.3g"
          % (path, len(tensors), meta, diff))
    return 0 if diff <= 1e-4 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timm-repo", default=os.environ.get("TIMM_REPO"),
                        help="a git checkout or bare clone of huggingface/pytorch-image-models holding TIMM_COMMIT")
    parser.add_argument("--full", metavar="DIR", help="write the full-size davit_tiny comparison files to DIR")
    parser.add_argument("--verify-export", nargs=2, metavar=("FILE", "DIR"),
                        help="check a davit_tiny safetensors file exported by visionzoo in timm's model")
    args = parser.parse_args()
    if not args.timm_repo:
        parser.error("--timm-repo PATH (or TIMM_REPO) is required: a clone of huggingface/pytorch-image-models")
    print("torch", torch.__version__, "timm", TIMM_COMMIT)
    with tempfile.TemporaryDirectory() as workdir:
        davit = load_davit(args.timm_repo, workdir)
        if args.full:
            full(davit, args.full)
            return
        if args.verify_export:
            sys.exit(verify_export(davit, *args.verify_export))
        counts(davit)
        tiny(davit)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
