"""The independent official client (PyPI `podcast-api`) works against the mock over TCP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from listennotes import errors, podcast_api

from harness.mock.app import create_mock_app

pytestmark = pytest.mark.integration  # starts servers or subprocesses

API_KEY = "mock-test-key"


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    """The mock served by uvicorn on a free loopback port for the module's tests."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_mock_app(api_key=API_KEY), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "mock server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/api/v2"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def official_client(base_url: str, api_key: str = API_KEY) -> podcast_api.Client:
    client = podcast_api.Client(api_key=api_key, max_retries=0)
    client.api_base = base_url
    client.http_client.session.trust_env = False  # loopback only, whatever the proxy settings
    return client


def test_official_client_calls(mock_url: str) -> None:
    client = official_client(mock_url)

    found = client.search(q="star wars", type="episode", page_size=5, language="English").json()
    assert found["count"] == 5 and "star wars" in found["results"][0]["title_original"].lower()
    suggestions = client.typeahead(q="star", show_podcasts=1, show_genres=1).json()
    assert suggestions["terms"]
    best = client.fetch_best_podcasts(genre_id="93", page=1, region="us", sort="listen_score")
    podcast_id = best.json()["podcasts"][0]["id"]
    podcast = client.fetch_podcast_by_id(id=podcast_id, sort="recent_first").json()
    assert podcast["id"] == podcast_id and podcast["episodes"]
    episode = client.fetch_episode_by_id(id=podcast["episodes"][0]["id"]).json()
    assert episode["podcast"]["id"] == podcast_id
    assert client.fetch_podcast_genres(top_level_only=1).json()["genres"]
    assert "English" in client.fetch_podcast_languages().json()["languages"]
    assert client.fetch_podcast_regions().json()["regions"]["us"] == "United States"
    assert client.just_listen().json()["audio"].startswith("https://")
    curated = client.fetch_curated_podcasts_lists(page=1).json()["curated_lists"]
    assert curated
    detail = client.fetch_curated_podcasts_list_by_id(id=curated[0]["id"]).json()
    assert detail["id"] == curated[0]["id"]
    response = client.fetch_podcast_regions()
    assert int(response.headers["X-ListenAPI-Usage"]) > 0


def test_official_client_error_mapping(mock_url: str) -> None:
    with pytest.raises(errors.AuthenticationError):
        official_client(mock_url, api_key="wrong").fetch_podcast_genres()
    client = official_client(mock_url)
    with pytest.raises(errors.NotFoundError, match="Podcast not found"):
        client.fetch_podcast_by_id(id="does-not-exist")
    with pytest.raises(errors.InvalidRequestError, match="type"):
        client.search(q="star wars", type="foo")
