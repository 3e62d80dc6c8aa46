"""The regression gate: thresholds from `[tool.harness.gate]` turned into an exit code.

Exit codes: 0 the gate passed; 1 the gate failed (pass rate below a threshold, a critical
case newly failing, a significant regression); 2 a harness error (unreadable run or
baseline, stale cassettes, errored cases beyond ``max_error_rate``, no results, or no case
scored at all: a run that measured nothing never passes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from harness.errors import CHECK_FAILED, HARNESS_ERROR, OK
from harness.report.aggregate import operation_rates, overall_rate
from harness.report.compare import compare_loaded
from harness.report.config import GateConfig
from harness.report.load import ReportError, Run, load_run
from harness.report.stats import wilson_rate

PASSED, FAILED = OK, CHECK_FAILED
LISTED_CASES = 5


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict: ``exit_code`` (0, 1 or 2) and a one-line ``reason``."""

    exit_code: int
    reason: str

    @property
    def passed(self) -> bool:
        """True when the gate let the run through."""
        return self.exit_code == PASSED


def evaluate_gate(
    run_dir: Path | str, baseline_dir: Path | str | None, config: GateConfig
) -> GateResult:
    """Apply the gate to a run, comparing with ``baseline_dir`` when given."""
    try:
        run = load_run(run_dir)
        baseline = load_run(baseline_dir) if baseline_dir is not None else None
    except ReportError as exc:
        return GateResult(HARNESS_ERROR, f"harness error: {exc}")
    return gate_loaded(run, baseline, config)


def gate_loaded(run: Run, baseline: Run | None, config: GateConfig) -> GateResult:
    """``evaluate_gate`` on already loaded runs."""
    if not run.rows:
        return GateResult(HARNESS_ERROR, "harness error: the run has no results")
    stale = sorted({row["case_id"] for row in run.rows if row["status"] == "stale"})
    if stale:
        return GateResult(HARNESS_ERROR, f"{len(stale)} cases stale: {_listed(stale)}")
    unmeasured = _errors_problem(run, config)
    if unmeasured is not None:
        return GateResult(HARNESS_ERROR, unmeasured)
    failures = []
    overall = overall_rate(run.rows)
    if overall.value < config.min_pass_rate:
        failures.append(f"pass rate {overall.value:.1%} < min {config.min_pass_rate:.1%}")
    for row in operation_rates(run):
        threshold = config.operation_threshold(row["operation"])
        if row["rate"] < threshold:
            failures.append(f"{row['operation']} pass rate {row['rate']:.1%} < min {threshold:.1%}")
    if baseline is not None:
        comparison = compare_loaded(baseline, run, config.alpha, config.critical_tag)
        critical = [flip.case_id for flip in comparison.newly_failing_with_tag(config.critical_tag)]
        if critical:
            failures.append(
                f"{len(critical)} {config.critical_tag} cases newly failing: {_listed(critical)}"
            )
        drop = -comparison.paired_delta
        if comparison.significant_regression and drop > config.max_significant_regression:
            failures.append(
                f"significant regression: paired pass rate down {drop:.1%} "
                f"(McNemar p = {comparison.p_value:.3g} < {config.alpha}; "
                f"max {config.max_significant_regression:.1%})"
            )
    if failures:
        return GateResult(FAILED, "gate failed: " + "; ".join(failures))
    return GateResult(PASSED, f"gate passed: pass rate {overall}{_vacuity_note(config, baseline)}")


def first_error(run: Run) -> str | None:
    """``case_id: message`` of the first errored row of a loaded run, if any."""
    row = next((row for row in run.rows if row["status"] == "error"), None)
    if row is None:
        return None
    message = row["error"] or row["reason"] or "unknown error"
    return f"{row['case_id']}: {' '.join(str(message).split())}"


def _errors_problem(run: Run, config: GateConfig) -> str | None:
    """Why the errored rows make the run unmeasured, or None when they are tolerated."""
    count = sum(1 for row in run.rows if row["status"] == "error")
    if count == 0:
        return None
    quoted = f"first: {first_error(run)}"
    if count == len(run):
        if config.max_error_rate >= 1.0:
            return f"harness error: no case was scored ({count} of {count} runs errored); {quoted}"
    elif count / len(run) <= config.max_error_rate:
        return None
    return (
        f"harness error: {count} of {len(run)} runs errored "
        f"(max {config.max_error_rate:.1%}); {quoted}"
    )


def _vacuity_note(config: GateConfig, baseline: Run | None) -> str:
    if not config.vacuous:
        return ""
    if baseline is None:
        return (
            "; no pass-rate threshold and no baseline: only errors and stale cases were checked "
            "(set [tool.harness.gate] min_pass_rate or pass --baseline)"
        )
    return "; min_pass_rate is 0.0: only the regression check against the baseline is active"


def thresholds_from_baseline(baseline: Run, base: GateConfig | None = None) -> GateConfig:
    """Gate thresholds derived from a baseline run: ``base`` with pass-rate minimums set.

    Each minimum is the lower end of the 95% Wilson interval of the baseline's own rate
    (overall and per operation), rounded down to a whole percent: a run of the same model that
    does as well as the baseline passes, a clear drop fails. `harness report RUN
    --suggest-thresholds` prints the result as a `[tool.harness.gate]` table.
    """
    base = base or GateConfig()
    if not baseline.rows:
        raise ReportError("the baseline has no results to derive thresholds from")
    overall = overall_rate(baseline.rows)
    per_operation = {
        row["operation"]: _floor_percent(wilson_rate(row["passed"], row["total"]).low)
        for row in operation_rates(baseline)
    }
    return replace(
        base, min_pass_rate=_floor_percent(overall.low), min_operation_pass_rate=per_operation
    )


def _floor_percent(value: float | None) -> float:
    return math.floor((value or 0.0) * 100 + 1e-9) / 100


def _listed(case_ids: list[str]) -> str:
    shown = ", ".join(case_ids[:LISTED_CASES])
    extra = len(case_ids) - LISTED_CASES
    return f"{shown} (+{extra} more)" if extra > 0 else shown
