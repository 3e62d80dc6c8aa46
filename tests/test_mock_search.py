"""`GET /search` on the mock: matching, filters, types, paging, sorting, synthesis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from harness.mock.app import MOCK_BASE_URL, create_mock_app
from harness.mock.text_match import Query


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_mock_app())
    async with httpx.AsyncClient(transport=transport, base_url=MOCK_BASE_URL) as http:
        yield http


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def episode_text(result: dict[str, Any]) -> str:
    return " ".join(
        (
            result["title_original"],
            result["description_original"],
            result["podcast"]["publisher_original"],
        )
    ).lower()


async def test_episode_results_contain_the_query(client: httpx.AsyncClient) -> None:
    body = await search(client, q="startup")
    assert body["count"] == len(body["results"]) == 10
    assert body["total"] >= 10 and body["next_offset"] == 10
    for result in body["results"]:
        assert "startup" in episode_text(result)
        assert '<span class="ln-search-highlight">' in (
            result["title_highlighted"] + result["description_highlighted"]
        )


@pytest.mark.parametrize("kind", ["episode", "podcast", "curated"])
async def test_the_three_result_shapes(client: httpx.AsyncClient, kind: str) -> None:
    result = (await search(client, q="history", type=kind))["results"][0]
    distinctive = {"episode": "podcast", "podcast": "total_episodes", "curated": "podcasts"}
    assert distinctive[kind] in result
    assert {"id", "title_original", "title_highlighted", "listennotes_url"} <= result.keys()
    if kind == "episode":
        assert {"audio", "audio_length_sec", "pub_date_ms"} <= result.keys()
    if kind == "podcast":
        assert {"publisher_original", "genre_ids", "latest_pub_date_ms"} <= result.keys()


async def test_quoted_phrase_is_verbatim(client: httpx.AsyncClient) -> None:
    body = await search(client, q='"star wars"', type="episode")
    assert body["results"]
    for result in body["results"]:
        assert (
            "star wars" in episode_text(result) or "star wars" in result["title_original"].lower()
        )


async def test_only_in_restricts_fields(client: httpx.AsyncClient) -> None:
    body = await search(client, q="python", only_in="title", type="podcast")
    assert body["results"]
    assert all("python" in r["title_original"].lower() for r in body["results"])


async def test_language_region_and_genre_filters(client: httpx.AsyncClient) -> None:
    spanish = await search(client, q="football", type="podcast", language="Spanish")
    assert spanish["results"]
    assert all(r["title_original"] for r in spanish["results"])
    for result in spanish["results"]:
        podcast = (await client.get(f"/podcasts/{result['id']}")).json()
        assert podcast["language"] == "Spanish"
    british = await search(client, q="history", type="podcast", region="gb")
    for result in british["results"]:
        assert (await client.get(f"/podcasts/{result['id']}")).json()["country"] == "United Kingdom"
    tech = await search(client, q="startups", genre_ids="127,140")
    assert tech["results"]
    assert all({127, 140} & set(r["podcast"]["genre_ids"]) for r in tech["results"])


async def test_length_and_date_filters(client: httpx.AsyncClient) -> None:
    body = await search(client, q="music", len_min=10, len_max=30, page_size=10)
    assert body["results"]
    assert all(600 <= r["audio_length_sec"] <= 1800 for r in body["results"])
    after, before = 1_700_000_000_000, 1_760_000_000_000
    dated = await search(client, q="music", published_after=after, published_before=before)
    assert dated["results"]
    assert all(after <= r["pub_date_ms"] < before for r in dated["results"])


async def test_podcast_only_filters(client: httpx.AsyncClient) -> None:
    body = await search(
        client,
        q="science",
        type="podcast",
        episode_count_min=5,
        episode_count_max=8,
        update_freq_min=144,
        update_freq_max=192,
    )
    assert body["results"]
    for result in body["results"]:
        assert 5 <= result["total_episodes"] <= 8
        assert 144 <= result["update_frequency_hours"] <= 192


async def test_safe_mode_ocid_ncid_unique_podcasts(client: httpx.AsyncClient) -> None:
    safe = await search(client, q="comedy", safe_mode=1)
    assert not any(r["explicit_content"] for r in safe["results"])
    star_wars = "4d3fe717742d4963a85562e9f84d8c79"
    only = await search(client, q="star wars", ocid=star_wars)
    assert only["results"] and all(r["podcast"]["id"] == star_wars for r in only["results"])
    without = await search(client, q="star wars", ncid=star_wars)
    assert all(r["podcast"]["id"] != star_wars for r in without["results"])
    unique = await search(client, q="star wars", unique_podcasts=1)
    podcast_ids = [r["podcast"]["id"] for r in unique["results"]]
    assert len(podcast_ids) == len(set(podcast_ids))


async def test_offset_and_page_size_paginate(client: httpx.AsyncClient) -> None:
    whole = await search(client, q="investing", page_size=10)
    first = await search(client, q="investing", page_size=4)
    second = await search(client, q="investing", page_size=4, offset=first["next_offset"])
    assert first["count"] == 4 and first["next_offset"] == 4
    assert [r["id"] for r in first["results"] + second["results"]] == [
        r["id"] for r in whole["results"][:8]
    ]
    beyond = await search(client, q="investing", offset=whole["total"] + 5)
    assert beyond["count"] == 0 and beyond["results"] == []


async def test_sort_by_date(client: httpx.AsyncClient) -> None:
    body = await search(client, q="travel", sort_by_date=1)
    dates = [r["pub_date_ms"] for r in body["results"]]
    assert dates == sorted(dates, reverse=True)


async def test_sparse_query_is_synthesized_and_fetchable(client: httpx.AsyncClient) -> None:
    params = {"q": "quantum knitting", "type": "podcast", "language": "Japanese", "len_max": 20}
    body = await search(client, **params)
    assert body["total"] >= 10
    for result in body["results"]:
        assert "quantum knitting" in result["title_original"].lower()
        assert result["audio_length_sec"] <= 1200
    podcast = (await client.get(f"/podcasts/{body['results'][0]['id']}")).json()
    assert podcast["language"] == "Japanese"
    episode_id = podcast["episodes"][0]["id"]
    assert (await client.get(f"/episodes/{episode_id}")).status_code == 200
    assert await search(client, **params) == body


async def test_contradictory_filters_give_no_results(client: httpx.AsyncClient) -> None:
    body = await search(client, q="quantum knitting", len_min=30, len_max=10)
    assert (body["total"], body["count"], body["results"]) == (0, 0, [])
    unknown = await search(client, q="quantum knitting", language="Klingon")
    assert unknown["total"] == 0


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "q"),
        ({"q": "  "}, "q"),
        ({"q": "a", "type": "foo"}, "type"),
        ({"q": "a", "page_size": "abc"}, "page_size"),
        ({"q": "a", "page_size": 0}, "page_size"),
        ({"q": "a", "page_size": 11}, "page_size"),
        ({"q": "a", "offset": -1}, "offset"),
        ({"q": "a", "sort_by_date": 2}, "sort_by_date"),
        ({"q": "a", "len_min": "ten"}, "len_min"),
        ({"q": "a", "published_after": "yesterday"}, "published_after"),
        ({"q": "a", "genre_ids": "68,tv"}, "genre_ids"),
        ({"q": "a", "only_in": "title,lyrics"}, "only_in"),
        ({"q": "a", "ocid": "1,2,3,4,5,6"}, "ocid"),
        ({"q": "a", "safe_mode": "yes"}, "safe_mode"),
        ({"q": "a", "update_freq_max": "9" * 31}, "update_freq_max"),
        ({"q": "a", "genre_ids": "68," + "9" * 25}, "genre_ids"),
    ],
)
async def test_invalid_search_parameters(
    client: httpx.AsyncClient, params: dict[str, Any], parameter: str
) -> None:
    response = await client.get("/search", params=params)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter


def test_query_parsing_and_highlighting() -> None:
    query = Query.parse('"Star Wars" startups')
    assert query.phrases == (" star war ",) and query.terms == ("startup",)
    assert query.highlight("Startups love Star Wars") == (
        '<span class="ln-search-highlight">Startups</span> love '
        '<span class="ln-search-highlight">Star</span> '
        '<span class="ln-search-highlight">Wars</span>'
    )
    assert query.snippet("x " * 200 + "a startup story").startswith("...")


async def podcast_pages(
    client: httpx.AsyncClient, podcast_id: str, sort: str, pages: int
) -> list[dict[str, Any]]:
    """The episodes of the first ``pages`` pages of ``GET /podcasts/{id}``, cursor to cursor."""
    episodes: list[dict[str, Any]] = []
    cursor = None
    for _ in range(pages):
        params: dict[str, Any] = {"sort": sort}
        if cursor is not None:
            params["next_episode_pub_date"] = cursor
        page = (await client.get(f"/podcasts/{podcast_id}", params=params)).json()
        if not page["episodes"]:
            break
        episodes += page["episodes"]
        cursor = page["next_episode_pub_date"]
    return episodes


async def test_a_podcast_of_250_episodes_pages_through_all_of_them(
    client: httpx.AsyncClient,
) -> None:
    """Its newest episodes are made with it, older ones when a page reaches them: both
    directions page through exactly the podcast's episodes, in order, each one fetchable."""
    body = await search(
        client, q="zzqx cartography", type="podcast", episode_count_min=250, episode_count_max=250
    )
    podcast = body["results"][0]
    assert podcast["total_episodes"] == 250
    newest_first = await podcast_pages(client, podcast["id"], "recent_first", 30)
    oldest_first = await podcast_pages(client, podcast["id"], "oldest_first", 30)
    assert len({e["id"] for e in newest_first}) == len(newest_first) == 250
    assert [e["id"] for e in oldest_first] == [e["id"] for e in reversed(newest_first)]
    dates = [e["pub_date_ms"] for e in newest_first]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == podcast["latest_pub_date_ms"]
    assert dates[-1] == podcast["earliest_pub_date_ms"]
    for episode in (newest_first[0], newest_first[120], newest_first[-1]):
        fetched = (await client.get(f"/episodes/{episode['id']}")).json()
        assert (fetched["title"], fetched["podcast"]["id"]) == (episode["title"], podcast["id"])


async def test_the_largest_episode_count_the_spec_allows_is_served(
    client: httpx.AsyncClient,
) -> None:
    """100,000 episodes: declared and pageable at both ends, none dated before 2005."""
    body = await search(
        client, q="zzqx", type="podcast", episode_count_min=100_000, episode_count_max=100_000
    )
    assert body["results"] and all(r["total_episodes"] == 100_000 for r in body["results"])
    podcast = body["results"][0]
    assert podcast["earliest_pub_date_ms"] >= 1_104_537_600_000
    oldest = await podcast_pages(client, podcast["id"], "oldest_first", 2)
    assert oldest[0]["pub_date_ms"] == podcast["earliest_pub_date_ms"]
    assert [e["pub_date_ms"] for e in oldest] == sorted(e["pub_date_ms"] for e in oldest)
    detail = (await client.get(f"/podcasts/{podcast['id']}")).json()
    assert detail["total_episodes"] == 100_000
    assert detail["episodes"][0]["pub_date_ms"] == podcast["latest_pub_date_ms"]
