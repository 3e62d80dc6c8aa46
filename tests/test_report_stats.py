"""Wilson intervals, pass^k and McNemar's exact test."""

import pytest

from harness.report.stats import mcnemar_exact, pass_hat_k, wilson_rate


def test_wilson_interval_matches_the_closed_form():
    rate = wilson_rate(3, 10)
    # closed form: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964
    assert rate.value == 0.3
    assert rate.low == pytest.approx(0.10779, abs=1e-4)
    assert rate.high == pytest.approx(0.60322, abs=1e-4)


def test_wilson_interval_gives_scipys_floats_exactly():
    from scipy.stats import binomtest

    for total in range(1, 50):
        for passed in range(total + 1):
            interval = binomtest(passed, total).proportion_ci(0.95, method="wilson")
            rate = wilson_rate(passed, total)
            assert (rate.low, rate.high) == (float(interval.low), float(interval.high))


def test_wilson_interval_at_the_edges_stays_in_unit_range():
    assert wilson_rate(0, 5).low == 0.0
    assert wilson_rate(5, 5).high == 1.0
    assert wilson_rate(5, 5).low < 1.0


def test_empty_sample_has_no_rate():
    rate = wilson_rate(0, 0)
    assert rate.value is None and rate.low is None
    assert str(rate) == "n/a (0 cases)"


def test_pass_hat_k_is_the_tau_bench_estimator():
    # case A: 2 of 3 passed, case B: 3 of 3
    assert pass_hat_k([2, 3], [3, 3], 1) == pytest.approx((2 / 3 + 1) / 2)
    assert pass_hat_k([2, 3], [3, 3], 2) == pytest.approx((1 / 3 + 1) / 2)
    assert pass_hat_k([2, 3], [3, 3], 3) == pytest.approx(0.5)


def test_pass_hat_k_skips_cases_with_too_few_tries():
    assert pass_hat_k([1, 2], [1, 2], 2) == 1.0
    assert pass_hat_k([1], [1], 2) is None


def test_mcnemar_exact_two_sided():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(6, 0) == pytest.approx(2 * 0.5**6)
    assert mcnemar_exact(3, 1) == pytest.approx(0.625)
    assert mcnemar_exact(1, 3) == mcnemar_exact(3, 1)
