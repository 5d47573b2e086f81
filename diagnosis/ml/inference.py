"""Analyse selfies: normalize the face, grade it, explain the grade (claims 1, 23-31).

``Analyzer.load(checkpoint)`` loads a checkpoint once per process (the Celery worker keeps it);
``Analyzer.analyze(image)`` returns an ``AnalysisResult``; ``Analyzer.analyze_photos`` analyses
the photos of one check (one per slot: front, left, right) in one batched forward (their
Grad-CAM photo by photo), and gives each photo its result or its own error. The command line
(``predict``, ``explain``) is on the model-building side: modelbuilding.predict.
"""

from __future__ import annotations

import functools
import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch
from PIL import Image

from . import checkpoint as ckpt
from . import explain as xai
from . import zones as face_zones
from .contract import InputContract
from .encoders import fold_batchnorm
from .errors import AnalysisError, CheckpointError
from .face import NormalizedFace, inside_photo, load_image, normalize_face
from .joint import JointRule
from .lesions import LesionCounter, crop_for, tap, upsample
from .model import (
    DEFAULT_DECISION_RULE,
    class_probabilities,
    confidence_within_one,
    decide_grade,
    grade_score,
    grades_by_rule,
    score_by_rule,
)
from .scale import Scale

DEFAULT_ALPHA = 0.5
# Why a grade is withheld, in words a shopper can act on.
ABSTAIN_MESSAGES = {
    "unfamiliar_photo": (
        "We cannot grade this photo reliably: it looks unlike the photographs our analysis "
        "learned from. Try a plain photo of your face (front or side) in daylight, without "
        "filters, with your skin filling most of the frame."
    ),
    "uncertain_grade": (
        "We cannot grade this photo reliably: the analysis is unsure which grade it shows. "
        "Try another photo in even daylight, a little closer to the skin, holding the phone still."
    ),
}

ImageSource = str | Path | bytes | BinaryIO | Image.Image | np.ndarray


@dataclass
class AnalysisResult:
    grade: int
    label: str
    score: float  # continuous severity on the scale, 0..num_grades-1
    probabilities: list[float]  # one per grade, from the classifier's softmax
    face_box: tuple[int, int, int, int]  # (x, y, w, h) in the uploaded image
    model: dict[str, str]  # {"name", "version"}
    scale: dict[str, Any] = field(default_factory=dict)
    heatmap: np.ndarray | None = None  # (S, S) float32 in [0, 1], in the normalized face's frame
    overlay: Image.Image | None = None  # the heatmap over the normalized face
    face: np.ndarray | None = None  # the normalized face (S, S, 3) uint8 RGB
    # (2, 3) affine from the analysed picture's pixels to the normalized face's (see face.py)
    face_matrix: np.ndarray | None = None
    image_size: tuple[int, int] = (0, 0)  # (width, height) of the analysed picture
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    view: str = "frontal"  # how the photo was read: face.VIEWS
    # Calibrated probability that the true grade is within one of the decided grade.
    confidence: float = 1.0
    # Distance of the photo's features from the training photographs' (None: no statistics).
    ood_distance: float | None = None
    # False when the grade must not be used: the model is unsure, or the photo is unlike
    # anything it learned from. ``abstain`` then says why, for the shopper.
    reliable: bool = True
    abstain: dict[str, str] = field(default_factory=dict)  # {"code", "message"}
    # The data the model learned from, with their terms: [{"name", "licence", "commercial_use"}]
    training_data: list[dict[str, Any]] = field(default_factory=list)
    slot: str | None = None  # the side the shopper said the photo shows: zones.SLOTS
    # Findings per visible face zone, most affected first (zones.findings); empty without a
    # heatmap or lesion count, or when no zone can be told (a close-up of unknown side).
    zones: list[dict[str, Any]] = field(default_factory=list)
    # Lesions the model counts in the analysed crop (None: the model has no lesion head).
    lesions: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: arrays and images are summarized, not embedded."""
        out: dict[str, Any] = {
            "grade": self.grade,
            "label": self.label,
            "score": round(self.score, 4),
            "probabilities": [round(p, 4) for p in self.probabilities],
            "face_box": list(self.face_box),
            "model": dict(self.model),
            "training_data": list(self.training_data),
            "scale": self.scale,
            "notes": list(self.notes),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "view": self.view,
            "confidence": round(self.confidence, 4),
            "ood_distance": None if self.ood_distance is None else round(self.ood_distance, 4),
            "reliable": self.reliable,
            "abstain": dict(self.abstain),
            "slot": self.slot,
            "zones": [dict(z) for z in self.zones],
            "lesions": None if self.lesions is None else round(self.lesions, 1),
        }
        if self.heatmap is not None:
            out["heatmap"] = xai.mask_stats(self.heatmap)
        return out

    def heatmap_layer(self) -> Image.Image | None:
        """The heatmap as a transparent layer over the analysed picture (None without one)."""
        if self.heatmap is None or self.face_matrix is None:
            return None
        return xai.heatmap_layer(self.heatmap, self.face_matrix, self.image_size)

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


def _default_threads() -> int:
    # torch picks the physical core count of the host, which oversubscribes a container or a
    # Celery worker pinned to fewer CPUs; an explicit OMP/MKL setting wins.
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _set_threads() -> None:
    if not (os.environ.get("OMP_NUM_THREADS") or os.environ.get("MKL_NUM_THREADS")):
        torch.set_num_threads(min(torch.get_num_threads(), _default_threads()))


class Analyzer:
    """A loaded model with its checkpoint's settings (scale, input size, normalization, rule)."""

    def __init__(
        self,
        model: torch.nn.Module,
        meta: dict[str, Any],
        extra: dict[str, torch.Tensor] | None = None,
    ) -> None:
        # Channels-last convolutions: on 2 CPU cores a three-photo check's Grad-CAM took 0.97 s
        # against 1.31 s (EfficientNet-Lite0, k=10), the outputs equal to 1e-6. Batch norms
        # folded into their convolutions: this model only ever runs in eval mode.
        self.model = fold_batchnorm(model.eval()).to(memory_format=torch.channels_last)
        self.meta = meta
        # Chosen on the selection photographs (see realeval): 1 / 0 / none for older models.
        self.temperature = float(meta.get("temperature", 1.0))
        self.confidence_threshold = float(meta.get("confidence_threshold", 0.0))
        extra = extra or {}
        self.ood = (
            {k[4:]: v for k, v in extra.items() if k.startswith("ood.")}
            if "ood.mean" in extra and "ood_threshold" in meta
            else None
        )
        self.ood_threshold = float(meta.get("ood_threshold", math.inf))
        # The lesion counter trained on the frozen encoder (lesions.py), when the model has one.
        self.counter = LesionCounter.from_checkpoint(meta, extra)
        # Grading with the lesion count (joint.py), when the model was built so.
        self.joint = JointRule.from_meta(meta) if self.counter is not None else None
        self.scale = Scale.from_dict(meta["scale"])
        # How a photo becomes this model's input, as it was trained (contract.py).
        self.contract = InputContract.of(meta)
        self.input_size = self.contract.size
        self.decision_rule = str(meta.get("decision_rule", DEFAULT_DECISION_RULE))
        self.target_layer = str(meta.get("target_layer") or xai.DEFAULT_TARGET_LAYER)
        # Chosen for this model on calibration selfies (faithfulness.calibrate_threshold).
        self.heatmap_threshold = xai.check_threshold(
            meta.get("heatmap_threshold", xai.DEFAULT_THRESHOLD)
        )
        self.model_info = {
            "name": str(meta.get("name", "unnamed")),
            # Rebuilds keep the release number; the training data's hash tells them apart.
            "version": str(meta.get("version", "0"))
            + (f"+{str(meta['data_hash'])[:8]}" if meta.get("data_hash") else ""),
        }
        # What it learned from and under which terms (shown in the result's small print).
        self.training_data = [
            {k: s.get(k) for k in ("name", "licence", "commercial_use")}
            for s in meta.get("training_data") or []
        ]
        # Grad-CAM registers a hook on the shared model for one call; one analysis at a time.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, checkpoint: str | Path | None = None) -> Analyzer:
        """The analyzer for a checkpoint (None: the default shipped model), loaded once per
        process."""
        path = Path(checkpoint) if checkpoint is not None else ckpt.shipped_checkpoint()
        path = path.expanduser().resolve()
        if not path.is_file():
            hint = " Build it with `make model`." if checkpoint is None else ""
            raise CheckpointError(f"Model checkpoint not found: {path}.{hint}")
        # The modification time is part of the key, so a rebuilt file is loaded again.
        return _load_cached(str(path), path.stat().st_mtime_ns)

    def analyze(
        self,
        image: ImageSource,
        *,
        explain: bool = True,
        k: int = xai.DEFAULT_K,
        threshold: float | None = None,
        seed: int = 0,
        target_layer: str | None = None,
        alpha: float = DEFAULT_ALPHA,
        slot: str | None = None,
    ) -> AnalysisResult:
        """One photo; a photo the engine cannot use raises its AnalysisError."""
        (outcome,) = self.analyze_photos(
            [(slot, image)],
            explain=explain,
            k=k,
            threshold=threshold,
            seed=seed,
            target_layer=target_layer,
            alpha=alpha,
        )
        if outcome.error is not None:
            raise outcome.error
        return outcome.result

    def analyze_photos(
        self,
        photos: list[tuple[str | None, ImageSource]],
        *,
        explain: bool = True,
        k: int = xai.DEFAULT_K,
        threshold: float | None = None,
        seed: int = 0,
        target_layer: str | None = None,
        alpha: float = DEFAULT_ALPHA,
    ) -> list[PhotoOutcome]:
        """The photos of one check, ``[(slot, image), ...]``, in one batched forward. Each photo
        gets its result, or its own error when its photo cannot be used (the others are still
        analysed). Timings are the whole batch's."""
        self._check_arguments(photos, explain, target_layer, k, alpha)
        threshold = self.heatmap_threshold if threshold is None else xai.check_threshold(threshold)
        clock = _Clock()
        outcomes = [PhotoOutcome(slot=slot) for slot, _ in photos]
        pictures = _each(outcomes, lambda i: _as_picture(photos[i][1]), range(len(photos)))
        clock.lap("decode")
        faces = _each(
            outcomes,
            lambda i: normalize_face(
                pictures[i],
                size=self.contract.size,
                margin=self.contract.margin,
                side=photos[i][0] in ("left", "right"),
                front=photos[i][0] == "front",
            ),
            pictures,
        )
        clock.lap("normalize")
        if not faces:
            return outcomes
        order = list(faces)
        x = self.contract.tensor([faces[i].image for i in order])
        with self._lock:
            with torch.inference_mode():
                # A counter on the grading crop reads feature maps of this same forward: it costs
                # one small head. One on a larger crop costs a forward of its own.
                own_crop = self.counter is not None and self.counter.reads_its_own_crop(
                    self.input_size
                )
                reads_here = self.counter.layers if self.counter and not own_crop else ()
                with tap(self.model, reads_here) as maps:
                    outputs = self.model(x)
                if own_crop:
                    maps = self._counter_maps([(pictures[i], faces[i]) for i in order])
                density = self.counter.density(maps).numpy() if self.counter else None
                grades, scores, probabilities, confidences = self._read_grades(outputs, density)
            clock.lap("predict")
            averaged = [None] * len(order)
            if explain:
                # View by view: one Grad-CAM pass over all 3 x k copies took 1.0 s where three
                # passes of k took 0.61 s (2 cores, k=10), so only the grading forward is batched.
                target = target_layer or self.target_layer
                averaged = [
                    xai.explain_maps(self.model, x[j : j + 1], k=k, seed=seed, target=target)[
                        0
                    ].numpy()
                    for j in range(len(order))
                ]
                clock.lap("explain")
        for j, i in enumerate(order):
            face, slot = faces[i], photos[i][0]
            heatmap = (
                None
                if averaged[j] is None
                else xai.apply_threshold(in_photo(averaged[j], face, pictures[i]), threshold)
            )
            counted = None if density is None else upsample(density[j], face.image.shape[0])
            confidence = float(confidences[j])
            distance = self._ood_distance(outputs["features"][j])
            outcomes[i].result = AnalysisResult(
                grade=int(grades[j]),
                label=self.scale.label(int(grades[j])),
                score=float(scores[j]),
                probabilities=[float(p) for p in probabilities[j]],
                face_box=tuple(int(v) for v in face.box),
                model=dict(self.model_info),
                scale=self.scale.to_dict(),
                heatmap=heatmap,
                overlay=None if heatmap is None else xai.overlay(face.image, heatmap, alpha=alpha),
                face=face.image,
                face_matrix=face.matrix,
                image_size=_size_of(pictures[i]),
                notes=list(face.notes),
                timings=clock.timings,
                view=face.view,
                training_data=list(self.training_data),
                confidence=confidence,
                ood_distance=distance,
                slot=slot,
                # The zones count the lesions where the model has a counter; else they weigh the
                # whole averaged map, not the thresholded one shown, which on ACNE04 training
                # photos named the zone with the most lesions more often (see zones.py).
                zones=_zone_findings(face, averaged[j], counted, float(scores[j]), slot),
                lesions=None if density is None else float(density[j].sum()),
                **self._judge(confidence, distance),
            )
        clock.lap("overlay")
        clock.finish()
        return outcomes

    def _counter_maps(self, photos: list) -> dict[str, torch.Tensor]:
        """The feature maps the counter reads on its own crops of ``[(picture, face), ...]``."""
        size = self.counter.input_size
        x = self.contract.tensor([crop_for(np.asarray(p), face, size) for p, face in photos])
        with tap(self.model, self.counter.layers, stop=True) as maps:
            self.model(x)
        return maps

    def _read_grades(self, outputs: dict[str, torch.Tensor], density: np.ndarray | None):
        """Grades, the scores they are read from (the grade is the score rounded), the
        probabilities shown and the confidences: from the grading heads, or, where the model
        grades jointly with its lesion count (joint.py), from the pooled distribution."""
        calibrated = torch.softmax(outputs["logits"].float() / self.temperature, 1)
        num_grades = self.scale.num_grades
        if self.joint is not None and density is not None:
            counts = torch.from_numpy(density.sum(axis=(1, 2)))
            probabilities = self.joint.probabilities(calibrated, counts)
            rule = self.joint.rule
            grades = grades_by_rule(outputs["regression"], probabilities, rule, num_grades)
            scores = score_by_rule(outputs["regression"], probabilities, rule, num_grades)
            return grades, scores, probabilities, confidence_within_one(probabilities, grades)
        grades = decide_grade(outputs, self.decision_rule, num_grades)
        scores = grade_score(outputs, self.decision_rule, num_grades)
        confidences = confidence_within_one(calibrated, grades.long())
        return grades, scores, class_probabilities(outputs), confidences

    def _check_arguments(self, photos, explain: bool, target_layer, k: int, alpha: float) -> None:
        """Bad arguments fail before any work is done."""
        if explain:
            xai.check_k(k)
            xai.resolve_layer(self.model, target_layer or self.target_layer)
            if not 0.0 <= alpha <= 1.0:
                raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        for slot, _ in photos:
            if slot is not None and slot not in face_zones.SLOTS:
                raise ValueError(f"unknown slot {slot!r}")

    def _ood_distance(self, features: torch.Tensor) -> float | None:
        return None if self.ood is None else float(ood_distance(features, self.ood))

    def _judge(self, confidence: float, distance: float | None) -> dict[str, Any]:
        if distance is not None and distance > self.ood_threshold:
            code = "unfamiliar_photo"
        elif confidence < self.confidence_threshold:
            code = "uncertain_grade"
        else:
            return {"reliable": True, "abstain": {}}
        return {"reliable": False, "abstain": {"code": code, "message": ABSTAIN_MESSAGES[code]}}


def ood_distance(features: torch.Tensor, stats: dict[str, torch.Tensor]) -> torch.Tensor:
    """How far encoder features (D,) or (N, D) lie from the training photographs': the
    Mahalanobis distance in the leading principal components of theirs (``stats``: "mean",
    "components", "variances", as model building fits them), per component. The threshold a
    checkpoint carries was chosen with this same function."""
    z = (features.double() - stats["mean"].double()) @ stats["components"].double().T
    return torch.sqrt((z**2 / stats["variances"].double()).sum(dim=-1) / z.shape[-1])


@dataclass
class PhotoOutcome:
    """One photo of a check: its result, or the reason it could not be used."""

    slot: str | None
    result: AnalysisResult | None = None
    error: AnalysisError | None = None


class _Clock:
    """Seconds per stage of one analysis, and the total."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.start = self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = now - self.last
        self.last = now

    def finish(self) -> None:
        self.timings["total"] = time.perf_counter() - self.start


def _each(outcomes: list[PhotoOutcome], step, indices) -> dict[int, Any]:
    """``step(i)`` for each photo ``i``; a photo that cannot be used keeps its error."""
    done = {}
    for i in indices:
        try:
            done[i] = step(i)
        except AnalysisError as error:
            outcomes[i].error = error
    return done


def _as_picture(image: ImageSource) -> Image.Image | np.ndarray:
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    return image if isinstance(image, np.ndarray) else load_image(image)


def in_photo(averaged: np.ndarray, face: NormalizedFace, picture) -> np.ndarray:
    """The averaged map kept where the crop shows the photo, scaled back to a peak of 1: where
    a crop passes the photo's edge (a face near it, most often a side view) its pixels repeat
    the edge, and a heatmap there points at no skin."""
    kept = averaged * inside_photo(face.matrix, _size_of(picture), averaged.shape[0])
    return kept / max(float(kept.max()), 1e-12)


def _size_of(picture: Image.Image | np.ndarray) -> tuple[int, int]:
    return picture.size if isinstance(picture, Image.Image) else picture.shape[1::-1]


def _zone_findings(
    face: NormalizedFace,
    heatmap: np.ndarray | None,
    density: np.ndarray | None,
    score: float,
    slot: str | None,
) -> list[dict[str, Any]]:
    if heatmap is None and density is None:
        return []
    zone_map = face_zones.zone_map(
        size=face.image.shape[0], view=face.view, eyes=face.eyes, facing=face.facing, slot=slot
    )
    return face_zones.findings(heatmap, zone_map, score=score, matrix=face.matrix, density=density)


@functools.lru_cache(maxsize=4)
def _load_cached(resolved_path: str, _mtime_ns: int) -> Analyzer:
    _set_threads()
    # One read of the file: weights, metadata and the out-of-distribution statistics.
    model, meta, extra = ckpt.load_checkpoint_with_extra(resolved_path, map_location="cpu")
    analyzer = Analyzer(model, meta, extra)
    # One throwaway forward: the first real request does not pay for the kernels' set-up.
    with torch.inference_mode():
        model(torch.zeros(1, 3, analyzer.input_size, analyzer.input_size))
    return analyzer
