"""The upstream client: one pooled connection, bounded retries, clean error mapping.

Requests go through a :class:`~harness.proxy.transports.Transport`: aiohttp on the network by
default (measured side by side, the fastest client: README, Performance), or any httpx
transport for an in-process target (the offline mock through ``httpx.ASGITransport``, respx in
unit tests). The deadline, the retries and the mapping below are this module's, whichever
transport sends.

Upstream outcome -> what the caller sees (a :class:`ProxyError` for every failure):

| upstream | caller | why |
|---|---|---|
| 200 with JSON | 200 | |
| 400 | 400 ``upstream_rejected`` | the request itself was refused |
| 401 / 403 | 502 ``upstream_auth`` | the proxy's own key was refused: not the caller's fault |
| 404 | 404 ``not_found`` | |
| 429 | 429 ``upstream_rate_limited``, ``Retry-After`` kept | |
| other 4xx, 5xx | 502 ``upstream_error`` | |
| no answer within the deadline | 504 ``upstream_timeout`` | |
| connection failure | 502 ``upstream_unreachable`` | |
| an answer that is not HTTP, or a body that is not JSON | 502 ``upstream_invalid_response`` | |

``timeout`` is a total deadline for one call: connecting, every retry and its backoff, and
reading the whole body, so an upstream that drips its body still ends in a 504 at about
``timeout`` seconds. GET requests are retried with exponential backoff on connection errors
(including connect timeouts) and on 503, at most ``retries`` times, within that deadline.

Upstream headers are untrusted: a quota header reaches the caller and the log only when it is
short printable ASCII, and ``Retry-After`` only as delta-seconds (capped at
:data:`MAX_RETRY_AFTER_S`) or as an HTTP-date (re-rendered); anything else is dropped.
The ``X-ListenAPI-Key`` header is sent only when a key is configured, and is never logged or
echoed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from harness.proxy.errors import ProxyError
from harness.proxy.transports import (
    AiohttpTransport,
    ConnectFailed,
    HttpxTransport,
    MalformedResponse,
    RawResponse,
    Transport,
    TransportError,
)

logger = logging.getLogger("harness.proxy.upstream")

API_KEY_HEADER = "X-ListenAPI-Key"
QUOTA_HEADERS = (
    "X-ListenAPI-FreeQuota",
    "X-ListenAPI-Usage",
    "X-ListenAPI-NextBillingDate",
    "X-ListenAPI-Latency-Seconds",
)
"""Upstream usage headers passed through to the caller and into the request log."""

RETRY_BACKOFF_S = 0.1
MAX_RETRY_AFTER_S = 86_400
"""Longest delta-seconds ``Retry-After`` passed on (one day); longer values are capped."""
MAX_HEADER_VALUE_LENGTH = 128
_PRINTABLE_ASCII = re.compile(rf"[\x20-\x7e]{{1,{MAX_HEADER_VALUE_LENGTH}}}")
_DELTA_SECONDS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class UpstreamReply:
    """A successful upstream answer: decoded JSON plus what the request log wants to know."""

    status: int
    data: Any
    latency_ms: float
    quota: Mapping[str, str] = field(default_factory=dict)


class UpstreamFailure(ProxyError):
    """A :class:`ProxyError` caused upstream; carries the upstream status and latency if any."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        upstream_status: int | None = None,
        latency_ms: float | None = None,
        quota: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, code, message, headers=headers)
        self.upstream_status = upstream_status
        self.latency_ms = latency_ms
        self.quota = dict(quota or {})


QUOTED_MEMO_LENGTH = 64
"""Query names and values up to this length have their percent-encoding remembered."""


def _quoted(text: str) -> str:
    """``text`` percent-encoded for a query string, as ``urlencode(..., quote_via=quote)`` does
    it; remembered when short (names and most values repeat from call to call; a bound on
    length and count keeps what callers send from filling memory)."""
    return _quoted_short(text) if len(text) <= QUOTED_MEMO_LENGTH else quote(text, safe="")


@functools.lru_cache(maxsize=1024)
def _quoted_short(text: str) -> str:
    return quote(text, safe="")


class UpstreamClient:
    """Sends GETs to ``base_url`` through one pooled transport (aiohttp unless ``transport``,
    an httpx transport, is given)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_backoff_s: float = RETRY_BACKOFF_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/json"}
        if api_key:
            self._headers[API_KEY_HEADER] = api_key
        self.timeout_s = timeout
        self.retries = retries
        self.transport: Transport = (
            AiohttpTransport() if transport is None else HttpxTransport(transport)
        )
        self._retry_backoff_s = retry_backoff_s

    async def aclose(self) -> None:
        """Close the pooled connections, if any were opened."""
        await self.transport.aclose()

    async def get_json(self, path: str, params: Mapping[str, str]) -> UpstreamReply:
        """GET ``path`` with ``params``: the decoded JSON, or raise :class:`UpstreamFailure`.

        The whole call, retries included, ends by the deadline (``timeout``) with a 504.
        """
        started = time.perf_counter()
        url = self.base_url + path
        if params:
            url += "?" + "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in params.items())
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self._send_with_retries(url)
        except TimeoutError:
            raise _timeout_failure(started) from None
        except TransportError as exc:
            raise _transport_failure(exc, started) from None
        latency_ms = (time.perf_counter() - started) * 1000
        quota = _quota_headers(response.headers)
        if response.status != 200:
            raise _failure_for_status(response, latency_ms, quota)
        try:
            data = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            raise UpstreamFailure(
                502,
                "upstream_invalid_response",
                "The upstream API answered with a body that is not JSON.",
                upstream_status=response.status,
                latency_ms=latency_ms,
                quota=quota,
            ) from None
        return UpstreamReply(response.status, data, latency_ms, quota)

    async def _send_with_retries(self, url: str) -> RawResponse:
        attempt = 0
        while True:
            try:
                response = await self.transport.get(url, self._headers)
            except ConnectFailed as exc:
                if attempt >= self.retries:
                    raise
                attempt += 1
                await self._backoff(attempt, f"connection error ({exc})")
                continue
            if response.status == 503 and attempt < self.retries:
                attempt += 1
                await self._backoff(attempt, "503 Service Unavailable")
                continue
            return response

    async def _backoff(self, attempt: int, reason: str) -> None:
        logger.warning("upstream %s; retry %d of %d", reason, attempt, self.retries)
        await asyncio.sleep(self._retry_backoff_s * 2 ** (attempt - 1))


def _timeout_failure(started: float) -> UpstreamFailure:
    return UpstreamFailure(
        504,
        "upstream_timeout",
        "The upstream API did not answer in time.",
        latency_ms=(time.perf_counter() - started) * 1000,
    )


def _transport_failure(exc: TransportError, started: float) -> UpstreamFailure:
    latency_ms = (time.perf_counter() - started) * 1000
    if exc.timed_out:
        return _timeout_failure(started)
    if isinstance(exc, MalformedResponse):
        return UpstreamFailure(
            502,
            "upstream_invalid_response",
            "The upstream API answered with a malformed HTTP response.",
            latency_ms=latency_ms,
        )
    return UpstreamFailure(
        502, "upstream_unreachable", "The upstream API could not be reached.", latency_ms=latency_ms
    )


def _quota_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The quota headers that are short printable ASCII; any other value is dropped."""
    quota = {}
    for name in QUOTA_HEADERS:
        value = headers.get(name)
        if value is not None and _PRINTABLE_ASCII.fullmatch(value):
            quota[name] = value
        elif value is not None:
            logger.warning("upstream header %s dropped: not short printable ASCII", name)
    return quota


def retry_after(value: str | None) -> str | None:
    """A safe ``Retry-After`` for ``value``: capped delta-seconds, a re-rendered HTTP-date, or
    ``None`` for anything else (which is then not passed on)."""
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        seconds = int(value) if len(value) <= 6 else MAX_RETRY_AFTER_S
        return str(min(seconds, MAX_RETRY_AFTER_S))
    if len(value) > 64 or not _PRINTABLE_ASCII.fullmatch(value):
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _failure_for_status(
    response: RawResponse, latency_ms: float, quota: Mapping[str, str]
) -> UpstreamFailure:
    status = response.status
    details: dict[str, Any] = {"upstream_status": status, "latency_ms": latency_ms, "quota": quota}
    if status == 400:
        return UpstreamFailure(
            400, "upstream_rejected", "The upstream API rejected the request as invalid.", **details
        )
    if status in (401, 403):
        return UpstreamFailure(
            502,
            "upstream_auth",
            "The upstream API refused the proxy's own API key: a proxy configuration problem, "
            "not a problem with the caller's credentials.",
            **details,
        )
    if status == 404:
        return UpstreamFailure(404, "not_found", "No such resource upstream.", **details)
    if status == 429:
        delay = retry_after(response.headers.get("Retry-After"))
        return UpstreamFailure(
            429,
            "upstream_rate_limited",
            "The upstream API's rate limit or quota was reached; retry later.",
            headers={"Retry-After": delay} if delay else None,
            **details,
        )
    return UpstreamFailure(
        502, "upstream_error", f"The upstream API failed with status {status}.", **details
    )
