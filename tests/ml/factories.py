"""Things the engine's tests make: a skin close-up, an ACNE04-like folder (generated: no ACNE04
photograph is in the repository)."""

import csv

import cv2
import numpy as np
from PIL import Image

# The input size of the throwaway checkpoints the inference tests write.
SIZE = 64


def skin_close_up(tone=(205, 150, 120), *, size: int = 640, grain: float = 4.0, seed: int = 0):
    """A sharp close-up of smooth skin: light falling off across the cheek and a fine grain
    (pores), no face."""
    rng = np.random.default_rng(seed)
    grain_layer = cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32), (0, 0), 0.6)
    light = np.linspace(1.12, 0.82, size, dtype=np.float32)[None, :, None]
    image = np.empty((size, size, 3), np.float32)
    image[:] = tone
    image = image * light + grain_layer[..., None] * grain
    return np.clip(image, 0, 255).astype(np.uint8)


VOC = """<annotation><filename>{name}</filename>{objects}</annotation>"""
OBJECT = (
    "<object><name>papules</name><bndbox><xmin>{0}</xmin><xmax>{2}</xmax>"
    "<ymin>{1}</ymin><ymax>{3}</ymax></bndbox></object>"
)


def write_acne04_folder(root, photos):
    """photos: (split, name, level, boxes[, image]); without an image (RGB array), a skin
    close-up with a red spot per box."""
    rows = []
    for split, name, level, boxes, *given in photos:
        (root / split).mkdir(parents=True, exist_ok=True)
        if given:
            image = given[0]
        else:
            image = skin_close_up(size=320, seed=len(rows))
            for x0, y0, x1, y1 in boxes:
                centre = ((x0 + x1) // 2, (y0 + y1) // 2)
                cv2.circle(image, centre, (x1 - x0) // 2, (170, 40, 50), -1)
        Image.fromarray(image).save(root / split / f"{name}.jpg", quality=95)
        objects = "".join(OBJECT.format(*b) for b in boxes)
        (root / split / f"{name}.xml").write_text(VOC.format(name=name, objects=objects))
        rows.append(
            {
                "path": f"{split}/{name}.jpg",
                "split": split,
                "hayashi_level": level,
                "lesion_boxes": len(boxes),
            }
        )
    with (root / "manifest.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


SHOP_TERMS = {
    "name": "SkinShop's own photos",
    "licence": "collected by this shop with consent",
    "commercial_use": True,
    "scale": {
        "name": "GEA",
        "labels": ["clear", "almost clear", "mild", "moderate", "severe", "very severe"],
    },
}


def lesion_boxes(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """A box around each lesion of a synthetic selfie's mask."""
    n, _, stats, _ = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8))
    return [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h, _ in stats[1:n]]


def write_shop_export(root, photos, *, terms=SHOP_TERMS):
    """The layout ``export_training_set`` writes (manifest.csv, TERMS.json, <split>/shopN.jpg
    with a Pascal-VOC .xml of lesion boxes). photos: (split, subject, grade, image, boxes)."""
    import json

    rows = []
    for i, (split, subject, grade, image, boxes) in enumerate(photos, start=1):
        (root / split).mkdir(parents=True, exist_ok=True)
        stem = f"{split}/shop{i:07d}"
        Image.fromarray(np.asarray(image)).save(root / f"{stem}.jpg", quality=95)
        objects = "".join(OBJECT.format(*b) for b in boxes)
        (root / f"{stem}.xml").write_text(VOC.format(name=f"shop{i:07d}.jpg", objects=objects))
        rows.append(
            {
                "path": f"{stem}.jpg",
                "split": split,
                "grade": grade,
                "lesion_boxes": len(boxes),
                "subject": subject,
                "view": "front",
            }
        )
    with (root / "manifest.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (root / "TERMS.json").write_text(json.dumps(terms))
    return root


def synthetic_shop_export(root, per_split, *, seed: int = 0, size: int = 256):
    """A shop export of synthetic selfies: per split, that many photos over the grades, two
    photos per shopper."""
    from modelbuilding import synth

    photos = []
    for split, n in per_split.items():
        for i in range(n):
            grade = i % 6
            sample = synth.render_selfie(
                np.random.default_rng([seed, len(photos)]), grade, size=size
            )
            boxes = lesion_boxes(sample.mask)
            photos.append((split, f"{split}-person{i // 2}", grade, sample.image, boxes))
    return write_shop_export(root, photos)


# The tiniest build that still writes a checkpoint the worker's Analyzer loads.
TINY_BUILD = [
    "build-model",
    "--n-synth", "0",
    "--n-synth-val", "0",
    "--archs", "efficientnet_lite0",
    "--input-size", "64",
    "--epochs", "1",
    "--batch-size", "4",
    "--heatmap-limit", "1",
]  # fmt: skip
