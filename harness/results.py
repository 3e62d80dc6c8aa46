"""The result record: one line of ``results.jsonl``, its enums, and the one reader and writer.

``harness eval`` appends one :class:`CaseResult` per (case, repeat) the moment it finishes;
the reports, the gate, ``harness compare``, the shard merge and the submission pack read them
back with :func:`read_results`. The field order of :class:`CaseResult` is the key order of a
line, so files written before this module existed read and re-write byte for byte but for
the reason-code keys (``reason_code``, each call's ``error_code``: ``null``) in their places.

Why a stdlib dataclass rather than attrs or pydantic: the record needs no dependency, a replay
builds and writes thousands of them where pydantic's validation would be pure cost (the
harness made every value itself), and orjson serialises dataclasses and enums natively, in
field order. Untrusted input (a file on disk) is checked once, in :meth:`CaseResult.from_dict`,
with an error naming the file and line.

A torn last line -- one rule: the writer writes each record as one line ending in ``\\n`` and
flushes it, so a crash can leave only the *last* line incomplete, and then without its
newline. Such a line (not JSON, no trailing newline) is dropped: that case did not finish and
a resumed run runs it again. Any other line that is not a valid record is a
:class:`ResultsError` naming the file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import MISSING, asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, TypeVar

import orjson

from harness import collector
from harness.errors import InputError

RESULTS_FILE = "results.jsonl"
RUN_FILE = "run.json"
NO_CALL = "(no call)"
"""The operation a case that expects no tool call is reported under."""


class ResultsError(InputError):
    """A results file, or one line of it, that is not a valid result record."""


class Status(StrEnum):
    """How a case ended: ``pass``/``fail`` measured the model; ``error`` (the backend or a
    cassette failed) and ``stale`` (the cassette no longer matches) did not."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    STALE = "stale"

    @property
    def scored(self) -> bool:
        """True when the case measured the model (a resumed run keeps these)."""
        return self in (Status.PASS, Status.FAIL)


class ArgumentVerdict(StrEnum):
    """The verdict on one argument of a call whose operation matched."""

    CORRECT = "correct"
    WRONG_VALUE = "wrong_value"
    MISSING_REQUIRED = "missing_required"
    MISSING_EXPECTED_OPTIONAL = "missing_expected_optional"
    UNEXPECTED = "unexpected"


class ReasonCode(StrEnum):
    """Why a case did not pass, as a stable code (``reason`` holds the text). Codes with a
    ``value_error:`` prefix are argument values the case or the proxy does not accept."""

    NO_CALL_EXPECTED = "no_call_expected"
    """The case expects no tool call and the model made one."""
    MISSING_CALL = "missing_call"
    """An expected call was not made."""
    UNEXPECTED_CALL = "unexpected_call"
    """A call beyond the expected ones."""
    WRONG_OPERATION = "wrong_operation"
    """A call to another operation than the one expected."""
    WRONG_ORDER = "wrong_order"
    """Calls out of the order a case with ``order: strict`` expects."""
    MISSING_REQUIRED = "missing_required"
    """An expected argument left out."""
    WRONG_VALUE = "value_error:wrong_value"
    """An argument whose value no matcher of the case accepts."""
    REFUSED_VALUE = "value_error:refused"
    """An argument the proxy would refuse (wrong type, out of range, off its pattern)."""
    UNEXPECTED_ARGUMENT = "unexpected_argument"
    """An argument the case does not expect (and not the parameter's default)."""
    INVALID_JSON = "invalid_json"
    """A call whose arguments are not valid JSON."""
    ARGUMENTS_NOT_OBJECT = "arguments_not_object"
    """A call whose arguments are JSON but not an object."""
    UNKNOWN_TOOL = "unknown_tool"
    """A call to a tool the model was not given."""
    SCHEMA_VIOLATION = "schema_violation"
    """A call whose arguments fail the tool's parameter schema."""
    INVALID_CALL = "invalid_call"
    """A call unusable for another reason its ``error`` gives."""
    MODEL_ERROR = "model_error"
    """The model endpoint failed for good (status ``error``)."""
    UNREADABLE_CASSETTE = "unreadable_cassette"
    """The case's cassette cannot be read (status ``error``)."""
    STALE_CASSETTE = "stale_cassette"
    """The cassette no longer matches the request (status ``stale``)."""


STATUSES = tuple(status.value for status in Status)
ARGUMENT_VERDICTS = tuple(verdict.value for verdict in ArgumentVerdict)


T = TypeVar("T")


def fast_constructor(cls: type[T]) -> Callable[..., T]:
    """A keyword-only constructor of the frozen, slotted dataclass ``cls`` that builds the same
    object as ``cls(...)`` in a third of the time, for records made in hot loops.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; this one
    sets them through their slots. ``cls`` must have no ``__post_init__`` and no field outside
    ``__init__`` or with a default factory.
    """
    params = fields(cls)
    if (
        not getattr(cls, "__dataclass_params__", None)
        or not cls.__dataclass_params__.frozen
        or "__slots__" not in cls.__dict__
        or hasattr(cls, "__post_init__")
        or any(not f.init or f.default_factory is not MISSING for f in params)
    ):
        raise TypeError(f"{cls.__name__} is not a frozen, slotted dataclass of plain fields")
    names = [f.name for f in params]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace |= {f"set_{name}": getattr(cls, name).__set__ for name in names}
    namespace |= {f"default_{f.name}": f.default for f in params if f.default is not MISSING}
    signature = ", ".join(
        name if f.default is MISSING else f"{name}=default_{name}"
        for name, f in zip(names, params, strict=True)
    )
    body = "".join(f"    set_{name}(record, {name})\n" for name in names)
    source = f"def make(*, {signature}):\n    record = new(cls)\n{body}    return record\n"
    exec(source, namespace)  # straight-line code: one call per field
    make = namespace["make"]
    make.__doc__ = f"A {cls.__name__} (see fast_constructor)."
    return make


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One function call emitted by a model.

    ``arguments`` is the parsed JSON object, or ``None`` when ``raw_arguments`` was not a
    JSON object; ``error`` says why the call is unusable (invalid JSON, unknown tool, schema
    violation), and ``None`` when it is fine; ``error_code`` is the same as a code.
    """

    name: str
    arguments: dict[str, Any] | None
    raw_arguments: str = ""
    error: str | None = None
    error_code: ReasonCode | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in results.jsonl."""
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallVerdict:
    """The verdict on one (expected, actual) pair of calls; ``expected`` is ``None`` for a
    call nobody asked for and ``actual`` ``None`` for an expected call the model did not make.
    ``arguments`` is empty unless the operation matched."""

    expected: str | None
    actual: str | None
    operation_match: bool
    arguments: dict[str, ArgumentVerdict]
    passed: bool
    score: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallVerdict:
        """A verdict as stored in results.jsonl (``passed``/``score`` default for old lines)."""
        return cls(
            expected=data.get("expected"),
            actual=data.get("actual"),
            operation_match=bool(data.get("operation_match")),
            arguments={k: ArgumentVerdict(v) for k, v in (data.get("arguments") or {}).items()},
            passed=bool(data.get("passed")),
            score=float(data.get("score") or 0.0),
        )


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One line of results.jsonl: one (case, repeat) of a run, how it ended and why.

    ``passed`` is derived from ``status`` (it is written for readers of the file, never read
    back). ``reason`` is one line when not passed and ``reason_code`` its stable code
    (``None`` in runs written before codes existed). ``expected`` is the case's expectation as
    in the suite; ``transcript`` the chat messages; tokens and latency are ``None`` when no
    model answered.
    """

    run_id: str | None
    case_id: str
    repeat: int
    model: str | None
    prompt: str | None
    tags: list[str]
    expected_operations: list[str]
    expected: Any
    cassette: str | None
    status: Status
    passed: bool = field(init=False)
    score: float = 0.0
    reason: str | None = None
    reason_code: ReasonCode | None = None
    call_verdicts: list[CallVerdict] = field(default_factory=list)
    actual_calls: list[ToolCall] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    turns: int = 0
    error: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "passed", self.status is Status.PASS)

    @property
    def operation(self) -> str:
        """The operation the case is reported under: its first expected one, or ``NO_CALL``."""
        return self.expected_operations[0] if self.expected_operations else NO_CALL

    def to_json(self) -> bytes:
        """The record as one JSON line, without the newline."""
        return orjson.dumps(self)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON values (what :meth:`to_json` writes)."""
        return orjson.loads(self.to_json())

    @classmethod
    def from_dict(cls, data: Any, where: str = "record") -> CaseResult:
        """Check and build a record read from a file; ``where`` (``path:line``) prefixes every
        error."""
        if not isinstance(data, dict):
            raise ResultsError(f"{where}: expected a JSON object, got {type(data).__name__}")
        for name in ("case_id", "repeat", "status"):
            if name not in data:
                raise ResultsError(f"{where}: missing field {name!r}")
        if data["status"] not in STATUSES:
            raise ResultsError(
                f"{where}: status {data['status']!r} is not one of {', '.join(STATUSES)}"
            )
        if not isinstance(data["repeat"], int) or isinstance(data["repeat"], bool):
            raise ResultsError(f"{where}: repeat must be an integer, got {data['repeat']!r}")
        for name in ("tags", "expected_operations", "actual_calls", "call_verdicts", "transcript"):
            if not isinstance(data.get(name) or [], list):
                raise ResultsError(f"{where}: {name} must be a list")
        try:
            return cls(
                run_id=data.get("run_id"),
                case_id=str(data["case_id"]),
                repeat=data["repeat"],
                model=data.get("model"),
                prompt=data.get("prompt"),
                tags=list(data.get("tags") or []),
                expected_operations=list(data.get("expected_operations") or []),
                expected=data.get("expected"),
                cassette=data.get("cassette"),
                status=Status(data["status"]),
                score=data.get("score", 0.0),
                reason=data.get("reason"),
                reason_code=_code(data.get("reason_code")),
                call_verdicts=[CallVerdict.from_dict(v) for v in data.get("call_verdicts") or []],
                actual_calls=[_tool_call(call) for call in data.get("actual_calls") or []],
                transcript=list(data.get("transcript") or []),
                prompt_tokens=data.get("prompt_tokens"),
                completion_tokens=data.get("completion_tokens"),
                latency_s=data.get("latency_s"),
                turns=data.get("turns", 0),
                error=data.get("error"),
            )
        except (AttributeError, TypeError, ValueError) as error:
            raise ResultsError(f"{where}: {error}") from None


def _tool_call(data: dict[str, Any]) -> ToolCall:
    return ToolCall(
        name=data.get("name") or "",
        arguments=data.get("arguments"),
        raw_arguments=data.get("raw_arguments") or "",
        error=data.get("error"),
        error_code=_code(data.get("error_code")),
    )


def _code(value: Any) -> ReasonCode | None:
    return None if value is None else ReasonCode(value)


def read_results(path: Path, *, missing_ok: bool = False) -> list[CaseResult]:
    """The records of a results file, in file order.

    A torn last line (not JSON and without its newline: a crash mid-write) is dropped; any
    other bad line is a :class:`ResultsError` naming ``path:line``. A missing file is an
    error unless ``missing_ok`` (then: no records).
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        if missing_ok:
            return []
        raise ResultsError(f"{path}: no such results file") from None
    with collector.paused():  # the records all live on
        return _records(path, data.split(b"\n"))


def _records(path: Path, lines: list[bytes]) -> list[CaseResult]:
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            if number == len(lines):  # the last line, with no newline after it: torn
                continue
            raise ResultsError(f"{path}:{number}: invalid JSON: {error}") from None
        records.append(CaseResult.from_dict(record, f"{path}:{number}"))
    return records


FIELD_DOCS = {
    "run_id": "the run that made it (a merge of shards keeps each shard's)",
    "case_id": "the case's id in the suite",
    "repeat": "0-based repeat of the case (`--repeat N`)",
    "model": "the model that answered",
    "prompt": "the user's prompt",
    "tags": "the case's tags",
    "expected_operations": "the operations the case expects, sorted",
    "expected": "the case's expectation, as in the suite",
    "cassette": "the cassette the conversation was recorded to or replayed from",
    "status": "`pass`, `fail`, `error` or `stale`",
    "passed": '`status == "pass"` (written for readers; never read back)',
    "score": "argument F1 in [0, 1]",
    "reason": "one line when not passed",
    "reason_code": "the reason as a stable code (see docs/prompt-suite.md); `null` when passed "
    "and in runs written before codes existed",
    "call_verdicts": "per (expected, actual) call pair: `expected`, `actual`, "
    "`operation_match`, `arguments` (name -> argument verdict), `passed`, `score`",
    "actual_calls": "the calls the model made: `name`, `arguments`, `raw_arguments`, `error`, "
    "`error_code`",
    "transcript": "the chat messages, system prompt first",
    "prompt_tokens": "prompt tokens the backend reported (`null`: no answer)",
    "completion_tokens": "completion tokens the backend reported",
    "latency_s": "seconds the model took to answer",
    "turns": "model turns taken",
    "error": "why the case could not be scored (`error`, `stale`)",
}
"""What each field of :class:`CaseResult` holds (the docs' schema table is built from it)."""


def schema_markdown() -> str:
    """The fields of a results.jsonl line as a Markdown table (docs/architecture.md holds it;
    a test keeps the two the same)."""
    rows = ["| field | type | meaning |", "| --- | --- | --- |"]
    for item in fields(CaseResult):
        kind = str(item.type).replace("|", "\\|")  # a pipe would end the table cell
        rows.append(f"| `{item.name}` | `{kind}` | {FIELD_DOCS[item.name]} |")
    rows.append("")
    rows.append("Statuses: " + ", ".join(f"`{status}`" for status in Status) + ".")
    rows.append(
        "Argument verdicts: " + ", ".join(f"`{verdict}`" for verdict in ArgumentVerdict) + "."
    )
    rows.append("Reason codes: " + ", ".join(f"`{code}`" for code in ReasonCode) + ".")
    return "\n".join(rows) + "\n"


def write_result(file: IO[bytes], result: CaseResult) -> None:
    """Append ``result`` to an open results file as one line, flushed (see the torn-line
    rule in the module docstring)."""
    file.write(result.to_json() + b"\n")
    file.flush()


def write_results(path: Path, results: Iterable[CaseResult]) -> None:
    """Write ``results`` as a whole results file (replacing any)."""
    Path(path).write_bytes(b"".join(result.to_json() + b"\n" for result in results))
