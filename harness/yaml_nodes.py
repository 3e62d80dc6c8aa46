"""Python objects from a composed YAML document, faster than PyYAML's constructor and resolver.

PyYAML's constructor pays a method lookup, a generator and a hashability check for every
node. :func:`build` makes plain mappings (string keys), lists and strings directly, and hands
every other node (numbers, booleans, null, binary, merge keys, explicit tags) to the loader's
own constructor, so the result is what ``loader.construct_document(node)`` gives. And a loader
with :class:`RememberedPlainTags` resolves the same plain scalar text once, not once a node.
"""

from __future__ import annotations

from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

STR = "tag:yaml.org,2002:str"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
PLAIN_TAGS_KEPT = 4096
"""How many plain scalar texts a loader class remembers the tags of (then it starts again)."""


class RememberedPlainTags:
    """A PyYAML loader mixin: the tag of each plain scalar text is resolved once and
    remembered, per loader class.

    PyYAML's resolver matches its implicit resolvers' regular expressions against every plain
    scalar; in cassettes and suites the same keys and values come back in every document.
    Without path resolvers, the tag depends on the text and the class's implicit resolvers
    only, which must not change once the class has loaded a document.
    """

    _plain_tags: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._plain_tags = {}

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        if kind is not ScalarNode or not implicit[0] or self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        tags = self._plain_tags
        tag = tags.get(value)
        if tag is None:
            if len(tags) >= PLAIN_TAGS_KEPT:
                tags.clear()
            tag = tags[value] = super().resolve(kind, value, implicit)
        return tag


def build(loader: yaml.BaseLoader, node: Node) -> Any:
    """The object of the document ``node``, which ``loader`` composed."""
    return _Builder(loader).build(node)


class _Builder:
    """Builds a composed document, one object per node (an alias shares its anchor's)."""

    def __init__(self, loader: yaml.BaseLoader) -> None:
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
