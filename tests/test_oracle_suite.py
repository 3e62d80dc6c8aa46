"""The shipped prompt suite is consistent: every expected call passes its own matchers and
is a valid call of the spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from harness.contract.load import Spec
from harness.eval.scoring import score_case
from harness.eval.suite import Alternative, Case, ExpectedCall, load_suite
from harness.results import ToolCall

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
SUITE = load_suite(PROMPTS)
CASES = {case.id: case for case in SUITE.cases}


def minimal_arguments(call: ExpectedCall) -> dict[str, Any]:
    """The first acceptable value of every argument that may not be omitted."""
    return {
        name: matchers[0].example()
        for name, matchers in call.arguments.items()
        if name not in call.optional
    }


def full_arguments(call: ExpectedCall) -> dict[str, Any]:
    """The first acceptable value of every argument, optional ones included."""
    return {name: matchers[0].example() for name, matchers in call.arguments.items() if matchers}


def canonical_calls(alternative: Alternative, build) -> list[ToolCall]:
    return [ToolCall(call.operation, build(call)) for call in alternative.calls]


def test_suite_size_and_coverage(spec: Spec) -> None:
    assert len(SUITE) >= 90
    assert sum(case.expects_no_call for case in SUITE) >= 12
    assert sum("critical" in case.tags for case in SUITE) >= 10
    covered = {operation for case in SUITE for operation in case.operations}
    assert covered == set(spec.operations)
    for kind in ("paraphrase", "non-english", "ambiguous", "multi-call", "irrelevance"):
        assert any(kind in case.tags for case in SUITE), kind


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_canonical_answers_pass(case_id: str, spec: Spec) -> None:
    case = CASES[case_id]
    if case.expects_no_call:
        assert score_case(case, [], spec).passed
        return
    for alternative in case.alternatives:
        for build in (minimal_arguments, full_arguments):
            calls = canonical_calls(alternative, build)
            for with_spec in (spec, None):
                score = score_case(case, calls, with_spec)
                assert (score.passed, score.score, score.reason) == (True, 1.0, None), calls
    assert not score_case(case, [], spec).passed


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_expected_calls_are_valid_spec_calls(case_id: str, spec: Spec) -> None:
    case: Case = CASES[case_id]
    for alternative in case.alternatives:
        for call in alternative.calls:
            operation = spec.operations.get(call.operation)
            assert operation is not None, f"{case.source}:{call.line}: unknown {call.operation}"
            parameters = {parameter.name: parameter for parameter in operation.parameters}
            unknown = set(call.arguments) - set(parameters)
            assert not unknown, f"{case.source}:{call.line}: unknown arguments {unknown}"
            arguments = minimal_arguments(call)
            for parameter in operation.parameters:
                if parameter.required:
                    assert parameter.name in arguments, (
                        f"{case.source}:{call.line}: {parameter.name} is required by the spec"
                    )
            for name, matchers in call.arguments.items():
                for value in (matcher.example() for matcher in matchers):
                    try:
                        jsonschema.validate(value, parameters[name].schema)
                    except jsonschema.ValidationError as error:
                        pytest.fail(f"{case.source}:{call.line}: {name}={value!r}: {error.message}")
