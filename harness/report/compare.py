"""Compare a run with a baseline: flipped cases, per-operation deltas, McNemar's exact test.

Cases are paired on ``case_id``. With repeats, a case counts as passed in a run when more
than half of its repeats passed (a tie counts as not passed); stale and error rows count as
not passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.report.aggregate import case_table, operation_rates, overall_rate
from harness.report.load import Run, load_run
from harness.report.markdown import format_rate, percent, table
from harness.report.stats import Rate, mcnemar_exact
from harness.results import NO_CALL

DEFAULT_ALPHA = 0.05


@dataclass(frozen=True)
class Flip:
    """A paired case whose majority verdict changed between baseline and run."""

    case_id: str
    operation: str
    expected_operations: list[str]
    tags: list[str]
    baseline_passes: str
    run_passes: str
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


@dataclass
class Comparison:
    """The difference between a baseline run and a new run."""

    baseline_id: str
    run_id: str
    baseline_rate: Rate
    run_rate: Rate
    paired_cases: int
    newly_failing: list[Flip]
    newly_passing: list[Flip]
    only_in_baseline: list[str]
    only_in_run: list[str]
    operations: list[dict[str, Any]]
    """Per operation: baseline_rate, run_rate, delta (``None`` where a side has no rows),
    baseline_total, run_total, newly_failing, newly_passing."""
    p_value: float
    alpha: float = DEFAULT_ALPHA
    critical_tag: str = "critical"

    @property
    def paired_delta(self) -> float:
        """Change in the paired case pass rate (negative is a drop)."""
        if not self.paired_cases:
            return 0.0
        return (len(self.newly_passing) - len(self.newly_failing)) / self.paired_cases

    @property
    def significant_regression(self) -> bool:
        """More cases newly failing than newly passing, with McNemar p below alpha."""
        return len(self.newly_failing) > len(self.newly_passing) and self.p_value < self.alpha

    def newly_failing_with_tag(self, tag: str) -> list[Flip]:
        """Newly failing cases that carry ``tag`` (e.g. ``critical``)."""
        return [flip for flip in self.newly_failing if tag in flip.tags]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``harness compare --format json``)."""
        return {
            "baseline_id": self.baseline_id,
            "run_id": self.run_id,
            "baseline": self.baseline_rate.to_dict(),
            "run": self.run_rate.to_dict(),
            "paired_cases": self.paired_cases,
            "paired_delta": self.paired_delta,
            "newly_failing": [flip.to_dict() for flip in self.newly_failing],
            "newly_passing": [flip.to_dict() for flip in self.newly_passing],
            "only_in_baseline": self.only_in_baseline,
            "only_in_run": self.only_in_run,
            "mcnemar_p_value": self.p_value,
            "alpha": self.alpha,
            "significant_regression": self.significant_regression,
            "operations": [dict(row) for row in self.operations],
        }

    def to_markdown(self) -> str:
        """A short Markdown section for a pull-request comment."""
        verdict = (
            f"**significant regression** (McNemar p = {self.p_value:.3g} < {self.alpha})"
            if self.significant_regression
            else f"no significant regression (McNemar p = {self.p_value:.3g}, alpha {self.alpha})"
        )
        lines = [
            f"### Compared with baseline `{self.baseline_id}`",
            "",
            f"- Pass rate: {format_rate(self.baseline_rate)} → {format_rate(self.run_rate)}",
            f"- Paired cases: {self.paired_cases}; {len(self.newly_failing)} pass→fail, "
            f"{len(self.newly_passing)} fail→pass; {verdict}",
        ]
        if self.only_in_baseline or self.only_in_run:
            lines.append(
                f"- Not paired: {len(self.only_in_baseline)} only in baseline, "
                f"{len(self.only_in_run)} only in this run"
            )
        for title, flips in (
            ("pass → fail", self.newly_failing),
            ("fail → pass", self.newly_passing),
        ):
            if flips:
                lines += ["", f"**{title}**", ""]
                lines += table(
                    ["case", "operation", "baseline", "run", "reason"],
                    [
                        [
                            _case_label(flip, self.critical_tag),
                            flip.operation,
                            flip.baseline_passes,
                            flip.run_passes,
                            flip.reason or "",
                        ]
                        for flip in flips
                    ],
                )
        changed = [row for row in self.operations if row["delta"] is None or row["delta"] != 0]
        if changed:
            lines += ["", "**Per-operation change**", ""]
            lines += table(
                ["operation", "baseline", "run", "delta"],
                [
                    [
                        row["operation"],
                        percent(row["baseline_rate"]),
                        percent(row["run_rate"]),
                        _signed(row["delta"]),
                    ]
                    for row in changed
                ],
            )
        return "\n".join(lines) + "\n"


def _case_label(flip: Flip, critical_tag: str) -> str:
    return (
        f"`{flip.case_id}` ({critical_tag})" if critical_tag in flip.tags else f"`{flip.case_id}`"
    )


def _signed(delta: float | None) -> str:
    return "n/a" if delta is None else f"{delta * 100:+.1f} pp"


def compare_runs(
    baseline_dir: Path | str,
    run_dir: Path | str,
    alpha: float = DEFAULT_ALPHA,
    critical_tag: str = "critical",
) -> Comparison:
    """Pair the cases of two runs on case_id and report flips, deltas and McNemar's p-value."""
    return compare_loaded(load_run(baseline_dir), load_run(run_dir), alpha, critical_tag)


def compare_loaded(
    baseline: Run,
    run: Run,
    alpha: float = DEFAULT_ALPHA,
    critical_tag: str = "critical",
) -> Comparison:
    """``compare_runs`` on already loaded runs."""
    before = {case["case_id"]: case for case in case_table(baseline)}
    after = {case["case_id"]: case for case in case_table(run)}
    paired = [case_id for case_id in before if case_id in after]
    newly_failing, newly_passing = [], []
    for case_id in paired:
        was, now = before[case_id], after[case_id]
        now_passing = now["pass_fraction"] > 0.5
        if (was["pass_fraction"] > 0.5) == now_passing:
            continue
        flip = Flip(
            case_id=str(case_id),
            operation=now["operation"],
            expected_operations=list(now["expected_operations"]),
            tags=list(now["tags"]),
            baseline_passes=f"{was['passes']}/{was['tries']}",
            run_passes=f"{now['passes']}/{now['tries']}",
            reason=_reason(was if now_passing else now),
        )
        (newly_passing if now_passing else newly_failing).append(flip)
    return Comparison(
        baseline_id=_run_id(baseline),
        run_id=_run_id(run),
        baseline_rate=overall_rate(baseline.rows),
        run_rate=overall_rate(run.rows),
        paired_cases=len(paired),
        newly_failing=newly_failing,
        newly_passing=newly_passing,
        only_in_baseline=sorted(before.keys() - after.keys()),
        only_in_run=sorted(after.keys() - before.keys()),
        operations=_operation_deltas(baseline, run, newly_failing, newly_passing),
        p_value=mcnemar_exact(len(newly_failing), len(newly_passing)),
        alpha=alpha,
        critical_tag=critical_tag,
    )


def _operation_deltas(
    baseline: Run, run: Run, newly_failing: list[Flip], newly_passing: list[Flip]
) -> list[dict[str, Any]]:
    before = {row["operation"]: row for row in operation_rates(baseline)}
    after = {row["operation"]: row for row in operation_rates(run)}
    records = []
    for operation in sorted(before.keys() | after.keys()):
        was = before.get(operation, {}).get("rate")
        now = after.get(operation, {}).get("rate")
        records.append(
            {
                "operation": operation,
                "baseline_rate": was,
                "run_rate": now,
                "delta": None if was is None or now is None else now - was,
                "baseline_total": before.get(operation, {}).get("total", 0),
                "run_total": after.get(operation, {}).get("total", 0),
                "newly_failing": sum(_expects(flip, operation) for flip in newly_failing),
                "newly_passing": sum(_expects(flip, operation) for flip in newly_passing),
            }
        )
    return records


def _expects(flip: Flip, operation: str) -> bool:
    return operation in (flip.expected_operations or [NO_CALL])


def _reason(case: dict[str, Any]) -> str | None:
    """The failure reason shown for a flip: the run's, or the baseline's for a fixed case."""
    return None if case["reason"] is None else str(case["reason"])


def _run_id(run: Run) -> str:
    run_id = run.metadata.get("run_id")
    if run_id:
        return str(run_id)
    return Path(run.directory).name
