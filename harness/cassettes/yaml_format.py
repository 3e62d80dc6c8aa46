"""vcrpy's YAML cassettes, written in YAML's JSON form whenever that reads back the same.

YAML 1.2 makes every JSON document a YAML document with the same meaning, and vcrpy's YAML 1.1
reader reads most of them the same way too. So :func:`serialize` writes a cassette as indented
JSON (keys sorted, as vcrpy's YAML has them) when JSON holds it exactly and vcrpy's own reader
reads that text back to the same objects, both checked as the cassette is written; any other
cassette (a body of bytes that are not UTF-8, a tuple, a character YAML 1.1 refuses, a float
with an exponent, which YAML 1.1 reads as a string) is written by vcrpy's YAML serializer.

:func:`deserialize` parses a text that is a JSON document as JSON (orjson: a cassette's YAML
takes tens of times longer to compose), and any other text as YAML, with vcrpy's loader, its
plain scalars' tags remembered (:class:`harness.yaml_nodes.RememberedPlainTags`), built by
:func:`harness.yaml_nodes.build`: the same objects vcrpy's reader builds.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml
from vcr.serializers import yamlserializer

from harness.yaml_nodes import RememberedPlainTags, build

__all__ = ["deserialize", "serialize"]

_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE

# vcrpy's safe loader (the tags and Python types cassettes hold); private, so a vcrpy without it
# reads with its own deserialize.
_VcrLoader = getattr(yamlserializer, "_CassetteLoader", None)
if _VcrLoader is not None:

    class _CassetteLoader(RememberedPlainTags, _VcrLoader):
        """vcrpy's loader, its plain scalars' tags remembered."""


def serialize(cassette_dict: dict[str, Any]) -> str:
    """``cassette_dict`` as JSON when that reads back the same through JSON and through
    vcrpy's YAML reader, else as vcrpy's YAML."""
    text = _as_json(cassette_dict)
    return text if text is not None else yamlserializer.serialize(cassette_dict)


def deserialize(cassette_string: str) -> Any:
    """The document of ``cassette_string``: JSON read as JSON, any other YAML as vcrpy reads
    it (``yamlserializer.deserialize``)."""
    if cassette_string.startswith("{"):
        try:
            return orjson.loads(cassette_string)
        except orjson.JSONDecodeError:
            pass  # a YAML flow mapping, not JSON
    if _VcrLoader is None:
        return yamlserializer.deserialize(cassette_string)
    loader = _CassetteLoader(cassette_string)
    try:
        node = loader.get_single_node()
        return None if node is None else build(loader, node)
    finally:
        loader.dispose()


def _as_json(document: dict[str, Any]) -> str | None:
    """``document`` as JSON text, or None when JSON cannot hold it or YAML reads it otherwise."""
    try:
        text = orjson.dumps(document, option=_JSON_OPTIONS).decode()
    except orjson.JSONEncodeError:  # bytes, keys that are not strings, integers beyond 64 bits
        return None
    if orjson.loads(text) != document:  # tuples, NaN
        return None
    try:
        read_as_yaml = yamlserializer.deserialize(text)
    except yaml.YAMLError:  # a character YAML 1.1 refuses in a stream
        return None
    return text if read_as_yaml == document else None
