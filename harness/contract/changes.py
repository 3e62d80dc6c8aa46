"""Schema-level change detection for `harness diff`: one classified `Change` per difference.

Schemas are compared after following `$ref`s, so a renamed but equivalent component is no
change. `direction` says who produces the value: narrowing what callers may *send* (input)
breaks them; changing what they *receive* (output) breaks them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from harness.contract.jsondoc import declared_types, deref, join

Side = Literal["new", "old"]
Direction = Literal["input", "output"]

BOUND_TIGHTER_WHEN_LARGER = ("minimum", "exclusiveMinimum", "minLength", "minItems")
BOUND_TIGHTER_WHEN_SMALLER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")
SCHEMA_KEYWORDS_COMPARED = frozenset(
    {
        "$ref",
        "type",
        "enum",
        "const",
        "default",
        "description",
        "properties",
        "required",
        "items",
        "allOf",
        "anyOf",
        "oneOf",
        *BOUND_TIGHTER_WHEN_LARGER,
        *BOUND_TIGHTER_WHEN_SMALLER,
    }
)
SCHEMA_KEYWORDS_IGNORED = frozenset({"examples", "example", "title", "$comment"})


@dataclass(frozen=True)
class Change:
    """One classified difference between the old and the new document."""

    code: str
    breaking: bool
    prompt_affecting: bool
    message: str
    pointer: str
    side: Side = "new"
    document: Literal["spec", "manifest"] = "spec"
    operation: str | None = None
    operations: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()

    @property
    def classes(self) -> str:
        """`breaking` or `non-breaking`, plus `prompt-affecting` where it applies."""
        kind = "breaking" if self.breaking else "non-breaking"
        return f"{kind}, prompt-affecting" if self.prompt_affecting else kind

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the change."""
        record = asdict(self)
        record["operations"] = list(self.operations)
        record["cases"] = list(self.cases)
        return record


class ChangeContext:
    """What the schema comparison needs: both documents, the operation, loop protection."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any], operation: str | None) -> None:
        self.old, self.new, self.operation = old, new, operation
        self.seen: set[tuple[str, str]] = set()

    def change(
        self,
        code: str,
        message: str,
        at: str,
        side: Side = "new",
        *,
        breaking: bool,
        prompt: bool,
    ) -> Change:
        """A change of this context's operation: ``breaking`` for callers, ``prompt`` when it
        changes what a model reads."""
        operations = (self.operation,) if self.operation else ()
        return Change(
            code,
            breaking=breaking,
            prompt_affecting=prompt,
            message=message,
            pointer=at,
            side=side,
            document="spec",
            operation=self.operation,
            operations=operations,
        )


def _accepts(types: set[str], other: set[str]) -> bool:
    """Whether every type in `other` is accepted by `types` (integer is a number)."""
    return all(t in types or (t == "integer" and "number" in types) for t in other)


def _enum(schema: dict[str, Any]) -> list[Any] | None:
    if isinstance(schema.get("enum"), list):
        return schema["enum"]
    if "const" in schema:
        return [schema["const"]]
    return None


def compare_schemas(
    ctx: ChangeContext,
    old: Any,
    old_at: str,
    new: Any,
    new_at: str,
    direction: Direction,
    what: str,
) -> Iterator[Change]:
    """Changes between two schemas; `direction` says whether callers send or receive them."""
    old, old_at = deref(ctx.old, old, old_at)
    new, new_at = deref(ctx.new, new, new_at)
    if not isinstance(old, dict) or not isinstance(new, dict) or (old_at, new_at) in ctx.seen:
        return
    ctx.seen.add((old_at, new_at))
    read = direction == "input"
    if old.get("description") != new.get("description"):
        yield ctx.change(
            "description-changed",
            f"{what}: description changed",
            join(new_at, "description"),
            breaking=False,
            prompt=read,
        )
    yield from _compare_types(ctx, old, new, new_at, direction, what)
    yield from _compare_enums(ctx, old, new, new_at, direction, what)
    if read and old.get("default") != new.get("default"):
        yield ctx.change(
            "default-changed",
            f"{what}: default {old.get('default')!r} -> {new.get('default')!r}",
            join(new_at, "default"),
            breaking=False,
            prompt=True,
        )
    if read:
        yield from _compare_bounds(ctx, old, new, new_at, what)
    yield from _compare_properties(ctx, old, old_at, new, new_at, direction, what)
    if "items" in old or "items" in new:
        yield from compare_schemas(
            ctx,
            old.get("items"),
            join(old_at, "items"),
            new.get("items"),
            join(new_at, "items"),
            direction,
            f"{what}[]",
        )
    for keyword in ("allOf", "anyOf", "oneOf"):
        yield from _compare_branches(ctx, keyword, old, old_at, new, new_at, direction, what)
    for keyword in sorted((set(old) | set(new)) - SCHEMA_KEYWORDS_COMPARED):
        if keyword in SCHEMA_KEYWORDS_IGNORED or keyword.startswith("x-"):
            continue
        if old.get(keyword) != new.get(keyword):
            yield ctx.change(
                "schema-keyword-changed",
                f"{what}: {keyword} {old.get(keyword)!r} -> {new.get(keyword)!r}",
                join(new_at, keyword),
                breaking=read and keyword in new,
                prompt=read,
            )


def _compare_types(
    ctx: ChangeContext,
    old: dict[str, Any],
    new: dict[str, Any],
    at: str,
    direction: Direction,
    what: str,
) -> Iterator[Change]:
    before, after = (
        None if (types := declared_types(schema)) is None else set(types) for schema in (old, new)
    )
    if before == after:
        return
    message = f"{what}: type {sorted(before or ['any'])} -> {sorted(after or ['any'])}"
    where = join(at, "type")
    if direction == "output":
        yield ctx.change("response-type-changed", message, where, breaking=True, prompt=False)
    elif after is not None and (before is None or not _accepts(after, before)):
        yield ctx.change("type-narrowed", message, where, breaking=True, prompt=True)
    else:
        yield ctx.change("type-widened", message, where, breaking=False, prompt=True)


def _compare_enums(
    ctx: ChangeContext,
    old: dict[str, Any],
    new: dict[str, Any],
    at: str,
    direction: Direction,
    what: str,
) -> Iterator[Change]:
    before, after = _enum(old), _enum(new)
    if before == after:
        return
    read = direction == "input"
    where = join(at, "enum" if "enum" in new else "const")
    if before is None:
        yield ctx.change(
            "enum-added", f"{what}: now limited to {after}", where, breaking=read, prompt=read
        )
        return
    if after is None:
        message = f"{what}: no longer limited to {before}"
        yield ctx.change("enum-dropped", message, at, breaking=not read, prompt=read)
        return
    removed = [value for value in before if value not in after]
    added = [value for value in after if value not in before]
    if removed:
        message = f"{what}: enum values removed {removed}"
        yield ctx.change("enum-value-removed", message, where, breaking=read, prompt=read)
    if added:
        message = f"{what}: enum values added {added}"
        yield ctx.change("enum-value-added", message, where, breaking=False, prompt=read)
    if not removed and not added:
        yield ctx.change(
            "enum-reordered", f"{what}: enum order changed", where, breaking=False, prompt=read
        )


def _compare_bounds(
    ctx: ChangeContext, old: dict[str, Any], new: dict[str, Any], at: str, what: str
) -> Iterator[Change]:
    for keyword in (*BOUND_TIGHTER_WHEN_LARGER, *BOUND_TIGHTER_WHEN_SMALLER):
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            continue
        larger_is_tighter = keyword in BOUND_TIGHTER_WHEN_LARGER
        if after is None:
            tighter = False
        elif before is None:
            tighter = True
        else:
            tighter = (after > before) == larger_is_tighter
        code = "constraint-tightened" if tighter else "constraint-relaxed"
        message = f"{what}: {keyword} {before!r} -> {after!r}"
        yield ctx.change(code, message, join(at, keyword), breaking=tighter, prompt=True)


def _compare_properties(
    ctx: ChangeContext,
    old: dict[str, Any],
    old_at: str,
    new: dict[str, Any],
    new_at: str,
    direction: Direction,
    what: str,
) -> Iterator[Change]:
    read = direction == "input"
    old_props = old.get("properties") if isinstance(old.get("properties"), dict) else {}
    new_props = new.get("properties") if isinstance(new.get("properties"), dict) else {}
    old_required = set(old.get("required") or [])
    new_required = set(new.get("required") or [])
    for name in old_props.keys() - new_props.keys():
        at = join(old_at, "properties", name)
        code = "property-removed" if read else "response-field-removed"
        yield ctx.change(code, f"{what}.{name}: removed", at, "old", breaking=True, prompt=read)
    for name in new_props.keys() - old_props.keys():
        at = join(new_at, "properties", name)
        required = name in new_required
        code = "property-added" if read else "response-field-added"
        label = "required " if required else ""
        yield ctx.change(
            code, f"{what}.{name}: {label}added", at, breaking=read and required, prompt=read
        )
    for name in old_props.keys() & new_props.keys():
        yield from compare_schemas(
            ctx,
            old_props[name],
            join(old_at, "properties", name),
            new_props[name],
            join(new_at, "properties", name),
            direction,
            f"{what}.{name}",
        )
        if name in old_required and name not in new_required:
            yield ctx.change(
                "property-made-optional",
                f"{what}.{name}: no longer required",
                join(new_at, "required"),
                breaking=not read,
                prompt=read,
            )
        elif name in new_required and name not in old_required:
            yield ctx.change(
                "property-made-required",
                f"{what}.{name}: now required",
                join(new_at, "required"),
                breaking=read,
                prompt=read,
            )


def _compare_branches(
    ctx: ChangeContext,
    keyword: str,
    old: dict[str, Any],
    old_at: str,
    new: dict[str, Any],
    new_at: str,
    direction: Direction,
    what: str,
) -> Iterator[Change]:
    before, after = old.get(keyword) or [], new.get(keyword) or []
    for index in range(min(len(before), len(after))):
        yield from compare_schemas(
            ctx,
            before[index],
            join(old_at, keyword, index),
            after[index],
            join(new_at, keyword, index),
            direction,
            f"{what}<{keyword}[{index}]>",
        )
    if len(before) != len(after):
        fewer = len(after) < len(before)
        narrowing = fewer if keyword != "allOf" else not fewer
        breaking = narrowing if direction == "input" else not narrowing
        message = f"{what}: {keyword} has {len(after)} branches (was {len(before)})"
        yield ctx.change(
            "schema-branches-changed",
            message,
            join(new_at, keyword),
            breaking=breaking,
            prompt=direction == "input",
        )
