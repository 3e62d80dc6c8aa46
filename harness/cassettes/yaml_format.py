"""vcrpy's YAML cassette serializer, with a faster reader.

vcrpy builds a cassette's objects with PyYAML's generic constructor: a method lookup, a
generator and a hashability check for every node. Almost every node of a cassette is a plain
mapping, list or string; :func:`deserialize` builds those directly from the composed nodes and
hands every other node (numbers, booleans, null, binary, merge keys, vcrpy's Python tags) to
vcrpy's own loader, so it reads the same objects vcrpy reads. Writing is vcrpy's.
"""

from __future__ import annotations

from typing import Any

from vcr.serializers import yamlserializer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["deserialize", "serialize"]

serialize = yamlserializer.serialize
_CassetteLoader = yamlserializer._CassetteLoader  # vcrpy's safe loader (tags, Python types)

STR = "tag:yaml.org,2002:str"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"


def deserialize(cassette_string: str) -> Any:
    """The document of ``cassette_string``, equal to vcrpy's ``yamlserializer.deserialize``."""
    loader = _CassetteLoader(cassette_string)
    try:
        node = loader.get_single_node()
        return None if node is None else _Builder(loader).build(node)
    finally:
        loader.dispose()


class _Builder:
    """Builds a composed document, one object per node (an alias shares its anchor's)."""

    def __init__(self, loader: _CassetteLoader) -> None:
        self.loader = loader
        self.built: dict[int, Any] = {}  # id(node) -> its object; nodes live as long as this

    def build(self, node: Node) -> Any:
        built = self.built.get(id(node), self)
        if built is not self:
            return built
        kind, tag = type(node), node.tag
        if kind is ScalarNode and tag == STR:
            value = node.value
        elif kind is MappingNode and tag == MAP and _plain_keys(node):
            value = self.built[id(node)] = {}
            for key, item in node.value:
                value[key.value] = self.build(item)
        elif kind is SequenceNode and tag == SEQ:
            value = self.built[id(node)] = []
            value.extend(self.build(item) for item in node.value)
        else:
            value = self.loader.construct_object(node, deep=True)
        self.built[id(node)] = value
        return value


def _plain_keys(node: MappingNode) -> bool:
    """Every key is a plain string (no merge key, no other type to construct)."""
    return all(type(key) is ScalarNode and key.tag == STR for key, _ in node.value)
