"""Examples from the official PodcastAPI v2 spec (package data), for the mock's catalogue."""

from __future__ import annotations

from typing import Any

from harness.contract.load import DEFAULT_UPSTREAM_SPEC_PATH as UPSTREAM_SPEC_PATH
from harness.contract.load import load_upstream_spec


def schema_example(schema: str, prop: str | None = None) -> Any:
    """First example of `components/schemas/<schema>` (or of one of its properties)."""
    node = load_upstream_spec()["components"]["schemas"][schema]
    if prop is not None:
        node = node["properties"][prop]
    if "$ref" in node:
        return schema_example(node["$ref"].rsplit("/", 1)[-1])
    examples = node.get("examples")
    if not examples:
        where = f"{schema}.{prop}" if prop else schema
        raise KeyError(f"{UPSTREAM_SPEC_PATH}: no example for #/components/schemas/{where}")
    value = examples[0]
    return value.strip() if isinstance(value, str) else value
