"""A real model served locally: llama-cpp-python's OpenAI-compatible server.

The model is a :class:`harness.models.catalog.LocalModel` (a known model by name or any GGUF
file). The server runs as ``python -m harness.eval.llama_server`` (llama-cpp-python's server
with llama.cpp's extra buffer types off, see that module), one process with one model, and
is started lazily, by ``LazyServerTransport``, the first time a request really has to reach
the model, so replaying cassettes never starts it. A server that dies during a request
becomes a ``LocalModelUnavailable`` quoting its last log lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.metadata
import importlib.util
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from harness.models.catalog import LocalModel, ModelError

SERVER_DISTRIBUTION = "llama-cpp-python"
SERVER_MODULE = "harness.eval.llama_server"
INSTALL_HINT = "install the 'local' extra: pip install 'podcast-harness[local]'"
LOG_LINES_QUOTED = 8


class LocalModelUnavailable(RuntimeError):
    """The local model cannot run here (package or model missing, server failed or died)."""


def llama_cpp_version() -> str | None:
    """The installed llama-cpp-python version, or ``None`` (read without importing it)."""
    try:
        return importlib.metadata.version(SERVER_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


def local_model_version(model: LocalModel) -> str:
    """The local model's exact build: the GGUF file, where it came from, and the server."""
    origin = model.known.source.split(" (")[0] if model.known else "local file"
    if model.known and model.known.distribution:
        try:
            origin += " " + importlib.metadata.version(model.known.distribution)
        except importlib.metadata.PackageNotFoundError:
            origin += " (not installed)"
    filename = model.known.filename if model.known else model.alias + ".gguf"
    server = llama_cpp_version() or "not installed"
    return f"{filename} ({origin}); {SERVER_DISTRIBUTION} {server}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalModelServer:
    """One llama-cpp-python server process with one model, on a free loopback port."""

    def __init__(self, model: LocalModel, *, startup_timeout_s: float = 300.0) -> None:
        self.model = model
        self.startup_timeout_s = startup_timeout_s
        self.base_url: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log = None
        self._died: str | None = None
        self._lock = asyncio.Lock()

    def command(self, port: int) -> list[str]:
        """The server's command line."""
        return [
            sys.executable,
            "-m",
            SERVER_MODULE,
            "--model",
            str(self.model.path),
            "--model_alias",
            self.model.alias,
            "--chat_format",
            self.model.chat_format,
            "--n_ctx",
            str(self.model.n_ctx),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def peak_rss_mb(self) -> int | None:
        """The running server's peak resident memory (Linux ``VmHWM``), or ``None``."""
        if self.pid is None:
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
        return None

    async def ensure_started(self) -> str:
        """Start the server unless it runs already; returns its base URL (``.../v1``).

        Once the server has died, every later request gets the same error: it is not
        restarted behind the run's back.
        """
        async with self._lock:
            if self._died is not None:
                raise LocalModelUnavailable(self._died)
            if self.base_url is None:
                await self._start()
            assert self.base_url is not None
            return self.base_url

    async def _start(self) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalModelUnavailable(f"llama-cpp-python is not installed; {INSTALL_HINT}")
        try:
            self.model.require_path()
        except ModelError as error:
            raise LocalModelUnavailable(str(error)) from None
        port = free_port()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)
        self._process = subprocess.Popen(
            self.command(port),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        base_url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + self.startup_timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    message = self._exit_message("exited while starting")
                    self.stop()
                    raise LocalModelUnavailable(message)
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{base_url}/models")).status_code == 200:
                        self.base_url = base_url
                        return
                await asyncio.sleep(0.25)
        self.stop()
        raise LocalModelUnavailable(
            f"local model server not ready after {self.startup_timeout_s:.0f}s"
        )

    async def died(self, wait_s: float = 2.0) -> str | None:
        """After a failed request: the reason, if the server process is gone (else ``None``).

        Waits up to ``wait_s`` for the process to be reaped, since a crash closes the
        connection a moment before the process ends.
        """
        if self._died is not None:
            return self._died
        if self._process is None:
            return None
        deadline = time.monotonic() + wait_s
        while self._process.poll() is None:
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.05)
        self._died = self._exit_message("died during a request")
        return self._died

    def _exit_message(self, what: str) -> str:
        assert self._process is not None
        code = self._process.returncode
        how = f"exit code {code}"
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                how = f"killed by {signal.Signals(-code).name}"
        lines = self._log_tail()
        quoted = "".join(f"\n  | {line}" for line in lines) if lines else " (no log output)"
        return f"local model server ({self.model.name}) {what} ({how}); its last log lines:{quoted}"

    def _log_tail(self, count: int = LOG_LINES_QUOTED) -> list[str]:
        if self._log is None:
            return []
        self._log.seek(0)
        text = self._log.read().decode(errors="replace")
        return [line.rstrip() for line in text.splitlines() if line.strip()][-count:]

    def stop(self) -> None:
        """Stop the server if it runs (terminate, then kill after 10 s)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        self.base_url = None
        if self._log is not None:
            self._log.close()
            self._log = None


def _die_with_parent() -> None:
    """In the server's process: get SIGTERM when the harness dies, even by SIGKILL."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class LazyServerTransport(httpx.AsyncBaseTransport):
    """Sends each request to the local server, starting it on the first request.

    Requests are addressed to a stable virtual base URL (so recorded cassettes do not depend
    on the port); the transport rewrites scheme, host and port to the running server's.
    """

    def __init__(
        self, server: LocalModelServer, inner: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.server = server
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Start the server if needed, then forward ``request`` to it."""
        target = httpx.URL(await self.server.ensure_started())
        request.url = request.url.copy_with(
            scheme=target.scheme, host=target.host, port=target.port
        )
        request.headers["host"] = target.netloc.decode()
        try:
            return await self._inner.handle_async_request(request)
        except httpx.TransportError:
            reason = await self.server.died()
            if reason is not None:
                raise LocalModelUnavailable(reason) from None
            raise

    async def aclose(self) -> None:
        """Close the pooled connections (the server is stopped by its owner)."""
        await self._inner.aclose()
