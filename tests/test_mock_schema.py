"""Mock responses validate against the upstream spec's response schemas (catches shape drift)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest

from harness.contract.load import load_upstream_spec
from harness.mock.app import MOCK_BASE_URL, create_mock_app

STAR_WARS_PODCAST = "4d3fe717742d4963a85562e9f84d8c79"
EXAMPLE_EPISODE = "4d82e50314174754a3b603912448e812"


def validator(schema_name: str) -> jsonschema.Draft202012Validator:
    """A validator for `#/components/schemas/<schema_name>` of the upstream spec."""
    components = load_upstream_spec()["components"]
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    return jsonschema.Draft202012Validator(schema)


def assert_valid(schema_name: str, body: Any) -> None:
    errors = sorted(validator(schema_name).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5]]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_mock_app())
    async with httpx.AsyncClient(transport=transport, base_url=MOCK_BASE_URL) as http:
        yield http


@pytest.mark.parametrize(
    ("path", "schema_name"),
    [
        ("/best_podcasts", "BestPodcastsResponse"),
        ("/best_podcasts?genre_id=140&page=1", "BestPodcastsResponse"),
        (f"/podcasts/{STAR_WARS_PODCAST}", "PodcastFull"),
        (f"/episodes/{EXAMPLE_EPISODE}?show_transcript=1", "EpisodeFull"),
        (f"/podcasts/{STAR_WARS_PODCAST}/recommendations", "GetPodcastRecommendationsResponse"),
        (f"/episodes/{EXAMPLE_EPISODE}/recommendations", "GetEpisodeRecommendationsResponse"),
        ("/genres", "GetGenresResponse"),
        ("/languages", "GetLanguagesResponse"),
        ("/regions", "GetRegionsResponse"),
        ("/just_listen", "EpisodeSimple"),
        ("/curated_podcasts", "GetCuratedPodcastsResponse"),
        ("/curated_podcasts/Vb017Sx3l8F", "CuratedListFull"),
        ("/typeahead?q=star&show_podcasts=1&show_genres=1", "TypeaheadResponse"),
    ],
)
async def test_response_matches_upstream_schema(
    client: httpx.AsyncClient, path: str, schema_name: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert_valid(schema_name, response.json())


@pytest.mark.parametrize(
    ("kind", "result_schema"),
    [
        ("episode", "EpisodeSearchResult"),
        ("podcast", "PodcastSearchResult"),
        ("curated", "CuratedListSearchResult"),
    ],
)
async def test_search_matches_upstream_schema(
    client: httpx.AsyncClient, kind: str, result_schema: str
) -> None:
    body = (await client.get("/search", params={"q": "star wars", "type": kind})).json()
    assert body["results"]
    # SearchResponse.results is a oneOf of three schemas without required properties, so any
    # object matches all three; validate the envelope and each result against its own schema.
    assert_valid("SearchResponse", {**body, "results": []})
    for result in body["results"]:
        assert_valid(result_schema, result)


def test_validation_catches_a_wrong_type() -> None:
    with pytest.raises(AssertionError):
        assert_valid("Genre", {"id": "93", "name": "Business", "parent_id": 67})
