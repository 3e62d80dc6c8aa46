"""Request validation: query strings converted to declared types, then checked by schema."""

from __future__ import annotations

import pytest

from harness.proxy.errors import ProxyError
from harness.proxy.validation import (
    MAX_VALUE_LENGTH,
    ParameterRule,
    RequestRules,
    declared_type,
    format_for_upstream,
)


def rules() -> RequestRules:
    return RequestRules.from_rules(
        [
            ParameterRule.compile(
                "q", "query", required=True, schema={"type": "string", "minLength": 1}
            ),
            ParameterRule.compile(
                "page_size",
                "query",
                required=False,
                schema={"type": "integer", "minimum": 1, "maximum": 10},
            ),
            ParameterRule.compile(
                "safe_mode", "query", required=False, schema={"type": "integer", "enum": [0, 1]}
            ),
            ParameterRule.compile("ratio", "query", required=False, schema={"type": "number"}),
            ParameterRule.compile("flag", "query", required=False, schema={"type": "boolean"}),
            ParameterRule.compile(
                "genre_id",
                "query",
                required=False,
                schema={"type": "integer"},
                upstream_name="genre_ids",
            ),
            ParameterRule.compile(
                "id",
                "path",
                required=True,
                schema={"type": "string", "pattern": "^[a-z0-9]{1,32}$"},
            ),
        ]
    )


def parse(query: list[tuple[str, str]], path: dict[str, str] | None = None):
    return rules().parse(query, path or {"id": "abc123"})


def rejection(query: list[tuple[str, str]], path: dict[str, str] | None = None) -> ProxyError:
    with pytest.raises(ProxyError) as caught:
        parse(query, path)
    assert caught.value.status == 400
    return caught.value


def test_values_are_converted_to_declared_types():
    query, path = parse(
        [
            ("q", "startup"),
            ("page_size", "5"),
            ("safe_mode", "1"),
            ("ratio", "0.5"),
            ("flag", "TRUE"),
        ]
    )
    assert query == {"q": "startup", "page_size": 5, "safe_mode": 1, "ratio": 0.5, "flag": True}
    assert path == {"id": "abc123"}


def test_undeclared_parameters_are_dropped():
    query, _ = parse([("q", "x"), ("api_key", "leak"), ("type", "episode")])
    assert query == {"q": "x"}


@pytest.mark.parametrize(
    ("query", "parameter", "fragment"),
    [
        ([("q", "x"), ("page_size", "11")], "page_size", "maximum of 10"),
        ([("q", "x"), ("page_size", "ten")], "page_size", "must be an integer"),
        ([("q", "x"), ("page_size", "1.5")], "page_size", "must be an integer"),
        ([("q", "x"), ("page_size", "")], "page_size", "must be an integer"),
        ([("q", "x"), ("safe_mode", "2")], "safe_mode", "is not one of"),
        ([("q", "x"), ("ratio", "nan")], "ratio", "must be a number"),
        ([("q", "x"), ("ratio", "1e999")], "ratio", "finite"),
        ([("q", "x"), ("flag", "yes")], "flag", "'true' or 'false'"),
        ([("q", "")], "q", "should be non-empty"),
        ([("q", "a"), ("q", "b")], "q", "more than once"),
        ([("q", "x" * (MAX_VALUE_LENGTH + 1))], "q", "longer than"),
    ],
)
def test_invalid_values_are_rejected_naming_the_parameter(query, parameter, fragment):
    error = rejection(query)
    assert error.code == "invalid_parameter"
    assert error.parameter == parameter
    assert fragment in error.message
    assert error.body()["error"]["parameter"] == parameter


def test_missing_required_parameter_is_named():
    error = rejection([("page_size", "3")])
    assert (error.code, error.parameter) == ("missing_parameter", "q")


def test_path_parameters_are_validated():
    error = rejection([("q", "x")], {"id": "NOT/valid"})
    assert error.parameter == "id"


def test_non_utf8_and_control_characters_do_not_crash():
    query, _ = parse([("q", "caf\ufffd\x00\u202e")])
    assert query["q"] == "caf\ufffd\x00\u202e"


def test_huge_value_message_stays_short():
    error = rejection([("q", "x"), ("page_size", "9" * 2000)])
    assert len(error.body()["error"]["message"]) <= 300


def test_upstream_names_and_rendering():
    rule = rules().query["genre_id"]
    assert rule.upstream_name == "genre_ids"
    assert [format_for_upstream(v) for v in (True, False, 3, "x")] == ["true", "false", "3", "x"]


def test_declared_type_handles_nullable_and_enum_only_schemas():
    assert declared_type({"type": ["integer", "null"]}) == "integer"
    assert declared_type({"enum": [0, 1]}) == "integer"
    assert declared_type({}) == "string"
    with pytest.raises(ValueError, match="only scalar"):
        declared_type({"type": "array"})


def test_unsupported_location_is_refused():
    with pytest.raises(ValueError, match="location 'header'"):
        RequestRules.from_rules(
            [ParameterRule.compile("x", "header", required=False, schema={"type": "string"})]
        )
