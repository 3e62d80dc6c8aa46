"""Load and validate the prompt suite (``prompts/*.yaml``).

Each file holds ``cases:`` (and optionally ``defaults: {tags: [...]}``); every case names the
tool calls a prompt should produce, BFCL style. Files are validated against
``suite.schema.json``; every error names the file and the line of the offending node.
The format is documented in ``docs/prompt-suite.md``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jsonschema
import jsonschema_rs
import yaml

from harness import collector
from harness.errors import InputError
from harness.eval.matchers import Matcher, MatcherError, parse_matcher
from harness.yaml_nodes import RememberedPlainTags, build

SCHEMA_PATH = Path(__file__).with_name("suite.schema.json")
SUITE_SUFFIXES = (".yaml", ".yml")
OMITTED = ""  # an acceptable value of "" means "the argument may be omitted"

JsonPath = tuple[str | int, ...]
Order = Literal["any", "strict"]


class SuiteError(InputError):
    """A prompt suite file is malformed; names the file and the 1-based line."""

    def __init__(self, file: str | Path, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = str(file)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class ExpectedCall:
    """One expected tool call: acceptable values per argument, and which may be omitted."""

    operation: str
    arguments: Mapping[str, tuple[Matcher, ...]]
    optional: frozenset[str]
    line: int
    argument_lines: Mapping[str, int] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Alternative:
    """One acceptable set of calls; ``strict`` order means the calls must come in this order."""

    calls: tuple[ExpectedCall, ...]
    order: Order = "any"


@dataclass(frozen=True)
class Case:
    """One prompt and what the model should do with it.

    ``alternatives`` is empty when the prompt must produce no call (``expect: none``);
    otherwise the case passes if any one alternative is met. ``expect`` keeps the
    expectation as written in the suite, for reports.
    """

    id: str
    messages: list[dict[str, str]] = field(hash=False)
    tags: tuple[str, ...]
    expect: Any = field(hash=False)
    alternatives: tuple[Alternative, ...] = field(hash=False)
    source: str
    line: int

    @property
    def prompt(self) -> str:
        """The last user turn."""
        return self.messages[-1]["content"]

    @property
    def expects_no_call(self) -> bool:
        """True for irrelevance cases (``expect: none``)."""
        return not self.alternatives

    @property
    def operations(self) -> frozenset[str]:
        """Every operationId any alternative mentions."""
        return frozenset(call.operation for alt in self.alternatives for call in alt.calls)

    @property
    def fingerprint(self) -> str:
        """sha256 of what the model sees (the normalised messages).

        Editing an expectation does not change it, so recordings stay valid and are re-scored.
        """
        canonical = json.dumps(
            self.messages, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Suite:
    """The loaded cases, in file order (files sorted by name)."""

    cases: list[Case]
    sources: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def select(self, tags: Iterable[str] = (), case_ids: Iterable[str] = ()) -> Suite:
        """The cases carrying any of ``tags`` and/or named in ``case_ids`` (no filter: all)."""
        wanted_tags, wanted_ids = set(tags), set(case_ids)
        if not wanted_tags and not wanted_ids:
            return self
        chosen = [
            case
            for case in self.cases
            if case.id in wanted_ids or wanted_tags.intersection(case.tags)
        ]
        return Suite(chosen, self.sources)


class _SuiteLoader(RememberedPlainTags, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader (libyaml when present) with YAML 1.2 scalars: dates stay strings, only
    true/false are booleans."""


_SuiteLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SuiteLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@cache
def _fast_validator() -> jsonschema_rs.Validator:
    """The suite schema compiled by jsonschema-rs: it decides whether a document is valid,
    about 80 times faster than jsonschema (the schema itself is checked by the tests, not on
    every run)."""
    return jsonschema_rs.validator_for(_schema())


@cache
def _validator() -> jsonschema.protocols.Validator:
    """The suite schema's jsonschema validator: it words the errors."""
    schema = _schema()
    return jsonschema.validators.validator_for(schema)(schema)


def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema_error(document: Any) -> jsonschema.ValidationError | None:
    """The error that best explains why ``document`` breaks the suite schema, or None.

    jsonschema-rs reads a pattern as ECMA regex, where ``$`` is the end of the text; a
    document it refuses is judged again by jsonschema, whose verdict stands (Python's ``$``
    also matches before a final newline). The schema's patterns use only ASCII classes, on
    which the two dialects agree otherwise (tests/test_replay_shortcuts.py).
    """
    if _fast_validator().is_valid(document):
        return None
    return jsonschema.exceptions.best_match(_validator().iter_errors(document))


def load_suite(path: str | Path, spec: Any = None) -> Suite:
    """Load a suite file, or every ``*.yaml`` file in a directory (sorted by name).

    Raises SuiteError naming the file and line of the first problem, including a case id
    that appears twice (the error names both places). With ``spec`` (a loaded
    ``harness.contract.load.Spec``) every expected operation and argument name must exist in it.
    """
    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix in SUITE_SUFFIXES and p.is_file())
        if not files:
            raise SuiteError(root, 0, "no *.yaml suite files in this directory")
    elif root.is_file():
        files = [root]
    else:
        raise SuiteError(root, 0, "no such file or directory")
    cases: list[Case] = []
    seen: dict[str, Case] = {}
    for file in files:
        with collector.paused():  # the suite's nodes and cases all live on
            loaded = _load_file(file)
        for case in loaded:
            if case.id in seen:
                first = seen[case.id]
                raise SuiteError(
                    case.source,
                    case.line,
                    f"duplicate case id {case.id!r} (first defined at {first.source}:{first.line})",
                )
            seen[case.id] = case
            cases.append(case)
    if spec is not None:
        for case in cases:
            check_names(case, spec)
    return Suite(cases, tuple(str(file) for file in files))


def check_names(case: Case, spec: Any) -> None:
    """Raise SuiteError when ``case`` expects an operation or argument ``spec`` lacks."""
    for alternative in case.alternatives:
        for call in alternative.calls:
            operation = spec.operations.get(call.operation)
            if operation is None:
                hint = _did_you_mean(call.operation, spec.operations)
                message = f"unknown operation {call.operation!r}{hint}"
                raise SuiteError(case.source, call.line, message)
            names = [parameter.name for parameter in operation.parameters]
            for name in call.arguments:
                if name not in names:
                    line = call.argument_lines.get(name, call.line)
                    message = f"{call.operation} has no parameter {name!r}"
                    raise SuiteError(case.source, line, message + _did_you_mean(name, names))


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _load_file(file: Path) -> list[Case]:
    text = file.read_text(encoding="utf-8")
    loader = _SuiteLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SuiteError(file, 1, "empty suite file")
        lines: dict[JsonPath, int] = {}
        _record_lines(file, node, (), lines)
        document = build(loader, node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        raise SuiteError(file, line, f"invalid YAML: {error.problem or error}") from None
    finally:
        loader.dispose()
    error = schema_error(document)
    if error is not None:
        location = tuple(error.absolute_path)
        where = "/".join(str(part) for part in location) or "(top level)"
        raise SuiteError(file, _line_of(lines, location), f"{where}: {_explain(error)}")
    default_tags = tuple(document.get("defaults", {}).get("tags", ()))
    return [
        _build_case(file, lines, ("cases", index), raw, default_tags)
        for index, raw in enumerate(document["cases"])
    ]


def _explain(error: jsonschema.ValidationError) -> str:
    """The validator's message, or the schema's description when no alternative matched."""
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator in ("oneOf", "anyOf") and description:
        return f"invalid: {description}"
    return error.message


def _record_lines(file: Path, node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int]) -> None:
    """Map every JSON path of the document to the 1-based line of its node."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in keys:
                raise SuiteError(file, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            keys.add(key)
            _record_lines(file, value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(file, item, (*path, index), lines)


def _line_of(lines: Mapping[JsonPath, int], path: JsonPath) -> int:
    """The line of ``path``, or of its nearest ancestor that has one."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)


def _build_case(
    file: Path,
    lines: Mapping[JsonPath, int],
    path: JsonPath,
    raw: Mapping[str, Any],
    default_tags: tuple[str, ...],
) -> Case:
    if "prompt" in raw:
        messages = [{"role": "user", "content": raw["prompt"]}]
    else:
        messages = [{"role": m["role"], "content": m["content"]} for m in raw["messages"]]
        if messages[-1]["role"] != "user":
            last = (*path, "messages", len(messages) - 1)
            raise SuiteError(file, _line_of(lines, last), "the last message must be a user turn")
    tags = tuple(dict.fromkeys((*default_tags, *raw.get("tags", ()))))
    return Case(
        id=raw["id"],
        messages=messages,
        tags=tags,
        expect=raw["expect"],
        alternatives=_build_alternatives(file, lines, (*path, "expect"), raw["expect"]),
        source=str(file),
        line=_line_of(lines, path),
    )


def _build_alternatives(
    file: Path, lines: Mapping[JsonPath, int], path: JsonPath, expect: Any
) -> tuple[Alternative, ...]:
    if expect == "none":
        return ()
    if isinstance(expect, Mapping) and "any_of" in expect:
        return tuple(
            _build_alternative(file, lines, (*path, "any_of", index), option)
            for index, option in enumerate(expect["any_of"])
        )
    return (_build_alternative(file, lines, path, expect),)


def _build_alternative(
    file: Path, lines: Mapping[JsonPath, int], path: JsonPath, raw: Any
) -> Alternative:
    if isinstance(raw, Mapping):
        calls, order, path = raw["calls"], raw.get("order", "any"), (*path, "calls")
    else:
        calls, order = raw, "any"
    return Alternative(
        calls=tuple(
            _build_call(file, lines, (*path, index), call) for index, call in enumerate(calls)
        ),
        order=order,
    )


def _build_call(
    file: Path, lines: Mapping[JsonPath, int], path: JsonPath, raw: Mapping[str, Any]
) -> ExpectedCall:
    arguments: dict[str, tuple[Matcher, ...]] = {}
    optional: set[str] = set()
    for name, accepted in raw.get("arguments", {}).items():
        values = accepted if isinstance(accepted, list) else [accepted]
        value_paths = (
            [(*path, "arguments", name, i) for i in range(len(values))]
            if isinstance(accepted, list)
            else [(*path, "arguments", name)]
        )
        matchers: list[Matcher] = []
        for value, value_path in zip(values, value_paths, strict=True):
            if value == OMITTED:
                optional.add(name)
                continue
            try:
                matchers.append(parse_matcher(value))
            except MatcherError as error:
                raise SuiteError(file, _line_of(lines, value_path), f"{name}: {error}") from None
        arguments[name] = tuple(matchers)
    return ExpectedCall(
        operation=raw["operation"],
        arguments=arguments,
        optional=frozenset(optional),
        line=_line_of(lines, path),
        argument_lines={name: _line_of(lines, (*path, "arguments", name)) for name in arguments},
    )
