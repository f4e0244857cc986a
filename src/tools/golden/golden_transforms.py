#!/usr/bin/python3
"""Golden values for visionzoo's data pipeline (datavec-imagenette's ImageDecoder and transforms), computed with
Pillow and torchvision: the data counterpart of the training-step goldens (golden_train_step.py).

Writes datavec-imagenette/src/test/resources/golden/transforms/ (about 380 kB), which
io.github.visionzoo.imagenette.transform.TorchvisionGoldenTest reads; the tests never run Python.

  IMAGE.jpg / IMAGE.png   small photo-like test images (smooth colour gradients, a few sharp-edged shapes, sensor-like
                          noise) of several sizes, odd sizes, landscape and portrait: RGB JPEGs (4:2:0 baseline and
                          4:4:4 progressive), a grayscale JPEG, a CMYK JPEG (Adobe polarity, as Pillow writes and
                          reads them), an Adobe YCCK JPEG (as Photoshop writes CMYK), an RGBA PNG and a palette PNG
  IMAGE.npz               what Pillow and torchvision make of IMAGE, all [3, H, W] (channel, row, column):
                            decoded          uint8, Pillow's Image.open(f).convert("RGB"), torchvision's loader
                            pil_CASE         uint8, the case's transform on that PIL image (torchvision on PIL images,
                                             as ImageFolder training does: Pillow's 8-bit antialiased bilinear)
                            pil_CASE_norm    float32, ToTensor then Normalize(ImageNet mean, std) of pil_CASE, for
                                             crop0 and eval
                            tensor_CASE      float32, the case on to_tensor(decoded) with antialias=True (torch's
                                             float antialiased bilinear, no 8-bit rounding), for the cases that
                                             resample
  index.json              for each image its file, Pillow mode, size, and its cases: resize of the shorter side,
                          resize to an exact size, resized_crop of fixed boxes (RandomResizedCrop's output given its
                          box), that crop flipped, centre crops (one larger than the image on some sides, padded),
                          and the full evaluation transform (Resize(18), CenterCrop(16), ToTensor, Normalize)
  rrc_params.json         the distribution of torchvision's RandomResizedCrop.get_params boxes over many draws, for
                          several image sizes, scales and ratios: the CDF of the area fraction h * w / (H * W) and of
                          the aspect ratio w / h at the distribution's own quantiles

Run from the repository root with Debian's Pillow and PyTorch (apt-get install python3-pil python3-torchvision):

    /usr/bin/python3 src/tools/golden/golden_transforms.py

The committed files were made with Pillow 9.4.0 (libjpeg-turbo 2.1), torch 1.13.0a0 and torchvision 0.14.1a0
(Debian 12). The script is deterministic (fixed seeds) and rewrites the same files each time.
"""
import io
import json
import math
import os

import numpy as np
import torch
from PIL import Image, ImageDraw
import torchvision.transforms as T
import torchvision.transforms.functional as F

OUT = os.path.join("datavec-imagenette", "src", "test", "resources", "golden", "transforms")
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
CROP = 16       # RandomResizedCrop's output side in the cases
SHORT = 16      # Resize(SHORT)
EVAL_RESIZE = 18
EVAL_CROP = 16
# The cases whose PIL output is also stored normalized, as ToTensor and Normalize make it
NORMALIZED = ("crop0", "eval")
# Draws of get_params per configuration; the Java test draws 20,000.
DRAWS = 200_000


def photo(w, h, seed, channels=3):
    """A photo-like uint8 [h, w, channels] image: smooth gradients, sharp-edged shapes, noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    u, v = x / w, y / h
    planes = []
    for _ in range(channels):
        a, b, p, q = rng.uniform(0.5, 3.0, 4)
        planes.append(128 + 70 * np.sin(a * u * math.pi + p) * np.cos(b * v * math.pi + q) + 40 * (u - v))
    img = np.stack(planes, axis=-1)
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB" if channels == 3 else "CMYK")
    draw = ImageDraw.Draw(pil)
    for _ in range(4):
        x0, x1 = sorted(rng.integers(0, w, 2))
        y0, y1 = sorted(rng.integers(0, h, 2))
        fill = tuple(int(t) for t in rng.integers(0, 256, channels))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x1 + 2, y1 + 2], fill=fill)
        else:
            draw.rectangle([x0, y0, x1 + 1, y1 + 1], fill=fill)
    img = np.asarray(pil).astype(np.float64) + rng.normal(0, 6, (h, w, channels))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def encode(name, w, h, seed):
    """The test image's file content."""
    buf = io.BytesIO()
    if name == "landscape.jpg":
        Image.fromarray(photo(w, h, seed)).save(buf, "JPEG", quality=90)
    elif name == "portrait.jpg":
        Image.fromarray(photo(w, h, seed)).save(buf, "JPEG", quality=80, subsampling=0, progressive=True)
    elif name == "gray.jpg":
        Image.fromarray(photo(w, h, seed)[:, :, 1]).save(buf, "JPEG", quality=85)
    elif name == "cmyk.jpg":
        Image.fromarray(photo(w, h, seed, channels=4), "CMYK").save(buf, "JPEG", quality=90)
    elif name == "ycck.jpg":
        Image.fromarray(ycck_as_cmyk(photo(w, h, seed, channels=4)), "CMYK").save(buf, "JPEG", quality=90)
        return adobe_transform(buf.getvalue(), 2)
    elif name == "alpha.png":
        rgb = photo(w, h, seed)
        alpha = np.clip(np.arange(w)[None, :] * 255 // max(1, w - 1) + np.zeros((h, 1), np.int64), 0, 255)
        Image.fromarray(np.dstack([rgb, alpha.astype(np.uint8)]), "RGBA").save(buf, "PNG")
    elif name == "palette.png":
        Image.fromarray(photo(w, h, seed)).quantize(colors=48, method=Image.Quantize.MEDIANCUT).save(buf, "PNG")
    else:
        raise ValueError(name)
    return buf.getvalue()


def ycck_as_cmyk(cmyk):
    """The samples of an Adobe YCCK JPEG that decodes to the Pillow CMYK values cmyk, as the Pillow CMYK image whose
    JPEG holds those samples. Decoders turn YCCK into inverted CMYK (libjpeg: C = 255 - R of the YCbCr triple, K as
    stored) and Pillow inverts Adobe CMYK back, so the triple must be (c, m, y) in YCbCr and K stored as 255 - k;
    Pillow's encoder stores 255 - v of each value v it is given."""
    rgb = Image.fromarray(np.ascontiguousarray(cmyk[:, :, :3]), "RGB")
    ycc = np.asarray(rgb.convert("YCbCr"))
    return np.dstack([255 - ycc, cmyk[:, :, 3:]])


def adobe_transform(jpeg, transform):
    """The JPEG with its Adobe APP14 segment's colour transform set: 0 CMYK, 2 YCCK."""
    at = jpeg.index(b"\xff\xee\x00\x0eAdobe")
    out = bytearray(jpeg)
    out[at + 4 + 5 + 6] = transform
    return bytes(out)


# name, width, height, fixed crop boxes (top, left, height, width), and for some an upscaling resize and a centre crop
# larger than the image on one side or both (torchvision pads it)
IMAGES = [
    ("landscape.jpg", 97, 61, [(7, 11, 37, 53), (0, 0, 61, 97), (40, 80, 21, 17)], None, None),
    ("portrait.jpg", 45, 78, [(12, 3, 50, 33), (0, 0, 78, 45), (70, 0, 8, 9)], None, (81, 40)),
    ("gray.jpg", 53, 40, [(5, 9, 29, 31), (1, 2, 39, 51)], None, None),
    ("cmyk.jpg", 41, 57, [(10, 4, 33, 29), (0, 0, 57, 41)], None, None),
    ("ycck.jpg", 44, 35, [(3, 6, 27, 31)], None, None),
    ("alpha.png", 37, 29, [(3, 5, 21, 27), (0, 0, 29, 37)], (36, 42), (32, 44)),
    ("palette.png", 30, 22, [(2, 2, 17, 23)], (29, 35), (25, 27)),
]


def cases(boxes, up, pad_crop):
    """The transforms of one image: (name, description, function of a PIL image or a [3, H, W] tensor, whether it
    resamples). Only resampling cases are also run on tensors: the others copy pixels."""
    out = [
        ("resize_short", {"op": "resize", "size": [SHORT]}, lambda im: F.resize(im, [SHORT], antialias=True), True),
        ("resize_exact", {"op": "resize", "size": [17, 23]}, lambda im: F.resize(im, [17, 23], antialias=True),
         True),
    ]
    if up:
        out.append(("resize_up", {"op": "resize", "size": list(up)},
                    lambda im: F.resize(im, list(up), antialias=True), True))
    # Pillow only: torch's bicubic on float tensors does not clamp its overshoot, Pillow's 8-bit pixels do
    bicubic = T.InterpolationMode.BICUBIC
    out.append(("resize_short_bicubic", {"op": "resize", "size": [SHORT], "interpolation": "bicubic"},
                lambda im: F.resize(im, [SHORT], interpolation=bicubic, antialias=True), False))
    if up:
        out.append(("resize_up_bicubic", {"op": "resize", "size": list(up), "interpolation": "bicubic"},
                    lambda im: F.resize(im, list(up), interpolation=bicubic, antialias=True), False))
    for k, (i, j, h, w) in enumerate(boxes):
        out.append((f"crop{k}", {"op": "resized_crop", "box": [i, j, h, w], "size": CROP},
                    lambda im, b=(i, j, h, w): F.resized_crop(im, *b, [CROP, CROP], antialias=True), True))
    i, j, h, w = boxes[0]
    out.append(("crop0_flip", {"op": "resized_crop", "box": [i, j, h, w], "size": CROP, "flip": True},
                lambda im: F.hflip(F.resized_crop(im, i, j, h, w, [CROP, CROP], antialias=True)), False))
    out.append(("center_crop", {"op": "center_crop", "size": [CROP, CROP + 3]},
                lambda im: F.center_crop(im, [CROP, CROP + 3]), False))
    if pad_crop:
        out.append(("center_crop_pad", {"op": "center_crop", "size": list(pad_crop)},
                    lambda im: F.center_crop(im, list(pad_crop)), False))
    out.append(("eval", {"op": "eval", "resize": EVAL_RESIZE, "crop": EVAL_CROP},
                lambda im: F.center_crop(F.resize(im, [EVAL_RESIZE], antialias=True), [EVAL_CROP, EVAL_CROP]),
                True))
    return out


def chw(pil):
    a = np.asarray(pil.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(a.transpose(2, 0, 1))


def normalized(pil):
    return F.normalize(F.to_tensor(pil), MEAN, STD).numpy().astype(np.float32)


def images():
    index = []
    for seed, (name, w, h, boxes, up, pad_crop) in enumerate(IMAGES):
        data = encode(name, w, h, 100 + seed)
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        src = Image.open(io.BytesIO(data))
        mode = src.mode
        rgb = src.convert("RGB")
        assert rgb.size == (w, h), (name, rgb.size)
        tensor = F.to_tensor(rgb)
        arrays = {"decoded": chw(rgb)}
        entries = []
        for case, desc, fn, resamples in cases(boxes, up, pad_crop):
            pil_out = fn(rgb)
            arrays["pil_" + case] = chw(pil_out)
            if case in NORMALIZED:
                arrays["pil_" + case + "_norm"] = normalized(pil_out)
            if resamples:
                arrays["tensor_" + case] = fn(tensor).numpy().astype(np.float32)
            entries.append(dict(name=case, **desc))
        np.savez(os.path.join(OUT, name.rsplit(".", 1)[0] + ".npz"), **arrays)
        index.append({"file": name, "mode": mode, "width": w, "height": h, "cases": entries})
    return index


def cdf_at_quantiles(values, qs):
    """Distinct quantile values of the sample and the fraction of the sample at or below each."""
    values = np.sort(values)
    points = sorted(set(float(np.quantile(values, q, method="inverted_cdf")) for q in qs))
    return {"at": points, "cdf": [float(np.searchsorted(values, p, side="right") / len(values)) for p in points]}


def rrc_params():
    torch.manual_seed(0)
    configs = [
        # Imagenette's 320 px photos, torchvision's defaults and the 0.35 scale floor of short low-resolution runs
        (320, 213, (0.08, 1.0), (3 / 4, 4 / 3)),
        (320, 213, (0.35, 1.0), (3 / 4, 4 / 3)),
        # a small portrait image, where rounding to whole pixels shows
        (24, 37, (0.08, 1.0), (3 / 4, 4 / 3)),
        # an image of a few pixels, where rounding decides: rounding down instead of to nearest is 0.1 off the CDF
        (7, 5, (0.08, 1.0), (3 / 4, 4 / 3)),
        # a wide image at full scale: most tries fail and the centre-crop fallback clamps the ratio
        (64, 24, (0.5, 1.0), (3 / 4, 4 / 3)),
    ]
    qs = [k / 40 for k in range(1, 40)]
    out = []
    for width, height, scale, ratio in configs:
        img = torch.empty(3, height, width)
        area = np.empty(DRAWS)
        aspect = np.empty(DRAWS)
        for n in range(DRAWS):
            _, _, h, w = T.RandomResizedCrop.get_params(img, list(scale), list(ratio))
            area[n] = h * w / (height * width)
            aspect[n] = w / h
        out.append({"width": width, "height": height, "scale": list(scale), "ratio": list(ratio), "draws": DRAWS,
                    "area": cdf_at_quantiles(area, qs), "aspect": cdf_at_quantiles(aspect, qs),
                    "meanArea": float(area.mean()), "meanAspect": float(aspect.mean())})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    index = images()
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump({"mean": MEAN, "std": STD, "images": index}, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "rrc_params.json"), "w") as f:
        json.dump({"configs": rrc_params()}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
