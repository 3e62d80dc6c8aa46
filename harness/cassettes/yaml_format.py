"""vcrpy's YAML cassette serializer, with a faster reader.

vcrpy builds a cassette's objects with PyYAML's generic constructor; :func:`deserialize` builds
them with :func:`harness.yaml_nodes.build` from what vcrpy's own loader composes (its plain
scalars' tags remembered: :class:`harness.yaml_nodes.RememberedPlainTags`), so it reads the
same objects vcrpy reads. Writing is vcrpy's.
"""

from __future__ import annotations

from typing import Any

from vcr.serializers import yamlserializer

from harness.yaml_nodes import RememberedPlainTags, build

__all__ = ["deserialize", "serialize"]

serialize = yamlserializer.serialize
# vcrpy's safe loader (the tags and Python types cassettes hold); private, so a vcrpy without it
# reads with its own deserialize.
_VcrLoader = getattr(yamlserializer, "_CassetteLoader", None)
if _VcrLoader is not None:

    class _CassetteLoader(RememberedPlainTags, _VcrLoader):
        """vcrpy's loader, its plain scalars' tags remembered."""


def deserialize(cassette_string: str) -> Any:
    """The document of ``cassette_string``, equal to vcrpy's ``yamlserializer.deserialize``."""
    if _VcrLoader is None:
        return yamlserializer.deserialize(cassette_string)
    loader = _CassetteLoader(cassette_string)
    try:
        node = loader.get_single_node()
        return None if node is None else build(loader, node)
    finally:
        loader.dispose()
