"""Proxy defects found by adversarial testing: each test reproduces one and pins the fix.

The upstream here is a real HTTP server on 127.0.0.1 speaking raw bytes (so it can drip a
body or send headers no HTTP library would build), and the proxy reaches it with its real
upstream client: nothing is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import orjson
import pytest

from harness.offline import create_proxy
from harness.proxy.ratelimit import Rate
from harness.proxy.request_log import MAX_IGNORED_PARAMS
from harness.proxy.settings import ProxySettings
from harness.proxy.upstream import MAX_RETRY_AFTER_S, UpstreamClient, UpstreamFailure, retry_after
from harness.proxy.validation import ecma_regex

pytestmark = pytest.mark.integration  # starts servers or subprocesses

SECRET = "hardening-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}
GENRES = orjson.dumps({"genres": [{"id": 93, "name": "Business", "parent_id": 67}]})

BOUND_S = 5.0
"""No test waits longer than this for one call, whatever the code under test does."""

MAX_REQUESTS_PER_CONNECTION = 100

Reply = Callable[[asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RawUpstream:
    """An HTTP/1.1 server on 127.0.0.1 answering every request with ``reply``."""

    reply: Reply
    requests: list[bytes] = field(default_factory=list)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                self.requests.append(head)
                await self.reply(writer)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def raw_upstream(reply: Reply) -> AsyncIterator[RawUpstream]:
    upstream = RawUpstream(reply)
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    upstream.url = f"http://127.0.0.1:{port}/api/v2"
    try:
        yield upstream
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 2)


def answer(status: int, body: bytes, *headers: bytes) -> Reply:
    """A reply with raw header lines (bytes, so any encoding can be sent)."""

    async def reply(writer: asyncio.StreamWriter) -> None:
        lines = [f"HTTP/1.1 {status} X".encode(), b"Content-Type: application/json"]
        lines += [*headers, b"Content-Length: " + str(len(body)).encode(), b"", body]
        writer.write(b"\r\n".join(lines))
        await writer.drain()

    return reply


def drip(interval_s: float, max_bytes: int = 200) -> Reply:
    """Headers at once, then the body one byte per ``interval_s`` (bounded)."""

    async def reply(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        writer.write(b"Content-Length: %d\r\n\r\n" % max_bytes)
        await writer.drain()
        for _ in range(max_bytes):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(interval_s)

    return reply


@contextlib.asynccontextmanager
async def proxy_client(
    upstream_url: str, address: str = "127.0.0.1", **overrides: object
) -> AsyncIterator[httpx.AsyncClient]:
    settings = ProxySettings(chatgpt_secret=SECRET, upstream_url=upstream_url, **overrides)
    app = create_proxy(settings)
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
            yield client
    finally:
        await app.state.upstream.aclose()


# --- total deadline ------------------------------------------------------------------------


async def test_a_dripping_body_ends_in_504_at_about_the_timeout():
    async with raw_upstream(drip(0.2)) as upstream:
        client = UpstreamClient(upstream.url, timeout=1.0, retries=0)
        started = time.monotonic()
        with pytest.raises(UpstreamFailure) as caught:
            await asyncio.wait_for(client.get_json("/genres", {}), BOUND_S)
        elapsed = time.monotonic() - started
        await client.aclose()
    assert (caught.value.status, caught.value.code) == (504, "upstream_timeout")
    assert 0.9 <= elapsed < 2.5


async def test_the_deadline_covers_every_retry():
    async with raw_upstream(answer(503, b"{}")) as upstream:
        client = UpstreamClient(upstream.url, timeout=0.5, retries=50, retry_backoff_s=0.1)
        started = time.monotonic()
        with pytest.raises(UpstreamFailure) as caught:
            await asyncio.wait_for(client.get_json("/genres", {}), BOUND_S)
        elapsed = time.monotonic() - started
        await client.aclose()
    assert caught.value.status == 504
    assert elapsed < 1.5
    assert 2 <= len(upstream.requests) < 50


async def test_the_proxy_answers_504_json_for_a_dripping_upstream():
    async with (
        raw_upstream(drip(0.2)) as upstream,
        proxy_client(upstream.url, timeout=1.0) as client,
    ):
        started = time.monotonic()
        response = await asyncio.wait_for(client.get("/api/v2/genres", headers=AUTH), BOUND_S)
        elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"
    assert elapsed < 2.5


# --- upstream headers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upstream_status", "body", "status"),
    [(200, GENRES, 200), (404, b"{}", 404), (500, b"{}", 502), (429, b"{}", 429)],
)
async def test_non_latin1_upstream_headers_are_dropped_never_a_500(upstream_status, body, status):
    euro = "€".encode()
    reply = answer(
        upstream_status,
        body,
        b"X-ListenAPI-FreeQuota: " + euro,
        b"X-ListenAPI-Usage: 12",
        b"Retry-After: " + euro,
    )
    async with raw_upstream(reply) as upstream, proxy_client(upstream.url) as client:
        response = await client.get("/api/v2/genres", headers=AUTH)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert "X-ListenAPI-FreeQuota" not in response.headers
    assert "Retry-After" not in response.headers
    assert response.headers["X-ListenAPI-Usage"] == "12"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", "120"),
        (" 7 ", "7"),
        ("0", "0"),
        ("9" * 8000, str(MAX_RETRY_AFTER_S)),
        ("999999", str(MAX_RETRY_AFTER_S)),
        ("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ("<script>alert(1)</script>", None),
        ("-1", None),
        ("1.5", None),
        ("€", None),
        ("Wed, 21 Oct 2015 07:28:00", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_bounded_delta_seconds_or_an_http_date(value, expected):
    assert retry_after(value) == expected


async def test_upstream_retry_after_reaches_the_caller_only_when_sane():
    reply = answer(429, b"{}", b"Retry-After: " + b"9" * 8000)
    async with raw_upstream(reply) as upstream, proxy_client(upstream.url) as client:
        huge = await client.get("/api/v2/genres", headers=AUTH)
    reply = answer(429, b"{}", b"Retry-After: <script>")
    async with raw_upstream(reply) as upstream, proxy_client(upstream.url) as client:
        script = await client.get("/api/v2/genres", headers=AUTH)
    assert huge.status_code == script.status_code == 429
    assert huge.headers["Retry-After"] == str(MAX_RETRY_AFTER_S)
    assert "Retry-After" not in script.headers


# --- rate limit before auth, duplicate credentials -----------------------------------------


async def test_failed_authentication_is_rate_limited_per_address():
    async with raw_upstream(answer(200, GENRES)) as upstream:
        async with proxy_client(upstream.url, "10.0.0.1", rate_limit=Rate(3, 60.0)) as attacker:
            wrong = {"Authorization": "Bearer guess"}
            statuses = [
                (await attacker.get("/api/v2/genres", headers=wrong)).status_code for _ in range(6)
            ]
            locked = await attacker.get("/api/v2/genres", headers=AUTH)
        async with proxy_client(upstream.url, "10.0.0.2", rate_limit=Rate(3, 60.0)) as other:
            allowed = await other.get("/api/v2/genres", headers=AUTH)
    assert statuses == [401, 401, 401, 429, 429, 429]
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert "failed authentications" in locked.json()["error"]["message"]
    assert allowed.status_code == 200
    assert len(upstream.requests) == 1


async def test_two_authorization_headers_are_refused():
    async with raw_upstream(answer(200, GENRES)) as upstream, proxy_client(upstream.url) as client:
        headers = [("Authorization", f"Bearer {SECRET}"), ("Authorization", "Bearer other")]
        response = await client.get("/api/v2/genres", headers=headers)
        reversed_ = await client.get("/api/v2/genres", headers=headers[::-1])
    assert response.status_code == reversed_.status_code == 401
    assert "More than one Authorization header" in response.json()["error"]["message"]
    assert upstream.requests == []


# --- patterns and integers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v2/best_podcasts?region=us%0A", "region"),
        ("/api/v2/best_podcasts?genre_id=93%0A", "genre_id"),
        ("/api/v2/search_podcasts?q=x&genre_ids=1%0A", "genre_ids"),
        ("/api/v2/podcasts/abc%0A", "id"),
        ("/api/v2/search_podcasts?q=x&page_size=%EF%BC%95", "page_size"),
        ("/api/v2/search_podcasts?q=x&len_min=%D9%A3", "len_min"),
        ("/api/v2/search_podcasts?q=x&published_after=%F0%9D%9F%8F", "published_after"),
    ],
)
async def test_trailing_newlines_and_unicode_digits_are_400(path, parameter):
    async with raw_upstream(answer(200, GENRES)) as upstream, proxy_client(upstream.url) as client:
        response = await client.get(path, headers=AUTH)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["parameter"] == parameter
    assert upstream.requests == []


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("^[a-z]{2}$", "us", True),
        ("^[a-z]{2}$", "us\n", False),
        (r"^\d+$", "５", False),
        (r"^[\d,]+$", "1,2", True),
        (r"^\w+$", "é", False),
        ("^a.b$", "a\nb", False),
        ("^a.b$", "a-b", True),
        ("[$]", "$", True),
        (r"\$$", "$", True),
        (r"[^\s\x1c-\x1f\x85]", "\u00a0", False),
    ],
)
def test_patterns_have_ecma_262_semantics(pattern, text, matches):
    assert bool(ecma_regex(pattern).search(text)) is matches


# --- request log ---------------------------------------------------------------------------


async def test_ignored_params_in_the_request_log_are_capped(tmp_path):
    log_path = tmp_path / "requests.jsonl"
    query = "&".join(f"p{i}=1" for i in range(6_000)) + "&" + "a" * 2000 + "=1"
    async with (
        raw_upstream(answer(200, GENRES)) as upstream,
        proxy_client(upstream.url, request_log=log_path) as client,
    ):
        response = await client.get(f"/api/v2/genres?{query}", headers=AUTH)
    assert response.status_code == 200
    line = log_path.read_bytes()
    assert len(line) < 4000
    record = orjson.loads(line)
    assert len(record["ignored_params"]) == MAX_IGNORED_PARAMS
    assert record["ignored_params_total"] == 6_001
    assert record["ignored_params"][0] == "a" * 61 + "..."
    assert all(len(name) <= 64 for name in record["ignored_params"])


async def test_a_refused_connection_is_502_unreachable_not_a_timeout():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = UpstreamClient(f"http://127.0.0.1:{port}", timeout=2.0, retries=1)
    with pytest.raises(UpstreamFailure) as caught:
        await client.get_json("/genres", {})
    await client.aclose()
    assert (caught.value.status, caught.value.code) == (502, "upstream_unreachable")
