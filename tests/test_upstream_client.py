"""The upstream client: key header, retries, and the mapping of upstream failures."""

from __future__ import annotations

import asyncio
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.proxy.upstream import API_KEY_HEADER, UpstreamClient, UpstreamFailure, _quoted

BASE = "https://upstream.test/api/v2"
pytestmark = pytest.mark.respx(base_url=BASE)


def client(**options) -> UpstreamClient:
    """A client on httpx's own transport, which respx mocks (the default aiohttp transport is
    tested against real servers in test_proxy_hardening.py)."""
    return UpstreamClient(
        BASE, retry_backoff_s=0.001, transport=httpx.AsyncHTTPTransport(), **options
    )


async def failure(upstream: UpstreamClient, path: str = "/genres") -> UpstreamFailure:
    with pytest.raises(UpstreamFailure) as caught:
        await upstream.get_json(path, {})
    await upstream.aclose()
    return caught.value


async def test_success_returns_json_and_quota_headers(respx_mock):
    quota = {"X-ListenAPI-FreeQuota": "300", "X-ListenAPI-Usage": "12", "X-Other": "x"}
    route = respx_mock.get("/search").respond(200, json={"results": []}, headers=quota)
    upstream = client(api_key="the-key")
    reply = await upstream.get_json("/search", {"q": "a b", "type": "podcast"})
    await upstream.aclose()
    assert reply.data == {"results": []}
    assert reply.quota == {"X-ListenAPI-FreeQuota": "300", "X-ListenAPI-Usage": "12"}
    request = route.calls.last.request
    assert request.headers[API_KEY_HEADER] == "the-key"
    assert request.url.params["q"] == "a b"
    assert request.url.params["type"] == "podcast"


async def test_no_key_header_without_a_key(respx_mock):
    route = respx_mock.get("/genres").respond(200, json={})
    upstream = client()
    await upstream.get_json("/genres", {})
    await upstream.aclose()
    assert API_KEY_HEADER not in route.calls.last.request.headers


@pytest.mark.parametrize(
    ("upstream_status", "status", "code"),
    [
        (400, 400, "upstream_rejected"),
        (401, 502, "upstream_auth"),
        (403, 502, "upstream_auth"),
        (404, 404, "not_found"),
        (409, 502, "upstream_error"),
        (500, 502, "upstream_error"),
        (502, 502, "upstream_error"),
    ],
)
async def test_status_mapping(respx_mock, upstream_status, status, code):
    respx_mock.get("/genres").respond(upstream_status, json={"error": "x"})
    error = await failure(client())
    assert (error.status, error.code, error.upstream_status) == (status, code, upstream_status)


async def test_429_keeps_retry_after(respx_mock):
    respx_mock.get("/genres").respond(429, headers={"Retry-After": "17"})
    error = await failure(client())
    assert (error.status, error.code) == (429, "upstream_rate_limited")
    assert error.headers == {"Retry-After": "17"}


async def test_503_is_retried_then_succeeds(respx_mock):
    route = respx_mock.get("/genres")
    route.side_effect = [httpx.Response(503), httpx.Response(503), httpx.Response(200, json={})]
    upstream = client(retries=2)
    assert (await upstream.get_json("/genres", {})).data == {}
    await upstream.aclose()
    assert route.call_count == 3


async def test_503_retries_are_bounded(respx_mock):
    route = respx_mock.get("/genres").respond(503)
    error = await failure(client(retries=2))
    assert (error.status, error.code) == (502, "upstream_error")
    assert route.call_count == 3


async def test_connect_errors_are_retried_then_502(respx_mock):
    route = respx_mock.get("/genres").mock(side_effect=httpx.ConnectError("refused"))
    error = await failure(client(retries=1))
    assert (error.status, error.code) == (502, "upstream_unreachable")
    assert route.call_count == 2


async def test_connect_error_then_success(respx_mock):
    route = respx_mock.get("/genres")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json={"ok": 1})]
    upstream = client(retries=1)
    assert (await upstream.get_json("/genres", {})).data == {"ok": 1}
    await upstream.aclose()


async def test_read_timeout_is_504_without_retry(respx_mock):
    route = respx_mock.get("/genres").mock(side_effect=httpx.ReadTimeout("slow"))
    error = await failure(client(retries=3))
    assert (error.status, error.code) == (504, "upstream_timeout")
    assert route.call_count == 1


async def test_connect_timeout_after_retries_is_504(respx_mock):
    route = respx_mock.get("/genres").mock(side_effect=httpx.ConnectTimeout("slow"))
    error = await failure(client(retries=1))
    assert (error.status, error.code) == (504, "upstream_timeout")
    assert route.call_count == 2


async def test_other_transport_errors_are_502(respx_mock):
    respx_mock.get("/genres").mock(side_effect=httpx.RemoteProtocolError("garbage"))
    error = await failure(client())
    assert (error.status, error.code) == (502, "upstream_unreachable")


async def test_invalid_json_is_502(respx_mock):
    respx_mock.get("/genres").respond(200, text="<html>oops</html>")
    error = await failure(client())
    assert (error.status, error.code) == (502, "upstream_invalid_response")


async def test_real_timeout_against_a_silent_loopback_server():
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    upstream = UpstreamClient(f"http://127.0.0.1:{port}", timeout=0.2)
    try:
        with pytest.raises(UpstreamFailure) as caught:
            await asyncio.wait_for(upstream.get_json("/genres", {}), timeout=3)
    finally:
        await upstream.aclose()
        server.close()
    assert (caught.value.status, caught.value.code) == (504, "upstream_timeout")


@given(
    params=st.dictionaries(
        st.text(max_size=8),
        st.text(max_size=8) | st.text(min_size=60, max_size=80),  # remembered, and not
        max_size=4,
    )
)
def test_the_query_string_is_the_one_urlencode_builds(params):
    expected = urlencode(params, quote_via=quote)
    assert "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in params.items()) == expected
