"""Compare a run with a baseline: flipped cases, per-operation deltas, McNemar's exact test.

Cases are paired on ``case_id``. With repeats, a case counts as passed in a run when more
than half of its repeats passed (a tie counts as not passed); stale and error rows count as
not passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness.report.aggregate import case_table, operation_rates, overall_rate
from harness.report.load import load_run
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
    operations: pd.DataFrame
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
            "operations": [
                {key: (None if pd.isna(value) else value) for key, value in row.items()}
                for row in self.operations.to_dict(orient="records")
            ],
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
        changed = self.operations[self.operations["delta"].fillna(1.0) != 0]
        if len(changed):
            lines += ["", "**Per-operation change**", ""]
            lines += table(
                ["operation", "baseline", "run", "delta"],
                [
                    [
                        row.operation,
                        percent(row.baseline_rate),
                        percent(row.run_rate),
                        _signed(row.delta),
                    ]
                    for row in changed.itertuples()
                ],
            )
        return "\n".join(lines) + "\n"


def _case_label(flip: Flip, critical_tag: str) -> str:
    return (
        f"`{flip.case_id}` ({critical_tag})" if critical_tag in flip.tags else f"`{flip.case_id}`"
    )


def _signed(delta: float | None) -> str:
    return "n/a" if delta is None or pd.isna(delta) else f"{delta * 100:+.1f} pp"


def compare_runs(
    baseline_dir: Path | str,
    run_dir: Path | str,
    alpha: float = DEFAULT_ALPHA,
    critical_tag: str = "critical",
) -> Comparison:
    """Pair the cases of two runs on case_id and report flips, deltas and McNemar's p-value."""
    return compare_frames(load_run(baseline_dir), load_run(run_dir), alpha, critical_tag)


def compare_frames(
    baseline: pd.DataFrame,
    run: pd.DataFrame,
    alpha: float = DEFAULT_ALPHA,
    critical_tag: str = "critical",
) -> Comparison:
    """``compare_runs`` on already loaded runs."""
    before = case_table(baseline).set_index("case_id")
    after = case_table(run).set_index("case_id")
    paired = before.index.intersection(after.index)
    was_passing = before.loc[paired, "pass_fraction"] > 0.5
    now_passing = after.loc[paired, "pass_fraction"] > 0.5
    newly_failing, newly_passing = [], []
    for case_id in paired[was_passing != now_passing]:
        was, now = before.loc[case_id], after.loc[case_id]
        flip = Flip(
            case_id=str(case_id),
            operation=now["operation"],
            expected_operations=list(now["expected_operations"]),
            tags=list(now["tags"]),
            baseline_passes=f"{was['passes']}/{was['tries']}",
            run_passes=f"{now['passes']}/{now['tries']}",
            reason=_reason(was if now_passing[case_id] else now),
        )
        (newly_passing if now_passing[case_id] else newly_failing).append(flip)
    return Comparison(
        baseline_id=_run_id(baseline),
        run_id=_run_id(run),
        baseline_rate=overall_rate(baseline),
        run_rate=overall_rate(run),
        paired_cases=len(paired),
        newly_failing=newly_failing,
        newly_passing=newly_passing,
        only_in_baseline=sorted(before.index.difference(after.index)),
        only_in_run=sorted(after.index.difference(before.index)),
        operations=_operation_deltas(baseline, run, newly_failing, newly_passing),
        p_value=mcnemar_exact(len(newly_failing), len(newly_passing)),
        alpha=alpha,
        critical_tag=critical_tag,
    )


def _operation_deltas(
    baseline: pd.DataFrame, run: pd.DataFrame, newly_failing: list[Flip], newly_passing: list[Flip]
) -> pd.DataFrame:
    before = operation_rates(baseline).set_index("operation")
    after = operation_rates(run).set_index("operation")
    operations = sorted(set(before.index) | set(after.index))
    records = []
    for operation in operations:
        was = before["rate"].get(operation)
        now = after["rate"].get(operation)
        records.append(
            {
                "operation": operation,
                "baseline_rate": was,
                "run_rate": now,
                "delta": None if was is None or now is None else now - was,
                "baseline_total": int(before["total"].get(operation, 0)),
                "run_total": int(after["total"].get(operation, 0)),
                "newly_failing": sum(_expects(flip, operation) for flip in newly_failing),
                "newly_passing": sum(_expects(flip, operation) for flip in newly_passing),
            }
        )
    return pd.DataFrame(records)


def _expects(flip: Flip, operation: str) -> bool:
    return operation in (flip.expected_operations or [NO_CALL])


def _reason(case: pd.Series) -> str | None:
    """The failure reason shown for a flip: the run's, or the baseline's for a fixed case."""
    return None if pd.isna(case["reason"]) else str(case["reason"])


def _run_id(df: pd.DataFrame) -> str:
    run_id = df.attrs.get("run", {}).get("run_id")
    if run_id:
        return str(run_id)
    return Path(df.attrs.get("run_dir", "run")).name
