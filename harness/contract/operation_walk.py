"""The one walk over an OpenAPI document's operations and their parameters.

The walk is lenient: it follows local ``$ref``s where they resolve and skips what is not an
object, so lint and diff can report on a document the loader refuses. The loader passes
``on_malformed`` to turn each skipped piece into an error instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from harness.contract.jsondoc import deref, join, pointer

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

Malformed = Callable[[str, str], None]
"""Told ``(pointer, message)`` of each piece the walk skips because it has the wrong shape."""


def _skip(at: str, message: str) -> None:
    """The default :data:`Malformed`: skip silently."""


@dataclass(frozen=True)
class OperationRef:
    """One operation of an OpenAPI document, its path item, and where both sit."""

    path: str
    method: str
    pointer: str
    node: dict[str, Any]
    item: dict[str, Any]
    item_pointer: str

    @property
    def label(self) -> str:
        """The operationId when there is one, else `METHOD /path`."""
        operation_id = self.node.get("operationId")
        if isinstance(operation_id, str) and operation_id:
            return operation_id
        return f"{self.method.upper()} {self.path}"


@dataclass(frozen=True)
class ParameterRef:
    """One parameter of an operation (its `$ref` followed) and the pointer of its definition."""

    name: str
    location: str
    pointer: str
    node: dict[str, Any]

    @property
    def schema(self) -> dict[str, Any]:
        """The parameter's schema, or an empty schema when it has none."""
        schema = self.node.get("schema")
        return schema if isinstance(schema, dict) else {}


class Named(Protocol):
    """A parameter as the merge sees it: its name and location (``in``)."""

    @property
    def name(self) -> str: ...

    @property
    def location(self) -> str: ...


P = TypeVar("P", bound=Named)


def iter_operations(
    document: dict[str, Any], on_malformed: Malformed = _skip
) -> Iterator[OperationRef]:
    """Every operation under `paths`, in document order (path items' `$ref`s followed)."""
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return
    for path, raw_item in paths.items():
        item, item_pointer = deref(document, raw_item, pointer("paths", path))
        if not isinstance(item, dict):
            on_malformed(item_pointer, "path item must be an object")
            continue
        for method in HTTP_METHODS:
            if method not in item:
                continue
            at = join(item_pointer, method)
            if isinstance(item[method], dict):
                yield OperationRef(path, method, at, item[method], item, item_pointer)
            else:
                on_malformed(at, "operation must be an object")


def parameter_entries(
    operation: OperationRef, on_malformed: Malformed = _skip
) -> Iterator[tuple[str, Any]]:
    """``(pointer, entry)`` of every entry written in the path item's, then the operation's,
    ``parameters`` list; an entry may be a ``$ref`` or malformed."""
    for owner, owner_pointer in (
        (operation.item, operation.item_pointer),
        (operation.node, operation.pointer),
    ):
        if "parameters" not in owner:
            continue
        entries = owner["parameters"]
        if not isinstance(entries, list):
            on_malformed(join(owner_pointer, "parameters"), "parameters must be a list")
            continue
        for index, entry in enumerate(entries):
            yield join(owner_pointer, "parameters", index), entry


def merge_parameters(parameters: Iterable[P]) -> list[P]:
    """One parameter per (name, location): a later one (operation level) replaces an earlier
    one (path level) in its place, as OpenAPI specifies."""
    found: dict[tuple[str, str], P] = {}
    for parameter in parameters:
        found[(parameter.name, parameter.location)] = parameter
    return list(found.values())


def operation_parameters(document: dict[str, Any], operation: OperationRef) -> list[ParameterRef]:
    """The parameters that apply to the operation, path-level ones included unless overridden.

    An entry without a string ``name`` is skipped.
    """
    found = []
    for at, entry in parameter_entries(operation):
        node, definition = deref(document, entry, at)
        if isinstance(node, dict) and isinstance(node.get("name"), str):
            found.append(ParameterRef(node["name"], str(node.get("in", "")), definition, node))
    return merge_parameters(found)
