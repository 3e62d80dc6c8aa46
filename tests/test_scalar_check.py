"""The direct scalar and object checks agree with jsonschema (ECMA-262 patterns) on every schema
they cover."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.contract.load import load_spec
from harness.contract.tools import operations_to_tools
from harness.proxy.scalar_check import object_check, scalar_check
from harness.proxy.validation import ECMAValidator, ParameterRule, ecma_regex

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-20, 20)
    | st.floats(-20, 20)
    | st.sampled_from([0.0, 1.0, -0.0, 2.5, float("nan"), float("inf"), 10**20])
    | st.text(alphabet="ab1 \n\u00e9", max_size=5)
)
TYPE_NAMES = st.sampled_from(["string", "integer", "number", "boolean", "null"])
PATTERNS = ["^[a-z]+$", "[^\\s]", "\\d", "^.{0,3}$", "^$", "a|b", "^\\w+$", "b$"]
SCHEMAS = st.fixed_dictionaries(
    {},
    optional={
        "type": TYPE_NAMES | st.lists(TYPE_NAMES, max_size=3, unique=True),
        "enum": st.lists(SCALARS, min_size=1, max_size=4),
        "minimum": st.integers(-5, 5) | st.floats(-5, 5),
        "maximum": st.integers(-5, 5) | st.floats(-5, 5),
        "minLength": st.integers(0, 3),
        "maxLength": st.integers(0, 4),
        "pattern": st.sampled_from(PATTERNS),
        "description": st.just("an annotation"),
        "default": SCALARS,
        "x-upstream-name": st.just("q"),
    },
)


@settings(max_examples=1500)
@given(schema=SCHEMAS, value=SCALARS)
def test_the_check_and_jsonschema_give_the_same_answer(schema, value):
    check = scalar_check(schema, ecma_regex)
    assert check is not None
    assert check(value) == ECMAValidator(schema).is_valid(value)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "multipleOf": 5},
        {"const": "a"},
        {"type": "string", "nullable": True},
        {"type": "string", "pattern": 5},
        {"type": "number", "minimum": True},
        {"type": "str"},
        {"enum": [["a"]]},
        {"type": "string", "maxLength": -1},
    ],
)
def test_a_schema_it_does_not_cover_is_left_to_jsonschema(schema):
    assert scalar_check(schema, ecma_regex) is None


def test_every_parameter_of_the_shipped_spec_is_covered():
    schemas = [p.schema for op in load_spec().operations.values() for p in op.parameters]
    assert schemas and all(scalar_check(schema, ecma_regex) for schema in schemas)


def test_a_refused_value_still_gets_jsonschemas_message():
    rule = ParameterRule.compile("page_size", "query", False, {"type": "integer", "maximum": 10})
    with pytest.raises(Exception, match="11 is greater than the maximum of 10"):
        rule.parse("11")
    assert rule.parse("10") == 10


NAMES = st.sampled_from(["q", "page", "id", "x"])
OBJECT_SCHEMAS = st.fixed_dictionaries(
    {"type": st.just("object"), "properties": st.dictionaries(NAMES, SCHEMAS, max_size=3)},
    optional={
        "required": st.lists(NAMES, max_size=3, unique=True),
        "additionalProperties": st.booleans(),
        "description": st.just("an annotation"),
    },
)
VALUES = SCALARS | st.lists(SCALARS, max_size=2) | st.dictionaries(NAMES, SCALARS, max_size=2)


@settings(max_examples=1500)
@given(schema=OBJECT_SCHEMAS, arguments=st.dictionaries(NAMES, VALUES, max_size=4))
def test_the_object_check_and_jsonschema_give_the_same_answer(schema, arguments):
    """A pass is a pass for jsonschema; with scalar values only, so is a refusal."""
    check = object_check(schema, ecma_regex)
    assert check is not None
    valid = ECMAValidator(schema).is_valid(arguments)
    if check(arguments):
        assert valid
    elif all(value is None or isinstance(value, str | int | float) for value in arguments.values()):
        assert not valid


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"q": {"type": "string", "format": "x", "const": "a"}}},
        {"type": "object", "minProperties": 1},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "object", "required": "q"},
        {"type": ["object", "null"]},
        {"properties": {}},
    ],
)
def test_an_object_schema_it_does_not_cover_is_left_to_jsonschema(schema):
    assert object_check(schema, ecma_regex) is None


@pytest.mark.parametrize("strict", [False, True])
def test_every_tool_of_the_shipped_spec_is_covered(strict):
    tools = operations_to_tools(load_spec(), strict=strict)
    assert tools
    assert all(object_check(tool["function"]["parameters"], ecma_regex) for tool in tools)
