"""The proxy app end to end through the ASGI stack, with the upstream mocked by respx."""

from __future__ import annotations

import orjson
import pytest
from jsonschema import Draft202012Validator

from harness.proxy.ratelimit import Rate
from harness.proxy.settings import ProxySettings

UPSTREAM = "https://upstream.test/api/v2"
SECRET = "proxy-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}
pytestmark = pytest.mark.respx(base_url=UPSTREAM, assert_all_called=False)

SEARCH_REPLY = {
    "took": 0.1,
    "count": 1,
    "total": 40,
    "next_offset": 10,
    "results": [
        {
            "id": "4d3fe717742d4963a85562e9f84d8c79",
            "title_original": "Startup Stories",
            "title_highlighted": "<span>Startup</span> Stories",
            "publisher_original": "Acme Media",
            "description_original": None,
            "rss": "https://example.com/rss",
            "genre_ids": [93, 127],
            "total_episodes": 120,
            "explicit_content": False,
        }
    ],
}


def settings(**overrides) -> ProxySettings:
    return ProxySettings(chatgpt_secret=SECRET, upstream_url=UPSTREAM, **overrides)


@pytest.fixture
async def client(make_proxy_client):
    async with make_proxy_client(settings()) as c:
        yield c


async def test_search_forwards_only_declared_params_with_fixed_and_renames(respx_mock, client):
    route = respx_mock.get("/search").respond(200, json=SEARCH_REPLY)
    response = await client.get(
        "/api/v2/search_podcasts",
        params={
            "q": "startup",
            "language": "English",
            "page_size": "5",
            "type": "episode",
            "api_key": "x",
            "unknown": "1",
        },
        headers=AUTH,
    )
    assert response.status_code == 200
    assert dict(route.calls.last.request.url.params) == {
        "q": "startup",
        "language": "English",
        "page_size": "5",
        "type": "podcast",
    }
    result = response.json()["results"][0]
    assert result["title"] == "Startup Stories"
    assert result["publisher"] == "Acme Media"
    assert result["description"] is None
    assert "title_highlighted" not in result and "rss" not in result
    assert "took" not in response.json()


async def test_parameter_renames_reach_upstream(respx_mock, client):
    route = respx_mock.get("/search").respond(200, json={"count": 0, "results": []})
    response = await client.get(
        "/api/v2/search_episodes", params={"q": "ai", "podcast_ids": "abc,def"}, headers=AUTH
    )
    assert response.status_code == 200
    params = route.calls.last.request.url.params
    assert params["ocid"] == "abc,def" and "podcast_ids" not in params
    assert params["type"] == "episode"


async def test_path_parameters_fill_the_upstream_path(respx_mock, client):
    route = respx_mock.get("/podcasts/4d3fe717742d4963a85562e9f84d8c79/recommendations").respond(
        200, json={"recommendations": []}
    )
    response = await client.get(
        "/api/v2/podcasts/4d3fe717742d4963a85562e9f84d8c79/recommendations",
        params={"safe_mode": "1"},
        headers=AUTH,
    )
    assert response.status_code == 200
    assert route.calls.last.request.url.params["safe_mode"] == "1"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("q=x&page_size=11", "page_size"),
        ("q=x&page_size=abc", "page_size"),
        ("q=x&sort_by_date=2", "sort_by_date"),
        ("q=x&region=USA", "region"),
        ("q=x&len_min=-1", "len_min"),
        ("q=a&q=b", "q"),
        ("page_size=3", "q"),
        ("q=", "q"),
    ],
)
async def test_bad_parameters_are_400_naming_the_parameter(respx_mock, client, query, parameter):
    route = respx_mock.get("/search").respond(200, json=SEARCH_REPLY)
    response = await client.get(f"/api/v2/search_podcasts?{query}", headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["parameter"] == parameter
    assert route.call_count == 0


async def test_non_utf8_query_does_not_crash(respx_mock, client):
    respx_mock.get("/search").respond(200, json=SEARCH_REPLY)
    response = await client.get("/api/v2/search_podcasts?q=%ff%fe%00", headers=AUTH)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    ("upstream_status", "status", "code"),
    [
        (400, 400, "upstream_rejected"),
        (401, 502, "upstream_auth"),
        (404, 404, "not_found"),
        (500, 502, "upstream_error"),
        (503, 502, "upstream_error"),
    ],
)
async def test_upstream_errors_become_json_errors(
    respx_mock, make_proxy_client, upstream_status, status, code
):
    respx_mock.get("/episodes/abc").respond(upstream_status, text="<html>boom</html>")
    async with make_proxy_client(settings(retries=0)) as client:
        response = await client.get("/api/v2/episodes/abc", headers=AUTH)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == {
        "status": status,
        "code": code,
        "message": response.json()["error"]["message"],
    }


async def test_upstream_429_keeps_retry_after(respx_mock, client):
    respx_mock.get("/genres").respond(429, headers={"Retry-After": "30"})
    response = await client.get("/api/v2/genres", headers=AUTH)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert response.json()["error"]["code"] == "upstream_rate_limited"


async def test_head_answers_the_get_headers_without_a_body(respx_mock, client):
    respx_mock.get("/genres").respond(200, json={"genres": [{"id": 93, "name": "Business"}]})
    get = await client.get("/api/v2/genres", headers=AUTH)
    head = await client.head("/api/v2/genres", headers=AUTH)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-type"] == "application/json"
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))


async def test_quota_headers_pass_through(respx_mock, client):
    respx_mock.get("/genres").respond(
        200,
        json={"genres": [{"id": 93, "name": "Business", "parent_id": 67, "extra": 1}]},
        headers={
            "X-ListenAPI-FreeQuota": "10000",
            "X-ListenAPI-Usage": "42",
            "X-ListenAPI-NextBillingDate": "2026-12-01T00:00:00Z",
            "Set-Cookie": "a=b",
        },
    )
    response = await client.get("/api/v2/genres", headers=AUTH)
    assert response.headers["X-ListenAPI-Usage"] == "42"
    assert response.headers["X-ListenAPI-FreeQuota"] == "10000"
    assert response.headers["X-ListenAPI-NextBillingDate"] == "2026-12-01T00:00:00Z"
    assert "set-cookie" not in response.headers


async def test_unshapeable_upstream_body_is_502(respx_mock, client):
    respx_mock.get("/genres").respond(200, json=["not", "an", "object"])
    response = await client.get("/api/v2/genres", headers=AUTH)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_contract"


async def test_unexpected_failure_is_502_not_500(respx_mock, client):
    respx_mock.get("/genres").mock(side_effect=RuntimeError("bug"))
    response = await client.get("/api/v2/genres", headers=AUTH)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "proxy_error"
    assert "bug" not in response.text


async def test_projected_responses_validate_against_the_spec(respx_mock, client, spec):
    respx_mock.get("/search").respond(200, json=SEARCH_REPLY)
    response = await client.get("/api/v2/search_podcasts?q=startup", headers=AUTH)
    schema = spec.operations["searchPodcasts"].response_schema
    Draft202012Validator(schema).validate(response.json())


async def test_unknown_route_and_method_are_json(client):
    missing = await client.get("/api/v2/nope", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = await client.post("/api/v2/genres", headers=AUTH)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["allow"]


async def test_manifest_names_the_request_origin_and_token(make_proxy_client):
    async with make_proxy_client(settings(verification_token="verify-me")) as client:
        manifest = (await client.get("/.well-known/ai-plugin.json")).json()
    assert manifest["api"]["url"] == "http://proxy.test/openapi.json"
    assert manifest["logo_url"] == "http://proxy.test/logo.png"
    assert manifest["legal_info_url"] == "http://proxy.test/legal"
    assert manifest["auth"]["verification_tokens"]["openai"] == "verify-me"


async def test_served_spec_points_at_the_request_origin(client, spec):
    response = await client.get("/openapi.json", headers={"Host": "plugin.example:8443"})
    served = response.json()
    assert served["servers"][0]["url"] == "http://plugin.example:8443/api/v2"
    assert served["paths"].keys() == spec.document["paths"].keys()
    assert b"x-upstream" not in response.content


async def test_logo_and_legal(client):
    logo = await client.get("/logo.png")
    assert logo.headers["content-type"] == "image/png"
    assert logo.content.startswith(b"\x89PNG\r\n\x1a\n")
    legal = await client.get("/legal")
    assert legal.headers["content-type"].startswith("text/html")


async def test_rate_limit_answers_429_with_retry_after(respx_mock, make_proxy_client):
    route = respx_mock.get("/genres").respond(200, json={"genres": []})
    async with make_proxy_client(settings(rate_limit=Rate(2, 60.0))) as client:
        statuses = [
            (await client.get("/api/v2/genres", headers=AUTH)).status_code for _ in range(3)
        ]
        limited = await client.get("/api/v2/genres", headers=AUTH)
    assert statuses == [200, 200, 429]
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"
    assert route.call_count == 2


async def test_cors_is_off_by_default_and_configurable(respx_mock, make_proxy_client, client):
    respx_mock.get("/genres").respond(200, json={"genres": []})
    origin = {"Origin": "https://chat.example"}
    plain = await client.get("/api/v2/genres", headers={**AUTH, **origin})
    assert "access-control-allow-origin" not in plain.headers
    async with make_proxy_client(settings(cors_origins=("https://chat.example",))) as cors:
        allowed = await cors.get("/api/v2/genres", headers={**AUTH, **origin})
        preflight = await cors.options(
            "/api/v2/genres",
            headers={
                **origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
    assert allowed.headers["access-control-allow-origin"] == "https://chat.example"
    assert preflight.status_code == 200


async def test_request_log_records_each_call(respx_mock, make_proxy_client, tmp_path):
    respx_mock.get("/search").respond(200, json=SEARCH_REPLY, headers={"X-ListenAPI-Usage": "7"})
    log_path = tmp_path / "requests.jsonl"
    async with make_proxy_client(settings(request_log=log_path)) as client:
        await client.get("/api/v2/search_podcasts?q=startup&page_size=3&bogus=1", headers=AUTH)
        await client.get("/api/v2/search_podcasts?q=startup&page_size=99", headers=AUTH)
        await client.get("/api/v2/genres")
    ok, invalid, unauthorized = [orjson.loads(line) for line in log_path.read_bytes().splitlines()]
    assert ok["operation"] == "searchPodcasts"
    assert ok["params"] == {"q": "startup", "page_size": 3}
    assert ok["ignored_params"] == ["bogus"]
    assert (ok["status"], ok["upstream_status"]) == (200, 200)
    assert ok["quota"] == {"X-ListenAPI-Usage": "7"}
    assert ok["latency_ms"] >= ok["upstream_latency_ms"] >= 0
    assert "time" in ok
    assert (invalid["status"], invalid["error"], invalid["error_parameter"]) == (
        400,
        "invalid_parameter",
        "page_size",
    )
    assert (unauthorized["operation"], unauthorized["status"]) == ("getGenres", 401)


async def test_offline_default_uses_the_mock_and_says_so(make_proxy_client, caplog):
    caplog.set_level("WARNING", logger="harness.proxy")
    async with make_proxy_client(ProxySettings(no_auth=True)) as client:
        response = await client.get("/api/v2/genres")
    assert response.status_code == 200
    assert "upstream: offline mock (no LISTEN_API_KEY set)" in caplog.text


def test_the_proxy_alone_refuses_to_start_without_an_upstream() -> None:
    """Without a key the proxy does not fall back to its test double; harness.offline does."""
    from harness.offline import create_proxy
    from harness.proxy.app import create_app
    from harness.proxy.settings import SettingsError

    settings = ProxySettings(chatgpt_secret="s3cret-value", listen_api_key=None)
    with pytest.raises(SettingsError, match="no upstream"):
        create_app(settings)
    assert create_proxy(settings).state.upstream.base_url == "http://podcastapi-mock.invalid/api/v2"


@pytest.fixture
def router_calls(monkeypatch) -> list[str]:
    """The paths Starlette's router was asked to route."""
    from starlette.routing import Router

    calls: list[str] = []
    route = Router.__call__

    async def counted(self, scope, receive, send):
        calls.append(scope["path"])
        await route(self, scope, receive, send)

    monkeypatch.setattr(Router, "__call__", counted)
    return calls


async def test_fixed_rest_paths_skip_the_router_and_all_else_takes_it(
    respx_mock, client, make_proxy_client, router_calls
):
    respx_mock.get("/genres").respond(200, json={"genres": [{"id": 93, "name": "Business"}]})
    respx_mock.get("/podcasts/abc").respond(200, json={"id": "abc", "title": "A"})
    assert (await client.get("/api/v2/genres", headers=AUTH)).status_code == 200
    assert (await client.head("/api/v2/genres", headers=AUTH)).status_code == 200
    assert router_calls == []
    post = await client.post("/api/v2/genres", headers=AUTH)
    assert (post.status_code, post.json()["error"]["code"]) == (405, "method_not_allowed")
    await client.get("/api/v2/podcasts/abc", headers=AUTH)  # a path parameter
    assert (await client.get("/openapi.json")).status_code == 200
    assert router_calls == ["/api/v2/genres", "/api/v2/podcasts/abc", "/openapi.json"]

    router_calls.clear()
    async with make_proxy_client(settings(cors_origins=("https://chat.example",))) as cors:
        origin = {"Origin": "https://chat.example"}
        answer = await cors.get("/api/v2/genres", headers={**AUTH, **origin})
    assert answer.headers["access-control-allow-origin"] == "https://chat.example"
    assert router_calls == ["/api/v2/genres"]  # CORS middleware sees every request


async def test_a_root_path_takes_starlettes_way(respx_mock, router_calls):
    import httpx

    from harness.offline import create_proxy

    respx_mock.get("/genres").respond(200, json={"genres": [{"id": 93, "name": "Business"}]})
    app = create_proxy(settings(), upstream_transport=httpx.AsyncHTTPTransport())
    transport = httpx.ASGITransport(app=app, root_path="/gateway")
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
        answer = await client.get("/gateway/api/v2/genres", headers=AUTH)
    await app.state.upstream.aclose()
    assert answer.status_code == 200
    assert router_calls == ["/gateway/api/v2/genres"]
