"""The generated sets both shipped models learn from and are judged on: their seeds, and the
one way a set is generated (once, then reused from its folder)."""

import time
from pathlib import Path

from . import synth

# The synthetic model's sets: training and the two held-out sets never share a seed.
TRAIN_SEED, HELDOUT_SEED, SHIFTED_SEED = 1001, 2002, 3003
# Its heatmap threshold is chosen on selfies of their own seed, never on a test set.
CALIBRATION_SEED, CALIBRATION_N = 1501, 120
# The synthetic selfies the real-photograph model learns from and is selected on.
REAL_TRAIN_SEED, REAL_SELECTION_SEED = 1101, 1202


def generate_set(out: Path, n: int, seed: int, style: str, size: int, log) -> Path:
    """OUT/manifest.csv of ``n`` selfies drawn with ``seed``; an existing one is reused."""
    manifest = out / "manifest.csv"
    if manifest.is_file():
        log(f"reusing {manifest}")
        return manifest
    started = time.monotonic()
    result = synth.generate(out, n, seed, style=style, size=size)
    manifest = Path(result) if Path(result).suffix == ".csv" else out / "manifest.csv"
    log(f"generated {n} {style!r} images (seed {seed}) in {time.monotonic() - started:.0f}s")
    return manifest
