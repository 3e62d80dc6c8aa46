"""Statistics for pass rates: Wilson intervals, pass^k and McNemar's exact test.

The Wilson interval is computed here, with the formula and the normal quantile scipy's
``binomtest(...).proportion_ci(method="wilson")`` uses, so giving the same floats, because
importing ``scipy.stats`` would double the start-up time of ``harness eval``. McNemar's test
imports scipy only when a comparison needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb, sqrt

# scipy.special.ndtri(0.975): the two-sided 95% normal quantile, to the last bit.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Rate:
    """``passed`` out of ``total`` with its Wilson score interval (``None`` when total is 0)."""

    passed: int
    total: int
    low: float | None
    high: float | None

    @property
    def value(self) -> float | None:
        """The observed proportion, or ``None`` for an empty sample."""
        return self.passed / self.total if self.total else None

    def to_dict(self) -> dict[str, float | int | None]:
        """JSON form: passed, total, rate, ci_low, ci_high."""
        return {
            "passed": self.passed,
            "total": self.total,
            "rate": self.value,
            "ci_low": self.low,
            "ci_high": self.high,
        }

    def __str__(self) -> str:
        if not self.total:
            return "n/a (0 cases)"
        return (
            f"{self.value:.1%} ({self.passed}/{self.total}, 95% CI {self.low:.1%}–{self.high:.1%})"
        )


def wilson_rate(passed: int, total: int) -> Rate:
    """A proportion with its 95% Wilson score interval (Newcombe 1998, no continuity
    correction)."""
    if total == 0:
        return Rate(0, 0, None, None)
    p, z = passed / total, Z_95
    denominator = 2 * (total + z**2)
    center = (2 * total * p + z**2) / denominator
    delta = z / denominator * sqrt(4 * total * p * (1 - p) + z**2)
    low = 0.0 if passed == 0 else center - delta
    high = 1.0 if passed == total else center + delta
    return Rate(passed, total, low, high)


def pass_hat_k(successes: list[int], trials: list[int], k: int) -> float | None:
    """Probability that k independent tries of a case all pass, averaged over cases.

    Per case the unbiased estimate is C(c, k) / C(n, k) for c passes out of n tries (as in
    tau-bench); cases with fewer than k tries are left out. ``None`` when no case has k tries.
    """
    estimates = [comb(c, k) / comb(n, k) for c, n in zip(successes, trials, strict=True) if n >= k]
    return sum(estimates) / len(estimates) if estimates else None


def mcnemar_exact(newly_failing: int, newly_passing: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pair counts (1.0 when there are none)."""
    discordant = newly_failing + newly_passing
    if discordant == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(newly_failing, discordant, 0.5).pvalue)
