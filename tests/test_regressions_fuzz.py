"""Regressions for defects contract fuzzing found in the proxy and its spec.

Each test replays the minimal failing request schemathesis reported (seed in the docstring)
against the in-process proxy wired to the offline mock.
"""

from __future__ import annotations

import httpx
import pytest

from harness.contract.load import load_spec
from harness.offline import create_offline_app

SECRET = "regression-secret-0123456789"
INT64_MAX = 2**63 - 1


@pytest.fixture
async def proxy():
    transport = httpx.ASGITransport(app=create_offline_app(SECRET))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver/api/v2",
        headers={"Authorization": f"Bearer {SECRET}"},
    ) as client:
        yield client


async def test_best_podcasts_documents_the_404_it_returns_for_an_unknown_genre(proxy):
    """status_code_conformance, seed 1: GET /best_podcasts?genre_id=1 -> undocumented 404."""
    response = await proxy.get("/best_podcasts", params={"genre_id": 1})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "404" in load_spec().document["paths"]["/best_podcasts"]["get"]["responses"]


def test_every_integer_parameter_has_a_bound_that_fits_int64():
    """positive_data_acceptance, seed 1: schema-valid 31-digit integers got 400, and
    20-30 digit ones crashed the upstream mock (502 proxy_error)."""
    unbounded = [
        f"{operation.operation_id}.{parameter.name}"
        for operation in load_spec().operations.values()
        for parameter in operation.parameters
        if parameter.schema.get("type") == "integer"
        and "enum" not in parameter.schema
        and not parameter.schema.get("maximum", INT64_MAX + 1) <= INT64_MAX
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/best_podcasts", {"page": "32570951192783405056"}),
        ("/search_podcasts", {"q": "a", "update_freq_max": "2381449001666918417215780814848"}),
        ("/podcasts/abc", {"next_episode_pub_date": "173337916301657547107305118326614654976"}),
    ],
)
async def test_an_out_of_range_integer_is_the_callers_400_not_an_upstream_failure(
    proxy, path, params
):
    response = await proxy.get(path, params=params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["parameter"] in params


@pytest.mark.parametrize("path", ["/search_podcasts", "/search_episodes", "/typeahead"])
@pytest.mark.parametrize("blank", [" ", "\t", "\x1e", "\u3000"])
async def test_a_blank_query_is_refused_by_the_proxy_not_by_the_upstream(proxy, path, blank):
    """positive_data_acceptance, seed 2: GET /search_episodes?q=%1E -> 400 upstream_rejected.

    The spec accepted any non-empty ``q``; the upstream refuses a blank one. The spec must
    say so, so that the proxy refuses it itself, naming the parameter.
    """
    response = await proxy.get(path, params={"q": blank})

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error.get("parameter")) == ("invalid_parameter", "q")
