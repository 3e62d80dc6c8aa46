"""Sums, means, quantiles and histograms of floats, giving numpy's (and pandas') results to
the last bit, so the reports need neither library (importing pandas costs a run 0.3 s)."""

from __future__ import annotations

import math
from collections.abc import Sequence

_UNROLL = 8
_BLOCK = 128


def pairwise_sum(values: Sequence[float]) -> float:
    """The sum numpy's ``add.reduce`` computes for a float64 array: pairwise summation in
    blocks of 128 with eight accumulators (``numpy/_core/src/umath/loops_utils.h.src``)."""
    return _pairwise(list(values), 0, len(values))


def _pairwise(values: list[float], start: int, count: int) -> float:
    if count < _UNROLL:
        total = 0.0
        for index in range(start, start + count):
            total += values[index]
        return total
    if count <= _BLOCK:
        partial = values[start : start + _UNROLL]
        whole = count - count % _UNROLL
        for offset in range(start + _UNROLL, start + whole, _UNROLL):
            for lane in range(_UNROLL):
                partial[lane] += values[offset + lane]
        total = ((partial[0] + partial[1]) + (partial[2] + partial[3])) + (
            (partial[4] + partial[5]) + (partial[6] + partial[7])
        )
        for index in range(start + whole, start + count):
            total += values[index]
        return total
    half = count // 2
    half -= half % _UNROLL
    return _pairwise(values, start, half) + _pairwise(values, start + half, count - half)


def mean(values: Sequence[float]) -> float:
    """``pandas.Series.mean`` of non-empty float values."""
    return pairwise_sum(values) / len(values)


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
