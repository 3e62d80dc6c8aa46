"""The official PodcastAPI v2 OpenAPI document, shipped with the mock as data."""

from __future__ import annotations

import functools
from typing import Any

import yaml

from harness.spec.load import DEFAULT_UPSTREAM_SPEC_PATH as UPSTREAM_SPEC_PATH


@functools.cache
def load_upstream_spec() -> dict[str, Any]:
    """Parse the upstream OpenAPI document once per process."""
    with UPSTREAM_SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


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
