"""False acne on clear skin: the shipped model, as the worker runs it, on the generator's
look-alike check set (modelbuilding.lookalike_checks: the same clear faces drawn plainly and with
stubble, a beard, freckles, moles, glasses or a cast shadow; a seed no training or selection
set uses). Per look-alike: the share read clear or almost clear, the share read moderate or
worse, and the share given a reliable grade of mild or worse (a kit sold on a clear face).

    .venv/bin/python bench/bench_lookalikes.py [--n 30] [--checkpoint C]

Targets (issue's): >= 95 % clear or almost clear, none moderate or worse, none given a reliable
grade of mild or worse. ``--smoke``: two faces.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import smoke  # noqa: E402
from diagnosis.ml.errors import AnalysisError  # noqa: E402
from diagnosis.ml.inference import Analyzer  # noqa: E402
from modelbuilding import lookalike_checks  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="clear faces (each under every kind)")
    parser.add_argument("--checkpoint", default=None, help="default: the shipped model")
    parser.add_argument("--threads", type=int, default=2)
    smoke.add_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.n = 2
    torch.set_num_threads(args.threads)
    analyzer = Analyzer.load(args.checkpoint)
    kinds, grades, reliable, refused = [], [], [], {}
    for kind, image in lookalike_checks.check_set(args.n):
        try:
            result = analyzer.analyze(image, explain=False)
        except AnalysisError:
            refused[kind] = refused.get(kind, 0) + 1
            continue
        kinds.append(kind)
        grades.append(result.grade)
        reliable.append(result.reliable)
    rates = lookalike_checks.false_acne(kinds, grades, reliable)
    print(f"model {analyzer.model_info}; {args.n} clear faces (seed {lookalike_checks.CHECK_SEED})")
    print(f"{'look-alike':12}{'n':>5}{'clear/almost':>14}{'moderate+':>11}{'reliable mild+':>16}")
    for kind, row in rates.items():
        print(
            f"{kind:12}{row['n']:>5}{row['clear_or_almost']:>14.3f}"
            f"{row['moderate_or_worse']:>11.3f}{row['reliable_mild_or_worse']:>16.3f}"
        )
    if refused:
        print(f"refused by the normalization: {refused}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
