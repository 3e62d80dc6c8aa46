"""How `harness serve` binds: the accepted connections are the ones asyncio tunes for TCP."""

from __future__ import annotations

import asyncio
import socket

import pytest

from harness.proxy.server import bind

pytestmark = pytest.mark.integration  # listens on a socket


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
