"""Writes ImageNet-1k's classes, in torchvision's output order, as the zoo's resource imagenet-1k.tsv: one line per
class, its WordNet id and torchvision's name, tab-separated.

The names are torchvision's (torchvision/models/_meta.py, _IMAGENET_CATEGORIES, as its weights' meta["categories"]).
torchvision lists no WordNet ids; the ids are timm's timm/data/_info/imagenet_synsets.txt, the sorted ids that fix the
class order of ImageNet's training folders, and so of every ImageNet-1k classifier. Give that file's path:

    /usr/bin/python3 src/tools/imagenet_classes.py PATH/TO/imagenet_synsets.txt

(from a timm checkout, e.g. `git -C pytorch-image-models show HEAD:timm/data/_info/imagenet_synsets.txt`). Run from
the repository root.
"""
import os
import sys

from torchvision.models._meta import _IMAGENET_CATEGORIES

OUT = os.path.join("zoo", "src", "main", "resources", "io", "github", "visionzoo", "zoo", "weights",
                   "imagenet-1k.tsv")


def main():
    with open(sys.argv[1]) as f:
        wnids = [line.strip() for line in f if line.strip()]
    assert len(wnids) == len(_IMAGENET_CATEGORIES) == 1000, (len(wnids), len(_IMAGENET_CATEGORIES))
    assert wnids == sorted(wnids), "the ids must be sorted, as ImageNet's class folders"
    assert all(w.startswith("n") and len(w) == 9 for w in wnids)
    assert not any("\t" in n or "\n" in n for n in _IMAGENET_CATEGORIES)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", newline="\n") as f:
        for wnid, name in zip(wnids, _IMAGENET_CATEGORIES):
            f.write(f"{wnid}\t{name}\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
