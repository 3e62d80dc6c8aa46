"""Raw JSON/YAML documents: parsing with located errors, JSON pointers, local `$ref`s.

The spec gate works on raw documents (not the loaded model) so that every finding can name
the JSON pointer of what it is about, even in a spec the loader would reject.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.errors import InputError

# libyaml's safe loader when PyYAML was built with it (the upstream spec parses ~8x faster).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DocumentError(InputError):
    """A document that cannot be read or parsed; the message names the file and line."""


def parse_document(text: str, source: str) -> Any:
    """Parse JSON (or YAML, for `.yaml`/`.yml` sources) text, naming `source` and line on error."""
    if source.endswith((".yaml", ".yml")):
        try:
            return yaml.load(text, Loader=SAFE_LOADER)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
            raise DocumentError(f"{where}: invalid YAML: {error}") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DocumentError(
            f"{source}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}"
        ) from error


def read_document(path: str | Path) -> Any:
    """Read and parse a JSON or YAML file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise DocumentError(f"{path}: cannot read: {error.strerror or error}") from error
    return parse_document(text, str(path))


def escape(token: str | int) -> str:
    """Escape one JSON pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """Build a JSON pointer from unescaped tokens: `pointer("paths", "/a")` -> `/paths/~1a`."""
    return "".join("/" + escape(token) for token in tokens)


def join(base: str, *tokens: str | int) -> str:
    """Append unescaped tokens to an existing JSON pointer."""
    return base + pointer(*tokens)


def unescape_tokens(json_pointer: str) -> list[str]:
    """Split a JSON pointer into unescaped tokens."""
    if not json_pointer:
        return []
    if not json_pointer.startswith("/"):
        raise KeyError(f"not a JSON pointer: {json_pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in json_pointer[1:].split("/")]


def resolve_pointer(document: Any, json_pointer: str) -> Any:
    """The value at `json_pointer` in `document`; KeyError when it points nowhere."""
    node = document
    for token in unescape_tokens(json_pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(json_pointer)
    return node


def deref(document: Any, node: Any, at: str, limit: int = 32) -> tuple[Any, str]:
    """Follow local `$ref`s from `node` (found at pointer `at`) to the value they name.

    Returns the target and its pointer; a `$ref` that does not resolve locally is returned
    unchanged with the pointer of the `$ref` object.
    """
    for _ in range(limit):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node, at
        ref = node["$ref"]
        if not ref.startswith("#"):
            return node, at
        try:
            node, at = resolve_pointer(document, ref[1:]), ref[1:]
        except KeyError:
            return node, at
    return node, at


def declared_types(schema: Mapping[str, Any], *, nullable: bool = False) -> tuple[str, ...] | None:
    """The JSON Schema types a schema's ``type`` names, in its order, or None when it names none.

    With ``nullable``, OpenAPI 3.0's ``nullable: true`` adds ``"null"``. Every reader of a
    schema's declared types (lint, diff, the proxy's conversion and projection, scoring) asks
    here.
    """
    declared = schema.get("type")
    if isinstance(declared, str):
        types: tuple[str, ...] = (declared,)
    elif isinstance(declared, list):
        types = tuple(kind for kind in declared if isinstance(kind, str))
    else:
        return None
    if nullable and schema.get("nullable") is True and "null" not in types:
        types = (*types, "null")
    return types


def scalar_type(schema: Mapping[str, Any]) -> str | None:
    """The first non-null type a schema declares, if any (``["integer", "null"]``: integer)."""
    types = declared_types(schema) or ()
    return next((kind for kind in types if kind != "null"), None)


def server_path(document: Mapping[str, Any]) -> str:
    """The path of the document's first server URL, without a trailing slash (``""`` for none).

    ``https://host/api/v2`` and ``/api/v2`` both give ``/api/v2``.
    """
    servers = document.get("servers")
    first = servers[0] if isinstance(servers, list) and servers else None
    url = first.get("url", "") if isinstance(first, dict) else ""
    return urlsplit(url).path.rstrip("/") if isinstance(url, str) else ""


def walk(node: Any, at: str = "") -> Iterator[tuple[str, Any]]:
    """Every value in a document with its pointer, depth first, the root included."""
    yield at, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, join(at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, join(at, index))
