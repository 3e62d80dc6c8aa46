"""`harness fuzz --surface mcp`: property-based tools/call against the MCP endpoint.

Bounded here; ``pytest -m slow`` runs the long one with every fault scenario.
"""

from __future__ import annotations

import json
import os

import httpx2
import mcp_types as types
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from harness.cli import main
from harness.fuzz import mcp as mcp_fuzz
from harness.fuzz.fault_scenarios import FAULT_SCENARIOS, select_scenarios
from harness.fuzz.mcp import (
    McpFuzzOptions,
    jsonrpc_body,
    run_mcp_fault,
    run_mcp_offline,
    run_mcp_url,
)
from harness.fuzz.mcp_arguments import past_the_bounds
from harness.fuzz.mcp_caller import CallOutcome
from harness.fuzz.mcp_checks import MCP_CHECKS, CheckSettings, evaluate
from harness.offline import create_offline_app
from harness.proxy import mcp_server

SECRET = "fuzz-mcp-secret-5e7a1b"


def result(body: dict, is_error: bool, text: str | None = None) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text or json.dumps(body))],
        structured_content=body,
        is_error=is_error,
    )


def failed_checks(outcome: CallOutcome, kind: str = "valid", **options) -> list[str]:
    verdict = evaluate(outcome, kind, None, CheckSettings(**options))
    return [name for name, _ in verdict.failed]


def test_the_bounded_contract_run_exercises_every_check_and_passes() -> None:
    run = run_mcp_offline(McpFuzzOptions(max_examples=8, seed=7), SECRET)
    assert run.ok, [f.as_dict() for f in run.failures] + run.errors
    assert len(run.examples) == 13
    assert set(run.check_names) == set(MCP_CHECKS)
    assert run.check_names["invalid_arguments_rejected"] > 50


@pytest.mark.parametrize(
    "scenario", select_scenarios(("upstream-429", "upstream-500", "upstream-truncated-body"))
)
def test_upstream_faults_map_to_the_documented_statuses(scenario) -> None:
    run = run_mcp_fault(scenario, McpFuzzOptions(max_examples=3, seed=7), SECRET)
    assert run.ok, [f.as_dict() for f in run.failures] + run.errors
    assert "invalid_arguments_rejected" not in run.check_names


def test_a_server_that_accepts_invalid_arguments_is_caught_with_a_minimal_call(
    monkeypatch,
) -> None:
    def lenient(outcome):
        converted = mcp_server.types.CallToolResult(
            content=[types.TextContent(type="text", text=outcome.json().decode())],
            structured_content=outcome.body,
            is_error=outcome.is_error and outcome.status != 400,
        )
        return converted

    monkeypatch.setattr(mcp_server, "call_result", lenient)
    run = run_mcp_offline(McpFuzzOptions(max_examples=20, seed=11), SECRET)
    # an envelope passed off as a result fails the client's own outputSchema validation
    failures = {f.operation: f for f in run.failures if f.check == "output_schema_conformance"}
    assert "tools/call getGenres" in failures
    failure = failures["tools/call getGenres"]
    assert failure.jsonrpc["method"] == "tools/call"
    assert failure.jsonrpc["params"]["name"] == "getGenres"
    # shrunk to one wrong argument
    assert len(failure.jsonrpc["params"]["arguments"]) == 1
    assert "--data-binary" in failure.curl and "$CHATGPT_SECRET" in failure.curl
    assert SECRET not in json.dumps(run.as_dict())


async def test_a_reported_json_rpc_body_replays_without_a_session() -> None:
    app = create_offline_app(SECRET)
    body = jsonrpc_body("getGenres", {"top_level_only": []})
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-11-25",
        "Authorization": f"Bearer {SECRET}",
    }
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            response = await http.post("/mcp", json=body, headers=headers)
    answer = response.json()
    assert answer["id"] == 1
    assert answer["result"]["isError"] is True
    assert answer["result"]["structuredContent"]["error"]["parameter"] == "top_level_only"


def test_the_checks_catch_leaks_traces_bad_envelopes_and_protocol_errors() -> None:
    envelope = {"error": {"status": 400, "code": "invalid_parameter", "message": "Bad."}}
    assert failed_checks(CallOutcome(result(envelope, True)), "invalid") == []
    assert failed_checks(CallOutcome(None, "JSON-RPC error -32603: Internal error")) == [
        "jsonrpc_response"
    ]
    leak = {"results": [SECRET]}
    assert failed_checks(CallOutcome(result(leak, False)), secrets=(SECRET,)) == ["no_secret_leak"]
    trace = {"error": {"status": 502, "code": "x", "message": 'File "/a.py", line 3'}}
    assert "no_stack_trace" in failed_checks(CallOutcome(result(trace, True)), "invalid")
    assert failed_checks(CallOutcome(result({"oops": 1}, True)), "invalid") == [
        "error_envelope",
        "invalid_arguments_rejected",
    ]
    mismatch = result(envelope, True, text='{"error": "other"}')
    assert failed_checks(CallOutcome(mismatch), "invalid") == ["error_envelope"]
    assert failed_checks(CallOutcome(result({"ok": 1}, False)), "invalid") == [
        "invalid_arguments_rejected"
    ]
    not_found = {"error": {"status": 404, "code": "not_found", "message": "No."}}
    assert failed_checks(CallOutcome(result(not_found, True))) == []
    assert failed_checks(
        CallOutcome(result({"ok": 1}, False)), refused_statuses=(502,), success_allowed=False
    ) == ["valid_arguments_accepted"]


def test_mcp_url_fuzzes_a_running_harness_serve(serve_proxy) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LISTEN_API_KEY"}
    env["CHATGPT_SECRET"] = SECRET
    with serve_proxy([], env) as server:
        run = run_mcp_url(server.base_url + "/mcp", McpFuzzOptions(max_examples=3, seed=7), SECRET)
    assert run.ok, [f.as_dict() for f in run.failures] + run.errors
    assert run.total_examples > 13


def test_the_cli_writes_junit_and_json_reports(tmp_path) -> None:
    args = ["fuzz", "--surface", "mcp", "--max-examples", "2", "--seed", "4"]
    args += ["--faults", "upstream-500", "--fault-max-examples", "1"]
    args += ["--report", "junit,json", "--report-dir", str(tmp_path)]
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 0, outcome.output
    assert "mcp-contract: " in outcome.output and "(seed 4)" in outcome.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [run["name"] for run in summary["runs"]] == ["mcp-contract", "mcp-fault-upstream-500"]
    assert (tmp_path / "mcp-contract" / "junit.xml").read_text().count("<testcase ") == 13
    assert json.loads((tmp_path / "mcp-contract" / "mcp.json").read_text())["ok"] is True


def test_the_cli_refuses_mcp_url_without_the_mcp_surface() -> None:
    outcome = CliRunner().invoke(main, ["fuzz", "--mcp-url", "http://127.0.0.1:1/mcp"])
    assert outcome.exit_code == 2
    assert "--mcp-url needs --surface mcp" in outcome.output


def test_an_unreachable_mcp_url_is_an_error_not_a_pass() -> None:
    run = run_mcp_url("http://127.0.0.1:9/mcp", McpFuzzOptions(max_examples=1), None)
    assert not run.ok
    assert run.errors and "cannot connect" in run.errors[0]


@pytest.mark.slow
def test_long_mcp_fuzz_with_every_fault_scenario() -> None:
    runs = [run_mcp_offline(McpFuzzOptions(max_examples=300, seed=20261201), SECRET)]
    runs += [
        run_mcp_fault(scenario, McpFuzzOptions(max_examples=30, seed=20261201), SECRET)
        for scenario in FAULT_SCENARIOS
    ]
    for run in runs:
        assert run.ok, (run.name, [f.as_dict() for f in run.failures] + run.errors)
    assert runs[0].total_examples > 3000


def test_the_fuzz_documents_every_check_it_runs() -> None:
    assert all(name in (mcp_fuzz.__doc__ or "") for name in MCP_CHECKS)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "minimum": 1, "maximum": 50},
        {"type": "number", "minimum": 0.5, "maximum": 2.5},
        {"type": "string", "minLength": 2, "maxLength": 5},
        {"type": "integer", "enum": [0, 1]},
    ],
)
def test_values_past_the_bounds_miss_the_schema_by_a_little(schema: dict) -> None:
    validator = Draft202012Validator(schema)
    misses = past_the_bounds(schema)
    assert misses
    for miss in misses:

        @settings(max_examples=25, database=None, deadline=None)
        @given(from_schema(miss))
        def misses_the_schema(value) -> None:
            assert not validator.is_valid(value), value
            assert type(value) in (int, float, str)

        misses_the_schema()
