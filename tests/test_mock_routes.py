"""The mock's routes: auth, quota headers, errors, directory endpoints and determinism."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from harness.mock.app import MOCK_BASE_URL, create_mock_app

STAR_WARS_PODCAST = "4d3fe717742d4963a85562e9f84d8c79"
EXAMPLE_EPISODE = "4d82e50314174754a3b603912448e812"
QUOTA_HEADERS = (
    "X-ListenAPI-FreeQuota",
    "X-ListenAPI-Usage",
    "X-ListenAPI-NextBillingDate",
    "X-listenAPI-Latency-Seconds",
)


Client = httpx.AsyncClient


async def get_json(client: Client, path: str) -> Any:
    """GET `path` and decode the JSON body, whatever the status."""
    return (await client.get(path)).json()


def mock_client(**options: object) -> httpx.AsyncClient:
    """An httpx client driving a mock app in-process."""
    transport = httpx.ASGITransport(app=create_mock_app(**options))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=MOCK_BASE_URL)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with mock_client() as http:
        yield http


async def test_in_process_base_url_with_asgi_transport() -> None:
    transport = httpx.ASGITransport(app=create_mock_app())
    async with httpx.AsyncClient(transport=transport, base_url=MOCK_BASE_URL) as http:
        response = await http.get("/genres")
    assert response.status_code == 200
    assert {"id": 127, "name": "Technology", "parent_id": 67} in response.json()["genres"]


@pytest.mark.parametrize(
    "path",
    [
        "/search?q=python",
        "/typeahead?q=sta",
        "/best_podcasts",
        f"/podcasts/{STAR_WARS_PODCAST}",
        f"/episodes/{EXAMPLE_EPISODE}",
        "/genres",
        "/languages",
        "/regions",
        "/just_listen",
        "/curated_podcasts",
    ],
)
async def test_every_200_carries_quota_headers(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    for header in QUOTA_HEADERS:
        assert header in response.headers
    assert int(response.headers["X-ListenAPI-FreeQuota"]) > 0
    float(response.headers["X-listenAPI-Latency-Seconds"])


async def test_usage_header_counts_requests() -> None:
    async with mock_client() as client:
        usages = [
            int((await client.get("/regions")).headers["X-ListenAPI-Usage"]) for _ in range(3)
        ]
    assert usages == [1, 2, 3]


async def test_api_key_required_when_configured() -> None:
    async with mock_client(api_key="s3cret") as client:
        missing = await client.get("/genres")
        wrong = await client.get("/genres", headers={"X-ListenAPI-Key": "nope"})
        right = await client.get("/genres", headers={"X-ListenAPI-Key": "s3cret"})
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing.json()["status"] == 401
    assert "s3cret" not in missing.text + wrong.text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/podcasts/0000", "Podcast not found"),
        ("/episodes/0000", "Episode not found"),
        ("/curated_podcasts/0000", "Curated list not found"),
        ("/podcasts/0000/recommendations", "Podcast not found"),
        ("/episodes/0000/recommendations", "Episode not found"),
        ("/best_podcasts?genre_id=999999", "Genre not found"),
        ("/no_such_endpoint", "Endpoint not found"),
    ],
)
async def test_unknown_ids_are_json_404s(client: Client, path: str, message: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert message in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/best_podcasts?page=abc", "page"),
        ("/best_podcasts?page=0", "page"),
        ("/best_podcasts?sort=best", "sort"),
        ("/best_podcasts?safe_mode=2", "safe_mode"),
        ("/genres?top_level_only=yes", "top_level_only"),
        ("/curated_podcasts?page=x", "page"),
        (f"/podcasts/{STAR_WARS_PODCAST}?sort=newest", "sort"),
        (f"/podcasts/{STAR_WARS_PODCAST}?next_episode_pub_date=soon", "next_episode_pub_date"),
        ("/typeahead", "q"),
        ("/typeahead?q=a&show_podcasts=true", "show_podcasts"),
    ],
)
async def test_invalid_parameters_are_json_400s(client: Client, path: str, parameter: str) -> None:
    response = await client.get(path)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter


async def test_wrong_method_is_json_405(client: Client) -> None:
    response = await client.post("/genres")
    assert response.status_code == 405
    assert response.json()["status"] == 405


async def test_same_request_same_body(client: Client) -> None:
    for path in ("/search?q=history&type=podcast", "/just_listen", "/best_podcasts?page=2"):
        assert (await client.get(path)).content == (await client.get(path)).content


async def test_genres_top_level_only(client: Client) -> None:
    every = (await get_json(client, "/genres"))["genres"]
    top = (await get_json(client, "/genres?top_level_only=1"))["genres"]
    assert {"id": 140, "name": "Web Design", "parent_id": 127} in every
    assert top and all(genre["parent_id"] == 67 for genre in top)
    assert len(top) < len(every)


async def test_languages_and_regions_from_upstream_examples(client: Client) -> None:
    languages = (await get_json(client, "/languages"))["languages"]
    regions = (await get_json(client, "/regions"))["regions"]
    assert languages[0] == "Any language"
    assert {"English", "Afrikaans", "Japanese"} <= set(languages)
    assert regions["us"] == "United States" and regions["ua"] == "Ukraine"


async def test_best_podcasts_filters_sorts_and_pages(client: Client) -> None:
    body = await get_json(client, "/best_podcasts?genre_id=93&sort=listen_score")
    assert (body["id"], body["name"], body["parent_id"]) == (93, "Business", 67)
    scores = [p["listen_score"] for p in body["podcasts"]]
    assert scores == sorted(scores, reverse=True)
    assert all(93 in p["genre_ids"] for p in body["podcasts"])
    assert body["page_number"] == 1 and body["has_previous"] is False

    overall = await get_json(client, "/best_podcasts?page=1")
    assert overall["id"] == 67 and overall["has_next"] is True and overall["total"] > 20
    second = await get_json(client, "/best_podcasts?page=2")
    assert second["has_previous"] is True and second["previous_page_number"] == 1
    first_ids = {p["id"] for p in overall["podcasts"]}
    assert first_ids.isdisjoint(p["id"] for p in second["podcasts"])


async def test_best_podcasts_language_and_publisher_region(client: Client) -> None:
    body = await get_json(client, "/best_podcasts?region=jp&publisher_region=jp&language=Japanese")
    assert body["podcasts"]
    assert all(p["language"] == "Japanese" and p["country"] == "Japan" for p in body["podcasts"])
    safe = (await get_json(client, "/best_podcasts?safe_mode=1"))["podcasts"]
    assert not any(p["explicit_content"] for p in safe)


async def test_podcast_episodes_paginate_by_pub_date(client: Client) -> None:
    first = await get_json(client, f"/podcasts/{STAR_WARS_PODCAST}")
    assert first["title"].startswith("Star Wars 7x7")
    assert len(first["episodes"]) == 10
    dates = [e["pub_date_ms"] for e in first["episodes"]]
    assert dates == sorted(dates, reverse=True)
    assert first["next_episode_pub_date"] == dates[-1]
    cursor = first["next_episode_pub_date"]
    page_two = f"/podcasts/{STAR_WARS_PODCAST}?next_episode_pub_date={cursor}"
    rest = (await get_json(client, page_two))["episodes"]
    assert rest and all(e["pub_date_ms"] < dates[-1] for e in rest)
    assert len(first["episodes"]) + len(rest) == first["total_episodes"]
    oldest = (await get_json(client, f"/podcasts/{STAR_WARS_PODCAST}?sort=oldest_first"))[
        "episodes"
    ]
    assert oldest[0]["pub_date_ms"] == first["earliest_pub_date_ms"]


async def test_episode_transcript_only_when_asked(client: Client) -> None:
    plain = await get_json(client, f"/episodes/{EXAMPLE_EPISODE}")
    with_transcript = await get_json(client, f"/episodes/{EXAMPLE_EPISODE}?show_transcript=1")
    assert "transcript" not in plain and with_transcript["transcript"]
    assert plain["podcast"]["id"] == STAR_WARS_PODCAST


async def test_recommendations_share_genres(client: Client) -> None:
    podcast = await get_json(client, f"/podcasts/{STAR_WARS_PODCAST}")
    own = set(podcast["genre_ids"]) - {67}
    recommended = await get_json(client, f"/podcasts/{STAR_WARS_PODCAST}/recommendations")
    assert recommended["recommendations"]
    for other in recommended["recommendations"]:
        assert other["id"] != STAR_WARS_PODCAST and own & set(other["genre_ids"])
    episodes = await get_json(client, f"/episodes/{EXAMPLE_EPISODE}/recommendations")
    assert episodes["recommendations"] and "podcast" in episodes["recommendations"][0]


async def test_curated_lists_page_and_detail(client: Client) -> None:
    page = await get_json(client, "/curated_podcasts")
    assert page["total"] >= len(page["curated_lists"]) > 0
    assert all(len(c["podcasts"]) <= 5 for c in page["curated_lists"])
    bookish = await get_json(client, "/curated_podcasts/Vb017Sx3l8F")
    assert bookish["title"] == "7 Bookish Podcasts for Avid Readers On the Go"
    assert bookish["total"] == len(bookish["podcasts"]) == 7


async def test_typeahead_terms_genres_and_podcasts(client: Client) -> None:
    bare = await get_json(client, "/typeahead?q=star")
    assert bare["terms"] and all("star" in term for term in bare["terms"])
    assert "genres" not in bare and "podcasts" not in bare
    full = await get_json(client, "/typeahead?q=tech&show_genres=1&show_podcasts=1")
    assert {"id": 127, "name": "Technology", "parent_id": 67} in full["genres"]
    star = (await get_json(client, "/typeahead?q=star wars&show_podcasts=1"))["podcasts"]
    assert star[0]["id"] == STAR_WARS_PODCAST
    assert '<span class="ln-search-highlight">' in star[0]["title_highlighted"]
