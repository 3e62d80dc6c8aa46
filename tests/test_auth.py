"""Bearer auth on API routes; the manifest and spec stay public."""

from __future__ import annotations

import hmac

import pytest

from harness.proxy.auth import BearerAuth
from harness.proxy.errors import ProxyError
from harness.proxy.settings import ProxySettings, SettingsError

SECRET = "correct-horse-battery-staple"
UPSTREAM = "https://upstream.test/api/v2"


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer wrong", f"Bearer {SECRET}x", SECRET],
)
def test_refusals(header):
    with pytest.raises(ProxyError) as caught:
        BearerAuth(SECRET).check(header)
    assert caught.value.status == 401
    assert caught.value.headers == {"WWW-Authenticate": "Bearer"}
    assert SECRET not in caught.value.message


def test_valid_token_yields_a_caller_id_that_is_not_the_token():
    caller = BearerAuth(SECRET).check(f"bearer {SECRET}")
    assert caller.startswith("token:")
    assert SECRET not in caller


def test_non_ascii_token_is_refused_not_crashed():
    with pytest.raises(ProxyError):
        BearerAuth(SECRET).check("Bearer caf\u00e9\udcff")


def test_empty_secret_is_a_configuration_error():
    with pytest.raises(ValueError):
        BearerAuth("")


def test_no_secret_without_no_auth_is_refused():
    with pytest.raises(SettingsError, match="--no-auth"):
        ProxySettings().check()
    ProxySettings(no_auth=True).check()


@pytest.fixture
async def client(make_proxy_client):
    async with make_proxy_client(ProxySettings(chatgpt_secret=SECRET, upstream_url=UPSTREAM)) as c:
        yield c


@pytest.mark.respx(base_url=UPSTREAM)
async def test_api_routes_require_the_secret(respx_mock, client):
    route = respx_mock.get("/genres").respond(200, json={"genres": []})
    missing = await client.get("/api/v2/genres")
    wrong = await client.get("/api/v2/genres", headers={"Authorization": "Bearer nope"})
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    assert route.call_count == 0
    ok = await client.get("/api/v2/genres", headers={"Authorization": f"Bearer {SECRET}"})
    assert ok.status_code == 200
    assert route.call_count == 1


async def test_public_routes_need_no_secret(client):
    for path in ("/.well-known/ai-plugin.json", "/openapi.json", "/logo.png", "/legal"):
        assert (await client.get(path)).status_code == 200, path


@pytest.mark.respx(base_url=UPSTREAM)
async def test_no_auth_serves_without_a_token(respx_mock, make_proxy_client):
    respx_mock.get("/languages").respond(200, json={"languages": ["English"]})
    settings = ProxySettings(no_auth=True, upstream_url=UPSTREAM)
    async with make_proxy_client(settings) as client:
        response = await client.get("/api/v2/languages")
    assert response.status_code == 200
    assert response.json() == {"languages": ["English"]}


def test_bearer_check_is_constant_time_compare(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    BearerAuth(SECRET).check(f"Bearer {SECRET}")
    assert calls == [(SECRET.encode(), SECRET.encode())]


def test_settings_repr_hides_secrets():
    settings = ProxySettings(chatgpt_secret=SECRET, listen_api_key="k" * 32)
    assert SECRET not in repr(settings)
    assert "k" * 32 not in repr(settings)
