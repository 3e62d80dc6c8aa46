"""Run benchmark servers as subprocesses on 127.0.0.1, and always stop them."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


class ServerError(RuntimeError):
    """A benchmark server that did not start."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(
    kind: str,
    env: Mapping[str, str] | None = None,
    server: str = "uvicorn",
    workers: int = 1,
) -> Iterator[str]:
    """Serve the app ``kind`` of :mod:`benchmarks.apps` with ``server``; yields its base URL.

    The server runs in its own process group, which is terminated (then killed) on exit,
    whether the block ends normally, by an exception or by Ctrl-C.
    """
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.serve", kind, "--port", str(port)]
    command += ["--server", server, "--workers", str(workers)]
    with _serving(command, port, env) as origin:
        yield origin


def nginx_path() -> str | None:
    """The nginx executable, if installed."""
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
    )


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream backend {{ server {upstream}; keepalive 100; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


@contextlib.contextmanager
def running_nginx(upstream_origin: str) -> Iterator[str]:
    """nginx as a reverse proxy (1 worker, upstream keepalive 100) in front of ``upstream``."""
    executable = nginx_path()
    if executable is None:
        raise ServerError("nginx is not installed")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as root:
        conf = Path(root) / "nginx.conf"
        upstream = upstream_origin.removeprefix("http://")
        conf.write_text(NGINX_CONF.format(root=root, upstream=upstream, port=port))
        with _serving([executable, "-p", root, "-c", str(conf)], port, None) as origin:
            yield origin


@contextlib.contextmanager
def _serving(command: list[str], port: int, env: Mapping[str, str] | None) -> Iterator[str]:
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_listening(process, port, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """Terminate ``process``'s group, killing it if it does not exit in time."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_until_listening(process: subprocess.Popen, port: int, log) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")[-2000:]
            raise ServerError(f"{process.args}: exited with {process.returncode}\n{output}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise ServerError(f"{process.args}: not listening on port {port} after {STARTUP_TIMEOUT_S} s")
