"""The one reader of a schema's declared types and the one server-path parser."""

from __future__ import annotations

import pytest

from harness.contract.jsondoc import declared_types, scalar_type, server_path


@pytest.mark.parametrize(
    ("schema", "types"),
    [
        ({}, None),
        ({"type": "string"}, ("string",)),
        ({"type": ["integer", "null"]}, ("integer", "null")),
        ({"type": ["null", "integer"]}, ("null", "integer")),
        ({"type": "string", "nullable": True}, ("string",)),
    ],
)
def test_declared_types_in_the_schemas_order(schema: dict, types: tuple[str, ...] | None) -> None:
    assert declared_types(schema) == types


def test_nullable_counts_only_when_asked() -> None:
    schema = {"type": "object", "nullable": True}
    assert declared_types(schema, nullable=True) == ("object", "null")
    assert declared_types({"type": ["object", "null"], "nullable": True}, nullable=True) == (
        "object",
        "null",
    )


@pytest.mark.parametrize(
    ("schema", "kind"),
    [({}, None), ({"type": ["null", "integer"]}, "integer"), ({"type": "null"}, None)],
)
def test_scalar_type_is_the_first_non_null_type(schema: dict, kind: str | None) -> None:
    assert scalar_type(schema) == kind


@pytest.mark.parametrize(
    ("servers", "path"),
    [
        (None, ""),
        ([], ""),
        ([{"url": "/"}], ""),
        ([{"url": "/api/v2/"}], "/api/v2"),
        ([{"url": "https://proxy.example.com/api/v2"}], "/api/v2"),
        ([{"url": "https://proxy.example.com"}], ""),
        (["not an object"], ""),
        ([{"url": 5}], ""),
    ],
)
def test_server_path(servers: object, path: str) -> None:
    document = {} if servers is None else {"servers": servers}
    assert server_path(document) == path
