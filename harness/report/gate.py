"""The regression gate: thresholds from `[tool.harness.gate]` turned into an exit code.

Exit codes: 0 the gate passed; 1 the gate failed (pass rate below a threshold, a critical
case newly failing, a significant regression); 2 a harness error (unreadable run or
baseline, stale cassettes, no results).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from harness.report.aggregate import operation_rates, overall_rate
from harness.report.compare import compare_frames
from harness.report.config import GateConfig
from harness.report.load import ReportError, load_run

PASSED, FAILED, HARNESS_ERROR = 0, 1, 2
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
    return gate_frames(run, baseline, config)


def gate_frames(run: pd.DataFrame, baseline: pd.DataFrame | None, config: GateConfig) -> GateResult:
    """``evaluate_gate`` on already loaded runs."""
    if run.empty:
        return GateResult(HARNESS_ERROR, "harness error: the run has no results")
    stale = sorted(set(run.loc[run["status"] == "stale", "case_id"]))
    if stale:
        return GateResult(HARNESS_ERROR, f"{len(stale)} cases stale: {_listed(stale)}")
    failures = []
    overall = overall_rate(run)
    if overall.value < config.min_pass_rate:
        failures.append(f"pass rate {overall.value:.1%} < min {config.min_pass_rate:.1%}")
    for row in operation_rates(run).itertuples():
        threshold = config.operation_threshold(row.operation)
        if row.rate < threshold:
            failures.append(f"{row.operation} pass rate {row.rate:.1%} < min {threshold:.1%}")
    if baseline is not None:
        comparison = compare_frames(baseline, run, config.alpha, config.critical_tag)
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
    return GateResult(PASSED, f"gate passed: pass rate {overall}")


def _listed(case_ids: list[str]) -> str:
    shown = ", ".join(case_ids[:LISTED_CASES])
    extra = len(case_ids) - LISTED_CASES
    return f"{shown} (+{extra} more)" if extra > 0 else shown
