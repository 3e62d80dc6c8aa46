"""Keep secrets out of written reports: the values of known secret variables and bearer tokens."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

SECRET_VARIABLES = (
    "LISTEN_API_KEY",
    "CHATGPT_SECRET",
    "CHATGPT_VERIFICATION_TOKEN",
    "OPENAI_API_KEY",
)
REDACTED = "[REDACTED]"
_CREDENTIAL = r"(?P<prefix>bearer\s+|x-listenapi-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]{4,}"


def redactor() -> Callable[[str], str]:
    """A function that replaces, in a text, the values of the secret environment variables
    (read now), bearer tokens and ``X-ListenAPI-Key`` values with ``[REDACTED]``."""
    secrets = sorted(
        (value for name in SECRET_VARIABLES if len(value := os.environ.get(name, "")) >= 4),
        key=len,
        reverse=True,
    )
    pattern = re.compile("|".join([_CREDENTIAL, *map(re.escape, secrets)]), re.IGNORECASE)

    def redact(text: str) -> str:
        return pattern.sub(lambda match: (match.group("prefix") or "") + REDACTED, text)

    return redact
