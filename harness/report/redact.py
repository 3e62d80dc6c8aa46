"""Keep secrets out of written reports: the values of known secret variables and bearer tokens."""

from __future__ import annotations

import os
import re

SECRET_VARIABLES = (
    "LISTEN_API_KEY",
    "CHATGPT_SECRET",
    "CHATGPT_VERIFICATION_TOKEN",
    "OPENAI_API_KEY",
)
REDACTED = "[REDACTED]"
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_LISTEN_KEY = re.compile(r"(?i)(x-listenapi-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+")


def redact(text: str) -> str:
    """``text`` with secret environment values, bearer tokens and API key headers replaced."""
    for variable in SECRET_VARIABLES:
        value = os.environ.get(variable, "")
        if len(value) >= 4:
            text = text.replace(value, REDACTED)
    text = _BEARER.sub(rf"\g<1>{REDACTED}", text)
    return _LISTEN_KEY.sub(rf"\g<1>{REDACTED}", text)
