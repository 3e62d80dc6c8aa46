"""Finding secrets that slipped into cassette files.

A text scan, so it works on any vcrpy cassette (YAML or JSON) and reports file and line.
Findings show only the start of a value: the scan must not leak what it finds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.cassettes.scrub import REDACTED, SECRET_HEADERS, SECRET_QUERY_PARAMETERS

CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")
_HEADERS = "|".join(re.escape(name) for name in (*SECRET_HEADERS, "set-cookie"))
_QUERY = "|".join(re.escape(name) for name in SECRET_QUERY_PARAMETERS)
_NOT_REDACTED = rf"(?![\"']?{re.escape(REDACTED)})"
PATTERNS: dict[str, re.Pattern[str]] = {
    "openai-style key": re.compile(r"\bsk-(?:proj-|svcacct-|ant-)?[A-Za-z0-9_-]{16,}"),
    "bearer token": re.compile(rf"\bBearer\s+{_NOT_REDACTED}[A-Za-z0-9._~+/=-]{{8,}}"),
    # vcrpy YAML: a header name on its own line, its values as a list below it.
    "credential header": re.compile(
        rf"(?im)^[ \t]*[\"']?(?:{_HEADERS})[\"']?:[ \t]*\n[ \t]*-[ \t]+{_NOT_REDACTED}\S"
    ),
    # JSON cassettes and inline YAML: "X-ListenAPI-Key": ["value"]
    "credential header value": re.compile(
        rf"(?i)[\"'](?:{_HEADERS})[\"']\s*:\s*\[?\s*[\"']{_NOT_REDACTED}[^\"'\s]"
    ),
    "credential query parameter": re.compile(
        rf"[?&](?:{_QUERY})=(?!{re.escape(REDACTED)}|%3CREDACTED%3E)[^&\s\"'#]+"
    ),
}


@dataclass(frozen=True)
class Finding:
    """A secret-looking value at a place in a file."""

    path: Path
    line: int
    rule: str
    preview: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.preview}"


def _preview(text: str) -> str:
    """The first characters of a match (too few to be of use), the rest masked."""
    return " ".join(text.split())[:6] + "…"


def scan_text(text: str, path: Path, secrets: Sequence[str] = ()) -> list[Finding]:
    """Every secret-looking value in ``text`` (``secrets`` are literal values to look for)."""
    matches: list[tuple[int, str, str]] = []
    for rule, pattern in PATTERNS.items():
        matches += [(m.start(), rule, m.group(0)) for m in pattern.finditer(text)]
    for value in secrets:
        start = text.find(value)
        while start != -1:
            matches.append((start, "configured secret value", ""))
            start = text.find(value, start + 1)
    return [
        Finding(path, text.count("\n", 0, offset) + 1, rule, _preview(found))
        for offset, rule, found in sorted(matches)
    ]


def cassette_files(paths: Iterable[Path]) -> list[Path]:
    """The cassette files named by ``paths`` (files, or directories searched recursively)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in CASSETTE_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
    return files


def scan_paths(paths: Iterable[Path], secrets: Sequence[str] = ()) -> list[Finding]:
    """Scan every cassette file under ``paths``."""
    findings: list[Finding] = []
    for file in cassette_files(paths):
        findings += scan_text(file.read_text(encoding="utf-8", errors="replace"), file, secrets)
    return findings
