"""Sums, means, quantiles and histograms of floats for the reports, without numpy or pandas
(importing pandas costs a run 0.3 s). Sums are correctly rounded (``math.fsum``); quantiles
and histograms are numpy's (linear method; ``numpy.histogram`` bins), which the tests check."""

from __future__ import annotations

import math
from collections.abc import Sequence


def total(values: Sequence[float]) -> float:
    """The correctly rounded sum of ``values`` (within one rounding of numpy's sum)."""
    return math.fsum(values)


def mean(values: Sequence[float]) -> float:
    """The mean of non-empty float values."""
    return math.fsum(values) / len(values)


def quantile(values: Sequence[float], q: float) -> float:
    """``pandas.Series.quantile(q)`` (numpy's linear method) of non-empty float values."""
    ordered = sorted(values)
    virtual = (len(ordered) - 1) * q
    below = math.floor(virtual)
    if virtual >= len(ordered) - 1:
        return ordered[-1]
    low, high = ordered[below], ordered[below + 1]
    gamma = virtual - below
    difference = high - low
    return high - difference * (1 - gamma) if gamma >= 0.5 else low + difference * gamma


def histogram(values: Sequence[float], bins: int) -> tuple[list[int], list[float]]:
    """``numpy.histogram(values, bins)`` of non-empty finite values: counts and edges."""
    first, last = min(values), max(values)
    if first == last:
        first, last = first - 0.5, last + 0.5
    step = (last - first) / bins
    edges = [index * step + first for index in range(bins)] + [last]
    counts = [0] * bins
    for value in values:
        index = int((value - first) / (last - first) * bins)
        if index == bins:
            index -= 1
        if value < edges[index]:
            index -= 1
        elif value >= edges[index + 1] and index != bins - 1:
            index += 1
        counts[index] += 1
    return counts, edges
