#!/usr/bin/python3
"""Golden values for visionzoo's training steps, computed with PyTorch: the training counterpart of the forward
goldens (golden_vit.py, golden_weights.py).

Writes zoo/src/test/resources/golden/train/ (about 200 kB), which io.github.visionzoo.zoo.train.TrainingGoldenTest
reads; the tests never run Python.

  cases.json        the training cases: for each, a visionzoo recipe (TrainingRecipe JSON), the optimizer steps per
                    epoch its schedule is built with, how many steps the case runs on the one batch, and the
                    models it runs on
  schedules.json    learning rates per iteration of PyTorch's schedulers for visionzoo's schedules: StepLR, and
                    LinearLR(start_factor=1/w, total_iters=w-1) then CosineAnnealingLR(T_max=total-w, eta_min) in a
                    SequentialLR (milestone w), with and without warm-up
  MODEL/init.npz    the initial state dict (float32; batch-norm running statistics moved away from 0 and 1)
  MODEL/batch.npz   input [4, 3, s, s] and labels [4] (class indices)
  MODEL/CASE.npz    after the case's steps on that batch, each tensor flattened and concatenated in the order of
                    init.npz (few entries keep the files small):
                      loss [steps]        the cross-entropy of each step (label smoothing included, no decay term)
                      lr [steps]          the learning rate each step used
                      grad                the first step's gradient of every parameter (the mean over the batch)
                      delta               final minus initial value of every parameter, computed in float64
                      running_mean, running_var   the final batch-norm running statistics

MODEL is resnet (torchvision's ResNet with basic blocks and three stages of widths 2-4-8, one block each, 5 classes,
16 px; visionzoo's ResNetSpec(BASIC, [1, 1, 1], 2, false, 16)) or vit (torchvision's VisionTransformer, 8 px images,
4 px patches, 2 blocks of width 8, 2 heads, MLP 16, 5 classes; VitSpec(4, 8, 2, 2, 16, 0, 0, 8)), or vit-long (the
same at 32 px: 65 tokens of width 32, 4 heads, MLP 64, a batch of 8; VitSpec(4, 32, 2, 4, 64, 0, 0, 32); the AdamW
cases only), the sequence length of the Fashion-MNIST parity run (parity_run.py).

The optimizers are PyTorch's, as a user writes them:
  adamw      torch.optim.AdamW(betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
  sgd        torch.optim.SGD(momentum=m, nesterov=n, weight_decay=wd), dampening 0
with weight decay on every parameter (weightDecayOn "all": the optimizer built on model.parameters()) or only on
convolution and linear kernels ("weights": timm's filter_bias_and_bn, biases, norms, the class token and the
position embedding in a group without decay), and nn.CrossEntropyLoss(label_smoothing=s). Every step runs in float64
from the float32 initial weights and batch; values are stored as float32 (deltas are differences taken in float64,
so rounding them to float32 keeps them exact to about 1e-7 of their size).

Run from the repository root with Debian's PyTorch (apt-get install python3-torch python3-torchvision):

    /usr/bin/python3 src/tools/golden/golden_train_step.py

The committed files were made with torch 1.13.0a0 and torchvision 0.14.1a0 (Debian 12). The script is deterministic
(fixed seeds) and rewrites the same files each time.
"""
import json
import math
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import BasicBlock
from torchvision.models.vision_transformer import VisionTransformer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_weights import NarrowResNet, randomize  # noqa: E402

OUT = os.path.join("zoo", "src", "test", "resources", "golden", "train")
CLASSES = 5
BATCH = 4


def recipe(name, optimizer, lr, wd, decay_on, smoothing, epochs=1, schedule=None, momentum=None, nesterov=None):
    r = {"name": name, "optimizer": optimizer, "learningRate": lr, "weightDecay": wd, "weightDecayOn": decay_on,
         "batchSize": BATCH, "epochs": epochs, "labelSmoothing": smoothing, "imageSize": 16, "augmentation": "eval",
         "seed": 42}
    if schedule:
        r["schedule"] = schedule
    if momentum is not None:
        r["momentum"] = momentum
    if nesterov is not None:
        r["nesterov"] = nesterov
    return r


# One step shows AdamW's step size, epsilon and bias correction and SGD's Nesterov term; heavy-ball momentum and
# the composition of running statistics need more than one, and the schedule case steps through warm-up into cosine.
CASES = [
    {"recipe": recipe("adamw", "adamw", 2e-3, 0.05, "all", 0.1), "stepsPerEpoch": 1, "steps": 1},
    {"recipe": recipe("adamw-weights", "adamw", 2e-3, 0.05, "weights", 0.0), "stepsPerEpoch": 1, "steps": 1},
    {"recipe": recipe("adamw-warmup-cosine", "adamw", 2e-3, 0.05, "weights", 0.1, epochs=3,
                      schedule={"type": "cosine", "warmupEpochs": 1, "minLearningRate": 1e-4}),
     "stepsPerEpoch": 2, "steps": 4},
    {"recipe": recipe("sgd", "sgd", 0.1, 1e-4, "all", 0.0), "stepsPerEpoch": 1, "steps": 1},
    {"recipe": recipe("sgd-momentum", "sgd", 0.1, 5e-4, "weights", 0.1, momentum=0.9), "stepsPerEpoch": 3,
     "steps": 3},
    {"recipe": recipe("sgd-nesterov", "sgd", 0.05, 1e-4, "all", 0.0, momentum=0.9, nesterov=True),
     "stepsPerEpoch": 3, "steps": 3},
]

SCHEDULES = [
    {"recipe": recipe("warmup-cosine", "adamw", 0.01, 0.0, "all", 0.0, epochs=4,
                      schedule={"type": "cosine", "warmupEpochs": 1, "minLearningRate": 1e-3}), "stepsPerEpoch": 3},
    {"recipe": recipe("cosine", "adamw", 0.01, 0.0, "all", 0.0, epochs=5, schedule={"type": "cosine"}),
     "stepsPerEpoch": 1},
    {"recipe": recipe("step", "sgd", 0.1, 0.0, "all", 0.0, epochs=3,
                      schedule={"type": "step", "factor": 0.1, "stepIterations": 3}), "stepsPerEpoch": 4},
]


def java_round(x):
    return int(math.floor(x + 0.5))


def scheduler(opt, r, steps_per_epoch):
    """PyTorch's schedulers for a visionzoo schedule, stepped once per optimizer step."""
    s = r.get("schedule", {"type": "constant"})
    total = r["epochs"] * steps_per_epoch
    if s["type"] == "constant":
        return None
    if s["type"] == "step":
        every = s.get("stepIterations") or max(1, java_round(s["stepEpochs"] * steps_per_epoch))
        return torch.optim.lr_scheduler.StepLR(opt, step_size=every, gamma=s["factor"])
    warmup = min(total - 1, java_round(s.get("warmupEpochs", 0.0) * steps_per_epoch))
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup,
                                                        eta_min=s.get("minLearningRate", 0.0))
    if warmup == 0:
        return cosine
    assert warmup >= 2, "LinearLR needs total_iters = warmup - 1 >= 1"
    linear = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0 / warmup, end_factor=1.0,
                                               total_iters=warmup - 1)
    return torch.optim.lr_scheduler.SequentialLR(opt, [linear, cosine], milestones=[warmup])


def no_decay(name, p):
    """timm's filter_bias_and_bn (param_groups_weight_decay): 1-d tensors, biases and the embeddings' tokens."""
    return p.ndim <= 1 or name.endswith(".bias") or name in ("class_token", "encoder.pos_embedding")


def optimizer(named, r):
    wd = r.get("weightDecay", 0.0)
    if r["weightDecayOn"] == "all":
        groups = [{"params": [p for _, p in named], "weight_decay": wd}]
    else:
        groups = [{"params": [p for n, p in named if not no_decay(n, p)], "weight_decay": wd},
                  {"params": [p for n, p in named if no_decay(n, p)], "weight_decay": 0.0}]
    if r["optimizer"] == "adamw":
        return torch.optim.AdamW(groups, lr=r["learningRate"], betas=(0.9, 0.999), eps=1e-8)
    return torch.optim.SGD(groups, lr=r["learningRate"], momentum=r.get("momentum", 0.0),
                           nesterov=r.get("nesterov", False))


def learning_rates(entry):
    r = entry["recipe"]
    p = nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = optimizer([("p", p)], r)
    sched = scheduler(opt, r, entry["stepsPerEpoch"])
    lrs = []
    for _ in range(r["epochs"] * entry["stepsPerEpoch"]):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
    return lrs


def resnet():
    torch.manual_seed(301)
    model = NarrowResNet(BasicBlock, [1, 1, 1, 1], 2, CLASSES)
    model.layer4 = nn.Identity()  # three stages: the last at 1x1 pixels, where n - 1 = 3 for the unbiased variance
    model.fc = nn.Linear(2 * 4, CLASSES)
    return randomize(model, 16, torch.Generator().manual_seed(302)), 16


def vit():
    torch.manual_seed(401)
    model = VisionTransformer(image_size=8, patch_size=4, num_layers=2, num_heads=2, hidden_dim=8, mlp_dim=16,
                              num_classes=CLASSES)
    gen = torch.Generator().manual_seed(402)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(("ln_1.weight", "ln_2.weight")) or name == "encoder.ln.weight":
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias") or name in ("class_token", "encoder.pos_embedding"):
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            elif name == "heads.head.weight":  # torchvision starts the head at zero
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))
    return model, 8


def vit_long():
    """A ViT at the sequence length and width of the Fashion-MNIST parity run (65 tokens: 64 patches of 4 px at
    32 px and the class token), where the attention and the linear layers take other kernel paths than at 5 tokens."""
    torch.manual_seed(403)
    model = VisionTransformer(image_size=32, patch_size=4, num_layers=2, num_heads=4, hidden_dim=32, mlp_dim=64,
                              num_classes=CLASSES)
    gen = torch.Generator().manual_seed(404)
    with torch.no_grad():
        model.heads.head.weight.copy_(0.3 * torch.randn(model.heads.head.weight.shape, generator=gen))
    return model, 32


MODELS = {"resnet": resnet, "vit": vit, "vit-long": vit_long}
# the batch of each model, and the cases it runs (the long-sequence ViT only the AdamW ones, to keep its files small)
BATCHES = {"resnet": BATCH, "vit": BATCH, "vit-long": 8}
for case in CASES:
    case["models"] = ["resnet", "vit"] + (["vit-long"] if case["recipe"]["name"] in ("adamw", "adamw-warmup-cosine")
                                          else [])


def save_npz(path, arrays):
    np.savez_compressed(path, **{k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()})


def run_case(make, init, x, y, entry):
    r = entry["recipe"]
    model, _ = make()
    model.load_state_dict(init)
    model = model.double().train()
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = optimizer(list(model.named_parameters()), r)
    sched = scheduler(opt, r, entry["stepsPerEpoch"])
    out = {"loss": [], "lr": []}
    params = [(n, p) for n, p in model.named_parameters()]
    for step in range(entry["steps"]):
        opt.zero_grad()
        loss = F.cross_entropy(model(x.double()), y, label_smoothing=r["labelSmoothing"])
        loss.backward()
        if step == 0:
            out["grad"] = flat(p.grad for _, p in params)
        out["loss"].append(loss.item())
        out["lr"].append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
    out["delta"] = flat(p.detach() - start[n] for n, p in params)
    buffers = dict(model.named_buffers())
    for stat in ("running_mean", "running_var"):
        out[stat] = flat(b for n, b in buffers.items() if n.endswith(stat))
    return out


def flat(tensors):
    parts = [t.reshape(-1) for t in tensors]
    return torch.cat(parts).numpy() if parts else np.zeros(0)


def main():
    torch.set_num_threads(2)
    # SequentialLR in torch 1.13 steps its second scheduler with an epoch argument and warns about its own call
    warnings.filterwarnings("ignore", message="The epoch parameter in `scheduler.step()`")
    print("torch", torch.__version__, "torchvision", torchvision.__version__)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(CASES, f, indent=1)
        f.write("\n")
    schedules = [dict(entry, lr=learning_rates(entry)) for entry in SCHEDULES]
    with open(os.path.join(OUT, "schedules.json"), "w") as f:
        json.dump(schedules, f, indent=1)
        f.write("\n")
    for name, make in MODELS.items():
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        model, size = make()
        init = {k: v for k, v in model.state_dict().items() if v.is_floating_point()}
        # the flattened arrays follow init.npz's order
        assert [k for k in init if k in dict(model.named_parameters())] == [n for n, _ in model.named_parameters()]
        save_npz(os.path.join(folder, "init.npz"), {k: v.numpy() for k, v in init.items()})
        gen = torch.Generator().manual_seed(500 + size)
        x = torch.randn(BATCHES[name], 3, size, size, generator=gen)
        y = torch.randint(0, CLASSES, (BATCHES[name],), generator=gen)
        save_npz(os.path.join(folder, "batch.npz"), {"input": x.numpy(), "labels": y.numpy()})
        for entry in (c for c in CASES if name in c["models"]):
            out = run_case(make, init, x, y, entry)
            save_npz(os.path.join(folder, entry["recipe"]["name"] + ".npz"), out)
            print("%-6s %-20s loss %s, lr %s" % (name, entry["recipe"]["name"],
                                                 ["%.6f" % v for v in out["loss"]], out["lr"]))
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
