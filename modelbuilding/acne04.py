"""ACNE04: real acne photographs graded by dermatologists on the Hayashi scale, with a box per
lesion (Wu et al., "Joint Acne Image Grading and Counting via Label Distribution Learning",
ICCV 2019; free for academic use only).

The folder this reads is the one described in the README: ``manifest.csv``
(``path,split,hayashi_level,lesion_boxes``) and, per photograph, ``NAME.jpg`` with its lesions
as Pascal-VOC boxes in ``NAME.xml``.

From Hayashi to GEA (the shop's scale), chosen from the two scales' definitions:
- Hayashi counts lesions on half the face: mild 0-5, moderate 6-20, severe 21-50, very severe
  over 50. GEA's mild (2), moderate (3), severe (4) and very severe (5) describe the same ranks,
  so level L becomes GEA L + 2.
- GEA 1 ("almost clear": rare lesions) has no Hayashi level of its own: a mild photograph with
  at most ``ALMOST_CLEAR_MAX_LESIONS`` lesion boxed becomes GEA 1. The count comes from the
  dermatologists' boxes, as in the paper's joint grading and counting.
- GEA 0 (clear) has no photograph at all: ``erase_lesions`` paints the boxed lesions of a mild
  photograph out (every lesion of a mild photo is boxed, and there are few), which gives a real
  photograph of the same skin without acne.
Evaluated on the four Hayashi levels, GEA 0-2 read as mild (``gea_to_hayashi``).
"""

from __future__ import annotations

import csv
import hashlib
import multiprocessing
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from diagnosis.ml import face
from diagnosis.ml.errors import AnalysisError
from diagnosis.ml.face import load_image, normalize_face, warp
from diagnosis.ml.zones import zone_map

from .progress import Progress

HAYASHI_LEVELS = ("mild", "moderate", "severe", "very severe")
HAYASHI_TO_GEA = (2, 3, 4, 5)
ALMOST_CLEAR_MAX_LESIONS = 1
ERASE_PAD = 3  # pixels around a lesion box that inpainting also replaces (its red halo)

# What a model trained on this data must carry with it (checkpoint metadata, model card).
TERMS = {
    "name": "ACNE04",
    "citation": (
        "Wu X. et al., Joint Acne Image Grading and Counting via Label Distribution Learning, "
        "ICCV 2019"
    ),
    "licence": "free for academic use; any other use needs the authors' permission",
    "commercial_use": False,
}


@dataclass(frozen=True)
class Photo:
    path: Path
    split: str
    level: int  # Hayashi 0 (mild) .. 3 (very severe)
    boxes: np.ndarray = field(repr=False)  # (n, 4) float: x0, y0, x1, y1 in the photo's pixels

    @property
    def lesions(self) -> int:
        return len(self.boxes)

    @property
    def grade(self) -> int:
        return gea_grade(self.level, self.lesions)


def gea_grade(level: int, lesions: int) -> int:
    """The GEA grade of a Hayashi-graded photograph with ``lesions`` boxed lesions."""
    if not 0 <= level < len(HAYASHI_TO_GEA):
        raise ValueError(f"Hayashi level must be 0-3, got {level}")
    if level == 0 and lesions <= ALMOST_CLEAR_MAX_LESIONS:
        return 1
    return HAYASHI_TO_GEA[level]


def gea_to_hayashi(grades: np.ndarray) -> np.ndarray:
    """GEA grades (or scores) back on the four Hayashi levels: 0-2 mild, 3, 4, 5."""
    return np.clip(np.rint(np.asarray(grades, dtype=np.float64)) - 2, 0, 3).astype(int)


def read_boxes(xml_path: str | Path) -> np.ndarray:
    root = ET.parse(xml_path).getroot()
    boxes = []
    for obj in root.iter("object"):
        bb = obj.find("bndbox")
        if bb is None:
            continue
        boxes.append([float(bb.findtext(k, "0")) for k in ("xmin", "ymin", "xmax", "ymax")])
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def read_folder(root: str | Path, split: str) -> list[Photo]:
    """The photographs of one split (``train`` or ``valid``) of an ACNE04 folder."""
    root = Path(root)
    manifest = root / "manifest.csv"
    if not manifest.is_file():
        raise FileNotFoundError(2, "ACNE04 manifest not found", str(manifest))
    photos = []
    with manifest.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["split"] != split:
                continue
            path = root / row["path"]
            photos.append(
                Photo(path, split, int(row["hayashi_level"]), read_boxes(path.with_suffix(".xml")))
            )
    if not photos:
        raise ValueError(f"{manifest} lists no photograph in split {split!r}")
    return photos


def erase_lesions(rgb: np.ndarray, boxes: np.ndarray, pad: int = ERASE_PAD) -> np.ndarray:
    """The photograph with its boxed lesions painted out from the skin around them."""
    mask = np.zeros(rgb.shape[:2], np.uint8)
    h, w = mask.shape
    for x0, y0, x1, y1 in np.asarray(boxes).reshape(-1, 4):
        mask[
            max(0, int(y0) - pad) : min(h, int(np.ceil(y1)) + pad + 1),
            max(0, int(x0) - pad) : min(w, int(np.ceil(x1)) + pad + 1),
        ] = 255
    if not mask.any():
        return rgb.copy()
    return cv2.inpaint(np.ascontiguousarray(rgb), mask, 5, cv2.INPAINT_TELEA)


def boxes_in_crop(boxes: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """Lesion boxes moved into the normalized crop by its (2, 3) affine, clipped to the crop;
    boxes that end up outside it are dropped."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if not len(boxes):
        return boxes
    corners = np.stack(
        [boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [0, 3]], boxes[:, [2, 3]]], axis=1
    )  # (n, 4, 2)
    moved = corners @ np.asarray(matrix)[:, :2].T + np.asarray(matrix)[:, 2]
    out = np.concatenate([moved.min(axis=1), moved.max(axis=1)], axis=1).clip(0, size)
    keep = (out[:, 2] - out[:, 0] >= 1) & (out[:, 3] - out[:, 1] >= 1)
    return out[keep]


@dataclass
class Crops:
    """Normalized photographs of one split, with what the training and the reports need."""

    images: np.ndarray  # (N, S, S, 3) uint8
    grades: np.ndarray  # GEA
    levels: np.ndarray  # Hayashi; -1 for the lesion-free versions
    kinds: list[str]  # "photo" or "lesion-free"
    views: list[str]  # face.VIEWS
    paths: list[str]
    boxes: list[np.ndarray]  # lesion boxes in crop pixels (empty for lesion-free versions)
    failures: dict[str, str]  # path -> refusal code
    # The landmarks face.normalize_face found, for the face zones (zones.zone_map): eye
    # centres (x0, y0, x1, y1; NaN when not found) and a side view's facing ("" when none).
    eyes: np.ndarray | None = None  # (N, 4) float
    facings: list[str] = field(default_factory=list)

    def zone_map(self, index: int):
        """The face zones of crop ``index``, as the shop draws them."""
        eyes = self.eyes[index]
        return zone_map(
            size=self.images.shape[1],
            view=self.views[index],
            eyes=None if np.isnan(eyes).any() else ((eyes[0], eyes[1]), (eyes[2], eyes[3])),
            facing=self.facings[index] or None,
        )

    def select(self, kind: str) -> np.ndarray:
        return np.array([k == kind for k in self.kinds])

    @classmethod
    def concat(cls, parts: list[Crops]) -> Crops:
        """The crops of several sources (e.g. the shop's and ACNE04's) as one."""
        if len(parts) == 1:
            return parts[0]
        return cls(
            images=np.concatenate([c.images for c in parts]),
            grades=np.concatenate([c.grades for c in parts]),
            levels=np.concatenate([c.levels for c in parts]),
            kinds=[k for c in parts for k in c.kinds],
            views=[v for c in parts for v in c.views],
            paths=[p for c in parts for p in c.paths],
            boxes=[b for c in parts for b in c.boxes],
            failures={k: v for c in parts for k, v in c.failures.items()},
            eyes=np.concatenate([c.eyes for c in parts]),
            facings=[f for c in parts for f in c.facings],
        )


def _normalize_photo(job: tuple[str, np.ndarray, int, int, float]):
    path, boxes, level, size, margin = job
    try:
        rgb = np.asarray(load_image(path))
        face = normalize_face(rgb, size=size, margin=margin)
    except AnalysisError as exc:
        return None, exc.code
    crop_boxes = boxes_in_crop(boxes, face.matrix, size)
    clear = None
    if level == 0:
        clear = warp(erase_lesions(rgb, boxes), face.matrix, size)
    eyes = np.ravel(face.eyes) if face.eyes is not None else np.full(4, np.nan)
    return (face.image, clear, face.view, crop_boxes, eyes, face.facing or ""), ""


def _face_code_hash() -> str:
    return hashlib.sha256(
        Path(face.__file__).read_bytes() + Path(__file__).read_bytes()
    ).hexdigest()[:8]


def prepare(
    photos: list[Photo],
    *,
    size: int,
    margin: float,
    cache_dir: str | Path | None = None,
    workers: int = 2,
    log=print,
    source: str = "ACNE04",
) -> Crops:
    """Normalize every photograph as the shop does (face.normalize_face), add a lesion-free
    version of each mild one, and keep the refusals. Cached by content and code.

    ``photos``: anything with ``path``, ``split``, ``level`` (Hayashi; -1 for none),
    ``boxes``, ``lesions`` and ``grade`` (GEA), e.g. the shop's own (shopdata.ShopPhoto)."""
    key = hashlib.sha256(
        "|".join(f"{p.path.name}:{p.level}:{p.lesions}:{p.grade}" for p in photos).encode()
    ).hexdigest()[:10]
    cache = None
    what = f"{source} {photos[0].split}"
    if cache_dir is not None:
        name = f"{source.lower()}-{key}-{size}-{margin:g}-{_face_code_hash()}.npz"
        cache = Path(cache_dir) / name
        if cache.is_file():
            log(f"{what}: {len(photos)} photographs' crops read from {cache}")
            with np.load(cache, allow_pickle=False) as npz:
                n_boxes = npz["n_boxes"]
                flat = npz["boxes"]
                split_at = np.cumsum(n_boxes)[:-1]
                return Crops(
                    images=npz["images"],
                    grades=npz["grades"],
                    levels=npz["levels"],
                    kinds=npz["kinds"].tolist(),
                    views=npz["views"].tolist(),
                    paths=npz["paths"].tolist(),
                    boxes=list(np.split(flat, split_at)) if len(n_boxes) else [],
                    failures=dict(zip(npz["failed"].tolist(), npz["codes"].tolist(), strict=True)),
                    eyes=npz["eyes"],
                    facings=npz["facings"].tolist(),
                )
    jobs = [(str(p.path), p.boxes, p.level, size, margin) for p in photos]
    progress = Progress(f"normalizing {what}", len(jobs), log, unit="photographs")
    if workers > 1 and len(jobs) >= 16:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(workers) as pool:
            results = list(progress.wrap(pool.imap(_normalize_photo, jobs, chunksize=8)))
    else:
        results = list(progress.wrap(_normalize_photo(job) for job in jobs))
    images, grades, levels, kinds, views, paths, boxes = [], [], [], [], [], [], []
    eyes, facings = [], []
    failures = {}
    for photo, (found, code) in zip(photos, results, strict=True):
        if found is None:
            failures[str(photo.path)] = code
            continue
        image, clear, view, crop_boxes, eye_centres, facing = found
        for kind, picture in (("photo", image), ("lesion-free", clear)):
            if picture is None:
                continue
            images.append(picture)
            grades.append(photo.grade if kind == "photo" else 0)
            levels.append(photo.level if kind == "photo" else -1)
            kinds.append(kind)
            views.append(view)
            paths.append(str(photo.path))
            boxes.append(crop_boxes if kind == "photo" else np.zeros((0, 4)))
            eyes.append(eye_centres)
            facings.append(facing)
    crops = Crops(
        images=np.stack(images) if images else np.zeros((0, size, size, 3), np.uint8),
        grades=np.array(grades, dtype=np.int64),
        levels=np.array(levels, dtype=np.int64),
        kinds=kinds,
        views=views,
        paths=paths,
        boxes=boxes,
        failures=failures,
        eyes=np.array(eyes, dtype=np.float64).reshape(-1, 4),
        facings=facings,
    )
    log(
        f"{what}: {len(photos) - len(failures)} of {len(photos)} photographs "
        f"normalized ({_summary(failures)} refused), "
        f"{int(crops.select('lesion-free').sum())} lesion-free versions"
    )
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(cache.stem + ".tmp.npz")
        n_boxes = np.array([len(b) for b in boxes], dtype=np.int64)
        np.savez(
            tmp,
            images=crops.images,
            grades=crops.grades,
            levels=crops.levels,
            kinds=np.array(kinds),
            views=np.array(views),
            paths=np.array(paths),
            n_boxes=n_boxes,
            boxes=np.concatenate(boxes) if boxes else np.zeros((0, 4)),
            failed=np.array(list(failures)),
            codes=np.array(list(failures.values())),
            eyes=crops.eyes,
            facings=np.array(facings),
        )
        tmp.replace(cache)
    return crops


def refusal_counts(failures: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for code in failures.values():
        counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items()))


def _summary(failures: dict[str, str]) -> str:
    return ", ".join(f"{n} {code}" for code, n in refusal_counts(failures).items()) or "none"
