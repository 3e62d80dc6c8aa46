"""Defence in depth for secrets: replace configured secret values in any text we emit.

Secrets are kept out of logs by construction (never put in a message or a record); this
catches the rest, e.g. a secret a caller pasted into a query string, or an exception message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "[redacted]"


class Redactor:
    """Replaces every configured secret value in a text with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


class RedactingFilter(logging.Filter):
    """A handler filter that redacts secrets from a record's message and traceback."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
