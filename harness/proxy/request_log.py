"""The structured request log: one JSON object per line, one line per API request.

It shows an API owner how a model calls the API: which operation, with which parameters
(only the declared ones that were forwarded), which were ignored, what came back and how fast.
It never holds a credential: the record is built from validated parameters and upstream
quota headers only, never from request headers.

Fields used by :mod:`harness.budgets`: ``operation``, ``surface`` (``"rest"`` or ``"mcp"``),
``status``, ``latency_ms`` and ``response_chars`` (the length, in characters, of the body the
caller received).

``ignored_params`` is capped (at most :data:`MAX_IGNORED_PARAMS` names of at most
:data:`MAX_IGNORED_NAME_LENGTH` characters) and ``ignored_params_total`` says how many there
were, so one request cannot write a huge line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from harness.proxy.errors import shorten
from harness.secrets import Redactor

MAX_IGNORED_PARAMS = 20
MAX_IGNORED_NAME_LENGTH = 64


def cap_ignored_params(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with ``ignored_params`` capped in count and name length, and the total."""
    names = record.get("ignored_params")
    if not names:
        return record
    capped = [shorten(name, MAX_IGNORED_NAME_LENGTH) for name in names[:MAX_IGNORED_PARAMS]]
    return {**record, "ignored_params": capped, "ignored_params_total": len(names)}


class RequestLog:
    """Appends JSON lines to ``path`` (opened on first write), secrets masked by ``redact``
    in every string of the record before it is serialised (so a secret with ``"`` or ``\\``
    is masked before JSON escapes it)."""

    def __init__(self, path: Path | str, redact: Redactor | None = None) -> None:
        self.path = Path(path)
        self._redact = Redactor() if redact is None else redact
        self._file: IO[bytes] | None = None

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` stamped with the current UTC time, and flush."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
        stamped = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            **cap_ignored_params(record),
        }
        redacted = self._redact.structure(stamped)
        line = orjson.dumps(redacted, default=lambda value: self._redact(str(value))).decode()
        self._file.write(line.encode() + b"\n")
        self._file.flush()

    def close(self) -> None:
        """Close the file if it was opened."""
        if self._file is not None:
            self._file.close()
            self._file = None


def response_chars(body: bytes) -> int:
    """The length in characters of a UTF-8 response body (what hosts' payload caps count)."""
    return len(body.decode("utf-8", errors="replace"))


def read_records(path: Path | str) -> Iterator[dict[str, Any]]:
    """The records of a request log file; a torn last line (a crash mid-write) is skipped."""
    with Path(path).open("rb") as file:
        for line in file:
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
