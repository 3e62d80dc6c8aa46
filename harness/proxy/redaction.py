"""Defence in depth for secrets: mask configured secret values in any text the proxy emits.

Secrets are kept out of logs by construction (never put in a message or a record); this
catches the rest, e.g. a secret a caller pasted into a query string (the access log shows the
path as sent, percent-encoded), or an exception message. What counts as a secret and how it is
masked is :mod:`harness.secrets`'s policy.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from harness.secrets import Redactor, secrets_from_env

if TYPE_CHECKING:
    from harness.proxy.settings import ProxySettings

__all__ = ["RedactingFilter", "Redactor", "proxy_redactor"]


def proxy_redactor(settings: ProxySettings) -> Redactor:
    """The redactor of the proxy's output: its configured secrets and the environment's."""
    configured = (settings.chatgpt_secret, settings.listen_api_key, settings.verification_token)
    return Redactor([*configured, *secrets_from_env()])


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
