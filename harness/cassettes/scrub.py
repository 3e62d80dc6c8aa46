"""Removing secrets from an exchange before it is stored in a cassette.

Credential headers and query parameters are dropped with vcrpy's own filters (configured
with the names below); configured
secret values (and those of ``*KEY*``/``*SECRET*``/``*TOKEN*`` environment variables) are
replaced by ``<REDACTED>`` anywhere in the request or response. The same request filter is
applied to a live request before it is matched, so scrubbed recordings still match.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from vcr import filters
from vcr.request import Request

REDACTED = "<REDACTED>"
SECRET_HEADERS = (
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "x-listenapi-key",
    "openai-organization",
    "openai-project",
    "cookie",
)
RESPONSE_SECRET_HEADERS = ("set-cookie", "set-cookie2")
SECRET_QUERY_PARAMETERS = ("key", "api_key", "apikey", "api-key", "token", "access_token")
SECRET_ENV_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD", re.IGNORECASE)
# Shorter values are too likely to occur in ordinary text to be replaced blindly.
MIN_SECRET_LENGTH = 8


def secrets_from_env(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of environment variables whose names look secret (``*KEY*``, ``*TOKEN*``...)."""
    environ = os.environ if environ is None else environ
    return sorted(
        {
            value
            for name, value in environ.items()
            if SECRET_ENV_NAME.search(name) and len(value) >= MIN_SECRET_LENGTH
        }
    )


def usable_secrets(secrets: Iterable[str]) -> list[str]:
    """The configured secret values long enough to redact, longest first."""
    return sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)


def credentials_of(headers: Mapping[str, str], query: Iterable[tuple[str, str]]) -> list[str]:
    """The credential values a request carries, to redact wherever else they appear."""
    values = [value for name, value in headers.items() if name.lower() in SECRET_HEADERS]
    values += [value.split(" ", 1)[1] for value in values if " " in value]  # "Bearer <token>"
    values += [value for name, value in query if name.lower() in SECRET_QUERY_PARAMETERS]
    return usable_secrets(values)


def request_redactor(secrets: Sequence[str]) -> Callable[[Request], Request]:
    """A vcrpy ``before_record_request`` hook replacing secret values by ``<REDACTED>``.

    ``secrets`` is read on every call, so values learnt later (``credentials_of``) count.
    Credential headers and query parameters are dropped before it by vcrpy's
    ``filter_headers``/``filter_query_parameters`` (see ``harness.cassettes.transport``).
    """

    def redact(request: Request) -> Request:
        values = usable_secrets(secrets)
        if not values:
            return request
        return Request._from_dict(_redact(request._to_dict(), values))

    return redact


def response_scrubber(secrets: Sequence[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A vcrpy ``before_record_response`` hook: drop cookies, redact secret values."""

    def scrub(response: dict[str, Any]) -> dict[str, Any]:
        values = usable_secrets(secrets)
        headers = {
            name: value
            for name, value in response["headers"].items()
            if name.lower() not in RESPONSE_SECRET_HEADERS
        }
        body = _redact(response["body"]["string"], values)
        headers = {
            name: [str(len(body))] if name.lower() == "content-length" else value
            for name, value in _redact(headers, values).items()
        }
        return {**response, "headers": headers, "body": {**response["body"], "string": body}}

    return scrub


def _redact(obj: Any, values: Sequence[str]) -> Any:
    for value in values:
        obj = filters.replace_text(obj, value, REDACTED)
    return obj
