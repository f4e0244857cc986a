#!/usr/bin/python3
"""Golden values for visionzoo's Vision Transformer tests, computed with PyTorch.

Writes small .npy files under zoo/src/test/resources/golden/vit/ (about 60 kB in all), which the Java tests read
(io.github.visionzoo.zoo.layers.VitGoldenTest); the tests never run Python.

  mha/      nn.MultiheadAttention(16, 2, batch_first=True), eval mode, random weights and biases:
            input.npy [2, 5, 16], in_proj_weight.npy [48, 16], in_proj_bias.npy [48],
            out_proj.weight.npy [16, 16], out_proj.bias.npy [16], output.npy [2, 5, 16]
  tiny/     torchvision VisionTransformer(image_size=8, patch_size=4, num_layers=2, num_heads=2, hidden_dim=16,
            mlp_dim=32, num_classes=3), eval mode, every parameter random:
            state/<state-dict key>.npy (one file per tensor), input.npy [2, 3, 8, 8], embedding.npy [2, 5, 16]
            (tokens after the position embedding), block0.npy [2, 5, 16] (after encoder_layer_0),
            logits.npy [2, 3] (pre-softmax), softmax.npy [2, 3]
  resize/   F.interpolate(mode="bilinear", align_corners=False) of a 3x3 grid of position embeddings, class row kept:
            pos_3.npy [1, 10, 4], pos_3_to_5.npy [1, 26, 4], pos_3_to_2.npy [1, 5, 4]

Weights and inputs are stored as float32 (the models' type); reference outputs are computed in float64 from those
same float32 numbers, so a Java float32 run is compared against exact values.

Run from the repository root with Debian's PyTorch 1.13 / torchvision 0.14 (apt-get install python3-torchvision):

    /usr/bin/python3 src/tools/golden/golden_vit.py

It is deterministic (fixed seed) and rewrites the same files each time.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.models.vision_transformer import VisionTransformer

SEED = 20240601
OUT = os.path.join("zoo", "src", "test", "resources", "golden", "vit")


def save(path, tensor, dtype):
    full = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    np.save(full, tensor.detach().cpu().numpy().astype(dtype))


def attention():
    torch.manual_seed(SEED)
    mha = torch.nn.MultiheadAttention(16, 2, batch_first=True).eval()
    with torch.no_grad():
        mha.in_proj_bias.normal_(0, 0.2)
        mha.out_proj.bias.normal_(0, 0.2)
    x = torch.randn(2, 5, 16)
    for name, p in mha.state_dict().items():
        save(f"mha/{name}.npy", p, np.float32)
    save("mha/input.npy", x, np.float32)
    with torch.no_grad():
        y, _ = mha.double()(x.double(), x.double(), x.double(), need_weights=False)
    save("mha/output.npy", y, np.float64)


def tiny_vit():
    torch.manual_seed(SEED + 1)
    model = VisionTransformer(image_size=8, patch_size=4, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32,
                              num_classes=3).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "encoder.ln.weight":
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias") or name in ("class_token", "encoder.pos_embedding"):
                p.copy_(0.2 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    state = model.state_dict()
    for name, p in state.items():
        save(f"tiny/state/{name}.npy", p, np.float32)
    x = torch.randn(2, 3, 8, 8)
    save("tiny/input.npy", x, np.float32)
    model = model.double()
    with torch.no_grad():
        xd = x.double()
        tokens = model._process_input(xd)
        tokens = torch.cat([model.class_token.expand(2, -1, -1), tokens], dim=1) + model.encoder.pos_embedding
        save("tiny/embedding.npy", tokens, np.float64)
        save("tiny/block0.npy", model.encoder.layers.encoder_layer_0(tokens), np.float64)
        logits = model(xd)
    save("tiny/logits.npy", logits, np.float64)
    save("tiny/softmax.npy", torch.softmax(logits, dim=1), np.float64)


def resize():
    torch.manual_seed(SEED + 2)
    pos = torch.randn(1, 10, 4)
    save("resize/pos_3.npy", pos, np.float32)
    pos = pos.double()
    grid = pos[:, 1:].reshape(1, 3, 3, 4).permute(0, 3, 1, 2)
    for n in (5, 2):
        g = F.interpolate(grid, size=(n, n), mode="bilinear", align_corners=False)
        g = g.permute(0, 2, 3, 1).reshape(1, n * n, 4)
        save(f"resize/pos_3_to_{n}.npy", torch.cat([pos[:, :1], g], dim=1), np.float64)


if __name__ == "__main__":
    print("torch", torch.__version__, "torchvision", torchvision.__version__)
    attention()
    tiny_vit()
    resize()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total} bytes)")
