"""`harness serve` started for real: uvicorn on a free loopback port, in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = pytest.mark.integration  # starts servers or subprocesses


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("CHATGPT_SECRET", "LISTEN_API_KEY", "CHATGPT_VERIFICATION_TOKEN"):
        env.pop(name, None)
    return env


def test_no_configuration_with_no_auth_serves_the_offline_mock(serve_proxy):
    with serve_proxy(["--no-auth"], clean_env()) as server, httpx.Client() as client:
        base_url = server.base_url
        genres = client.get(f"{base_url}/api/v2/genres")
        manifest = client.get(f"{base_url}/.well-known/ai-plugin.json").json()
        search = client.get(f"{base_url}/api/v2/search_podcasts", params={"q": "startup"})
    assert genres.status_code == 200
    assert genres.json()["genres"]
    assert search.status_code == 200
    assert manifest["api"]["url"] == f"{base_url}/openapi.json"
    assert "upstream: offline mock (no LISTEN_API_KEY set)" in server.output()


def test_secret_from_the_environment_is_required_on_api_routes(serve_proxy):
    env = {**clean_env(), "CHATGPT_SECRET": "cli-secret"}
    auth = {"Authorization": "Bearer cli-secret"}
    with serve_proxy(["--rate-limit", "2/minute"], env) as server, httpx.Client() as client:
        url = f"{server.base_url}/api/v2/languages"
        refused = client.get(url)
        statuses = [client.get(url, headers=auth).status_code for _ in range(3)]
    assert refused.status_code == 401
    assert statuses == [200, 200, 429]


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Send one header byte every 0.1 s until the server closes the socket or time runs out."""
    sock.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: proxy\r\nX-Slow: ")
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds / 0.1) + 1):
        if time.monotonic() >= deadline:
            break
        try:
            sock.sendall(b"a")
            sock.settimeout(0.1)
            if sock.recv(1024) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def test_a_socket_sending_headers_slowly_is_closed(serve_proxy):
    with serve_proxy(["--no-auth", "--header-timeout", "1"], clean_env()) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as slow:
            started = time.monotonic()
            assert _closed_within(slow, 6)
            assert time.monotonic() - started < 4
        with httpx.Client() as client:
            assert client.get(server.base_url + "/openapi.json").status_code == 200


def test_oversized_headers_get_431(serve_proxy):
    with serve_proxy(["--no-auth"], clean_env()) as server, httpx.Client() as client:
        response = client.get(server.base_url + "/openapi.json", headers={"X-Big": "a" * 20_000})
        normal = client.get(server.base_url + "/openapi.json")
    assert response.status_code == 431
    assert normal.status_code == 200


def test_serve_on_a_busy_port_fails_with_one_line_and_exit_2():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        completed = subprocess.run(
            [sys.executable, "-c", "from harness.cli import main; main()", "serve",
             "--no-auth", "--host", "127.0.0.1", "--port", str(port)],
            env=clean_env(), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert completed.returncode == 2, completed.stderr
    errors = [line for line in completed.stderr.splitlines() if line.startswith("Error")]
    assert errors == [f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert "startup complete" not in completed.stderr


def test_forwarded_for_is_trusted_only_from_allowed_proxies(serve_proxy):
    env = {**clean_env(), "CHATGPT_SECRET": "cli-secret"}
    wrong = {"Authorization": "Bearer wrong"}

    def statuses(server, addresses):
        with httpx.Client() as client:
            return [
                client.get(
                    f"{server.base_url}/api/v2/languages",
                    headers={**wrong, "X-Forwarded-For": address},
                ).status_code
                for address in addresses
            ]

    addresses = ["203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.3"]
    with serve_proxy(["--rate-limit", "2/minute"], env) as server:
        untrusted = statuses(server, addresses)
    args = ["--rate-limit", "2/minute", "--forwarded-allow-ips", "127.0.0.1"]
    with serve_proxy(args, env) as server:
        trusted = statuses(server, [*addresses, "203.0.113.1"])
    assert untrusted == [401, 401, 429, 429]
    assert trusted == [401, 401, 401, 401, 429]
