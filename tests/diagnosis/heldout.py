"""Held-out folders and checkpoints for the model-version tests: an export's layout (manifest.csv
with path,split,grade,lesion_boxes,subject,view; photos in <split>/) filled with the project's
synthetic selfies, and copies of the shipped checkpoints (two different models)."""

import csv
import io
import shutil
from pathlib import Path

import numpy as np

from diagnosis.ml.checkpoint import SHIPPED
from modelbuilding.synth import render_selfie

COLUMNS = ("path", "split", "grade", "lesion_boxes", "subject", "view")


def write_heldout(
    folder: Path, grades: list[int], *, tones: list[str] | None = None, train: int = 2
) -> Path:
    """An export folder: one "test" photo per grade in ``grades`` (skin tone from ``tones``
    when given, as a ``skin_tone`` column), and ``train`` training photos that must be left out."""
    columns = (*COLUMNS, "skin_tone") if tones else COLUMNS
    rows = []
    for split, split_grades in (("test", grades), ("train", [5] * train)):
        (folder / split).mkdir(parents=True, exist_ok=True)
        for i, grade in enumerate(split_grades):
            overrides = {"ethnicity": tones[i]} if tones and split == "test" else {}
            sample = render_selfie(np.random.default_rng(100 + i), grade, size=384, **overrides)
            out = io.BytesIO()
            sample.image.save(out, format="JPEG", quality=92)
            name = f"{split}/shop{i:07d}.jpg"
            (folder / name).write_bytes(out.getvalue())
            row = [name, split, grade, 0, f"s{i}", "front"]
            rows.append(
                [*row, tones[i]]
                if tones and split == "test"
                else row + [""] * (len(columns) - len(row))
            )
    with open(folder / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return folder


def checkpoint_copy(folder: Path, name: str) -> Path:
    """A copy of a shipped model ("real" or "synthetic") as a build would leave it."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(SHIPPED[name], folder / f"{name}.pt"))
