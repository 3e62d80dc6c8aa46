"""Seeded fault injection: error statuses, delays, malformed and truncated JSON bodies."""

from __future__ import annotations

import asyncio
import http
import random
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

RETRY_AFTER_STATUSES = (429, 503)


@dataclass(frozen=True, slots=True)
class Faults:
    """Which faults to inject and into which seeded fraction (`probability`) of requests.

    A faulted request sleeps `delay_s`, then gets one of the configured faults, chosen by the
    same seeded RNG: the error `status` (429 and 503 carry `Retry-After: retry_after`), a 200
    with malformed JSON, or a 200 whose JSON text is cut in half.
    """

    status: int | None = None
    probability: float = 1.0
    delay_s: float = 0.0
    malformed_json: bool = False
    truncated_body: bool = False
    retry_after: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"Faults.status must be an HTTP error status, got {self.status}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"Faults.probability must be in [0, 1], got {self.probability}")
        if self.delay_s < 0:
            raise ValueError(f"Faults.delay_s must be >= 0, got {self.delay_s}")
        if self.retry_after < 0:
            raise ValueError(f"Faults.retry_after must be >= 0, got {self.retry_after}")

    @property
    def body_faults(self) -> tuple[str, ...]:
        """The configured response faults, in a fixed order."""
        kinds = ("status", "malformed_json", "truncated_body")
        enabled = (self.status is not None, self.malformed_json, self.truncated_body)
        return tuple(kind for kind, on in zip(kinds, enabled, strict=True) if on)

    @property
    def active(self) -> bool:
        return bool(self.body_faults) or self.delay_s > 0


def malform(body: bytes) -> bytes:
    """JSON text made invalid: the closing bracket replaced by a dangling comma."""
    return body[:-1] + b","


def truncate(body: bytes) -> bytes:
    """The first half of the JSON text."""
    return body[: len(body) // 2]


class FaultInjectionMiddleware:
    """ASGI middleware applying `Faults` to HTTP requests."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults
        self.rng = random.Random(faults.seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.faults
        if scope["type"] != "http" or not faults.active or self.rng.random() >= faults.probability:
            await self.app(scope, receive, send)
            return
        kind = self.rng.choice(faults.body_faults) if faults.body_faults else None
        if faults.delay_s:
            await asyncio.sleep(faults.delay_s)
        if kind is None:
            await self.app(scope, receive, send)
        elif kind == "status":
            await self._send_error(send, faults.status or 500)
        else:
            mangle = malform if kind == "malformed_json" else truncate
            await self._send_mangled(scope, receive, send, mangle)

    async def _send_error(self, send: Send, status: int) -> None:
        body = orjson.dumps({"status": status, "error": http.HTTPStatus(status).phrase})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if status in RETRY_AFTER_STATUSES:
            headers.append((b"retry-after", str(self.faults.retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _send_mangled(
        self, scope: Scope, receive: Receive, send: Send, mangle: Callable[[bytes], bytes]
    ) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        if start.get("status") == 200:
            body = mangle(body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
