"""`harness mock`: options become the served app's auth and faults."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from harness.cli import main
from harness.mock.app import MOCK_BASE_URL

pytestmark = pytest.mark.integration  # starts servers or subprocesses


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Captures what `harness mock` would hand to uvicorn instead of serving it."""
    captured: dict[str, Any] = {}

    def fake_run(app: Any, **options: Any) -> None:
        captured.update(options, app=app)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return captured


async def get(app: Any, path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=MOCK_BASE_URL) as client:
        return await client.get(path, headers=headers)


async def test_host_port_and_api_key(served: dict[str, Any]) -> None:
    result = CliRunner().invoke(
        main, ["mock", "--host", "127.0.0.1", "--port", "8123", "--api-key", "k1"]
    )
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
    assert "k1" not in result.output
    assert (await get(served["app"], "/genres")).status_code == 401
    assert (await get(served["app"], "/genres", **{"X-ListenAPI-Key": "k1"})).status_code == 200


async def test_fault_options(served: dict[str, Any]) -> None:
    result = CliRunner().invoke(
        main,
        ["mock", "--fault-status", "429", "--fault-probability", "1", "--retry-after", "3"],
    )
    assert result.exit_code == 0, result.output
    response = await get(served["app"], "/genres")
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"


async def test_no_faults_by_default(served: dict[str, Any]) -> None:
    assert CliRunner().invoke(main, ["mock"]).exit_code == 0
    assert (await get(served["app"], "/genres")).status_code == 200


def test_invalid_fault_option_is_a_usage_error(served: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["mock", "--fault-probability", "2"])
    assert result.exit_code == 2 and "--fault-probability" in result.output
    assert not served
