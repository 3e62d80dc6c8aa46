"""`harness serve` started for real: uvicorn on a free loopback port, in a subprocess."""

from __future__ import annotations

import os

import httpx


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
