"""Response projection onto the declared schema: declared fields only, renamed, conforming."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from harness.proxy.projection import ProjectionError, compile_projection

PODCAST = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "total_episodes": {"type": "integer"},
        "score": {"type": "number"},
        "explicit_content": {"type": "boolean"},
        "genre_ids": {"type": "array", "items": {"type": "integer"}},
        "kind": {"type": "string", "enum": ["show", "series"]},
    },
    "required": ["id", "title"],
}
RESPONSE = {
    "type": "object",
    "properties": {
        "count": {"type": "integer"},
        "results": {"type": "array", "items": PODCAST},
        "regions": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["results"],
}
RENAME = {"title_original": "title"}


def project(value, schema=RESPONSE, rename=RENAME):
    return compile_projection(schema, rename)(value)


def test_keeps_declared_fields_and_applies_renames_at_depth():
    upstream = {
        "count": 1,
        "took": 0.1,
        "results": [
            {"id": "a", "title_original": "Startup", "title_highlighted": "<b>x</b>", "rss": "u"}
        ],
    }
    assert project(upstream) == {"count": 1, "results": [{"id": "a", "title": "Startup"}]}


def test_renamed_source_wins_over_the_plain_name():
    upstream = {"results": [{"id": "a", "title": "plain", "title_original": "mapped"}]}
    assert project(upstream)["results"][0]["title"] == "mapped"


def test_type_mismatches_are_dropped_or_converted():
    item = {
        "id": "a",
        "title": "t",
        "description": None,
        "total_episodes": 12.0,
        "score": 3,
        "explicit_content": "yes",
        "genre_ids": [1, "two", 3.5, None, True, 4],
        "kind": "movie",
    }
    result = project({"results": [item]})["results"][0]
    assert result == {
        "id": "a",
        "title": "t",
        "description": None,
        "total_episodes": 12,
        "score": 3,
        "genre_ids": [1, 4],
    }


def test_null_where_not_nullable_is_dropped():
    assert project({"results": [{"id": "a", "title": None}]}) == {"results": []}
    assert "count" not in project({"count": None, "results": []})


def test_item_missing_a_required_field_is_dropped():
    upstream = {"results": [{"title": "no id"}, {"id": "b", "title": "ok"}]}
    assert project(upstream) == {"results": [{"id": "b", "title": "ok"}]}


def test_additional_properties_maps_are_projected():
    upstream = {"results": [], "regions": {"us": "United States", "xx": 5}}
    assert project(upstream)["regions"] == {"us": "United States"}


def test_unprojectable_top_level_raises():
    with pytest.raises(ProjectionError):
        project({"count": 3})
    with pytest.raises(ProjectionError):
        project(["not", "an", "object"])


def test_any_of_all_of_and_untyped_schemas():
    schema = {
        "type": "object",
        "properties": {
            "podcast": {"anyOf": [{"type": "null"}, PODCAST]},
            "merged": {
                "allOf": [
                    {"type": "object", "properties": {"a": {"type": "integer"}}},
                    {"properties": {"b": {"type": "string"}}, "required": ["b"]},
                ]
            },
            "anything": {},
        },
    }
    upstream = {
        "podcast": {"id": "p", "title_original": "T", "extra": 1},
        "merged": {"a": 1, "b": "x", "c": 2},
        "anything": {"deep": [1, {"x": None}]},
    }
    assert project(upstream, schema) == {
        "podcast": {"id": "p", "title": "T"},
        "merged": {"a": 1, "b": "x"},
        "anything": {"deep": [1, {"x": None}]},
    }
    assert project({"podcast": None}, schema) == {"podcast": None}


def test_projected_values_validate_against_the_schema():
    noisy = {
        "count": "1",
        "results": [
            {"id": "a", "title_original": "x", "genre_ids": ["1"], "total_episodes": True},
            {"id": 5, "title": "y"},
            {"id": "c", "title": "z", "description": 7, "kind": "series", "score": "high"},
        ],
        "regions": {"us": None},
    }
    Draft202012Validator(RESPONSE).validate(project(noisy))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=6,
)
SCALAR_TYPES = st.lists(
    st.sampled_from(["string", "boolean", "integer", "number", "null"]),
    min_size=1,
    max_size=3,
    unique=True,
)


@given(types=SCALAR_TYPES, value=JSON_VALUES)
def test_a_scalar_leaf_keeps_a_conforming_value_converts_an_integral_float_or_drops(types, value):
    schema = {"type": "object", "properties": {"v": {"type": types}}}
    result = project({"v": value}, schema, {})
    conforms = Draft202012Validator({"type": types}).is_valid(value)
    if conforms and not (isinstance(value, float) and "number" not in types):
        assert result == {"v": value} and type(result["v"]) is type(value)
    elif isinstance(value, float) and value.is_integer() and "integer" in types:
        assert result == {"v": int(value)} and type(result["v"]) is int
    else:
        assert result == {}


SHOW = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "episodes": {"type": "integer"},
        "genre_ids": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["id", "title"],
}
SHOW_RENAME = {"title_original": "title", "description_original": "description"}
SHOW_KEYS = ["id", "title", "title_original", "description", "description_original", "episodes",
             "genre_ids", "extra"]  # fmt: skip


def expected_show(obj: dict) -> dict | None:
    """The projection rule, spelled out: per declared property, in schema order, the first
    source (renamed names first) whose value fits; an object missing a required one is None."""
    sources = {"title": ["title_original", "title"],
               "description": ["description_original", "description"]}  # fmt: skip
    out = {}
    for name, schema in SHOW["properties"].items():
        for source in sources.get(name, [name]):
            if source in obj:
                fitted = project(
                    {"v": obj[source]}, {"type": "object", "properties": {"v": schema}}, {}
                )
                if "v" in fitted:
                    out[name] = fitted["v"]
                    break
        else:
            if name in SHOW["required"]:
                return None
    return out


SHOW_VALUES = (
    st.text(max_size=3) | st.integers() | st.lists(st.integers(), max_size=2) | JSON_VALUES
)
"""Values that often fit a property (so that several sources compete), and any JSON."""


@settings(max_examples=300)
@given(obj=st.dictionaries(st.sampled_from(SHOW_KEYS), SHOW_VALUES, max_size=8))
def test_an_object_keeps_the_first_fitting_source_of_each_property_in_schema_order(obj):
    expected = expected_show(obj)
    if expected is None:
        with pytest.raises(ProjectionError):
            project(obj, SHOW, SHOW_RENAME)
    else:
        result = project(obj, SHOW, SHOW_RENAME)
        assert list(result.items()) == list(expected.items())
        assert [type(v) for v in result.values()] == [type(v) for v in expected.values()]
