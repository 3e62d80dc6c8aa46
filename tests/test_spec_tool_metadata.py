"""The ``x-tool`` extension: titles and annotation hints with justifications, method defaults,
and malformed blocks rejected with the JSON pointer of the problem."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import pytest
from fakes import write_spec

from harness.contract.load import (
    DEFAULT_SPEC_PATH,
    TOOL_HINTS,
    Annotation,
    SpecError,
    default_hints,
    load_spec,
    load_tool_metadata,
)
from harness.contract.tools import operations_to_tools
from harness.offline import create_offline_app

GET_GENRES = "/paths/~1genres/get"


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(DEFAULT_SPEC_PATH.read_text())


def test_every_shipped_operation_has_a_title_and_four_justified_explicit_hints() -> None:
    spec = load_spec()
    assert len(spec.operations) == 13
    for operation in spec.operations.values():
        tool = operation.tool
        assert tool.title, operation.operation_id
        assert list(tool.annotations) == list(TOOL_HINTS)
        for name, annotation in tool.annotations.items():
            assert annotation.explicit, (operation.operation_id, name)
            assert annotation.justification and annotation.justification.endswith("."), name
        # GET operations: read-only, never destructive, idempotent, reaching the upstream.
        assert [tool.hint(name) for name in TOOL_HINTS] == [True, False, True, True]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("GET", [True, False, True, True]),
        ("HEAD", [True, False, True, True]),
        ("OPTIONS", [True, False, True, True]),
        ("PUT", [False, True, True, True]),
        ("DELETE", [False, True, True, True]),
        ("POST", [False, True, False, True]),
        ("PATCH", [False, True, False, True]),
    ],
)
def test_absent_hints_default_from_the_method(method: str, expected: list[bool]) -> None:
    assert [default_hints(method)[name] for name in TOOL_HINTS] == expected
    tool = load_tool_metadata(None, method, "spec.json", "/x")
    assert tool.title is None
    assert all(
        a == Annotation(v, None, explicit=False)
        for a, v in zip(tool.annotations.values(), expected, strict=True)
    )


def test_a_partial_block_keeps_explicit_hints_and_defaults_the_rest() -> None:
    raw = {"title": " Create note ", "annotations": {"destructiveHint": {"value": False}}}
    tool = load_tool_metadata(raw, "POST", "spec.json", "/x")
    assert tool.title == "Create note"
    assert tool.annotations["destructiveHint"] == Annotation(False, None, explicit=True)
    assert tool.annotations["readOnlyHint"] == Annotation(False, None, explicit=False)
    assert tool.annotations["idempotentHint"] == Annotation(False, None, explicit=False)


def test_an_operation_without_x_tool_loads_with_defaults(tmp_path: Path, document: dict) -> None:
    broken = copy.deepcopy(document)
    del broken["paths"]["/genres"]["get"]["x-tool"]
    tool = load_spec(write_spec(tmp_path, broken)).operations["getGenres"].tool
    assert tool.title is None
    assert not any(a.explicit for a in tool.annotations.values())


@pytest.mark.parametrize(
    ("block", "pointer", "message"),
    [
        ("not an object", "/x-tool", "must be an object"),
        ({"titel": "x"}, "/x-tool/titel", "unknown key"),
        ({"title": ""}, "/x-tool/title", "non-empty string"),
        ({"title": 3}, "/x-tool/title", "non-empty string"),
        ({"annotations": []}, "/x-tool/annotations", "must be an object"),
        (
            {"annotations": {"readonlyHint": {"value": True}}},
            "/annotations/readonlyHint",
            "unknown",
        ),
        ({"annotations": {"readOnlyHint": True}}, "/annotations/readOnlyHint", "an object"),
        ({"annotations": {"readOnlyHint": {"value": "yes"}}}, "/readOnlyHint/value", "true or"),
        ({"annotations": {"readOnlyHint": {}}}, "/readOnlyHint/value", "true or false"),
        (
            {"annotations": {"readOnlyHint": {"value": True, "justification": " "}}},
            "/readOnlyHint/justification",
            "non-empty string",
        ),
        (
            {"annotations": {"readOnlyHint": {"value": True, "why": "x"}}},
            "/readOnlyHint/why",
            "unknown key",
        ),
    ],
)
def test_malformed_blocks_name_their_json_pointer(
    tmp_path: Path, document: dict, block: object, pointer: str, message: str
) -> None:
    broken = copy.deepcopy(document)
    broken["paths"]["/genres"]["get"]["x-tool"] = block
    with pytest.raises(SpecError) as error:
        load_spec(write_spec(tmp_path, broken))
    assert error.value.pointer.startswith(GET_GENRES + "/x-tool")
    assert error.value.pointer.endswith(pointer)
    assert message in error.value.message


def test_x_tool_never_reaches_the_function_tools(tmp_path: Path, document: dict) -> None:
    without = copy.deepcopy(document)
    for item in without["paths"].values():
        for operation in item.values():
            operation.pop("x-tool", None)
    assert operations_to_tools(load_spec(write_spec(tmp_path, without))) == operations_to_tools(
        load_spec()
    )
    assert "x-tool" not in json.dumps(operations_to_tools(load_spec()))


async def test_x_tool_stays_in_the_served_spec() -> None:
    app = create_offline_app("served-spec-secret")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
        served = (await client.get("/openapi.json")).json()
    shipped = json.loads(DEFAULT_SPEC_PATH.read_text())
    for route, item in shipped["paths"].items():
        assert served["paths"][route]["get"]["x-tool"] == item["get"]["x-tool"]
        assert "x-upstream" not in served["paths"][route]["get"]
