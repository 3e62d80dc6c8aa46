"""The proxy through the real ASGI stack in front of the offline mock upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from jsonschema import Draft202012Validator

from harness.mock.faults import Faults
from harness.offline import create_offline_app

SECRET = "test-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}


async def offline_client(faults: Faults | None = None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_offline_app(SECRET, faults=faults)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
        client.headers.update(AUTH)
        yield client
    await app.state.upstream.aclose()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async for c in offline_client():
        yield c


def assert_conforms(spec, operation_id: str, response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    Draft202012Validator(spec.operations[operation_id].response_schema).validate(body)
    return body


async def test_search_get_podcast_recommendations_flow(client, spec):
    found = assert_conforms(
        spec,
        "searchPodcasts",
        await client.get("/api/v2/search_podcasts", params={"q": "startup", "page_size": 3}),
    )
    assert 0 < len(found["results"]) <= 3
    podcast_id = found["results"][0]["id"]
    podcast = assert_conforms(
        spec, "getPodcast", await client.get(f"/api/v2/podcasts/{podcast_id}")
    )
    assert podcast["id"] == podcast_id
    assert_conforms(
        spec,
        "getPodcastRecommendations",
        await client.get(f"/api/v2/podcasts/{podcast_id}/recommendations"),
    )


async def test_search_episodes_then_get_episode(client, spec):
    found = assert_conforms(
        spec,
        "searchEpisodes",
        await client.get("/api/v2/search_episodes", params={"q": "startup", "sort_by_date": 1}),
    )
    episode_id = found["results"][0]["id"]
    episode = assert_conforms(
        spec,
        "getEpisode",
        await client.get(f"/api/v2/episodes/{episode_id}", params={"show_transcript": 1}),
    )
    assert episode["id"] == episode_id


async def test_curated_lists_flow(client, spec):
    lists = assert_conforms(
        spec, "getCuratedPodcasts", await client.get("/api/v2/curated_podcasts")
    )
    list_id = lists["curated_lists"][0]["id"]
    assert_conforms(spec, "getCuratedList", await client.get(f"/api/v2/curated_podcasts/{list_id}"))


@pytest.mark.parametrize(
    ("operation_id", "path", "params"),
    [
        ("getBestPodcasts", "/best_podcasts", {"genre_id": 93, "region": "us"}),
        ("justListen", "/just_listen", {}),
        ("getGenres", "/genres", {"top_level_only": 1}),
        ("getLanguages", "/languages", {}),
        ("getRegions", "/regions", {}),
        ("typeahead", "/typeahead", {"q": "star", "show_podcasts": 1, "show_genres": 1}),
    ],
)
async def test_every_collection_operation_conforms(client, spec, operation_id, path, params):
    assert_conforms(spec, operation_id, await client.get("/api/v2" + path, params=params))


async def test_unknown_id_is_a_json_404(client):
    response = await client.get("/api/v2/podcasts/0000000000000000000000000000dead")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_quota_headers_reach_the_caller(client):
    response = await client.get("/api/v2/genres")
    assert response.headers["X-ListenAPI-FreeQuota"].isdigit()
    assert response.headers["X-ListenAPI-Usage"].isdigit()


@pytest.mark.parametrize(
    ("faults", "status", "code"),
    [
        (Faults(status=429, retry_after=7), 429, "upstream_rate_limited"),
        (Faults(status=500), 502, "upstream_error"),
        (Faults(malformed_json=True), 502, "upstream_invalid_response"),
        (Faults(truncated_body=True), 502, "upstream_invalid_response"),
    ],
)
async def test_upstream_faults_map_to_declared_errors(faults, status, code):
    async for client in offline_client(faults):
        response = await client.get("/api/v2/genres")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    if status == 429:
        assert response.headers["Retry-After"] == "7"


async def test_transient_503_is_retried_away():
    async for client in offline_client(Faults(status=503, probability=0.3, seed=1)):
        statuses = {(await client.get("/api/v2/genres")).status_code for _ in range(10)}
    assert statuses == {200}


@pytest.mark.parametrize(
    "query",
    [
        "q=x&len_min=99999999999999999999999",
        "q=%ff%fe&region=%00%00",
        "q=" + "a" * 5000,
        "q=x&page_size=1&page_size=2",
    ],
)
async def test_extreme_inputs_never_produce_a_server_error(client, query):
    response = await client.get(f"/api/v2/search_podcasts?{query}")
    assert response.status_code in (200, 400, 502)
    if response.status_code != 200:
        assert response.json()["error"]["status"] == response.status_code
