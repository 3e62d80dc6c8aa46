"""Defence in depth for secrets: mask configured secret values in any text the proxy emits.

Secrets are kept out of logs by construction (never put in a message or a record); this
catches the rest, e.g. a secret a caller pasted into a query string (the access log shows the
path as sent, percent-encoded), or an exception message. What counts as a secret and how it is
masked is :mod:`harness.secrets`'s policy.
"""

from __future__ import annotations

import logging

from harness.secrets import Redactor

__all__ = ["RedactingFilter", "Redactor"]


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
