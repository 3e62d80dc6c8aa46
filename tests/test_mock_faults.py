"""Fault injection in the mock: error statuses, Retry-After, delays, broken JSON bodies."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from harness.mock.app import MOCK_BASE_URL, create_mock_app
from harness.mock.faults import Faults


def client_for(faults: Faults) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_mock_app(faults=faults))
    return httpx.AsyncClient(transport=transport, base_url=MOCK_BASE_URL)


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_error_status(status: int) -> None:
    async with client_for(Faults(status=status, retry_after=7)) as client:
        response = await client.get("/genres")
    assert response.status_code == status
    assert response.json()["status"] == status
    assert response.headers.get("Retry-After") == ("7" if status in (429, 503) else None)


async def test_probability_faults_a_seeded_fraction() -> None:
    async def statuses(seed: int) -> list[int]:
        async with client_for(Faults(status=500, probability=0.3, seed=seed)) as client:
            return [(await client.get("/regions")).status_code for _ in range(200)]

    first = await statuses(seed=1)
    assert set(first) == {200, 500}
    assert 40 <= first.count(500) <= 80
    assert await statuses(seed=1) == first
    assert await statuses(seed=2) != first


async def test_delay_before_answering() -> None:
    async with client_for(Faults(delay_s=0.2)) as client:
        started = time.perf_counter()
        response = await client.get("/regions")
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.2


async def test_malformed_json_is_a_200_that_does_not_parse() -> None:
    async with client_for(Faults(malformed_json=True)) as client:
        response = await client.get("/genres")
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(response.content))
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


async def test_truncated_body_is_half_the_json() -> None:
    async with client_for(Faults(truncated_body=True)) as client:
        broken = await client.get("/genres")
    async with client_for(Faults(probability=0.0, truncated_body=True)) as client:
        whole = await client.get("/genres")
    assert broken.status_code == whole.status_code == 200
    assert broken.content == whole.content[: len(whole.content) // 2]
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)


async def test_body_faults_leave_errors_alone() -> None:
    async with client_for(Faults(malformed_json=True)) as client:
        response = await client.get("/podcasts/unknown")
    assert response.status_code == 404
    assert response.json()["status"] == 404


async def test_mixed_faults_pick_each_kind() -> None:
    faults = Faults(status=429, malformed_json=True, truncated_body=True, seed=3)
    async with client_for(faults) as client:
        responses = [await client.get("/languages") for _ in range(30)]
    statuses = {r.status_code for r in responses}
    assert statuses == {200, 429}
    bodies = {len(r.content) for r in responses if r.status_code == 200}
    assert len(bodies) == 2  # malformed (full length) and truncated (half)


@pytest.mark.parametrize(
    "options",
    [{"status": 200}, {"probability": 1.5}, {"delay_s": -1}, {"retry_after": -2}],
)
def test_invalid_faults_are_rejected(options: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Faults"):
        Faults(**options)  # type: ignore[arg-type]
