#!/usr/bin/python3
"""Golden values for visionzoo's Swin Transformer tests, computed with torchvision's swin_transformer.py.

Writes small .npy files under zoo/src/test/resources/golden/swin/ (about 60 kB in all), which the Java tests read
(io.github.visionzoo.zoo.layers.SwinGoldenTest); the tests never run Python.

  tiny/     torchvision SwinTransformer(patch_size=[2, 2], embed_dim=8, depths=[2, 2], num_heads=[2, 4],
            window_size=[3, 3], stochastic_depth_prob=0.1, num_classes=3) at 14 px, eval mode, every parameter
            random: a 7x7 map padded to 9x9 for its 3x3 windows, a shifted block, a patch merging of an odd map
            (7x7 to 4x4), and a 4x4 stage padded to 6x6 with its shifted block.
            state/<state-dict key>.npy (one file per tensor, the relative_position_index buffers included),
            input.npy [2, 3, 14, 14], embedding.npy [2, 49, 8] (features.0), block1.npy [2, 49, 8] (features.1.1,
            the shifted block), merged.npy [2, 16, 16] (features.2), stage2.npy [2, 16, 16] (features.3),
            logits.npy [2, 3] (pre-softmax), softmax.npy [2, 3]. Feature maps [b, h, w, C] are stored as the
            tokens [b, h*w, C], visionzoo's layout.

Weights and inputs are stored as float32 (the models' type); reference outputs are computed in float64 from those
same float32 numbers, so a Java float32 run is compared against exact values.

With --full DIR it writes instead a full-size swin_t with random weights for the comparison program (not in CI):
DIR/swin_t.pth, DIR/swin_t_input.npy [1, 3, 224, 224] and DIR/swin_t_logits.npy [1, 1000], which
io.github.visionzoo.examples.bench.CompareFull reads.

Run from the repository root with Debian's PyTorch 1.13 / torchvision 0.14 (apt-get install python3-torchvision):

    /usr/bin/python3 src/tools/golden/golden_swin.py [--full DIR]

It is deterministic (fixed seed) and rewrites the same files each time.
"""
import argparse
import os

import numpy as np
import torch
import torchvision
from torchvision.models.swin_transformer import SwinTransformer

SEED = 20261206
OUT = os.path.join("zoo", "src", "test", "resources", "golden", "swin")


def save(path, tensor, dtype):
    full = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    np.save(full, tensor.detach().cpu().numpy().astype(dtype))


def randomize(model, weight_scale):
    """Layer norms near 1, biases and bias tables random, other weights random with std weight_scale (or their
    torchvision init where weight_scale is None), so that every parameter shows in the output."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".norm" in name or name.startswith("norm.") or name.startswith("features.0.2."):
                p.copy_((1 if name.endswith("weight") else 0) + 0.2 * torch.randn_like(p))
            elif name.endswith("bias") or name.endswith("relative_position_bias_table"):
                p.copy_(0.2 * torch.randn_like(p))
            elif weight_scale is not None:
                p.copy_(weight_scale * torch.randn_like(p))
    return model.eval()


def tokens(x):
    """[b, h, w, C] -> [b, h*w, C]."""
    return x.reshape(x.shape[0], -1, x.shape[-1])


def tiny():
    torch.manual_seed(SEED)
    model = SwinTransformer(patch_size=[2, 2], embed_dim=8, depths=[2, 2], num_heads=[2, 4], window_size=[3, 3],
                            stochastic_depth_prob=0.1, num_classes=3)
    randomize(model, 0.3)
    for name, p in model.state_dict().items():
        save(f"tiny/state/{name}.npy", p, np.int64 if name.endswith("relative_position_index") else np.float32)
    x = torch.randn(2, 3, 14, 14)
    save("tiny/input.npy", x, np.float32)
    model = model.double()
    with torch.no_grad():
        f = model.features
        e = f[0](x.double())
        b0 = f[1][0](e)
        b1 = f[1][1](b0)
        merged = f[2](b1)
        stage2 = f[3](merged)
        logits = model(x.double())
    save("tiny/embedding.npy", tokens(e), np.float64)
    save("tiny/block1.npy", tokens(b1), np.float64)
    save("tiny/merged.npy", tokens(merged), np.float64)
    save("tiny/stage2.npy", tokens(stage2), np.float64)
    save("tiny/logits.npy", logits, np.float64)
    save("tiny/softmax.npy", torch.softmax(logits, dim=1), np.float64)


def full(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED + 1)
    model = randomize(torchvision.models.swin_t(weights=None), None)
    torch.save(model.state_dict(), os.path.join(out, "swin_t.pth"))
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(SEED + 2))
    np.save(os.path.join(out, "swin_t_input.npy"), x.numpy())
    with torch.no_grad():
        logits = model(x)
    np.save(os.path.join(out, "swin_t_logits.npy"), logits.numpy())
    print("swin_t logits in [%.4f, %.4f]" % (logits.min(), logits.max()))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--full", metavar="DIR", help="export a full-size swin_t with random weights to DIR instead")
    args = p.parse_args()
    torch.set_num_threads(2)
    print("torch", torch.__version__, "torchvision", torchvision.__version__)
    if args.full:
        full(args.full)
        return
    tiny()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
