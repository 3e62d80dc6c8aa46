"""Load `specs/openapi.json` and `specs/ai-plugin.json` into plain, resolved objects.

Everything else in the harness (proxy routes, LLM tools, lint, diff, fuzzing) reads the spec
through :func:`load_spec`, so a malformed spec fails once, here, with the file and the JSON
pointer of the problem.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from harness.contract import jsondoc, operation_walk
from harness.errors import InputError

# The project's contract, relative to the working directory like prompts/ and cassettes/.
DEFAULT_SPEC_PATH = Path("specs") / "openapi.json"
DEFAULT_MANIFEST_PATH = Path("specs") / "ai-plugin.json"
# The official PodcastAPI v2 spec, shipped as package data (a copy of the project's shared one).
DEFAULT_UPSTREAM_SPEC_PATH = (
    Path(__file__).resolve().parents[1] / "data" / "podcastapi-openapi.yaml"
)

PARAMETER_LOCATIONS = ("query", "path")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
"""Methods that do not change the server's state (RFC 9110, section 9.2.1)."""
IDEMPOTENT_METHODS = SAFE_METHODS | {"PUT", "DELETE"}
TOOL_HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
"""The MCP tool annotation hints ``x-tool.annotations`` may set, in the MCP spec's order."""


class SpecError(InputError):
    """A spec or manifest problem, located by file and JSON pointer (or line)."""

    def __init__(self, file: Path | str, pointer: str, message: str) -> None:
        self.file = str(file)
        self.pointer = pointer
        self.message = message
        super().__init__(
            f"{self.file}: {pointer}: {message}" if pointer else f"{self.file}: {message}"
        )


@dataclass(frozen=True)
class Parameter:
    """One operation parameter, with its schema fully resolved."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    description: str


@dataclass(frozen=True)
class Upstream:
    """Where an operation goes upstream (the ``x-upstream`` extension)."""

    path: str
    fixed: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    rename: dict[str, str] = field(default_factory=dict)

    def upstream_name(self, parameter: str) -> str:
        """The upstream name of a proxy parameter."""
        return self.params.get(parameter, parameter)


@dataclass(frozen=True)
class Annotation:
    """One MCP tool annotation hint: its value, why it holds, and whether the spec set it.

    A hint the spec does not set is derived from the HTTP method (``explicit=False``) and has
    no justification.
    """

    value: bool
    justification: str | None
    explicit: bool


@dataclass(frozen=True)
class ToolMetadata:
    """What hosts show and read about the tool of an operation (the ``x-tool`` extension).

    ``title`` is ``None`` when the spec gives none; ``annotations`` holds every hint of
    :data:`TOOL_HINTS`, explicit or defaulted.
    """

    title: str | None
    annotations: dict[str, Annotation]

    def hint(self, name: str) -> bool:
        """The value of the hint ``name`` (one of :data:`TOOL_HINTS`)."""
        return self.annotations[name].value


@dataclass(frozen=True)
class Operation:
    """One operation of the proxy's contract."""

    operation_id: str
    method: str
    path: str
    summary: str
    description: str
    parameters: tuple[Parameter, ...]
    response_schema: dict[str, Any]
    upstream: Upstream
    pointer: str
    tool: ToolMetadata = field(default_factory=lambda: default_tool_metadata("GET"))

    def parameter(self, name: str) -> Parameter | None:
        """The parameter called ``name``, or None."""
        return next((p for p in self.parameters if p.name == name), None)


@dataclass(frozen=True)
class Spec:
    """The loaded spec: the raw document plus its operations, keyed by operationId."""

    path: Path
    document: dict[str, Any]
    server_path: str
    operations: dict[str, Operation]
    sha256: str


def read_json(path: Path | str) -> dict[str, Any]:
    """Read a JSON object from ``path``; errors name the file, line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        hint = (
            " (relative paths start from the working directory)" if not path.is_absolute() else ""
        )
        raise SpecError(path, "", f"cannot read file: {error.strerror}{hint}") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SpecError(
            path, "", f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from error
    if not isinstance(document, dict):
        raise SpecError(path, "", "the document must be a JSON object")
    return document


def resolve_ref(document: dict[str, Any], ref: str, file: Path | str) -> Any:
    """Follow a local reference such as ``#/components/schemas/Podcast``."""
    if not ref.startswith("#"):
        raise SpecError(file, ref, "only local references (#/...) are supported")
    try:
        return jsondoc.resolve_pointer(document, ref[1:])
    except KeyError:
        raise SpecError(file, ref, "unresolvable $ref") from None


def resolve_refs(
    document: dict[str, Any], node: Any, file: Path | str, _seen: tuple[str, ...] = ()
) -> Any:
    """Recursively inline local ``$ref``s; a reference cycle is an error."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in _seen:
                raise SpecError(file, ref, "circular $ref")
            target = resolve_ref(document, ref, file)
            return resolve_refs(document, target, file, (*_seen, ref))
        return {key: resolve_refs(document, value, file, _seen) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve_refs(document, item, file, _seen) for item in node]
    return node


def load_spec(path: Path | str = DEFAULT_SPEC_PATH) -> Spec:
    """Load and resolve the proxy's OpenAPI document.

    Raises :class:`SpecError` naming the file and JSON pointer of the first structural problem
    the harness cannot work around (missing operationId, bad ``x-upstream``, broken ``$ref``).
    Full OpenAPI validation is `harness lint`'s job.
    """
    path = Path(path)
    document = read_json(path)
    if not isinstance(document.get("paths"), dict):
        raise SpecError(path, "/paths", "missing or not an object")
    operations: dict[str, Operation] = {}
    for raw in operation_walk.iter_operations(document, on_malformed=_refuse(path)):
        operation = _load_operation(document, path, raw)
        if operation.operation_id in operations:
            raise SpecError(
                path,
                operation.pointer + "/operationId",
                f"duplicate operationId {operation.operation_id!r} "
                f"(also at {operations[operation.operation_id].pointer})",
            )
        operations[operation.operation_id] = operation
    return Spec(
        path=path,
        document=document,
        server_path=_server_path(document, path),
        operations=operations,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def load_upstream_spec(path: Path | str = DEFAULT_UPSTREAM_SPEC_PATH) -> Any:
    """The upstream OpenAPI document, parsed once per file version (the YAML is large).

    Raises :class:`harness.contract.jsondoc.DocumentError` naming the file (and line) on failure.
    """
    resolved = Path(path).resolve()
    try:
        mtime_ns = resolved.stat().st_mtime_ns
    except OSError as error:
        raise jsondoc.DocumentError(f"{path}: cannot read: {error.strerror or error}") from error
    return _parsed_upstream_spec(str(resolved), mtime_ns)


@functools.cache
def _parsed_upstream_spec(path: str, mtime_ns: int) -> Any:
    return jsondoc.read_document(path)


def load_manifest(path: Path | str = DEFAULT_MANIFEST_PATH) -> dict[str, Any]:
    """Load the plugin manifest (ai-plugin.json) as a dict.

    It must pass the manifest schema `harness lint` checks (``manifest-fields``); the
    :class:`SpecError` names the file and the JSON pointer (or line) of the first problem.
    """
    manifest = read_json(path)
    errors = sorted(
        _manifest_validator().iter_errors(manifest),
        key=lambda error: [str(part) for part in error.absolute_path],
    )
    if errors:
        raise SpecError(path, *_located(errors[0]))
    return manifest


@functools.cache
def _manifest_validator() -> Draft202012Validator:
    from harness.contract.manifest_schema import MANIFEST_SCHEMA

    return Draft202012Validator(MANIFEST_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _located(error: ValidationError) -> tuple[str, str]:
    """(JSON pointer, message) of a schema error; a missing field is pointed at by name."""
    at = jsondoc.pointer(*error.absolute_path)
    if error.validator == "required":
        missing = next((name for name in error.validator_value if name not in error.instance), "")
        return jsondoc.join(at, missing), "a required field is missing"
    return at, error.message


def _server_path(document: dict[str, Any], file: Path) -> str:
    path = jsondoc.server_path(document)
    if path and not path.startswith("/"):
        raise SpecError(file, "/servers/0/url", "server URL must be absolute or start with /")
    return path


def _refuse(file: Path) -> operation_walk.Malformed:
    """A :data:`operation_walk.Malformed` that refuses the spec, naming the pointer."""

    def refuse(at: str, message: str) -> None:
        raise SpecError(file, at, message)

    return refuse


def _load_operation(
    document: dict[str, Any], file: Path, raw: operation_walk.OperationRef
) -> Operation:
    node, pointer = raw.node, raw.pointer
    operation_id = node.get("operationId")
    if not isinstance(operation_id, str) or not operation_id:
        raise SpecError(file, pointer + "/operationId", "every operation needs an operationId")
    parameters = tuple(
        operation_walk.merge_parameters(
            _load_parameter(document, file, entry, at)
            for at, entry in operation_walk.parameter_entries(raw, on_malformed=_refuse(file))
        )
    )
    response = node.get("responses", {}).get("200") or node.get("responses", {}).get("default")
    if response is None:
        raise SpecError(file, pointer + "/responses/200", "a 200 response is required")
    response = resolve_refs(document, response, file)
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if not isinstance(schema, dict):
        raise SpecError(
            file,
            pointer + "/responses/200/content/application~1json/schema",
            "a JSON response schema is required",
        )
    method = raw.method.upper()
    return Operation(
        operation_id=operation_id,
        method=method,
        path=raw.path,
        summary=str(node.get("summary", "")),
        description=str(node.get("description", "")),
        parameters=parameters,
        response_schema=schema,
        upstream=_load_upstream(node.get("x-upstream"), file, pointer + "/x-upstream", parameters),
        pointer=pointer,
        tool=load_tool_metadata(node.get("x-tool"), method, file, pointer + "/x-tool"),
    )


def _load_parameter(document: dict[str, Any], file: Path, entry: Any, here: str) -> Parameter:
    raw = resolve_refs(document, entry, file)
    if not isinstance(raw, dict) or "name" not in raw or "in" not in raw:
        raise SpecError(file, here, "a parameter needs 'name' and 'in'")
    if raw["in"] not in PARAMETER_LOCATIONS:
        raise SpecError(file, here + "/in", f"unsupported parameter location {raw['in']!r}")
    return Parameter(
        name=raw["name"],
        location=raw["in"],
        required=bool(raw.get("required", raw["in"] == "path")),
        schema=raw.get("schema", {}),
        description=str(raw.get("description", "")),
    )


def _load_upstream(
    raw: Any, file: Path, pointer: str, parameters: tuple[Parameter, ...]
) -> Upstream:
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
        raise SpecError(file, pointer, "x-upstream with a 'path' string is required")
    for key in ("fixed", "params", "rename"):
        if not isinstance(raw.get(key, {}), dict):
            raise SpecError(file, f"{pointer}/{key}", "must be an object")
    names = {p.name for p in parameters}
    for name in raw.get("params", {}):
        if name not in names:
            raise SpecError(file, f"{pointer}/params/{jsondoc.escape(name)}", "no such parameter")
    return Upstream(
        path=raw["path"],
        fixed=dict(raw.get("fixed", {})),
        params=dict(raw.get("params", {})),
        rename=dict(raw.get("rename", {})),
    )


def default_hints(method: str) -> dict[str, bool]:
    """The annotation hints an operation gets from its HTTP method alone.

    Safe methods read only; PUT and DELETE are idempotent; everything that is not safe may
    destroy. Every operation calls the upstream API, an open world.
    """
    safe = method in SAFE_METHODS
    return {
        "readOnlyHint": safe,
        "destructiveHint": not safe,
        "idempotentHint": method in IDEMPOTENT_METHODS,
        "openWorldHint": True,
    }


def default_tool_metadata(method: str) -> ToolMetadata:
    """The tool metadata of an operation without ``x-tool``: no title, method defaults."""
    return ToolMetadata(
        title=None,
        annotations={
            name: Annotation(value, None, explicit=False)
            for name, value in default_hints(method).items()
        },
    )


def load_tool_metadata(raw: Any, method: str, file: Path | str, pointer: str) -> ToolMetadata:
    """Parse an operation's ``x-tool`` block; hints it does not set default from ``method``.

    Raises :class:`SpecError` naming the JSON pointer of a malformed entry.
    """
    if raw is None:
        return default_tool_metadata(method)
    if not isinstance(raw, dict):
        raise SpecError(file, pointer, "x-tool must be an object")
    unknown = sorted(set(raw) - {"title", "annotations"})
    if unknown:
        raise SpecError(
            file,
            f"{pointer}/{jsondoc.escape(unknown[0])}",
            "unknown key (x-tool takes 'title' and 'annotations')",
        )
    title = raw.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        raise SpecError(file, pointer + "/title", "title must be a non-empty string")
    annotations_raw = raw.get("annotations", {})
    if not isinstance(annotations_raw, dict):
        raise SpecError(file, pointer + "/annotations", "annotations must be an object")
    for name in annotations_raw:
        if name not in TOOL_HINTS:
            raise SpecError(
                file,
                f"{pointer}/annotations/{jsondoc.escape(name)}",
                f"unknown hint (choose from {', '.join(TOOL_HINTS)})",
            )
    annotations = {}
    for name, default in default_hints(method).items():
        entry = annotations_raw.get(name)
        if entry is None:
            annotations[name] = Annotation(default, None, explicit=False)
            continue
        annotations[name] = _load_annotation(entry, file, f"{pointer}/annotations/{name}")
    return ToolMetadata(title=title.strip() if title else None, annotations=annotations)


def _load_annotation(raw: Any, file: Path | str, pointer: str) -> Annotation:
    if not isinstance(raw, dict):
        raise SpecError(file, pointer, "a hint must be an object with 'value' and 'justification'")
    unknown = sorted(set(raw) - {"value", "justification"})
    if unknown:
        raise SpecError(
            file,
            f"{pointer}/{jsondoc.escape(unknown[0])}",
            "unknown key (a hint takes 'value' and 'justification')",
        )
    if not isinstance(raw.get("value"), bool):
        raise SpecError(file, pointer + "/value", "value must be true or false")
    justification = raw.get("justification")
    if justification is not None and (
        not isinstance(justification, str) or not justification.strip()
    ):
        raise SpecError(
            file, pointer + "/justification", "justification must be a non-empty string"
        )
    return Annotation(raw["value"], justification.strip() if justification else None, explicit=True)
