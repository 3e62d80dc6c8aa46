"""Finding secrets that slipped into cassette files.

Each file is scanned twice. First its text as it is, which works on any vcrpy cassette (YAML
or JSON) and gives exact lines. Then every value again after decoding: YAML quoting and
folding undone, ``!!binary`` values base64-decoded and decompressed (gzip, zlib), JSON bodies
parsed (also JSON inside JSON strings, such as tool-call arguments), percent-encoding undone;
a value found only after decoding is reported at the line where it is found in the file's
text, else where its YAML value starts. Credential headers and JSON credential fields are
recognised by name, whatever their case. Placeholders of :mod:`harness.secrets` (also the
legacy ``<REDACTED>``) are accepted. Findings show only the start of a value: the scan must
not leak what it finds.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_plus

import yaml

from harness.errors import InputError
from harness.secrets import (
    PLACEHOLDER_PATTERN,
    SECRET_FIELDS,
    SECRET_HEADERS,
    SECRET_PARAMETERS,
    SECRET_RESPONSE_HEADERS,
    base64_cores,
    secret_pattern,
)

CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")
_NOT_PLACEHOLDER = rf"(?![\"']?{PLACEHOLDER_PATTERN.pattern})"
_QUERY = "|".join(re.escape(name) for name in SECRET_PARAMETERS)
PATTERNS: dict[str, re.Pattern[str]] = {
    "openai-style key": re.compile(
        r"(?<![A-Za-z0-9])sk-(?:proj-|svcacct-|ant-)?[A-Za-z0-9_-]{16,}", re.IGNORECASE
    ),
    "bearer token": re.compile(
        rf"(?<![A-Za-z0-9])bearer(?:\s+|%20|\+){_NOT_PLACEHOLDER}[A-Za-z0-9._~+/=-]{{8,}}",
        re.IGNORECASE,
    ),
    "credential query parameter": re.compile(
        rf"(?:(?<=[?&;])|^)(?:{_QUERY})={_NOT_PLACEHOLDER}[^&\s\"'#]+", re.IGNORECASE
    ),
}
CREDENTIAL_HEADERS = frozenset((*SECRET_HEADERS, *SECRET_RESPONSE_HEADERS))
_AUTH_SCHEMES = frozenset(("", "bearer", "basic", "token", "digest"))
_MAX_JSON_DEPTH = 4


class CassetteError(InputError):
    """A cassette file that cannot be read or parsed (the message names the file and line)."""


@dataclass(frozen=True)
class SecretFinding:
    """A secret-looking value at a place in a file."""

    path: Path
    line: int
    rule: str
    preview: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.preview}"


@dataclass(frozen=True)
class Watched:
    """Literal values to look for: ``tokens`` only where bounded by non-alphanumeric
    characters (``foo`` is not found in ``football``), ``substrings`` anywhere. Both are also
    found percent-encoded, JSON- or HTML-escaped, and base64-encoded."""

    substrings: Sequence[str] = ()
    tokens: Sequence[str] = ()

    def patterns(self) -> list[re.Pattern[str]]:
        """One regular expression per value, in every encoding."""
        patterns = []
        for bounded, values in ((False, self.substrings), (True, self.tokens)):
            for value in dict.fromkeys(v for v in values if v):
                forms = secret_pattern(value)
                if bounded:
                    forms = rf"(?<![A-Za-z0-9])(?:{forms})(?![A-Za-z0-9])"
                cores = sorted(base64_cores(value))
                patterns.append(re.compile("|".join([forms, *map(re.escape, cores)])))
        return patterns


def _preview(text: str) -> str:
    """The first characters of a match (too few to be of use), the rest masked."""
    return " ".join(text.split())[:6] + "…"


def scan_text(
    text: str, path: Path, secrets: Sequence[str] = (), *, tokens: Sequence[str] = ()
) -> list[SecretFinding]:
    """Every secret-looking value in ``text``: rule matches, credential headers and fields,
    and the literal ``secrets`` (anywhere) and ``tokens`` (as whole tokens).

    Raises :class:`CassetteError` when ``text`` is not YAML (nor JSON).
    """
    literal = Watched(secrets, tokens).patterns()
    found: dict[tuple[int, str, str], None] = {}
    for offset, rule, value in _matches(text, literal):
        found[(_line_of(text, offset), rule, value)] = None
    raw = set(found)
    for line, lines, rule, value in _decoded_findings(text, path, literal):
        if not any((other, rule, value) in raw for other in lines):
            found[(line, rule, value)] = None
    return [
        SecretFinding(path, line, rule, _preview(value) if value else "")
        for line, rule, value in sorted(found)
    ]


def _matches(text: str, literal: Sequence[re.Pattern[str]]) -> Iterator[tuple[int, str, str]]:
    """(offset, rule, matched text) of every rule and literal match in ``text``."""
    for rule, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            yield match.start(), rule, match.group(0)
    for pattern in literal:
        for match in pattern.finditer(text):
            yield match.start(), "configured secret value", ""


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _decoded_findings(
    text: str, path: Path, literal: Sequence[re.Pattern[str]]
) -> Iterator[tuple[int, range, str, str]]:
    """(line, lines of the value, rule, matched text) of the findings in the decoded values of the YAML (or JSON) document ``text``."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error)
        raise CassetteError(f"{where}: not a YAML or JSON cassette: {problem}") from None
    for node, key in _scalars(root):
        line = node.start_mark.line + 1
        lines = range(line, node.end_mark.line + 2)
        segment = text[node.start_mark.index : node.end_mark.index]
        if key is not None and key.value.lower() in CREDENTIAL_HEADERS and _is_credential(node):
            yield key.start_mark.line + 1, lines, "credential header", node.value
        for view in _views(_value_of(node)):
            for offset, rule, value in _matches(view.text, literal):
                found = view.text[offset:][:12] if rule != "configured secret value" else ""
                yield _line_in(segment, found, line), lines, rule, value
            for name, value in view.fields:
                yield line, lines, "credential field", f"{name}: {value}"


def _scalars(
    node: yaml.Node | None, key: yaml.ScalarNode | None = None
) -> Iterator[tuple[yaml.ScalarNode, yaml.ScalarNode | None]]:
    """Every scalar node with the mapping key it is the value of (for list items: of the list)."""
    if isinstance(node, yaml.ScalarNode):
        yield node, key
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item, key)
    elif isinstance(node, yaml.MappingNode):
        for name, value in node.value:
            yield from _scalars(name)
            yield from _scalars(value, name if isinstance(name, yaml.ScalarNode) else None)


def _is_credential(node: yaml.ScalarNode) -> bool:
    """Whether a credential header's value is a real value (not empty, not a placeholder)."""
    rest = PLACEHOLDER_PATTERN.sub("", node.value).strip().lower()
    return rest not in _AUTH_SCHEMES


def _line_in(segment: str, found: str, line: int) -> int:
    """The line of ``found`` within the node text ``segment`` starting at ``line``."""
    index = segment.find(found) if len(found) >= 6 else -1
    return line if index == -1 else line + segment.count("\n", 0, index)


def _value_of(node: yaml.ScalarNode) -> str:
    """A scalar's text; ``!!binary`` values base64-decoded and decompressed."""
    if node.tag != "tag:yaml.org,2002:binary":
        return node.value
    try:
        data = base64.b64decode("".join(node.value.split()))
    except binascii.Error:
        return node.value
    return _decompressed(data).decode("utf-8", "replace")


def _decompressed(data: bytes) -> bytes:
    """``data`` un-gzipped or inflated when it is gzip or zlib data, else unchanged."""
    try:
        return zlib.decompress(data, zlib.MAX_WBITS | 32)  # either header, detected
    except zlib.error:
        return data


@dataclass(frozen=True)
class _View:
    text: str
    fields: tuple[tuple[str, str], ...] = ()


def _views(text: str, depth: int = 0) -> Iterator[_View]:
    """``text`` decoded every way it may be encoded: itself, percent-decoded, and (for JSON)
    each string it holds, with the credential fields it has."""
    yield _View(text)
    if "%" in text or "+" in text:
        unquoted = unquote_plus(text)
        if unquoted != text:
            yield _View(unquoted)
    stripped = text.strip()
    if depth >= _MAX_JSON_DEPTH or not stripped.startswith(("{", "[")):
        return
    try:
        document = json.loads(stripped)
    except ValueError:
        return
    fields = tuple(_credential_fields(document))
    if fields:
        yield _View("", fields)
    for string in _strings(document):
        yield from _views(string, depth + 1)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield name
            yield from _strings(item)


def _credential_fields(value: object) -> Iterator[tuple[str, str]]:
    """(name, value) of each JSON field named like a credential with a real string value."""
    if isinstance(value, list):
        for item in value:
            yield from _credential_fields(item)
    elif isinstance(value, dict):
        for name, item in value.items():
            if (
                isinstance(item, str)
                and name.lower() in SECRET_FIELDS
                and PLACEHOLDER_PATTERN.sub("", item).strip()
            ):
                yield name, item
            yield from _credential_fields(item)


def cassette_files(paths: Iterable[Path]) -> list[Path]:
    """The cassette files named by ``paths`` (files, or directories searched recursively)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in CASSETTE_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise CassetteError(f"{path}: no such file or directory")
    return files


def read_cassette(path: Path) -> str:
    """The text of the file at ``path``; :class:`CassetteError` if it is not readable UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CassetteError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CassetteError(f"{path}:{line}: not UTF-8 text") from None


def scan_paths(
    paths: Iterable[Path], secrets: Sequence[str] = (), *, tokens: Sequence[str] = ()
) -> list[SecretFinding]:
    """Scan every cassette file under ``paths`` (raises :class:`CassetteError` on the first
    file that cannot be read; see :func:`scan_files` to go on past it)."""
    findings, errors = scan_files(cassette_files(paths), secrets, tokens=tokens)
    if errors:
        raise errors[0]
    return findings


def scan_files(
    files: Iterable[Path], secrets: Sequence[str] = (), *, tokens: Sequence[str] = ()
) -> tuple[list[SecretFinding], list[CassetteError]]:
    """The findings of every file, and the errors of those that could not be scanned."""
    findings: list[SecretFinding] = []
    errors: list[CassetteError] = []
    for file in files:
        try:
            findings += scan_text(read_cassette(file), file, secrets, tokens=tokens)
        except CassetteError as error:
            errors.append(error)
    return findings, errors
