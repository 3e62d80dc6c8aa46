"""Structural diff of two versions of the spec (and manifest), with every change classified.

A change is *breaking* (an existing caller or model integration can fail: operation or
parameter removed, parameter made required, type narrowed, enum value removed, response
field removed or retyped, auth or server path changed) or *non-breaking*; independently it
is *prompt-affecting* when it alters what a model reads. A model reads the tool definitions
(operationId, summary, description, parameters with their schemas) and the manifest's
`name_for_model` / `description_for_model`; response schemas are not shown to it.

`$ref`s are followed before comparing, so moving or renaming a component without changing
its content is no change. Each change carries the JSON pointer of what changed in the new
document (in the old one for removals).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.contract.changes import Change, ChangeContext, Side, compare_schemas
from harness.contract.jsondoc import (
    DocumentError,
    deref,
    join,
    parse_document,
    pointer,
    read_document,
    resolve_pointer,
    server_path,
    walk,
)
from harness.contract.operation_walk import OperationRef, iter_operations, operation_parameters


def _security(document: dict[str, Any], node: dict[str, Any]) -> Any:
    schemes = (document.get("components") or {}).get("securitySchemes")
    return {"security": node.get("security"), "schemes": schemes}


def diff_specs(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every classified change between two OpenAPI documents."""
    top = ChangeContext(old, new, None)
    changes: list[Change] = []
    if server_path(old) != server_path(new):
        changes.append(
            top.change(
                "server-path-changed",
                f"server path {server_path(old)!r} -> {server_path(new)!r}",
                pointer("servers", 0, "url"),
                breaking=True,
                prompt=False,
            )
        )
    if _security(old, old) != _security(new, new):
        changes.append(
            top.change(
                "auth-changed",
                "security requirements changed",
                "/security",
                breaking=True,
                prompt=False,
            )
        )
    before = {(op.path, op.method): op for op in iter_operations(old)}
    after = {(op.path, op.method): op for op in iter_operations(new)}
    for key, operation in before.items():
        if key not in after:
            ctx = ChangeContext(old, new, operation.label)
            message = f"{operation.method.upper()} {operation.path} removed"
            changes.append(
                ctx.change(
                    "operation-removed",
                    message,
                    operation.pointer,
                    "old",
                    breaking=True,
                    prompt=True,
                )
            )
    for key, operation in after.items():
        if key not in before:
            ctx = ChangeContext(old, new, operation.label)
            message = f"{operation.method.upper()} {operation.path} added"
            changes.append(
                ctx.change(
                    "operation-added", message, operation.pointer, breaking=False, prompt=True
                )
            )
    for key in before.keys() & after.keys():
        changes += _diff_operation(old, before[key], new, after[key])
    return changes


OPERATION_FIELD_CHANGES = (
    ("summary", "summary-changed", "summary changed", False, True),
    ("description", "description-changed", "description changed", False, True),
    ("security", "auth-changed", "security requirements changed", True, False),
    ("x-upstream", "upstream-mapping-changed", "x-upstream mapping changed", False, False),
    (
        "x-tool",
        "tool-metadata-changed",
        "x-tool title or annotations changed (what MCP hosts show and review)",
        False,
        False,
    ),
)
"""Operation fields compared as a whole: field, change code, message, breaking, model-visible."""


def _diff_operation(
    old: dict[str, Any], before: OperationRef, new: dict[str, Any], after: OperationRef
) -> list[Change]:
    ctx = ChangeContext(old, new, after.label)
    changes: list[Change] = []
    if before.label != after.label:
        change = ctx.change(
            "operation-id-changed",
            f"operationId {before.label!r} -> {after.label!r}",
            join(after.pointer, "operationId"),
            breaking=False,
            prompt=True,
        )
        changes.append(replace(change, operations=(before.label, after.label)))
    for field_name, code, message, breaking, prompt in OPERATION_FIELD_CHANGES:
        if before.node.get(field_name) != after.node.get(field_name):
            where = join(after.pointer, field_name)
            changes.append(ctx.change(code, message, where, breaking=breaking, prompt=prompt))
    changes += _diff_parameters(ctx, before, after)
    changes += _diff_bodies(ctx, before, after)
    changes += _diff_responses(ctx, before, after)
    return changes


def _diff_parameters(
    ctx: ChangeContext, before: OperationRef, after: OperationRef
) -> Iterator[Change]:
    old_params = {(p.location, p.name): p for p in operation_parameters(ctx.old, before)}
    new_params = {(p.location, p.name): p for p in operation_parameters(ctx.new, after)}
    for key, parameter in old_params.items():
        if key not in new_params:
            message = f"{key[0]} parameter {key[1]!r} removed"
            yield ctx.change(
                "parameter-removed", message, parameter.pointer, "old", breaking=True, prompt=True
            )
    for key, parameter in new_params.items():
        if key not in old_params:
            required = parameter.node.get("required") is True
            label = "required" if required else "optional"
            message = f"{label} {key[0]} parameter {key[1]!r} added"
            yield ctx.change(
                "parameter-added", message, parameter.pointer, breaking=required, prompt=True
            )
    for key in old_params.keys() & new_params.keys():
        was, now = old_params[key], new_params[key]
        what = f"parameter {key[1]!r}"
        was_required, now_required = (
            was.node.get("required") is True,
            now.node.get("required") is True,
        )
        if now_required and not was_required:
            message = f"{what} made required"
            yield ctx.change(
                "parameter-made-required",
                message,
                join(now.pointer, "required"),
                breaking=True,
                prompt=True,
            )
        elif was_required and not now_required:
            message = f"{what} made optional"
            yield ctx.change(
                "parameter-made-optional",
                message,
                join(now.pointer, "required"),
                breaking=False,
                prompt=True,
            )
        if was.node.get("description") != now.node.get("description"):
            message = f"{what}: description changed"
            yield ctx.change(
                "description-changed",
                message,
                join(now.pointer, "description"),
                breaking=False,
                prompt=True,
            )
        yield from compare_schemas(
            ctx,
            was.schema,
            join(was.pointer, "schema"),
            now.schema,
            join(now.pointer, "schema"),
            "input",
            what,
        )


def _json_schema(document: dict[str, Any], node: Any, at: str) -> tuple[Any, str] | None:
    node, at = deref(document, node, at)
    media = (node.get("content") or {}).get("application/json") if isinstance(node, dict) else None
    if not isinstance(media, dict) or "schema" not in media:
        return None
    return media["schema"], join(at, "content", "application/json", "schema")


def _diff_bodies(ctx: ChangeContext, before: OperationRef, after: OperationRef) -> Iterator[Change]:
    old = _json_schema(ctx.old, before.node.get("requestBody"), join(before.pointer, "requestBody"))
    new = _json_schema(ctx.new, after.node.get("requestBody"), join(after.pointer, "requestBody"))
    if old is None and new is None:
        return
    if old is None or new is None:
        code = "request-body-added" if old is None else "request-body-removed"
        at = join(after.pointer if new else before.pointer, "requestBody")
        yield ctx.change(
            code, code.replace("-", " "), at, "new" if new else "old", breaking=True, prompt=True
        )
        return
    yield from compare_schemas(ctx, old[0], old[1], new[0], new[1], "input", "body")


def _diff_responses(
    ctx: ChangeContext, before: OperationRef, after: OperationRef
) -> Iterator[Change]:
    old_responses = before.node.get("responses") or {}
    new_responses = after.node.get("responses") or {}
    for status in sorted(set(old_responses) | set(new_responses)):
        old_at = join(before.pointer, "responses", status)
        new_at = join(after.pointer, "responses", status)
        if status not in new_responses:
            breaking = str(status).startswith("2")
            message = f"response {status} removed"
            yield ctx.change(
                "response-removed", message, old_at, "old", breaking=breaking, prompt=False
            )
            continue
        if status not in old_responses:
            yield ctx.change(
                "response-added", f"response {status} added", new_at, breaking=False, prompt=False
            )
            continue
        old = _json_schema(ctx.old, old_responses[status], old_at)
        new = _json_schema(ctx.new, new_responses[status], new_at)
        if old is not None and new is not None:
            yield from compare_schemas(
                ctx, old[0], old[1], new[0], new[1], "output", f"response {status}"
            )
        elif (old is None) != (new is None):
            message = f"response {status}: JSON body {'added' if new else 'removed'}"
            yield ctx.change(
                "response-body-changed", message, new_at, breaking=old is not None, prompt=False
            )


MANIFEST_PROMPT_FIELDS = ("name_for_model", "description_for_model")
MANIFEST_BREAKING_FIELDS = ("auth", "api", "schema_version")


def diff_manifests(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Changes between two plugin manifests; model-facing fields affect every prompt."""
    changes = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        side: Side = "old" if name not in new else "new"
        code = "auth-changed" if name == "auth" else f"manifest-{name.replace('_', '-')}-changed"
        changes.append(
            Change(
                code,
                name in MANIFEST_BREAKING_FIELDS,
                name in MANIFEST_PROMPT_FIELDS,
                f"manifest {name} changed",
                pointer(name),
                side,
                "manifest",
            )
        )
    return changes


def attach_cases(
    changes: Iterable[Change], case_operations: Mapping[str, frozenset[str]] | None
) -> list[Change]:
    """Name the suite cases each prompt-affecting change touches.

    ``case_operations`` maps each case id to the operationIds it expects, in suite order. A
    change tied to operations touches the cases expecting any of them; a manifest change a
    model reads (no operation) touches every case.
    """
    if case_operations is None:
        return list(changes)
    result = []
    for change in changes:
        if change.prompt_affecting:
            cases = tuple(
                case_id
                for case_id, operations in case_operations.items()
                if not change.operations or operations & set(change.operations)
            )
            change = replace(change, cases=cases)
        result.append(change)
    return result


def read_version(source: str, repo: Path | None = None) -> dict[str, Any]:
    """A document from a file path, or from git as `REF:path` (e.g. `origin/main:specs/x.json`)."""
    path = Path(source)
    if path.exists() or ":" not in source:
        document = read_document(path)
    else:
        ref, _, file = source.partition(":")
        completed = subprocess.run(
            ["git", "show", f"{ref}:{file}"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise DocumentError(f"{source}: {completed.stderr.strip() or 'git show failed'}")
        document = parse_document(completed.stdout, source)
    if not isinstance(document, dict):
        raise DocumentError(f"{source}: the document is not a JSON object")
    check_refs(document, source)
    return document


def check_refs(document: dict[str, Any], source: str) -> None:
    """Raise DocumentError naming the JSON pointer of the first ``$ref`` that does not resolve.

    A dangling reference would otherwise read as a schema of any type and be reported as
    breaking changes.
    """
    for at, node in walk(document):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str):
            continue
        where = f"{source}: {join(at, '$ref')}"
        if not ref.startswith("#"):
            raise DocumentError(f"{where}: $ref {ref!r} is not local (only #/... is supported)")
        try:
            resolve_pointer(document, ref[1:])
        except KeyError:
            raise DocumentError(f"{where}: $ref {ref!r} points nowhere") from None


def diff_sources(
    old_spec: str,
    new_spec: str,
    manifests: tuple[str, str] | None = None,
    case_operations: Mapping[str, frozenset[str]] | None = None,
    repo: Path | None = None,
) -> list[Change]:
    """Read both versions (paths or `REF:path`), diff spec and manifest, attach suite cases.

    ``case_operations`` (case id -> expected operationIds) is what :func:`attach_cases` takes.
    """
    changes = diff_specs(read_version(old_spec, repo), read_version(new_spec, repo))
    if manifests is not None:
        old_manifest, new_manifest = (read_version(source, repo) for source in manifests)
        changes += diff_manifests(old_manifest, new_manifest)
    return attach_cases(changes, case_operations)
