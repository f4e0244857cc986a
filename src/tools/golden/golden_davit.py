#!/usr/bin/python3
"""Golden values for visionzoo's DaViT (io.github.visionzoo.zoo.models.DavitSpec), computed with timm's own davit.py.

The reference is timm's timm/models/davit.py at commit TIMM_COMMIT below, unchanged: the tool reads it from a git
checkout or bare clone of https://github.com/huggingface/pytorch-image-models (--timm-repo, default the TIMM_REPO
environment variable) with `git show TIMM_COMMIT:timm/models/davit.py`, and imports it in a temporary directory as
the module timm.models.davit. timm itself is not installed (Debian has no package of it): the few names davit.py
imports from timm.layers and timm.models._* are provided by the minimal stand-ins in STANDINS below, each the same
computation as timm's at that commit for what DaViT uses:

  LayerNorm2d            timm.layers.norm.LayerNorm2d: permute to NHWC, F.layer_norm over C, permute back
  Mlp                    timm.layers.mlp.Mlp without norm or dropout: fc1, GELU, fc2 (the same parameter names)
  NormMlpClassifierHead  timm.layers.classifier.NormMlpClassifierHead with hidden_size None: average pool
                         (keepdim), norm, flatten, dropout, fc (the same parameter names: head.norm, head.fc)
  use_fused_attn         False: WindowAttention then takes its explicit softmax(q k^T * scale) v path, which is what
                         F.scaled_dot_product_attention computes (torch 1.13 has no fused attention)
  DropPath, calculate_drop_path_rates   only drop_path_rate 0 (identity in eval mode) is supported
  get_norm_layer, to_2tuple, trunc_normal_ and the registry/builder/feature helpers, which the model class never
                         calls on this path

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
import importlib
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_weights import read_safetensors, write_safetensors  # noqa: E402

TIMM_COMMIT = "aa4b5850c1543fa488abf260f18390eda46cf85d"
SEED = 20261206
OUT = os.path.join("zoo", "src", "test", "resources", "golden", "davit")

STANDINS = {
    "timm/__init__.py": "",
    "timm/data/__init__.py": """
IMAGENET_DEFAULT_MEAN = (0.485, 0.456, 0.406)
IMAGENET_DEFAULT_STD = (0.229, 0.224, 0.225)
""",
    "timm/layers/__init__.py": """
import collections.abc
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.init import trunc_normal_


def to_2tuple(x):
    return tuple(x) if isinstance(x, collections.abc.Iterable) else (x, x)


def use_fused_attn():
    return False


class DropPath(nn.Module):
    def __init__(self, drop_prob=0.):
        super().__init__()
        assert drop_prob == 0., "the stand-in supports drop_path_rate 0 only"

    def forward(self, x):
        return x


def calculate_drop_path_rates(drop_path_rate, depths, stagewise=False):
    assert drop_path_rate == 0., "the stand-in supports drop_path_rate 0 only"
    return [[0.] * d for d in depths]


class LayerNorm2d(nn.LayerNorm):
    def __init__(self, num_channels, eps=1e-6, affine=True, **kwargs):
        super().__init__(num_channels, eps=eps, elementwise_affine=affine, **kwargs)

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


def get_norm_layer(name):
    return {"layernorm2d": LayerNorm2d, "layernorm": nn.LayerNorm}[name] if isinstance(name, str) else name


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features=None, out_features=None, act_layer=nn.GELU, device=None,
                 dtype=None):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features, device=device, dtype=dtype)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, out_features, device=device, dtype=dtype)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class NormMlpClassifierHead(nn.Module):
    def __init__(self, in_features, num_classes, pool_type='avg', drop_rate=0., norm_layer=LayerNorm2d,
                 device=None, dtype=None):
        super().__init__()
        assert pool_type == 'avg'
        self.norm = norm_layer(in_features, device=device, dtype=dtype)
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(in_features, num_classes, device=device, dtype=dtype)

    def forward(self, x, pre_logits=False):
        x = self.norm(x.mean((2, 3), keepdim=True)).flatten(1)
        x = self.drop(x)
        return x if pre_logits else self.fc(x)


class ClassifierHead(nn.Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("head_norm_first is not part of the reference")
""",
    "timm/models/__init__.py": "",
    "timm/models/_builder.py": "def build_model_with_cfg(*args, **kwargs):\n    raise NotImplementedError\n",
    "timm/models/_features.py": "def feature_take_indices(*args, **kwargs):\n    raise NotImplementedError\n",
    "timm/models/_features_fx.py": "def register_notrace_function(f):\n    return f\n",
    "timm/models/_manipulate.py": "def checkpoint(*a, **k):\n    raise NotImplementedError\n\n"
                                  "def checkpoint_seq(*a, **k):\n    raise NotImplementedError\n",
    "timm/models/_registry.py": "def generate_default_cfgs(cfgs):\n    return cfgs\n\n"
                                "def register_model(f):\n    return f\n",
}

VARIANTS = {
    "davit_tiny": dict(depths=(1, 1, 3, 1), embed_dims=(96, 192, 384, 768), num_heads=(3, 6, 12, 24)),
    "davit_small": dict(depths=(1, 1, 9, 1), embed_dims=(96, 192, 384, 768), num_heads=(3, 6, 12, 24)),
    "davit_base": dict(depths=(1, 1, 9, 1), embed_dims=(128, 256, 512, 1024), num_heads=(4, 8, 16, 32)),
}


def load_davit(timm_repo, workdir):
    """timm's davit.py at TIMM_COMMIT, imported with the stand-ins."""
    source = subprocess.run(["git", "-C", timm_repo, "show", TIMM_COMMIT + ":timm/models/davit.py"], check=True,
                            capture_output=True, text=True).stdout
    files = dict(STANDINS)
    files["timm/models/davit.py"] = source
    for path, text in files.items():
        full = os.path.join(workdir, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    sys.path.insert(0, workdir)
    return importlib.import_module("timm.models.davit")


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
