"""Property-based ``tools/call`` arguments from a tool's ``inputSchema``.

Values come from hypothesis-jsonschema, one property schema at a time: valid values from the
property's schema, invalid ones from its negation (``{"not": schema}``, mostly other types)
and from schemas just past its bounds (``maximum + 1`` and up, a string one character too
long, an integer outside the enum), where off-by-one mistakes live. The argument object
is assembled with hypothesis' ``fixed_dictionaries`` rather than by hypothesis-jsonschema's
object strategy, which fails on the hypothesis release schemathesis needs (0.23.1 calls a
removed internal, ``many.more``). Every example is checked against the whole ``inputSchema``
with jsonschema (the validator the proxy uses), so "valid" and "invalid" mean what JSON
Schema 2020-12 says (``1.0`` is an integer), never what the generator guessed.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator


def valid_arguments(input_schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Argument objects ``input_schema`` accepts: every required property, any optional ones."""
    properties = input_schema.get("properties", {})
    required = set(input_schema.get("required", ()))
    validator = Draft202012Validator(input_schema)
    strategy = st.fixed_dictionaries(
        {name: from_schema(properties[name]) for name in properties if name in required},
        optional={
            name: from_schema(schema) for name, schema in properties.items() if name not in required
        },
    )
    return strategy.filter(validator.is_valid)


def invalid_arguments(input_schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]] | None:
    """Argument objects ``input_schema`` rejects: valid ones with one property's value drawn
    from its negation, or with one required property left out. ``None`` when the schema
    declares no property (nothing to get wrong)."""
    properties = input_schema.get("properties", {})
    if not properties:
        return None
    validator = Draft202012Validator(input_schema)
    base = valid_arguments(input_schema)
    wrong_value = st.tuples(
        base, st.sampled_from(sorted(properties)).flatmap(_with_wrong_value(properties))
    ).map(lambda pair: {**pair[0], pair[1][0]: pair[1][1]})
    strategies = [wrong_value]
    required = sorted(input_schema.get("required", ()))
    if required:
        missing = st.tuples(base, st.sampled_from(required)).map(
            lambda pair: {k: v for k, v in pair[0].items() if k != pair[1]}
        )
        strategies.append(missing)
    return st.one_of(strategies).filter(lambda arguments: not validator.is_valid(arguments))


def _with_wrong_value(properties: dict[str, Any]):
    def wrong(name: str) -> st.SearchStrategy[tuple[str, Any]]:
        schema = properties[name]
        values = st.one_of(
            from_schema({"not": schema}), *(from_schema(s) for s in past_the_bounds(schema))
        )
        return values.map(lambda value: (name, value))

    return wrong


def past_the_bounds(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Schemas of values of the same type that just miss ``schema``'s bounds or enum."""
    kind = schema.get("type")
    if kind not in ("integer", "number", "string"):
        return []
    misses: list[dict[str, Any]] = []
    if kind in ("integer", "number"):
        if "maximum" in schema:
            bound = schema["maximum"] + (1 if kind == "integer" else 0)
            misses.append({"type": kind, "minimum": bound, "exclusiveMinimum": schema["maximum"]})
        if "minimum" in schema:
            bound = schema["minimum"] - (1 if kind == "integer" else 0)
            misses.append({"type": kind, "maximum": bound, "exclusiveMaximum": schema["minimum"]})
    if kind == "string":
        if "maxLength" in schema:
            limit = schema["maxLength"]
            misses.append({"type": "string", "minLength": limit + 1, "maxLength": limit + 8})
        if schema.get("minLength", 0) > 0:
            misses.append({"type": "string", "maxLength": schema["minLength"] - 1})
    if "enum" in schema:
        misses.append({"type": kind, "not": {"enum": schema["enum"]}})
    return misses
