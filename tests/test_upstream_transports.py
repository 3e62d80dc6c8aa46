"""The two upstream transports against real servers on 127.0.0.1: one contract, both kept.

aiohttp sends on the network; httpx (here over its own socket transport) stands in for the
in-process targets. Each test speaks raw bytes from the server side, so what is checked is what
went over the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from harness.proxy.transports import (
    AiohttpTransport,
    ConnectFailed,
    ExchangeFailed,
    HttpxTransport,
    MalformedResponse,
    Transport,
)
from harness.proxy.upstream import UpstreamClient, UpstreamFailure

pytestmark = pytest.mark.integration  # starts servers

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
JSON_ANSWER = b'{"genres": []}'


@dataclass
class Server:
    url: str
    connections: list[int] = field(default_factory=list)
    request_lines: list[bytes] = field(default_factory=list)


@contextlib.asynccontextmanager
async def serving(reply: Callable[[asyncio.StreamWriter], bytes | None]) -> AsyncIterator[Server]:
    """A server answering each request with ``reply(writer)`` (``None``: close, answer nothing)."""
    server_record = Server("")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_record.connections.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                server_record.request_lines.append(head.split(b"\r\n", 1)[0])
                answer = reply(writer)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    server_record.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield server_record
    finally:
        server.close()


def http_answer(body: bytes, *headers: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"Content-Type: application/json", *headers]
    head.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + body


TRANSPORTS: dict[str, Callable[[], Transport]] = {
    "aiohttp": AiohttpTransport,
    "httpx": lambda: HttpxTransport(httpx.AsyncHTTPTransport()),
}
both = pytest.mark.parametrize("make", TRANSPORTS.values(), ids=TRANSPORTS.keys())


@both
async def test_one_connection_is_reused_and_a_new_one_opened_after_close(make):
    transport = make()
    async with serving(lambda _: http_answer(JSON_ANSWER)) as server:
        for _ in range(3):
            response = await transport.get(server.url + "/genres", {})
            assert (response.status, response.body) == (200, JSON_ANSWER)
        assert len(server.connections) == 1
        await transport.aclose()
        assert (await transport.get(server.url + "/genres", {})).status == 200
        assert len(server.connections) == 2
        await transport.aclose()


@pytest.mark.parametrize("httpx_transport", [None, httpx.AsyncHTTPTransport], ids=TRANSPORTS)
async def test_the_query_goes_out_percent_encoded(httpx_transport):
    async with serving(lambda _: http_answer(JSON_ANSWER)) as server:
        transport = httpx_transport() if httpx_transport else None
        client = UpstreamClient(server.url + "/api/v2", transport=transport)
        await client.get_json("/search", {"q": "star wars & co", "language": "Español"})
        await client.aclose()
    assert server.request_lines == [
        b"GET /api/v2/search?q=star%20wars%20%26%20co&language=Espa%C3%B1ol HTTP/1.1"
    ]


@both
async def test_a_gzip_body_is_decoded(make):
    transport = make()
    body = gzip.compress(JSON_ANSWER)
    async with serving(lambda _: http_answer(body, b"Content-Encoding: gzip")) as server:
        response = await transport.get(server.url + "/genres", {})
        await transport.aclose()
    assert response.body == JSON_ANSWER


@both
async def test_a_refused_connection_is_connect_failed(make):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = make()
    with pytest.raises(ConnectFailed) as caught:
        await transport.get(f"http://127.0.0.1:{port}/genres", {})
    await transport.aclose()
    assert not caught.value.timed_out


@both
async def test_a_connection_closed_without_an_answer_is_exchange_failed(make):
    transport = make()
    async with serving(lambda _: None) as server:
        with pytest.raises(ExchangeFailed):
            await transport.get(server.url + "/genres", {})
        await transport.aclose()


async def test_an_answer_that_is_not_http_is_502_invalid_response():
    transport = AiohttpTransport()
    async with serving(lambda _: b"SSH-2.0-OpenSSH_9.6\r\n\r\n") as server:
        with pytest.raises(MalformedResponse):
            await transport.get(server.url + "/genres", {})
        client = UpstreamClient(server.url, retries=0)
        with pytest.raises(UpstreamFailure) as caught:
            await client.get_json("/genres", {})
        await client.aclose()
        await transport.aclose()
    assert (caught.value.status, caught.value.code) == (502, "upstream_invalid_response")
