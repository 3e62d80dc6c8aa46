"""Shared fixtures: proxies built from the real spec, driven in-process through httpx or run
as a real `harness serve` subprocess."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from harness.contract.load import Spec, load_spec
from harness.offline import create_proxy
from harness.proxy.settings import ProxySettings

PROXY_BASE_URL = "http://proxy.test"


@pytest.fixture(scope="session")
def spec() -> Spec:
    """The project's own spec, loaded once."""
    return load_spec()


@pytest.fixture
def make_proxy_client(
    spec: Spec,
) -> Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]:
    """Factory: ``async with make_proxy_client(settings, transport) as client`` drives a proxy
    built from ``settings`` (the upstream mocked by respx, or by ``transport``) in-process."""

    @contextlib.asynccontextmanager
    async def make(
        settings: ProxySettings, upstream_transport: httpx.AsyncBaseTransport | None = None
    ) -> AsyncIterator[httpx.AsyncClient]:
        if upstream_transport is None and settings.upstream_base_url() is not None:
            # respx mocks httpx's own transport; the proxy's default (aiohttp) transport is
            # tested against real upstream servers on 127.0.0.1 (test_proxy_hardening.py).
            upstream_transport = httpx.AsyncHTTPTransport()
        app = create_proxy(settings, spec=spec, upstream_transport=upstream_transport)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url=PROXY_BASE_URL) as client:
                yield client
        finally:
            await app.state.upstream.aclose()

    return make


STARTUP_TIMEOUT_S = 30.0


@dataclass
class ServerProcess:
    """A `harness serve` subprocess; its output is written to files under the test's tmp_path."""

    process: subprocess.Popen[bytes]
    base_url: str
    stdout: Path
    stderr: Path

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(server: ServerProcess) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.output()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(server.base_url + "/openapi.json", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer within {STARTUP_TIMEOUT_S} s:\n{server.output()}")


@pytest.fixture
def serve_proxy(
    tmp_path: Path,
) -> Callable[..., contextlib.AbstractContextManager[ServerProcess]]:
    """Factory: ``with serve_proxy(args, env) as server`` runs `harness serve ARGS` with ``env``
    on a free loopback port, waits (bounded) until it answers, and always stops it."""

    @contextlib.contextmanager
    def serve(args: Sequence[str], env: Mapping[str, str]) -> Iterator[ServerProcess]:
        port = _free_port()
        stdout, stderr = tmp_path / f"serve-{port}.out", tmp_path / f"serve-{port}.err"
        command = [sys.executable, "-c", "from harness.cli import main; main()", "serve"]
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [*command, "--host", "127.0.0.1", "--port", str(port), *args],
                env=dict(env),
                stdout=out,
                stderr=err,
            )
        server = ServerProcess(process, f"http://127.0.0.1:{port}", stdout, stderr)
        try:
            _wait_until_up(server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    return serve


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that starts `harness serve` (the ``serve_proxy`` fixture) is an integration test."""
    for item in items:
        if "serve_proxy" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)
