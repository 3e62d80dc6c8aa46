"""Removing secrets from an exchange before it is stored in a cassette.

Credential headers and query parameters are dropped with vcrpy's own filters (given the
names below); configured secret values (and those of ``*KEY*``/``*SECRET*``/``*TOKEN*``
environment variables) are replaced by ``<REDACTED>`` anywhere in the request or response.
The same request filter is applied to a live request before it is matched, so scrubbed
recordings still match.
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


def request_filter(secrets: Sequence[str]) -> Callable[[Request], Request]:
    """A vcrpy ``before_record_request`` hook: drop credential headers and query parameters,
    then replace secret values by ``<REDACTED>``; the request passed in is left unchanged.

    ``secrets`` is read on every call, so values learnt later (``credentials_of``) count.
    """
    secret_headers = frozenset(SECRET_HEADERS)
    parameter_removals = [(name, None) for name in SECRET_QUERY_PARAMETERS]
    redact = request_redactor(secrets)

    def scrub(request: Request) -> Request:
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in secret_headers
        }
        # A new Request holds its own headers and URI; the body (bytes) is immutable.
        copy = Request(request.method, request.uri, request.body, headers)
        if copy.parsed_uri.query:
            copy = filters.replace_query_parameters(copy, parameter_removals)
        return redact(copy)

    return scrub


def response_filter(secrets: Sequence[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A vcrpy ``before_record_response`` hook: decompress the body (vcrpy's
    ``decode_response``), then drop cookies and redact secret values."""
    scrub = response_scrubber(secrets)

    def decode_and_scrub(response: dict[str, Any]) -> dict[str, Any]:
        return scrub(filters.decode_response(response))

    return decode_and_scrub


def request_redactor(secrets: Sequence[str]) -> Callable[[Request], Request]:
    """A vcrpy ``before_record_request`` hook replacing secret values by ``<REDACTED>``.

    ``secrets`` is read on every call, so values learnt later (``credentials_of``) count.
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
