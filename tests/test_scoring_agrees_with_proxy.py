"""Scoring and the proxy's validation share one rule: an argument the proxy answers 400 for
is never scored correct, and every argument it accepts is scored on its value."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.contract.load import Spec
from harness.eval.acceptance import bound_refusal, refusal
from harness.eval.loop import proxy_executor
from harness.eval.scoring import score_case
from harness.eval.suite import load_suite
from harness.offline import create_offline_app
from harness.results import ToolCall

SECRET = "agreement-secret"


def test_an_integral_float_is_wrong_where_the_proxy_refuses_it(tmp_path: Path, spec: Spec) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(
        "cases:\n  - id: c\n    prompt: p\n    expect:\n      - operation: searchPodcasts\n"
        "        arguments: {q: startup, page_size: 3}\n"
    )
    case = load_suite(path).cases[0]
    assert score_case(case, [ToolCall("searchPodcasts", {"q": "startup", "page_size": 3})], spec)
    score = score_case(case, [ToolCall("searchPodcasts", {"q": "startup", "page_size": 3.0})], spec)
    assert not score.passed
    assert score.call_verdicts[0].arguments["page_size"] == "wrong_value"
    assert score.reason == (
        "searchPodcasts.page_size: the proxy refuses 3.0 (must be an integer, got '3.0')"
    )


def any_value_case(tmp_path: Path, operation: str, names: list[str]):
    arguments = ", ".join(f"{name}: {{any: true, example: x}}" for name in names)
    path = tmp_path / "any.yaml"
    path.write_text(
        f"cases:\n  - id: c\n    prompt: p\n    expect:\n      - operation: {operation}\n"
        f"        arguments: {{{arguments}}}\n"
    )
    return load_suite(path).cases[0]


VALUES = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.integers(min_value=-5, max_value=50).map(float),
    st.booleans(),
    st.text(alphabet="0123456789-.e+ ５٣abcUS,_\n", max_size=8),
    st.sampled_from(["recent_first", "Oldest_First", "us", "US", "93,127", "title,audio"]),
)
# (operation, parameter, fixed arguments the call needs besides it)
TARGETS = [
    ("searchPodcasts", "page_size", {"q": "startup"}),
    ("searchPodcasts", "sort_by_date", {"q": "startup"}),
    ("searchPodcasts", "region", {"q": "startup"}),
    ("searchPodcasts", "genre_ids", {"q": "startup"}),
    ("searchPodcasts", "only_in", {"q": "startup"}),
    ("getBestPodcasts", "genre_id", {}),
    ("getPodcast", "sort", {"id": "4d3fe717742d4963a85562e9f84d8c79"}),
    ("getCuratedPodcasts", "page", {}),
]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(target=st.sampled_from(TARGETS), value=VALUES)
def test_scoring_calls_an_argument_acceptable_exactly_when_the_proxy_does(
    spec: Spec, tmp_path_factory, target, value
) -> None:
    operation, name, fixed = target
    arguments = {**fixed, name: value}
    case = any_value_case(tmp_path_factory.mktemp("case"), operation, list(arguments))
    scored = score_case(case, [ToolCall(operation, arguments)], spec)
    proxy_accepts = asyncio.run(_proxy_accepts(spec, operation, arguments))
    assert scored.passed == proxy_accepts, (arguments, scored.reason)


async def _proxy_accepts(spec: Spec, operation: str, arguments: dict) -> bool:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app()),
        base_url="http://proxy.local",
        headers={"Authorization": f"Bearer {SECRET}"},
    ) as client:
        text = await proxy_executor(spec, client)(ToolCall(operation, arguments))
    return '"code":"invalid_parameter"' not in text.replace(" ", "")


_APPS: list = []


def _app():
    if not _APPS:
        _APPS.append(create_offline_app(SECRET))
    return _APPS[0]


@pytest.fixture(scope="module", autouse=True)
def _fresh_app():
    _APPS.clear()
    yield
    _APPS.clear()


def test_a_bound_refusal_is_the_refusal_of_its_parameter(spec: Spec) -> None:
    values = ["us", "US", "3", "3.0", "", 3, 3.0, -1, True, [1, 2], ["us"], []]
    outcomes = set()
    for operation in spec.operations.values():
        assert bound_refusal(operation, "not_a_parameter") is None
        for parameter in operation.parameters:
            refuse = bound_refusal(operation, parameter.name)
            assert refuse is not None
            for value in values:
                why = refuse(value)
                assert why == refusal(operation, parameter.name, value), (parameter.name, value)
                outcomes.add(why is None)
    assert outcomes == {True, False}  # some values accepted, some refused
