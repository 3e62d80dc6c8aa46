"""(case, calls) pairs for the scoring benchmark and the verdict-equivalence test.

Every case of the committed suite is paired with answers a model could give: the canonical
call with all or only the needed arguments, re-cased and re-punctuated strings, numbers sent
as strings, a wrong value, an argument restating the spec's default, an unasked-for argument,
the wrong operation, no call and an extra call. Variant ``k`` of a case is deterministic
(seeded by case id and ``k``), so the same pairs come out on every machine.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from harness.contract.load import Spec
from harness.eval.suite import Case, ExpectedCall
from harness.results import ToolCall

VARIANTS = (
    "full",
    "minimal",
    "restyled",
    "numbers_as_text",
    "wrong_value",
    "restated_default",
    "unexpected",
    "wrong_operation",
    "no_call",
    "extra_call",
)


def pairs(cases: list[Case], spec: Spec, count: int) -> list[tuple[Case, list[ToolCall]]]:
    """``count`` pairs: every variant of every case in turn, then again with new seeds."""
    generated = []
    stream = _stream(cases, spec)
    while len(generated) < count:
        generated.append(next(stream))
    return generated


def _stream(cases: list[Case], spec: Spec) -> Iterator[tuple[Case, list[ToolCall]]]:
    round_number = 0
    while True:
        for variant in VARIANTS:
            for case in cases:
                rng = random.Random(f"{case.id}/{variant}/{round_number}")
                yield case, _answer(case, variant, spec, rng)
        round_number += 1


def _answer(case: Case, variant: str, spec: Spec, rng: random.Random) -> list[ToolCall]:
    if case.expects_no_call:
        operation = rng.choice(sorted(spec.operations))
        return [] if variant in ("full", "minimal", "no_call") else [ToolCall(operation, {})]
    alternative = rng.choice(case.alternatives)
    calls = [ToolCall(e.operation, _arguments(e, variant, spec, rng)) for e in alternative.calls]
    if variant == "wrong_operation":
        others = sorted(set(spec.operations) - {calls[0].name})
        calls[0] = ToolCall(rng.choice(others), calls[0].arguments)
    elif variant == "no_call":
        calls = []
    elif variant == "extra_call":
        calls.append(ToolCall(rng.choice(sorted(spec.operations)), {}))
    return calls


def _arguments(expected: ExpectedCall, variant: str, spec: Spec, rng: random.Random) -> dict:
    arguments = {
        name: matchers[0].example()
        for name, matchers in expected.arguments.items()
        if matchers and (variant != "minimal" or name not in expected.optional)
    }
    operation = spec.operations[expected.operation]
    if variant == "restyled":
        arguments = {name: _restyled(value, rng) for name, value in arguments.items()}
    elif variant == "numbers_as_text":
        arguments = {name: _as_text(value) for name, value in arguments.items()}
    elif variant == "wrong_value" and arguments:
        name = rng.choice(sorted(arguments))
        arguments[name] = _wrong(arguments[name])
    elif variant in ("restated_default", "unexpected"):
        spare = [p for p in operation.parameters if p.name not in arguments]
        if variant == "restated_default":
            spare = [p for p in spare if "default" in p.schema]
        if spare:
            parameter = rng.choice(spare)
            arguments[parameter.name] = (
                parameter.schema["default"]
                if variant == "restated_default"
                else _filler(parameter.schema)
            )
    return arguments


def _restyled(value: Any, rng: random.Random) -> Any:
    if not isinstance(value, str):
        return value
    styled = value.upper() if rng.random() < 0.5 else value.title()
    return f" {styled}." if rng.random() < 0.5 else styled


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _wrong(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1000
    return "zzz unrelated"


def _filler(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        return 7
    if kind == "number":
        return 7.5
    if kind == "boolean":
        return True
    return schema.get("enum", ["something"])[0]
