"""The figures of an interleaved comparison: medians, their ratio, pair ratios, bootstrap intervals.

Two sides A and B run as pairs (A, B, A, B, ...).  The *ratio of medians* is median(A) / median(B)
over all runs.  A *pair ratio* is A / B within one pair: both runs saw about the same neighbours
on a shared machine, so the median of the pair ratios is less exposed to slow changes of load.
Each comes with a 90 % percentile-bootstrap interval: pairs are resampled with replacement (a
pair stays a pair) and the 5th and 95th percentiles of the recomputed figure are reported.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence

BOOTSTRAP_RESAMPLES = 10_000
CONFIDENCE = 0.90


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> tuple[float, float]:
    return min(values), max(values)


def bootstrap_interval(
    pairs: Sequence[tuple[float, float]],
    figure: Callable[[Sequence[tuple[float, float]]], float],
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[float, float] | None:
    """The 90 % percentile interval of ``figure`` over resampled pairs; ``None`` for fewer than 3 pairs."""
    if len(pairs) < 3:
        return None
    draw = random.Random(0)  # fixed: the same runs always give the same interval
    values = sorted(figure(draw.choices(pairs, k=len(pairs))) for _ in range(resamples))
    tail = (1 - CONFIDENCE) / 2
    return values[int(tail * resamples)], values[int((1 - tail) * resamples) - 1]


def _ratio_of_medians(pairs: Sequence[tuple[float, float]]) -> float:
    return median([a for a, _ in pairs]) / median([b for _, b in pairs])


def _median_pair_ratio(pairs: Sequence[tuple[float, float]]) -> float:
    return median([a / b for a, b in pairs])


def compare(a: Sequence[float], b: Sequence[float], names: tuple[str, str]) -> dict:
    """The figures of interleaved runs ``a[i]``, ``b[i]`` (seconds), keyed by the sides' ``names``."""
    if len(a) != len(b) or not a:
        raise ValueError(f"need the same number of runs on both sides, got {len(a)} and {len(b)}")
    pairs = list(zip(a, b))
    ratio_interval = bootstrap_interval(pairs, _ratio_of_medians)
    pair_interval = bootstrap_interval(pairs, _median_pair_ratio)
    return {
        "medians_s": {names[0]: round(median(a), 3), names[1]: round(median(b), 3)},
        "ratio": round(_ratio_of_medians(pairs), 4),
        "ratio_interval_90": [round(v, 4) for v in ratio_interval] if ratio_interval else None,
        "median_pair_ratio": round(_median_pair_ratio(pairs), 4),
        "pair_ratio_interval_90": [round(v, 4) for v in pair_interval] if pair_interval else None,
        "pair_ratios": [round(x / y, 4) for x, y in pairs],
    }
