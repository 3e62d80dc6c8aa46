"""How the upstream client sends one GET: aiohttp on the network, httpx for in-process targets.

:class:`~harness.proxy.upstream.UpstreamClient` owns the deadline, the retries and the mapping
of upstream failures; a transport only sends one request and files what went wrong as one of
three :class:`TransportError` kinds. Two transports, one contract:

- :class:`AiohttpTransport` (the default): aiohttp's pooled ``ClientSession`` and C parser.
  Measured side by side, it is the fastest client (README, Performance); tests run it against
  real servers on 127.0.0.1 (refused connections, dripping bodies, malformed answers).
- :class:`HttpxTransport`: any ``httpx`` transport, for targets that are not a socket: the
  in-process offline mock (``httpx.ASGITransport``) and respx in unit tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx
from yarl import URL

from harness.errors import ExecutionError

POOL_SIZE = 100
"""Most upstream connections open at once (keep-alive connections are reused)."""


@dataclass(frozen=True)
class RawResponse:
    """One upstream answer as received: status, headers (case-insensitive) and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class TransportError(ExecutionError):
    """The request got no usable answer; ``timed_out`` when waiting for it ran out."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class ConnectFailed(TransportError):
    """No connection was made (refused, unresolvable, connect timeout): safe to retry."""


class ExchangeFailed(TransportError):
    """The connection broke after the request was sent (reset, read timeout, truncated body)."""


class MalformedResponse(TransportError):
    """The upstream answered with something that is not valid HTTP."""


class Transport(Protocol):
    """Sends one GET and returns the whole answer, or raises a :class:`TransportError`."""

    async def get(self, url: str, headers: Mapping[str, str]) -> RawResponse: ...

    async def aclose(self) -> None: ...


class AiohttpTransport:
    """aiohttp's pool: :data:`POOL_SIZE` connections, no cookie jar (the proxy keeps no upstream
    session state), environment proxies ignored. The session is created on first use, inside
    the running event loop, and again after :meth:`aclose`."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The pooled session."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=POOL_SIZE),
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=None),
                trust_env=False,
            )
        return self._session

    async def get(self, url: str, headers: Mapping[str, str]) -> RawResponse:
        """GET ``url`` (already percent-encoded) and read the whole body."""
        try:
            async with self.session.get(
                URL(url, encoded=True), headers=headers, allow_redirects=False
            ) as response:
                body = await response.read()
                return RawResponse(response.status, response.headers, body)
        except aiohttp.ClientConnectorError as exc:
            raise ConnectFailed(str(exc)) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise ConnectFailed(str(exc), timed_out=True) from exc
        except aiohttp.ServerTimeoutError as exc:
            raise ExchangeFailed(str(exc), timed_out=True) from exc
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise ExchangeFailed(str(exc) or type(exc).__name__) from exc
        except aiohttp.ClientError as exc:
            raise MalformedResponse(str(exc)) from exc

    async def aclose(self) -> None:
        """Close the session and its connections, if one was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None


class HttpxTransport:
    """An ``httpx`` client over ``transport`` (e.g. ``httpx.ASGITransport``, or respx's mock)."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        """The client, created on first use and again after :meth:`aclose`."""
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                transport=self._transport, timeout=None, trust_env=False
            )
        return self._client

    async def get(self, url: str, headers: Mapping[str, str]) -> RawResponse:
        """GET ``url`` (already percent-encoded) and read the whole body."""
        try:
            response = await self.client.get(url, headers=headers)
        except httpx.ConnectTimeout as exc:
            raise ConnectFailed(str(exc), timed_out=True) from exc
        except httpx.ConnectError as exc:
            raise ConnectFailed(str(exc)) from exc
        except httpx.TimeoutException as exc:
            raise ExchangeFailed(str(exc), timed_out=True) from exc
        except httpx.TransportError as exc:
            raise ExchangeFailed(str(exc)) from exc
        return RawResponse(response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        """Close the client, if one was opened."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
