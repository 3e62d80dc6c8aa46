"""Proxy-wide response checks, registered with schemathesis so they run on every response.

Importing this module registers them (``@schemathesis.check``); every fuzz run, the pytest
entry point included, then applies them next to schemathesis' built-in checks:

- ``no_secret_leak``: no secret in any response body or header, in any encoding
  (:func:`harness.secrets.secret_pattern`). The caller's own bearer
  token is always watched; more values come from the check's ``secrets`` setting
  (``[checks.no_secret_leak] secrets = [...]``).
- ``no_stack_trace``: no Python traceback or debug page in any body.
- ``error_envelope``: every error response carries the spec's ``Error`` body, and its
  ``error.status`` equals the HTTP status.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import schemathesis
from schemathesis import Case, CheckContext, Response

from harness.secrets import GUESSED_MIN_LENGTH, secret_pattern

TRACEBACK_PATTERN = re.compile(
    r"Traceback \(most recent call last\)"
    # a file/line frame, also with its quotes escaped inside a JSON string
    r"|File \\?\"[^\"\\]+\\?\", line \d+"
)

BEARER_PREFIX = "bearer "


def _response_text(response: Response) -> str:
    return response.content.decode("utf-8", errors="replace")


def _bearer_token(response: Response) -> str | None:
    header = response.request.headers.get("Authorization") or ""
    if header.lower().startswith(BEARER_PREFIX):
        return header[len(BEARER_PREFIX) :].strip() or None
    return None


def _watched(values: Iterable[str]) -> list[str]:
    # Shorter values would match fuzzed data by accident (harness.secrets' policy).
    return sorted({value for value in values if value and len(value) >= GUESSED_MIN_LENGTH})


@schemathesis.check
class no_secret_leak:  # schemathesis names a class-based check after its class
    """No watched secret appears in a response body or header value."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        self.secrets = _watched(secrets or [])

    def after_response(self, ctx: CheckContext, response: Response, case: Case) -> bool | None:
        token = _bearer_token(response)
        watched = _watched([*self.secrets, token or ""])
        text = _response_text(response)
        for index, secret in enumerate(watched):
            found = re.compile(secret_pattern(secret)).search  # raw, percent-, JSON-encoded
            if found(text):
                raise AssertionError(f"Secret #{index + 1} of {len(watched)} echoed in the body")
            for name, values in response.headers.items():
                if any(found(value) for value in values):
                    raise AssertionError(f"Secret #{index + 1} of {len(watched)} echoed in {name}")
        return None


@schemathesis.check
def no_stack_trace(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """No traceback, file/line reference or framework debug output in a response body."""
    match = TRACEBACK_PATTERN.search(_response_text(response))
    if match is not None:
        raise AssertionError(f"Stack trace text in the body: {match.group(0)!r}")
    return None


@schemathesis.check
def error_envelope(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """An error response is ``{"error": {"status", "code", "message"}}`` with the right status."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(
            f"Error response {response.status_code} is not JSON: {_response_text(response)[:120]!r}"
        ) from None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise AssertionError(f"Error response {response.status_code} has no 'error' object")
    if error.get("status") != response.status_code:
        raise AssertionError(
            f"error.status is {error.get('status')!r} but the HTTP status is {response.status_code}"
        )
    for key in ("code", "message"):
        if not isinstance(error.get(key), str) or not error[key]:
            raise AssertionError(
                f"Error response {response.status_code} lacks a string error.{key}"
            )
    return None
