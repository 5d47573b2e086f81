"""The training set: the shop's consented, labelled photos in the layout the model build reads.

    OUT/manifest.csv     path,split,grade,lesion_boxes,subject,view (one row a photo, by path)
    OUT/TERMS.json       the data's terms (collected by this shop with consent), the scale
    OUT/<split>/shopNNNNNNN.jpg   the stored photo (upright, metadata removed)
    OUT/<split>/shopNNNNNNN.xml   its lesion marks as Pascal-VOC boxes (ACNE04's layout)

ACNE04's folder (``manifest.csv`` with ``path,split,...,lesion_boxes`` and a Pascal-VOC file
beside each photo) is mirrored, with ``grade`` (GEA 0-5, the final grade after adjudication)
where ACNE04 has ``hayashi_level``; ``modelbuilding.shopdata`` reads it (``make model
SHOP_DATA=...``).
A mark is a point: its box is a square of ``LESION_BOX`` of the photo's shorter side around it.

The split is by shopper: a hash of the owner (account, or guest session) puts all of one
person's photos in one split, the same one on every export. ``subject`` is a keyed hash of the
owner (the same person, never who). Same data, same files: nothing depends on the time or the
order rows come in. Only ``learnable_photos`` are written, checked again before the manifest
is, so a photo whose consent was withdrawn meanwhile is left out.
"""

import csv
import hashlib
import hmac
import io
import json
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from diagnosis.models import Diagnosis, DiagnosisPhoto
from diagnosis.selectors import learnable_photos
from labelling.models import SCALE, Label
from labelling.selectors import settle
from skinshop.errors import ApplicationError

SPLITS = (("train", 70), ("valid", 15), ("test", 15))  # percent of shoppers
LESION_BOX = 0.03
MANIFEST_COLUMNS = ("path", "split", "grade", "lesion_boxes", "subject", "view")
TERMS = {
    "name": "SkinShop's own photos",
    "licence": "collected by this shop with consent: its shoppers let it keep these photos "
    "to improve its analysis; graded by its dermatologists; for this shop's own models only",
    "commercial_use": True,
}


class ExportRefused(ApplicationError):
    code = "export_refused"


@dataclass(frozen=True)
class ExportReport:
    photos: int
    splits: dict[str, int]
    unsettled: int  # learnable photos not (yet) settled with a grade: left out


def owner_key(diagnosis: Diagnosis) -> str:
    return f"user:{diagnosis.user_id}" if diagnosis.user_id else f"guest:{diagnosis.guest_token}"


def split_of(owner: str) -> str:
    """The split of every photo of one owner: fixed by the owner alone."""
    bucket = int(hashlib.sha256(f"split:{owner}".encode()).hexdigest()[:8], 16) % 100
    for split, share in SPLITS:
        if bucket < share:
            return split
        bucket -= share
    return SPLITS[-1][0]


def subject_of(owner: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"subject:{owner}".encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class _Row:
    photo: DiagnosisPhoto
    split: str
    grade: int
    boxes: list[tuple[int, int, int, int, str]]
    subject: str

    @property
    def stem(self) -> str:
        return f"{self.split}/shop{self.photo.pk:07d}"


def lesion_boxes(
    marks: list[dict], width: int, height: int
) -> list[tuple[int, int, int, int, str]]:
    half = max(2, round(LESION_BOX * min(width, height) / 2))
    boxes = []
    for mark in marks:
        x, y = round(mark["x"] * width), round(mark["y"] * height)
        boxes.append(
            (max(0, x - half), max(0, y - half), min(width, x + half), min(height, y + half))
            + (mark["type"],)
        )
    return sorted(boxes)


def _rows() -> tuple[list[_Row], int]:
    photos = (
        learnable_photos()
        .select_related("diagnosis")
        .only(
            "pk",
            "selfie",
            "slot",
            "selfie_width",
            "selfie_height",
            "diagnosis__user_id",
            "diagnosis__guest_token",
        )
        .order_by("pk")
    )
    labels: dict[int, list[Label]] = {}
    for label in Label.objects.filter(photo__in=photos.values("pk")).order_by("pk"):
        labels.setdefault(label.photo_id, []).append(label)
    rows, unsettled = [], 0
    for photo in photos:
        settled = settle(labels.get(photo.pk, []))
        if settled.grade is None:
            unsettled += 1
            continue
        owner = owner_key(photo.diagnosis)
        boxes = lesion_boxes(settled.lesions, photo.selfie_width, photo.selfie_height)
        rows.append(_Row(photo, split_of(owner), settled.grade, boxes, subject_of(owner)))
    return rows, unsettled


def _voc(row: _Row) -> str:
    name = Path(row.stem).name
    objects = "".join(
        f"  <object><name>{kind}</name><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin>"
        f"<xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>\n"
        for x0, y0, x1, y1, kind in row.boxes
    )
    return (
        f"<annotation>\n  <filename>{name}.jpg</filename>\n"
        f"  <size><width>{row.photo.selfie_width}</width>"
        f"<height>{row.photo.selfie_height}</height><depth>3</depth></size>\n"
        f"{objects}</annotation>\n"
    )


def _prepare(out: Path) -> None:
    """An empty (or new) folder, or a previous export's, emptied: never anything else."""
    if out.exists() and any(out.iterdir()):
        if not (out / "manifest.csv").is_file():
            raise ExportRefused(f"{out} is not empty and holds no previous export: not touched.")
        for split, _ in SPLITS:
            shutil.rmtree(out / split, ignore_errors=True)
        for name in ("manifest.csv", "TERMS.json"):
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    for split, _ in SPLITS:
        (out / split).mkdir()


def export_training_set(out: str | Path) -> ExportReport:
    """Writes the training set to ``out`` (see the module's description)."""
    out = Path(out)
    rows, unsettled = _rows()
    _prepare(out)
    for row in rows:
        with row.photo.selfie.open("rb") as photo:
            (out / f"{row.stem}.jpg").write_bytes(photo.read())
        (out / f"{row.stem}.xml").write_text(_voc(row), encoding="utf-8")
    # Consent withdrawn while the files were written: that photo goes, before the manifest.
    still = set(
        learnable_photos().filter(pk__in=[r.photo.pk for r in rows]).values_list("pk", flat=True)
    )
    for row in [r for r in rows if r.photo.pk not in still]:
        (out / f"{row.stem}.jpg").unlink()
        (out / f"{row.stem}.xml").unlink()
    rows = sorted((r for r in rows if r.photo.pk in still), key=lambda r: r.stem)
    _write_manifest(out, rows)
    _write_terms(out)
    return ExportReport(
        photos=len(rows), splits=dict(Counter(r.split for r in rows)), unsettled=unsettled
    )


def _write_manifest(out: Path, rows: list[_Row]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for row in rows:
        writer.writerow(
            [f"{row.stem}.jpg", row.split, row.grade, len(row.boxes), row.subject, row.photo.slot]
        )
    (out / "manifest.csv").write_text(buffer.getvalue(), encoding="utf-8")


def _write_terms(out: Path) -> None:
    terms = {
        **TERMS,
        "scale": SCALE,
        "splits": {split: f"{share} % of shoppers" for split, share in SPLITS},
        "split_by": "shopper: no person's photos are in two splits",
        "lesion_boxes": f"points marked by dermatologists, as squares of {LESION_BOX} of the "
        "photo's shorter side",
    }
    text = json.dumps(terms, indent=2, sort_keys=True) + "\n"
    (out / "TERMS.json").write_text(text, encoding="utf-8")
