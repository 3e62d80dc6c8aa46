"""The upstream client: one pooled ``httpx.AsyncClient``, bounded retries, clean error mapping.

Upstream outcome -> what the caller sees (a :class:`ProxyError` for every failure):

| upstream | caller | why |
|---|---|---|
| 200 with JSON | 200 | |
| 400 | 400 ``upstream_rejected`` | the request itself was refused |
| 401 / 403 | 502 ``upstream_auth`` | the proxy's own key was refused: not the caller's fault |
| 404 | 404 ``not_found`` | |
| 429 | 429 ``upstream_rate_limited``, ``Retry-After`` kept | |
| other 4xx, 5xx | 502 ``upstream_error`` | |
| timeout | 504 ``upstream_timeout`` | |
| connection failure | 502 ``upstream_unreachable`` | |
| body that is not JSON | 502 ``upstream_invalid_response`` | |

GET requests are retried with exponential backoff on connection errors (including connect
timeouts) and on 503, at most ``retries`` times; other timeouts are not retried. The
``X-ListenAPI-Key`` header is sent only when a key is configured, and is never logged or echoed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from harness.proxy.errors import ProxyError

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


class UpstreamClient:
    """Sends GETs to ``base_url`` through one pooled client, created on first use."""

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
        self._timeout = httpx.Timeout(timeout)
        self.retries = retries
        self._transport = transport
        self._retry_backoff_s = retry_backoff_s
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        """The pooled client (created lazily, so the app also works without lifespan events)."""
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=self._headers,
                timeout=self._timeout,
                transport=self._transport,
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            )
        return self._client

    async def aclose(self) -> None:
        """Close the pooled client, if one was opened."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def get_json(self, path: str, params: Mapping[str, str]) -> UpstreamReply:
        """GET ``path`` with ``params``: the decoded JSON, or raise :class:`UpstreamFailure`."""
        started = time.perf_counter()
        response = await self._send_with_retries(path, params, started)
        latency_ms = (time.perf_counter() - started) * 1000
        quota = _quota_headers(response.headers)
        if response.status_code != 200:
            raise _failure_for_status(response, latency_ms, quota)
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise UpstreamFailure(
                502,
                "upstream_invalid_response",
                "The upstream API answered with a body that is not JSON.",
                upstream_status=response.status_code,
                latency_ms=latency_ms,
                quota=quota,
            ) from None
        return UpstreamReply(response.status_code, data, latency_ms, quota)

    async def _send_with_retries(
        self, path: str, params: Mapping[str, str], started: float
    ) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self.client.get(path, params=params)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt < self.retries:
                    attempt += 1
                    await self._backoff(attempt, f"connection error ({type(exc).__name__})")
                    continue
                raise _transport_failure(exc, started) from None
            except httpx.TransportError as exc:
                raise _transport_failure(exc, started) from None
            if response.status_code == 503 and attempt < self.retries:
                attempt += 1
                await self._backoff(attempt, "503 Service Unavailable")
                continue
            return response

    async def _backoff(self, attempt: int, reason: str) -> None:
        logger.warning("upstream %s; retry %d of %d", reason, attempt, self.retries)
        await asyncio.sleep(self._retry_backoff_s * 2 ** (attempt - 1))


def _transport_failure(exc: httpx.TransportError, started: float) -> UpstreamFailure:
    latency_ms = (time.perf_counter() - started) * 1000
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamFailure(
            504,
            "upstream_timeout",
            "The upstream API did not answer in time.",
            latency_ms=latency_ms,
        )
    return UpstreamFailure(
        502, "upstream_unreachable", "The upstream API could not be reached.", latency_ms=latency_ms
    )


def _quota_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name: headers[name] for name in QUOTA_HEADERS if name in headers}


def _failure_for_status(
    response: httpx.Response, latency_ms: float, quota: Mapping[str, str]
) -> UpstreamFailure:
    status = response.status_code
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
        retry_after = response.headers.get("Retry-After")
        return UpstreamFailure(
            429,
            "upstream_rate_limited",
            "The upstream API's rate limit or quota was reached; retry later.",
            headers={"Retry-After": retry_after} if retry_after else None,
            **details,
        )
    return UpstreamFailure(
        502, "upstream_error", f"The upstream API failed with status {status}.", **details
    )
