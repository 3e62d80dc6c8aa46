"""Upstream fault scenarios: the offline mock misbehaves, the proxy must still answer cleanly.

Each scenario names the mock's :class:`~harness.mock.faults.Faults` and the statuses a valid
request may then get from the proxy (its documented mapping, see
:mod:`harness.proxy.upstream`). The fuzz run for a scenario keeps every contract check, lets
the mapped 5xx through ``not_a_server_error`` (never a 500), and requires that status from
``positive_data_acceptance``. The mock mangles only 200 bodies, so under the body faults an
unknown id still gets its honest 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SLOW_UPSTREAM_DELAY_S = 0.5
SLOW_PROXY_TIMEOUT_S = 0.1


@dataclass(frozen=True)
class FaultScenario:
    """One way for the upstream to fail and what the proxy may answer to a valid request."""

    name: str
    faults: dict[str, Any]
    expected_statuses: tuple[str, ...]
    proxy_timeout: float | None = field(default=None)
    """Set to run the proxy with this upstream timeout against the mock served over TCP."""


FAULT_SCENARIOS: tuple[FaultScenario, ...] = (
    FaultScenario("upstream-429", {"status": 429}, ("429",)),
    FaultScenario("upstream-500", {"status": 500}, ("502",)),
    FaultScenario("upstream-503", {"status": 503}, ("502",)),
    FaultScenario(
        "upstream-slow",
        {"delay_s": SLOW_UPSTREAM_DELAY_S},
        ("504",),
        proxy_timeout=SLOW_PROXY_TIMEOUT_S,
    ),
    FaultScenario("upstream-malformed-json", {"malformed_json": True}, ("502", "404")),
    FaultScenario("upstream-truncated-body", {"truncated_body": True}, ("502", "404")),
)


def scenario_names() -> tuple[str, ...]:
    """The names ``--faults`` accepts."""
    return tuple(scenario.name for scenario in FAULT_SCENARIOS)


def select_scenarios(names: tuple[str, ...]) -> tuple[FaultScenario, ...]:
    """The scenarios named (all for ``("all",)``); raise ``ValueError`` naming unknown ones."""
    if names == ("all",):
        return FAULT_SCENARIOS
    unknown = sorted(set(names) - set(scenario_names()))
    if unknown:
        raise ValueError(
            f"unknown fault scenario(s) {', '.join(unknown)}; "
            f"choose from all, {', '.join(scenario_names())}"
        )
    return tuple(scenario for scenario in FAULT_SCENARIOS if scenario.name in names)
