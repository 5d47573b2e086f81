"""Agreement between two raters on an ordinal scale (pure Python)."""

from collections.abc import Sequence


def quadratic_weighted_kappa(first: Sequence[int], second: Sequence[int], grades: int) -> float:
    """Cohen's kappa with quadratic weights over paired grades 0..grades-1: 1 is perfect
    agreement, 0 what chance gives, below 0 worse. NaN when chance alone explains every pair
    (both raters gave one and the same grade throughout), where it is undefined."""
    if len(first) != len(second):
        raise ValueError("kappa needs the same number of grades from each rater")
    n = len(first)
    if n == 0:
        return float("nan")
    observed = [[0] * grades for _ in range(grades)]
    for a, b in zip(first, second, strict=True):
        observed[a][b] += 1
    rows = [sum(row) for row in observed]
    cols = [sum(observed[i][j] for i in range(grades)) for j in range(grades)]
    seen = expected = 0.0
    for i in range(grades):
        for j in range(grades):
            weight = (i - j) ** 2 / (grades - 1) ** 2
            seen += weight * observed[i][j]
            expected += weight * rows[i] * cols[j] / n
    if expected == 0:
        return float("nan")
    return 1 - seen / expected
