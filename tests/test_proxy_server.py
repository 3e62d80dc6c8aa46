"""How `harness serve` binds and writes: the accepted connections are the ones asyncio tunes for
TCP, and a busy loop sends a connection's writes together at the end of its step."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import httpx
import pytest

from harness.proxy.server import BatchingTransport, bind


@pytest.mark.integration  # listens on a socket
async def test_accepted_connections_have_nagle_off():
    accepted: asyncio.Future[socket.socket] = asyncio.get_running_loop().create_future()

    class Record(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.set_result(transport.get_extra_info("socket"))

    server = await asyncio.get_running_loop().create_server(Record, sock=bind("127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        sock = await asyncio.wait_for(accepted, 5)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        writer.close()
        server.close()


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[object] = []

    def write(self, data: bytes) -> None:
        self.events.append(bytes(data))

    def close(self) -> None:
        self.events.append("close")

    def get_extra_info(self, name: str, default: object = None) -> object:
        return f"extra:{name}"


async def test_an_idle_loop_writes_at_once():
    inner = RecordingTransport()
    batching = BatchingTransport(inner, asyncio.get_running_loop())
    batching.write(b"head")
    batching.write(b"body")
    assert inner.events == [b"head", b"body"]
    assert batching.get_extra_info("peername") == "extra:peername"


async def test_a_busy_loop_sends_the_writes_of_its_step_as_one_in_order():
    loop = asyncio.get_running_loop()
    inner = RecordingTransport()
    batching = BatchingTransport(inner, loop)
    loop.call_soon(lambda: None)  # another callback is ready: the loop is busy
    batching.write(b"head ")
    batching.write(bytearray(b"body"))  # copied: the caller may reuse its buffer
    assert inner.events == []
    await asyncio.sleep(0)  # the step ends
    assert inner.events == [b"head body"]
    batching.write(b"next")  # idle again
    assert inner.events == [b"head body", b"next"]


async def test_close_sends_what_is_held_first():
    loop = asyncio.get_running_loop()
    inner = RecordingTransport()
    batching = BatchingTransport(inner, loop)
    loop.call_soon(lambda: None)
    batching.write(b"431 answer")
    batching.close()
    assert inner.events == [b"431 answer", "close"]
    await asyncio.sleep(0)
    assert inner.events == [b"431 answer", "close"]


def test_a_loop_without_a_ready_queue_always_writes_at_once():
    class ForeignLoop:
        def call_soon(self, callback):  # pragma: no cover - must not be called
            raise AssertionError("a write was held")

    inner = RecordingTransport()
    batching = BatchingTransport(inner, ForeignLoop())
    batching.write(b"answer")
    assert inner.events == [b"answer"]


SERVER = """
import sys
from harness.proxy.server import ServerLimits, bind, serve

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = scope["path"].encode() * 500
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})

sock = bind("127.0.0.1", 0)
print(sock.getsockname()[1], flush=True)
serve(app, sock, ServerLimits(), "warning")
"""


@pytest.mark.integration  # serves on a socket
async def test_many_connections_at_once_get_whole_answers():
    """Under load (writes held to the end of the step) every answer still arrives whole."""
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as client:
            answers = await asyncio.gather(*(client.get(f"/{n}") for n in range(500)))
        assert [a.content for a in answers] == [f"/{n}".encode() * 500 for n in range(500)]
    finally:
        server.terminate()
        server.wait(10)
