"""The shop's own photographs, as ``manage.py export_training_set OUT`` writes them:

    OUT/manifest.csv                path,split,grade,lesion_boxes,subject,view
    OUT/TERMS.json                  the data's terms ("commercial_use", the scale)
    OUT/<split>/shopNNNNNNN.jpg     a photo, with its lesion marks as Pascal-VOC boxes in .xml

``grade`` is GEA 0-5 (the dermatologists' final grade), ``subject`` stands for the shopper, and
the splits (train, valid, test) are by shopper. ACNE04's layout with GEA grades: the photos go
through the same face normalization (acne04.prepare) and become the same crops, so a build mixes
the two (and the synthetic selfies) freely, and the input contract is the model's, whatever the
source.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from diagnosis.ml.scale import GEA

from . import acne04

SPLITS = ("train", "valid", "test")
COLUMNS = ("path", "split", "grade", "lesion_boxes", "subject", "view")
TERMS_FILE = "TERMS.json"


@dataclass(frozen=True)
class ShopPhoto:
    path: Path
    split: str
    grade: int  # GEA, the dermatologists' final grade
    boxes: np.ndarray = field(repr=False)  # (n, 4) x0, y0, x1, y1 in the photo's pixels
    subject: str = ""
    view: str = ""  # the shop's slot: front, left or right
    level: int = -1  # no Hayashi level: no lesion-free version is painted (acne04.prepare)

    @property
    def lesions(self) -> int:
        return len(self.boxes)


def read_terms(root: str | Path) -> dict[str, Any]:
    """The data's terms as a checkpoint carries them (``training_data``); the export's scale
    must be the one the models grade on."""
    path = Path(root) / TERMS_FILE
    if not path.is_file():
        raise FileNotFoundError(2, "The export's terms are missing", str(path))
    try:
        terms = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    if not isinstance(terms, dict) or not isinstance(terms.get("commercial_use"), bool):
        raise ValueError(f"{path}: 'commercial_use' must be true or false")
    scale = terms.get("scale") or {}
    if scale.get("name", GEA.name) != GEA.name or len(scale.get("labels", GEA.labels)) != len(
        GEA.labels
    ):
        raise ValueError(f"{path}: the photos are graded on {scale.get('name')!r}, not GEA 0-5")
    return {
        "name": str(terms.get("name") or "the shop's own photos"),
        "licence": str(terms.get("licence") or ""),
        "commercial_use": terms["commercial_use"],
    }


def read_folder(root: str | Path, split: str) -> list[ShopPhoto]:
    """The photos of one split of an export, checked: grades on the scale, files present, lesion
    boxes as the manifest counts them, and no shopper in two splits."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    root = Path(root)
    rows = _rows(root)
    photos = []
    for line, row in rows:
        if row["split"] != split:
            continue
        where = f"{root / 'manifest.csv'}:{line}"
        path = root / row["path"]
        if not path.is_file():
            raise FileNotFoundError(2, f"{where}: photo not found", str(path))
        photos.append(
            ShopPhoto(
                path,
                split,
                _grade(row["grade"], where),
                _boxes(path, row["lesion_boxes"], where),
                row["subject"],
                row["view"],
            )
        )
    if not photos:
        raise ValueError(f"{root / 'manifest.csv'} lists no photo in split {split!r}")
    return photos


def _rows(root: Path) -> list[tuple[int, dict[str, str]]]:
    manifest = root / "manifest.csv"
    if not manifest.is_file():
        raise FileNotFoundError(2, "The export's manifest is missing", str(manifest))
    with manifest.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{manifest}: missing columns {', '.join(missing)}")
        rows = list(enumerate(reader, start=2))
    splits: dict[str, set[str]] = {}
    for line, row in rows:
        if row["split"] not in SPLITS:
            raise ValueError(f"{manifest}:{line}: unknown split {row['split']!r}")
        if row["subject"]:
            splits.setdefault(row["subject"], set()).add(row["split"])
    # One person in two splits would let the model be judged on faces it learned from.
    leaked = sorted(s for s, seen in splits.items() if len(seen) > 1)
    if leaked:
        raise ValueError(f"{manifest}: {len(leaked)} shopper(s) in more than one split")
    return rows


def _grade(raw: str, where: str) -> int:
    try:
        grade = int(raw)
    except ValueError:
        raise ValueError(f"{where}: grade {raw!r} is not an integer") from None
    if not 0 <= grade < GEA.num_grades:
        raise ValueError(f"{where}: grade {grade} is not on the GEA scale (0-5)")
    return grade


def _boxes(photo: Path, counted: str, where: str) -> np.ndarray:
    xml = photo.with_suffix(".xml")
    boxes = acne04.read_boxes(xml) if xml.is_file() else np.zeros((0, 4))
    if counted.strip() and int(counted) != len(boxes):
        raise ValueError(f"{where}: {counted} lesion boxes listed, {len(boxes)} in {xml.name}")
    return boxes


def prepare(photos: list[ShopPhoto], **kwargs) -> acne04.Crops:
    """The photos normalized as the shop's worker does (acne04.prepare: cached, refusals kept)."""
    return acne04.prepare(photos, source="shop", **kwargs)
