"""The proxy's JSON error: one exception type and one response shape.

Every refusal the proxy makes (auth, validation, rate limit, upstream failure) is a
:class:`ProxyError`, rendered as the spec's ``Error`` schema::

    {"error": {"status": 400, "code": "invalid_parameter",
               "message": "...", "parameter": "page_size"}}
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.responses import Response

from harness.errors import HttpError

MAX_MESSAGE_LENGTH = 300


class ProxyError(HttpError):
    """A refusal with an HTTP status, a stable machine-readable code and a readable message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        parameter: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter
        self.headers = dict(headers or {})

    def body(self) -> dict[str, object]:
        """The ``Error`` object, as the spec declares it."""
        error: dict[str, object] = {
            "status": self.status,
            "code": self.code,
            "message": shorten(self.message),
        }
        if self.parameter is not None:
            error["parameter"] = self.parameter
        return {"error": error}

    def to_response(self, extra_headers: Mapping[str, str] | None = None) -> Response:
        """Render as a JSON response carrying this error's headers (e.g. ``Retry-After``)."""
        headers = {**(extra_headers or {}), **self.headers}
        return Response(
            orjson.dumps(self.body()),
            status_code=self.status,
            media_type="application/json",
            headers=headers,
        )


def shorten(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """Cut ``text`` to ``limit`` characters so a huge input never bloats an error body."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
