"""Budgets: measured from the request log of a real in-process proxy, checked per target."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx
from click.testing import CliRunner
from fakes import MODEL_URL, run_config, scripted_model

import harness.budgets
from harness.budgets import (
    Budget,
    BudgetConfigError,
    OperationMeasure,
    check_budgets,
    measure,
    parse_budgets,
    percentile,
)
from harness.eval.runner import REQUEST_LOG_FILE, run_eval
from harness.fuzz.cli import fuzz
from harness.offline import create_offline_app
from harness.proxy.request_log import read_records
from harness.report import write_reports

SECRET = "budget-secret"


def op(chars: int = 10, p95_ms: float = 1.0) -> OperationMeasure:
    return OperationMeasure("rest", "searchPodcasts", 1, chars, p95_ms, p95_ms)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([float(v) for v in range(1, 101)], 0.95) == 95.0
    assert percentile([3.0, 1.0, 2.0], 0.95) == 3.0
    assert percentile([7.0], 0.95) == 7.0


def test_measure_groups_by_surface_and_operation() -> None:
    records = [
        {"operation": "getGenres", "latency_ms": 2.0, "response_chars": 10},
        {"operation": "getGenres", "surface": "rest", "latency_ms": 4.0, "response_chars": 30},
        {"operation": "getGenres", "surface": "mcp", "latency_ms": 9.0, "response_chars": 50},
        {"time": "no operation: not an API call"},
    ]
    assert [m.to_dict() for m in measure(records)] == [
        {
            "surface": "mcp",
            "operation": "getGenres",
            "requests": 1,
            "max_response_chars": 50,
            "p95_latency_ms": 9.0,
            "max_latency_ms": 9.0,
        },
        {
            "surface": "rest",
            "operation": "getGenres",
            "requests": 2,
            "max_response_chars": 30,
            "p95_latency_ms": 4.0,
            "max_latency_ms": 4.0,
        },
    ]


@pytest.mark.parametrize(
    ("chars", "p95_ms", "over"),
    [
        (99_999, 44_999.0, []),
        (100_000, 1.0, ["max_response_chars"]),
        (10, 45_000.0, ["p95_latency_ms"]),
    ],
)
def test_gpt_actions_budget(chars: int, p95_ms: float, over: list[str]) -> None:
    report = check_budgets([op(chars, p95_ms)])
    assert [v.measure for v in report.violations] == over
    assert report.passed is not over


def test_nothing_logged_is_reported_as_not_measured() -> None:
    report = check_budgets([])
    assert not report.measured
    assert report.text_lines() == ["budgets: no API call was made; nothing measured"]


def test_config_overrides_a_target_and_adds_another() -> None:
    budgets = parse_budgets(
        {
            "gpt-actions": {"max_latency_s": 5},
            "mcp": {"max_response_chars": 25_000, "max_latency_s": 10},
        },
        "pyproject.toml",
    )
    assert budgets["gpt-actions"] == Budget("gpt-actions", 100_000, 5.0)
    assert budgets["mcp"] == Budget("mcp", 25_000, 10.0)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"gpts": {}}, "tool.harness.budgets.gpts: unknown target"),
        ({"gpt-actions": {"max_chars": 1}}, "tool.harness.budgets.gpt-actions.max_chars: unknown"),
        ({"mcp": {"max_latency_s": 5}}, "tool.harness.budgets.mcp.max_response_chars: missing"),
        ({"gpt-actions": {"max_latency_s": 0}}, "expected a positive number"),
    ],
)
def test_bad_budget_config_names_the_key(table: dict, message: str) -> None:
    with pytest.raises(BudgetConfigError, match=message):
        parse_budgets(table, "pyproject.toml")


async def test_request_log_records_surface_and_the_body_the_caller_received(
    tmp_path: Path,
) -> None:
    log = tmp_path / "requests.jsonl"
    app = create_offline_app(SECRET, request_log=log)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://proxy.local",
        headers={"Authorization": f"Bearer {SECRET}"},
    ) as client:
        ok = await client.get("/api/v2/search_podcasts", params={"q": "café"})
        bad = await client.get("/api/v2/search_podcasts", params={"q": "x", "page_size": 99})
    records = list(read_records(log))
    assert [r["status"] for r in records] == [200, 400]
    assert [r["surface"] for r in records] == ["rest", "rest"]
    assert [r["response_chars"] for r in records] == [len(ok.text), len(bad.text)]
    assert SECRET not in log.read_text()


def test_read_records_skips_a_torn_last_line(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    log.write_text('{"operation": "getGenres"}\n{"operation": "get')
    assert list(read_records(log)) == [{"operation": "getGenres"}]


def test_fuzz_reports_budgets_and_fails_over_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--max-examples", "1", "--seed", "3", "--faults", "none", "--phases", "fuzzing"]
    result = CliRunner().invoke(fuzz, [*args, "--report", "json", "--report-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "budgets passed (gpt-actions)" in result.output
    budgets = json.loads((tmp_path / "summary.json").read_text())["budgets"]
    assert budgets["passed"] and budgets["measured"]
    operations = {row["operation"] for row in budgets["operations"]}
    assert {"searchPodcasts", "getGenres"} <= operations
    assert all(row["max_response_chars"] > 0 for row in budgets["operations"])

    tiny = {"gpt-actions": Budget("gpt-actions", 100, 45.0)}
    monkeypatch.setattr(harness.budgets, "load_budgets", lambda start=None: tiny)
    result = CliRunner().invoke(fuzz, args)
    assert result.exit_code == 1
    assert "is over the budget (must be below 100)" in result.output
    assert "budget violation(s)" in result.output


SUITE = """\
cases:
  - id: startup-en
    prompt: startup podcasts in English
    tags: [search]
    expect:
      - operation: searchPodcasts
        arguments: {q: startup, language: English}
"""


fake_model = scripted_model(
    lambda prompt: [("searchPodcasts", '{"q": "startup", "language": "English"}')]
)


@respx.mock(base_url=MODEL_URL)
async def test_eval_execute_measures_budgets_into_the_reports(
    respx_mock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    respx_mock.post("/chat/completions").mock(side_effect=fake_model)
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    config = run_config(tmp_path, suite, execute=True)
    summary = await run_eval(config)
    assert (summary.run_dir / REQUEST_LOG_FILE).exists()
    write_reports(summary.run_dir)
    budgets = json.loads((summary.run_dir / "aggregates.json").read_text())["budgets"]
    [row] = budgets["operations"]
    assert (row["surface"], row["operation"], row["requests"]) == ("rest", "searchPodcasts", 1)
    assert "**Budgets** (passed;" in (summary.run_dir / "summary.md").read_text()
    assert "Budgets (passed)" in (summary.run_dir / "report.html").read_text()


def test_a_run_without_execute_has_no_budget_section(tmp_path: Path) -> None:
    from harness.report.write import run_budgets

    assert run_budgets(tmp_path) is None


def test_budgets_command_checks_any_request_log(tmp_path: Path) -> None:
    from harness.commands.budgets import budgets

    log = tmp_path / "requests.jsonl"
    log.write_text(
        '{"operation": "getGenres", "surface": "mcp", "latency_ms": 3.0, "response_chars": 500}\n'
        '{"operation": "searchPodcasts", "latency_ms": 9.0, "response_chars": 100000}\n'
    )
    result = CliRunner().invoke(budgets, [str(log), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [(r["surface"], r["operation"]) for r in report["operations"]] == [
        ("mcp", "getGenres"),
        ("rest", "searchPodcasts"),
    ]
    [violation] = report["violations"]
    assert (violation["operation"], violation["measure"]) == (
        "searchPodcasts",
        "max_response_chars",
    )
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = CliRunner().invoke(budgets, [str(empty)])
    assert result.exit_code == 1
    assert "nothing measured" in result.output


def test_fuzz_refuses_a_bad_budget_table_before_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(start: Path | None = None) -> dict:
        raise BudgetConfigError("pyproject.toml: tool.harness.budgets.gpts: unknown target")

    monkeypatch.setattr(harness.budgets, "load_budgets", broken)
    result = CliRunner().invoke(fuzz, ["--max-examples", "1", "--faults", "none"])
    assert result.exit_code == 2
    assert "tool.harness.budgets.gpts: unknown target" in result.output
    assert "contract:" not in result.output


def test_the_mcp_fuzz_measures_budgets_on_the_mcp_surface(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--surface", "mcp", "--max-examples", "2", "--seed", "4", "--faults", "none"]
    result = CliRunner().invoke(fuzz, [*args, "--report", "json", "--report-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "budgets passed (gpt-actions)" in result.output
    budgets = json.loads((tmp_path / "summary.json").read_text())["budgets"]
    assert budgets["passed"] and budgets["measured"]
    assert {row["surface"] for row in budgets["operations"]} == {"mcp"}
    assert "searchPodcasts" in {row["operation"] for row in budgets["operations"]}

    tiny = {"gpt-actions": Budget("gpt-actions", 100, 45.0)}
    monkeypatch.setattr(harness.budgets, "load_budgets", lambda start=None: tiny)
    assert CliRunner().invoke(fuzz, args).exit_code == 1
