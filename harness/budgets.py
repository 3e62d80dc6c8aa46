"""Response-size and latency budgets, measured from the proxy's request log.

`harness fuzz` and `harness eval --execute` run the proxy in process with a request log; this
module aggregates its records per (surface, operation): the largest body a caller received
(characters) and the p95 latency, and checks them against each target's budget.

```python
from harness.budgets import measure, load_budgets, check_budgets
report = check_budgets(measure(records), load_budgets())
report.passed, report.violations, report.to_dict(), report.markdown_lines()
```

Budgets come from `[tool.harness.budgets]` in pyproject.toml; without it, GPT Actions' documented
limits apply (payloads under 100,000 characters, a 45 s timeout:
https://developers.openai.com/api/docs/actions/production):

```toml
[tool.harness.budgets.gpt-actions]
max_response_chars = 100000   # a body must be shorter than this
max_latency_s = 45            # the p95 latency must be below this
```
"""

from __future__ import annotations

import math
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.targets import TARGETS

DEFAULT_SURFACE = "rest"
BUDGET_KEYS = ("max_response_chars", "max_latency_s")


class BudgetConfigError(InputError):
    """Invalid `[tool.harness.budgets]`; the message names the file and key."""


@dataclass(frozen=True)
class OperationMeasure:
    """What the log shows for one operation on one surface."""

    surface: str
    operation: str
    requests: int
    max_response_chars: int
    p95_latency_ms: float
    max_latency_ms: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "surface": self.surface,
            "operation": self.operation,
            "requests": self.requests,
            "max_response_chars": self.max_response_chars,
            "p95_latency_ms": self.p95_latency_ms,
            "max_latency_ms": self.max_latency_ms,
        }


@dataclass(frozen=True)
class Budget:
    """A target's limits: bodies shorter than ``max_response_chars``, p95 under the timeout."""

    target: str
    max_response_chars: int
    max_latency_s: float


DEFAULT_BUDGETS: dict[str, Budget] = {"gpt-actions": Budget("gpt-actions", 100_000, 45.0)}


@dataclass(frozen=True)
class Violation:
    """One measure over one target's budget."""

    target: str
    surface: str
    operation: str
    measure: str
    value: float
    limit: float

    def line(self) -> str:
        """``target: surface operation: measure VALUE >= LIMIT``."""
        unit = " ms" if self.measure == "p95_latency_ms" else ""
        return (
            f"{self.target}: {self.surface} {self.operation}: {self.measure} "
            f"{self.value:g}{unit} is over the budget (must be below {self.limit:g}{unit})"
        )


@dataclass(frozen=True)
class BudgetReport:
    """Every measure, the budgets applied and what broke them."""

    measures: list[OperationMeasure]
    budgets: list[Budget]
    violations: list[Violation] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        """Whether any API call was logged (a run that made none measured nothing)."""
        return bool(self.measures)

    @property
    def passed(self) -> bool:
        """No measure over any budget."""
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (written into reports)."""
        return {
            "passed": self.passed,
            "measured": self.measured,
            "budgets": {
                b.target: {
                    "max_response_chars": b.max_response_chars,
                    "max_latency_s": b.max_latency_s,
                }
                for b in self.budgets
            },
            "operations": [m.to_dict() for m in self.measures],
            "violations": [v.__dict__ for v in self.violations],
        }

    def text_lines(self) -> list[str]:
        """A short plain-text block: one line per operation, then the verdict."""
        if not self.measured:
            return ["budgets: no API call was made; nothing measured"]
        lines = ["budgets (largest response, p95 latency, per operation):"]
        lines += [
            f"  {m.surface} {m.operation}: {m.max_response_chars} chars, "
            f"p95 {m.p95_latency_ms:.1f} ms ({m.requests} requests)"
            for m in self.measures
        ]
        lines += [f"  OVER {v.line()}" for v in self.violations]
        names = ", ".join(b.target for b in self.budgets) or "none configured"
        lines.append(f"budgets {'passed' if self.passed else 'FAILED'} ({names})")
        return lines

    def markdown_lines(self) -> list[str]:
        """A Markdown table of the measures with the budgets and violations."""
        if not self.measured:
            return ["**Budgets**: no API call was made; nothing measured."]
        limits = "; ".join(
            f"{b.target}: < {b.max_response_chars:,} chars, p95 < {b.max_latency_s:g} s"
            for b in self.budgets
        )
        lines = [
            f"**Budgets** ({'passed' if self.passed else 'FAILED'}; {limits or 'none configured'})",
            "",
            "| surface | operation | requests | largest response (chars) | p95 latency |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {m.surface} | {m.operation} | {m.requests} | {m.max_response_chars:,} | "
            f"{m.p95_latency_ms:.1f} ms |"
            for m in self.measures
        ]
        lines += [f"- over budget: {v.line()}" for v in self.violations]
        return lines


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (no interpolation: a value that occurred)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def measure(records: Iterable[Mapping[str, Any]]) -> list[OperationMeasure]:
    """Aggregate request-log records per (surface, operation), sorted.

    A record without ``surface`` is a REST call (logs written before MCP existed); records
    without ``operation`` (not an API call) are ignored.
    """
    sizes: dict[tuple[str, str], list[int]] = defaultdict(list)
    latencies: dict[tuple[str, str], list[float]] = defaultdict(list)
    for record in records:
        operation = record.get("operation")
        if not isinstance(operation, str):
            continue
        key = (str(record.get("surface") or DEFAULT_SURFACE), operation)
        sizes[key].append(int(record.get("response_chars") or 0))
        if isinstance(record.get("latency_ms"), int | float):
            latencies[key].append(float(record["latency_ms"]))
    return [
        OperationMeasure(
            surface=surface,
            operation=operation,
            requests=len(sizes[(surface, operation)]),
            max_response_chars=max(sizes[(surface, operation)]),
            p95_latency_ms=round(percentile(latencies[(surface, operation)], 0.95), 3)
            if latencies[(surface, operation)]
            else 0.0,
            max_latency_ms=max(latencies[(surface, operation)], default=0.0),
        )
        for surface, operation in sorted(sizes)
    ]


def check_budgets(
    measures: list[OperationMeasure], budgets: Mapping[str, Budget] | None = None
) -> BudgetReport:
    """Every measure against every budget (default: GPT Actions')."""
    budgets = DEFAULT_BUDGETS if budgets is None else budgets
    violations = []
    for budget in budgets.values():
        for m in measures:
            if m.max_response_chars >= budget.max_response_chars:
                violations.append(
                    Violation(
                        budget.target,
                        m.surface,
                        m.operation,
                        "max_response_chars",
                        m.max_response_chars,
                        budget.max_response_chars,
                    )
                )
            if m.p95_latency_ms >= budget.max_latency_s * 1000:
                violations.append(
                    Violation(
                        budget.target,
                        m.surface,
                        m.operation,
                        "p95_latency_ms",
                        m.p95_latency_ms,
                        budget.max_latency_s * 1000,
                    )
                )
    return BudgetReport(measures, list(budgets.values()), violations)


def parse_budgets(table: Mapping[str, Any], source: str) -> dict[str, Budget]:
    """Validate `[tool.harness.budgets]`: one sub-table per target; it replaces the defaults.

    A target's missing key keeps that target's default (GPT Actions'), or is an error for a
    target without one.
    """
    prefix = f"{source}: tool.harness.budgets"
    budgets = dict(DEFAULT_BUDGETS)
    for target, limits in table.items():
        if target not in TARGETS:
            raise BudgetConfigError(f"{prefix}.{target}: unknown target (one of {list(TARGETS)})")
        if not isinstance(limits, dict):
            raise BudgetConfigError(f"{prefix}.{target}: expected a table")
        unknown = sorted(set(limits) - set(BUDGET_KEYS))
        if unknown:
            raise BudgetConfigError(f"{prefix}.{target}.{unknown[0]}: unknown key")
        base = budgets.get(target)
        values: dict[str, float] = {}
        for key in BUDGET_KEYS:
            value = limits.get(key, getattr(base, key) if base else None)
            if value is None:
                raise BudgetConfigError(f"{prefix}.{target}.{key}: missing")
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise BudgetConfigError(f"{prefix}.{target}.{key}: expected a positive number")
            values[key] = value
        budgets[target] = Budget(
            target, int(values["max_response_chars"]), float(values["max_latency_s"])
        )
    return budgets


def load_budgets(start: Path | None = None) -> dict[str, Budget]:
    """The budgets of the pyproject.toml found from ``start`` (cwd) upward, else the defaults."""
    from harness.pyproject import find_pyproject

    path = find_pyproject(start or Path.cwd())
    if path is None:
        return dict(DEFAULT_BUDGETS)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise BudgetConfigError(f"{path}: invalid TOML: {error}") from error
    return parse_budgets(data.get("tool", {}).get("harness", {}).get("budgets", {}), str(path))


def budget_report(records: Iterable[Mapping[str, Any]], start: Path | None = None) -> BudgetReport:
    """Measure ``records`` and check them against the configured budgets."""
    return check_budgets(measure(records), load_budgets(start))
