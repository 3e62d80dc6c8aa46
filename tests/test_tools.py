"""OpenAPI operations -> function tools, and tool calls -> proxy requests."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from harness.contract.load import (
    Operation,
    Parameter,
    Spec,
    Upstream,
    load_spec,
    load_tool_metadata,
)
from harness.contract.tools import (
    MAX_DESCRIPTION_CHARS,
    UnknownToolError,
    operations_to_tools,
    schema_strict_problems,
    tool_call_to_request,
)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


def by_name(tools: list[dict]) -> dict[str, dict]:
    return {tool["function"]["name"]: tool["function"] for tool in tools}


def one_operation_spec(*parameters: Parameter, description: str = "Find things.") -> Spec:
    operation = Operation(
        operation_id="findThings",
        method="GET",
        path="/things/{id}",
        summary="Find things.",
        description=description,
        parameters=parameters,
        response_schema={"type": "object"},
        upstream=Upstream(path="/things/{id}"),
        pointer="/paths/~1things~1{id}/get",
        tool=load_tool_metadata(None, "GET", "spec.json", "/paths/~1things~1{id}/get/x-tool"),
    )
    return Spec(Path("spec.json"), {}, "/api/v2", {"findThings": operation}, "0" * 64)


def test_one_tool_per_operation_named_by_operation_id(spec: Spec) -> None:
    tools = operations_to_tools(spec)
    assert [tool["function"]["name"] for tool in tools] == list(spec.operations)
    for tool in tools:
        assert tool["type"] == "function"
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", tool["function"]["name"])
        assert 0 < len(tool["function"]["description"]) <= MAX_DESCRIPTION_CHARS
        Draft202012Validator.check_schema(tool["function"]["parameters"])
        assert "strict" not in tool["function"]


def test_parameters_carry_description_enum_default_and_bounds(spec: Spec) -> None:
    search = by_name(operations_to_tools(spec))["searchPodcasts"]["parameters"]
    assert search["required"] == ["q"]
    assert search["properties"]["sort_by_date"]["enum"] == [0, 1]
    assert search["properties"]["sort_by_date"]["default"] == 0
    page_size = search["properties"]["page_size"]
    assert (page_size["minimum"], page_size["maximum"], page_size["default"]) == (1, 10, 10)
    expected = spec.operations["searchPodcasts"].parameter("language").description
    assert search["properties"]["language"]["description"] == expected


def test_path_and_query_parameters_are_flattened(spec: Spec) -> None:
    podcast = by_name(operations_to_tools(spec))["getPodcast"]["parameters"]
    assert podcast["required"] == ["id"]
    assert {"id", "sort"} <= set(podcast["properties"])


def test_operation_without_parameters_gets_an_empty_object(spec: Spec) -> None:
    regions = by_name(operations_to_tools(spec))["getRegions"]["parameters"]
    assert regions == {"type": "object", "properties": {}}


def test_strict_mode_requires_everything_and_makes_optionals_nullable(spec: Spec) -> None:
    search = by_name(operations_to_tools(spec, strict=True))["searchPodcasts"]
    parameters = search["parameters"]
    assert search["strict"] is True
    assert parameters["additionalProperties"] is False
    assert set(parameters["required"]) == set(parameters["properties"])
    assert parameters["properties"]["q"]["type"] == "string"
    sort_by_date = parameters["properties"]["sort_by_date"]
    assert sort_by_date["type"] == ["integer", "null"]
    assert sort_by_date["enum"] == [0, 1, None]
    assert "default" not in sort_by_date
    assert sort_by_date["description"].endswith("Default: 0.")
    Draft202012Validator(parameters).validate(
        {name: None for name in parameters["required"]} | {"q": "x"}
    )


def test_strict_mode_reports_operations_it_cannot_make_strict(caplog) -> None:
    tags = Parameter(
        name="tags",
        location="query",
        required=False,
        schema={"type": "array", "uniqueItems": True},
        description="Tags.",
    )
    spec = one_operation_spec(
        Parameter(
            name="id", location="path", required=True, schema={"type": "string"}, description="Id."
        ),
        tags,
    )
    with caplog.at_level(logging.WARNING, logger="harness.contract.tools"):
        (tool,) = operations_to_tools(spec, strict=True)
    assert tool["function"]["strict"] is False
    assert "additionalProperties" not in tool["function"]["parameters"]
    assert "findThings cannot be strict" in caplog.text
    assert "uniqueItems" in caplog.text


def test_long_description_is_cut_with_a_warning(caplog) -> None:
    spec = one_operation_spec(description="word " * 400)
    with caplog.at_level(logging.WARNING, logger="harness.contract.tools"):
        (tool,) = operations_to_tools(spec)
    assert len(tool["function"]["description"]) == MAX_DESCRIPTION_CHARS
    assert "findThings: description cut from 1999 to 1024" in caplog.text


def test_tool_call_to_request_fills_path_and_drops_nulls(spec: Spec) -> None:
    method, path, query = tool_call_to_request(
        spec, "getPodcast", {"id": "4d3f/e7", "sort": None, "next_episode_pub_date": 5}
    )
    assert (method, path, query) == (
        "GET",
        "/api/v2/podcasts/4d3f%2Fe7",
        {"next_episode_pub_date": 5},
    )


def test_tool_call_to_request_keeps_only_declared_query_parameters(spec: Spec) -> None:
    request = tool_call_to_request(
        spec, "searchPodcasts", {"q": "startup", "language": "English", "bogus": 1}
    )
    assert request == ("GET", "/api/v2/search_podcasts", {"q": "startup", "language": "English"})


def test_tool_call_to_request_rejects_unknown_tools_and_missing_path_parameters(
    spec: Spec,
) -> None:
    with pytest.raises(UnknownToolError):
        tool_call_to_request(spec, "deleteEverything", {})
    with pytest.raises(ValueError, match="missing path parameter 'id'"):
        tool_call_to_request(spec, "getEpisode", {})


def test_lengths_move_into_the_description_so_lint_and_conversion_agree() -> None:
    schema = {"type": "string", "minLength": 1, "maxLength": 200}
    assert schema_strict_problems(schema) == []
    assert schema_strict_problems({"type": "string", "format": "uri"}) == [
        "format 'uri' is not supported"
    ]
