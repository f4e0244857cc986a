"""timm's DaViT without timm: davit.py at a pinned commit, read from a git clone, imported with minimal stand-ins.

Shared by src/tools/golden/golden_davit.py (goldens) and src/tools/bench/bench_pytorch.py (bench's PyTorch
reference). timm's timm/models/davit.py at commit TIMM_COMMIT below is used unchanged: load_davit reads it from a git
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
"""
import importlib
import os
import subprocess
import sys

TIMM_COMMIT = "aa4b5850c1543fa488abf260f18390eda46cf85d"

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
    shown = subprocess.run(["git", "-C", timm_repo, "show", TIMM_COMMIT + ":timm/models/davit.py"],
                           capture_output=True, text=True)
    if shown.returncode != 0:
        raise SystemExit("--timm-repo %s: git show %s:timm/models/davit.py failed (%s); give a clone of "
                         "https://github.com/huggingface/pytorch-image-models that holds that commit"
                         % (timm_repo, TIMM_COMMIT[:12], (shown.stderr.strip().splitlines() or ["no message"])[-1]))
    source = shown.stdout
    files = dict(STANDINS)
    files["timm/models/davit.py"] = source
    for path, text in files.items():
        full = os.path.join(workdir, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    sys.path.insert(0, workdir)
    return importlib.import_module("timm.models.davit")
