"""Contract fuzzing of the real proxy (in-process, offline mock) through schemathesis' pytest
integration: a bounded run on every ``pytest``, the long run behind ``-m slow``.

The bounded run is one pytest test per operation and phase, with all contract checks of
:mod:`harness.fuzz.config` (the leak, stack-trace and error-envelope checks included).
The long run drives the full engine (all phases, >= 1,000 examples per operation, then every
upstream fault scenario) and writes its summary to ``reports/fuzz-long.json``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from harness.contract.load import load_spec
from harness.fuzz.config import FuzzOptions
from harness.fuzz.fault_scenarios import FAULT_SCENARIOS
from harness.fuzz.fuzz_suite import (
    app_schema,
    new_secret,
    run_contract_offline,
    run_fault,
    write_summary,
)
from harness.offline import create_offline_app

BOUNDED_EXAMPLES = 5
LONG_EXAMPLES = 1000
LONG_FAULT_EXAMPLES = 100
LONG_SEED = 20261122
LONG_REPORT = Path(__file__).resolve().parents[1] / "reports" / "fuzz-long.json"

SECRET = new_secret()


# Loaded at import: ``schemathesis.pytest.from_fixture`` reads ``Function._nodeid``, which
# pytest 9 no longer has.
schema = app_schema(
    create_offline_app(SECRET), FuzzOptions(max_examples=BOUNDED_EXAMPLES, seed=0), SECRET
)


@schema.parametrize()
@settings(
    max_examples=BOUNDED_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_proxy_honours_its_spec(case):
    case.call_and_validate()


@pytest.mark.slow
def test_long_fuzz_has_zero_failures_at_a_thousand_examples_per_operation():
    secret = new_secret()
    options = FuzzOptions(max_examples=LONG_EXAMPLES, seed=LONG_SEED)
    results = [run_contract_offline(options, secret)]
    fault_options = FuzzOptions(max_examples=LONG_FAULT_EXAMPLES, seed=LONG_SEED)
    results += [run_fault(scenario, fault_options, secret) for scenario in FAULT_SCENARIOS]
    write_summary(results, LONG_REPORT)

    for result in results:
        assert result.ok, (result.summary_line(), result.failures, result.errors)
    # An operation without parameters has a handful of distinct requests; hypothesis stops
    # once it has sent them all. Every other operation gets the full budget.
    contract = results[0]
    with_parameters = {
        f"GET {operation.path}"
        for operation in load_spec().operations.values()
        if operation.parameters
    }
    budgeted = {label: n for label, n in contract.examples.items() if label in with_parameters}
    assert len(budgeted) == len(with_parameters)
    assert min(budgeted.values()) >= LONG_EXAMPLES, budgeted
