"""Errors the mock turns into upstream-style JSON error responses."""

from __future__ import annotations

from harness.errors import HttpError


class MockError(HttpError):
    """An error answered with `status` and a JSON body `{"status", "error"[, "parameter"]}`."""

    status = 500

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"status": self.status, "error": self.message}
        if self.parameter is not None:
            body["parameter"] = self.parameter
        return body


class BadParameter(MockError):
    """An invalid or missing query parameter (400)."""

    status = 400

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message, parameter=name)


class NotFound(MockError):
    """An unknown podcast, episode, curated list or genre (404)."""

    status = 404
