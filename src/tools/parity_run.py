#!/usr/bin/python3
"""Parity run on real data: one recipe trained in PyTorch and in visionzoo on Fashion-MNIST, over several seeds.

For each model (a ResNet-18 and a small ViT) and seed, trains the same recipe twice, from scratch:
  PyTorch     torch 1.13 / torchvision 0.14 as a user writes it: torchvision's resnet18 or VisionTransformer,
              ImageFolder (images read as RGB) with RandomResizedCrop(S) + RandomHorizontalFlip() + ImageNet
              normalization for training and Resize(floor(S / 0.875)) + CenterCrop(S) for validation (visionzoo's
              "study" and "eval" presets), DataLoader(shuffle=True, num_workers=0), torch.optim.AdamW over
              model.parameters(), LinearLR warm-up then CosineAnnealingLR in a SequentialLR stepped per iteration,
              CrossEntropyLoss(label_smoothing); the optimizer and schedule come from golden/golden_train_step.py, which the
              training goldens check against visionzoo step by step
  visionzoo   the command line, `java -jar JAR train --data DIR --recipe FILE --model SPEC`, with the same recipe
              file; its per-epoch validation top-1 is read from the run directory's metrics.jsonl
and prints, per model and epoch, each side's validation top-1 per seed, their mean and standard deviation, the gap
(visionzoo's mean minus PyTorch's), and each side's mean training loss. Both sides run in one process on --threads threads (OMP_NUM_THREADS for
ND4J, torch.set_num_threads for PyTorch; visionzoo's image loader uses the machine's cores, PyTorch loads in the
training thread) with the same batch size, epochs, image size and seeds; a seed seeds the model's initialization,
the shuffling and the augmentation of its side (the two sides draw different random numbers from it).

The data is Fashion-MNIST from Debian's dataset-fashion-mnist package, written by fashion_mnist_folder.py as an
image folder (a subset per class, drawn with a fixed seed; val is drawn from the official test split) into
--work (default runs/parity). Each finished run is kept in --work/results/ with what it depends on (the recipe, the
model, the data, and for visionzoo a digest of its classes), so a second invocation trains only what changed: after a
visionzoo fix and a new jar, only the visionzoo side runs again.

Needs: apt-get install python3-torch python3-torchvision dataset-fashion-mnist libopenblas0 (without libopenblas0
Debian's torch uses the reference BLAS and the ViT trains several times slower); the jar from
`mvn -B -q -DskipTests package`. Run from the repository root:

    nice -n 10 /usr/bin/python3 src/tools/parity_run.py

Options: --models resnet,vit --seeds 1,2,3 --epochs 5 --train-per-class 1000 --val-per-class 200 --threads 2
--frameworks pytorch,visionzoo --jar examples/target/visionzoo-examples.jar --work runs/parity.
"""
import argparse
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
import warnings
import zipfile

# libgomp's idle threads spin by default, which starves OpenBLAS's threads on 2 cores (the small ViT trained 10x
# slower); visionzoo sets the same for ND4J (CpuThreads). Read once, when torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchvision  # noqa: E402
import torchvision.transforms as T  # noqa: E402
from torchvision.models.vision_transformer import VisionTransformer  # noqa: E402

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [TOOLS, os.path.join(TOOLS, "golden")]
import fashion_mnist_folder  # noqa: E402
from golden_train_step import optimizer, scheduler  # noqa: E402

# SequentialLR passes an epoch to its schedulers' step() and so warns on every step (torch 1.13)
warnings.filterwarnings("ignore", message="The epoch parameter")

IMAGE_SIZE = 32
# ImageNet's statistics, which visionzoo's presets normalize with
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

# visionzoo's model (a registered name or a spec) and the same architecture in torchvision
VIT = {"patchSize": 4, "hiddenDim": 64, "numLayers": 6, "numHeads": 4, "mlpDim": 256}
MODELS = {
    "resnet": {"visionzoo": "resnet18",
               "torch": lambda classes: torchvision.models.resnet18(num_classes=classes)},
    "vit": {"visionzoo": dict({"family": "vit", "dropout": 0.0, "attentionDropout": 0.0, "imageSize": IMAGE_SIZE},
                              **VIT),
            "torch": lambda classes: VisionTransformer(
                image_size=IMAGE_SIZE, patch_size=VIT["patchSize"], num_layers=VIT["numLayers"],
                num_heads=VIT["numHeads"], hidden_dim=VIT["hiddenDim"], mlp_dim=VIT["mlpDim"], num_classes=classes)},
}


def recipe(seed, epochs):
    """The recipe both sides train with: the default CPU recipe's optimizer and schedule at 32 px, with weight decay
    on every parameter as torch.optim.AdamW(model.parameters()) applies it."""
    return {"name": f"parity-seed{seed}",
            "description": "Fashion-MNIST parity run: AdamW 1e-3, one warm-up epoch then cosine, weight decay 0.05"
                           " on every parameter, label smoothing 0.1, batch 64, 32 px, torchvision's augmentation.",
            "optimizer": "adamw", "learningRate": 1e-3, "weightDecay": 0.05, "weightDecayOn": "all",
            "batchSize": 64, "epochs": epochs, "schedule": {"type": "cosine", "warmupEpochs": 1},
            "labelSmoothing": 0.1, "imageSize": IMAGE_SIZE, "augmentation": "study", "seed": seed}


def digest(*parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def code_version(jar):
    """A digest of visionzoo's classes and resources: the jar's and those of the project's own jars beside it (its
    dependencies are fixed by the build), by entry name and CRC, so that rebuilding the same code keeps it."""
    lib = os.path.join(os.path.dirname(jar), "lib")
    jars = [jar] + sorted(os.path.join(lib, f) for f in os.listdir(lib)
                          if f.startswith(("visionzoo", "datavec-imagenette")))
    entries = []
    for j in jars:
        with zipfile.ZipFile(j) as z:
            entries += sorted((os.path.basename(j), i.filename, i.CRC) for i in z.infolist())
    return digest(entries)


def train_pytorch(model_name, r, data, threads):
    """Per-epoch (validation top-1 in percent, mean training loss), as a PyTorch user trains the recipe."""
    torch.set_num_threads(threads)
    torch.manual_seed(r["seed"])
    size = r["imageSize"]
    train_set = torchvision.datasets.ImageFolder(os.path.join(data, "train"), T.Compose([
        T.RandomResizedCrop(size), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)]))
    val_set = torchvision.datasets.ImageFolder(os.path.join(data, "val"), T.Compose([
        T.Resize(int(size / 0.875)), T.CenterCrop(size), T.ToTensor(), T.Normalize(MEAN, STD)]))
    train = torch.utils.data.DataLoader(train_set, batch_size=r["batchSize"], shuffle=True, num_workers=0)
    val = torch.utils.data.DataLoader(val_set, batch_size=r["batchSize"], num_workers=0)
    model = MODELS[model_name]["torch"](len(train_set.classes))
    opt = optimizer(list(model.named_parameters()), r)
    sched = scheduler(opt, r, len(train))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=r["labelSmoothing"])
    top1, losses = [], []
    for _ in range(r["epochs"]):
        model.train()
        total, n = 0.0, 0
        for x, y in train:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(y)
            n += len(y)
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val:
                correct += (model(x).argmax(1) == y).sum().item()
        top1.append(100.0 * correct / len(val_set))
        losses.append(total / n)
    return top1, losses


def train_visionzoo(model_name, r, data, threads, jar, run_dir):
    """Per-epoch (validation top-1 in percent, training loss) of `train` on the command line."""
    os.makedirs(run_dir)
    recipe_file = os.path.join(run_dir, "recipe.json")
    with open(recipe_file, "w") as f:
        json.dump(r, f, indent=1)
    model = MODELS[model_name]["visionzoo"]
    if isinstance(model, dict):
        spec_file = os.path.join(run_dir, "model.json")
        with open(spec_file, "w") as f:
            json.dump(model, f, indent=1)
        model = spec_file
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    log = os.path.join(run_dir, "train.log")
    with open(log, "w") as out:
        code = subprocess.call(["java", "-jar", jar, "train", "--data", data, "--recipe", recipe_file, "--model",
                                model, "--run-dir", os.path.join(run_dir, "run"), "--checkpoint-every", "0"],
                               stdout=out, stderr=subprocess.STDOUT, env=env)
    if code != 0:
        raise SystemExit(f"parity_run: visionzoo's train exited with {code}; see {log}")
    epochs = []
    with open(os.path.join(run_dir, "run", "metrics.jsonl")) as f:
        for line in f:
            if line.strip():
                m = json.loads(line)
                if m["type"] == "epoch":
                    epochs.append(m)
    return [100.0 * m["valTop1"] for m in epochs], [m["trainLoss"] for m in epochs]


def run(framework, model_name, seed, a, data, data_options, code):
    """One training run, or its kept result when nothing it depends on changed."""
    r = recipe(seed, a.epochs)
    version = code if framework == "visionzoo" else torch.__version__ + "/" + torchvision.__version__
    key = digest(framework, MODELS[model_name]["visionzoo"], r, data_options, a.threads, version)
    name = f"{framework}-{model_name}-seed{seed}"
    result_file = os.path.join(a.work, "results", name + ".json")
    if os.path.exists(result_file):
        with open(result_file) as f:
            kept = json.load(f)
        if kept["key"] == key:
            return kept
    print(f"training {name} ...", flush=True)
    start = time.time()
    if framework == "pytorch":
        top1, losses = train_pytorch(model_name, r, data, a.threads)
    else:
        run_dir = os.path.join(a.work, "visionzoo", f"{name}-{key}")
        if os.path.exists(run_dir):
            subprocess.check_call(["rm", "-rf", run_dir])
        top1, losses = train_visionzoo(model_name, r, data, a.threads, a.jar, run_dir)
    result = {"key": key, "framework": framework, "model": model_name, "seed": seed, "top1": top1,
              "trainLoss": losses, "seconds": round(time.time() - start)}
    os.makedirs(os.path.dirname(result_file), exist_ok=True)
    with open(result_file + ".partial", "w") as f:
        json.dump(result, f, indent=1)
    os.replace(result_file + ".partial", result_file)
    print(f"  {name}: top-1 {', '.join(f'{t:.2f}' for t in top1)} ({result['seconds']} s)", flush=True)
    return result


def mean_sd(values):
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


# Student's t at 0.975 for 1-30 degrees of freedom (beyond that, 1.96 is within 2 %)
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def gap_interval(a, b):
    """visionzoo's mean minus PyTorch's and the half-width of its 95 % confidence interval (Welch's t: the two sides
    draw independent seeds, so the runs pair with nothing), or None with fewer than two runs a side."""
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    if va + vb == 0:
        return statistics.mean(b) - statistics.mean(a), 0.0
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    t = T975[min(int(df), len(T975)) - 1] if df >= 1 else T975[0]
    return statistics.mean(b) - statistics.mean(a), t * (va + vb) ** 0.5


def verdict(a, b, margin):
    """Whether the gap of the means of b and a is shown within +-margin, shown beyond it, or neither yet; then, with
    today's gap and spreads, about how many runs a side would show it within (none where the gap itself is beyond)."""
    gap, half = gap_interval(a, b)
    if abs(gap) + half <= margin:
        return "within"
    if abs(gap) - half > margin:
        return "beyond"
    if abs(gap) >= margin:
        return "open"
    spread = statistics.variance(a) + statistics.variance(b)
    return f"open (~{math.ceil(1.96 ** 2 * spread / (margin - abs(gap)) ** 2)} seeds)"


def table(model_name, results, seeds, epochs):
    """Markdown: per epoch, each side's top-1 per seed, mean and standard deviation, the gap of the means with its
    95 % confidence interval and whether that shows it within 1 point, and the same for the mean training loss (over
    the epoch's batches: far less noisy than one evaluation; its margin is 0.01)."""
    lines = [f"{model_name}: validation top-1 (%), seeds {', '.join(map(str, seeds))}", "",
             "| epoch | PyTorch, per seed | PyTorch mean (sd) | visionzoo, per seed | visionzoo mean (sd) |"
             " gap, 95 % CI | within 1 point? | train loss PyTorch, visionzoo | loss gap, 95 % CI |",
             "|---:|---|---:|---|---:|---:|---|---:|---:|"]
    for e in range(epochs):
        cells, top1, loss = [], {}, {}
        for framework in ("pytorch", "visionzoo"):
            runs = [results[(framework, model_name, s)] for s in seeds if (framework, model_name, s) in results]
            top1[framework] = [r["top1"][e] for r in runs]
            loss[framework] = [r["trainLoss"][e] for r in runs]
            if runs:
                m, sd = mean_sd(top1[framework])
                cells += [" ".join(f"{t:.1f}" for t in top1[framework]), f"{m:.2f} ({sd:.2f})"]
            else:
                cells += ["", ""]
        t = gap_interval(top1["pytorch"], top1["visionzoo"])
        l = gap_interval(loss["pytorch"], loss["visionzoo"])
        cells += [f"{t[0]:+.2f} +- {t[1]:.2f}" if t else "", verdict(top1["pytorch"], top1["visionzoo"], 1.0) if t else "",
                  ", ".join(f"{statistics.mean(v):.3f}" for v in loss.values() if v),
                  f"{l[0]:+.4f} +- {l[1]:.4f}" if l else ""]
        lines.append(f"| {e + 1} | " + " | ".join(cells) + " |")
    lines += ["", "within: the 95 % interval of the gap lies inside +-1 point; beyond: outside it; open: neither, "
                  "with about how many seeds a side would show it within at today's gap and spread."]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="resnet,vit")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--train-per-class", type=int, default=1000)
    p.add_argument("--val-per-class", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--frameworks", default="pytorch,visionzoo")
    p.add_argument("--jar", default=os.path.join("examples", "target", "visionzoo-examples.jar"))
    p.add_argument("--work", default=os.path.join("runs", "parity"))
    a = p.parse_args()
    models = a.models.split(",")
    seeds = [int(s) for s in a.seeds.split(",")]
    frameworks = a.frameworks.split(",")
    for m in models:
        if m not in MODELS:
            p.error(f"--models: unknown model {m}; known: {', '.join(MODELS)}")
    for f in frameworks:
        if f not in ("pytorch", "visionzoo"):
            p.error(f"--frameworks: unknown framework {f}; give pytorch, visionzoo or both")
    code = None
    if "visionzoo" in frameworks:
        if not os.path.isfile(a.jar):
            p.error(f"--jar {a.jar} is missing; build it with mvn -B -q -DskipTests package")
        code = code_version(a.jar)
    data_options = {"trainPerClass": a.train_per_class, "valPerClass": a.val_per_class, "seed": 0}
    data = os.path.abspath(os.path.join(a.work, f"fashion-mnist-{a.train_per_class}-{a.val_per_class}"))
    fashion_mnist_folder.write(data, train_per_class=a.train_per_class, val_per_class=a.val_per_class, seed=0)

    results = {}
    for m in models:
        for s in seeds:
            for f in frameworks:
                results[(f, m, s)] = run(f, m, s, a, data, data_options, code)
    print(f"\nFashion-MNIST, {a.train_per_class} train and {a.val_per_class} val images per class, {IMAGE_SIZE} px,"
          f" {a.epochs} epochs, batch {recipe(0, a.epochs)['batchSize']}, {a.threads} threads")
    for m in models:
        print()
        print(table(m, results, seeds, a.epochs))


if __name__ == "__main__":
    main()
