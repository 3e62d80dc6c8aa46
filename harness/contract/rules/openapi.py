"""OpenAPI validity: the document is a valid OpenAPI 3.x description with resolvable refs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openapi_spec_validator.shortcuts import get_validator_cls
from openapi_spec_validator.validation.exceptions import ValidatorDetectError

from harness.contract.jsondoc import join, resolve_pointer, walk
from harness.contract.rules.base import ALL_TARGETS, Issue, LintInput, rule
from harness.contract.rules.sources import OPENAPI


def dangling_refs(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(pointer of the `$ref`, target) for every local `$ref` that points nowhere."""
    for at, node in walk(document):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            target = node["$ref"]
            if not target.startswith("#"):
                continue
            try:
                resolve_pointer(document, target[1:])
            except KeyError:
                yield join(at, "$ref"), target


def _locate(document: dict[str, Any], relative: list[str | int], instance: Any) -> str:
    """The pointer of a validator error whose path is relative to an unknown sub-schema.

    The validator reports errors inside schemas relative to that schema; find the one place
    in the document where that relative path holds the offending value.
    """
    suffix = "".join(join("", token) for token in relative)
    for at, node in walk(document):
        if node is instance and at.endswith(suffix):
            return at
    for at, node in walk(document):
        if at.endswith(suffix) and node == instance:
            return at
    return suffix


@rule(
    "openapi-ref",
    "error",
    "point the $ref at an existing '#/components/...' entry or add the missing component",
    targets=ALL_TARGETS,
    sources=(OPENAPI,),
)
def check_refs(lint: LintInput) -> Iterator[Issue]:
    """Every local `$ref` resolves."""
    assert lint.spec is not None
    for at, target in dangling_refs(lint.spec):
        yield Issue("spec", at, f"$ref {target!r} points nowhere in the document")


@rule(
    "openapi-valid",
    "error",
    "fix the document so it validates against the OpenAPI schema",
    targets=ALL_TARGETS,
    sources=(OPENAPI,),
)
def check_openapi(lint: LintInput) -> Iterator[Issue]:
    """The spec validates as OpenAPI (openapi-spec-validator)."""
    document = lint.spec
    assert document is not None
    if any(True for _ in dangling_refs(document)):
        return  # the validator cannot run past a dangling $ref; openapi-ref reports it
    try:
        validator = get_validator_cls(document)(document)
    except ValidatorDetectError:
        yield Issue("spec", "/openapi", "no supported 'openapi' version field (use '3.1.0')")
        return
    top_level = set(document)
    for error in validator.iter_errors():
        path = list(getattr(error, "absolute_path", []) or [])
        if path and str(path[0]) in top_level:
            at = join("", *path)
        elif path:
            at = _locate(document, path, getattr(error, "instance", None))
        else:
            at = ""
        message = str(getattr(error, "message", error)).splitlines()[0]
        yield Issue("spec", at, message)
