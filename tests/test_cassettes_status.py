"""`harness cassettes status` and `prune` against cassettes recorded with the real backend code."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fakes import assistant_message, chat_completion
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness.cassettes.layout import cassette_path
from harness.cassettes.transport import CassetteTransport
from harness.commands.cassettes import cassettes
from harness.contract.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH, load_manifest, load_spec
from harness.contract.tools import operations_to_tools
from harness.eval.backends import OpenAICompatibleBackend
from harness.eval.suite import load_suite

SUITE = """\
cases:
  - id: genres
    prompt: list podcast genres
    expect:
      - operation: getGenres
  - id: languages
    prompt: which languages are there
    expect:
      - operation: getLanguages
"""
MODEL_OPTIONS = ["--backend", "openai", "--model", "tiny", "--base-url", "http://model.test/v1"]


async def answer(request: Request) -> JSONResponse:
    return JSONResponse(chat_completion(assistant_message("no tools needed"), model="tiny"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A suite, spec and manifest copy, and cassettes recorded for one of the two cases."""
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "suite.yaml").write_text(SUITE)
    shutil.copy(DEFAULT_SPEC_PATH, tmp_path / "openapi.json")
    shutil.copy(DEFAULT_MANIFEST_PATH, tmp_path / "ai-plugin.json")
    return tmp_path


async def record(project: Path, case_id: str) -> Path:
    """Record a case's first request as `harness eval` sends it."""
    case = next(c for c in load_suite(project / "prompts").cases if c.id == case_id)
    system = load_manifest(project / "ai-plugin.json")["description_for_model"].strip()
    tools = operations_to_tools(load_spec(project / "openapi.json"))
    backend = OpenAICompatibleBackend("tiny", "http://model.test/v1", "sk-not-a-real-key-000000")
    path = cassette_path(project / "cassettes", "tiny", case.id, 0)
    app = Starlette(routes=[Route("/v1/chat/completions", answer, methods=["POST"])])
    transport = CassetteTransport(path, "once", inner=httpx.ASGITransport(app=app))
    async with transport:
        await backend.complete(
            [{"role": "system", "content": system}, *case.messages], tools, transport=transport
        )
    return path


def record_case(project: Path, case_id: str) -> Path:
    return asyncio.run(record(project, case_id))


def status(project: Path, *extra: str) -> tuple[int, str]:
    options = [
        "status",
        *("--suite", str(project / "prompts"), "--cassettes", str(project / "cassettes")),
        *("--spec", str(project / "openapi.json"), "--manifest", str(project / "ai-plugin.json")),
        *MODEL_OPTIONS,
        *extra,
    ]
    result = CliRunner().invoke(cassettes, options)
    return result.exit_code, result.output


def edit_json(path: Path, edit) -> None:
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


def test_status_lists_fresh_and_missing(project: Path):
    record_case(project, "genres")
    code, output = status(project)
    assert code == 0
    assert "fresh    genres  repeats 0" in output
    assert "missing  languages" in output
    assert output.strip().endswith("1 fresh, 0 stale, 1 missing")
    assert status(project, "--check")[0] == 1


def test_a_changed_tool_description_makes_the_case_stale_naming_the_tool(project: Path):
    record_case(project, "genres")
    edit_json(
        project / "openapi.json",
        lambda d: d["paths"]["/genres"]["get"].update(description="Every genre, with ids."),
    )
    _, output = status(project, "--case", "genres")
    assert "stale    genres  repeats 0  (repeat 0: spec changed: tool getGenres description" in (
        output
    )


def test_a_changed_system_prompt_or_temperature_is_named(project: Path):
    record_case(project, "genres")
    edit_json(project / "ai-plugin.json", lambda d: d.update(description_for_model="Be terse."))
    _, output = status(project, "--case", "genres")
    assert "system prompt changed" in output
    options = ["--case", "genres", "--temperature", "0.5"]
    assert "sampling parameters changed: temperature" in status(project, *options)[1]


def test_prune_removes_cassettes_of_cases_no_longer_in_the_suite(project: Path):
    kept = record_case(project, "genres")
    gone = record_case(project, "languages")
    (project / "prompts" / "suite.yaml").write_text(SUITE.split("  - id: languages")[0])

    dry = CliRunner().invoke(
        cassettes,
        [
            "prune",
            "--dry-run",
            "--suite",
            str(project / "prompts"),
            "--cassettes",
            str(project / "cassettes"),
        ],
    )
    assert f"would remove {gone}" in dry.output and gone.exists()

    CliRunner().invoke(
        cassettes,
        ["prune", "--suite", str(project / "prompts"), "--cassettes", str(project / "cassettes")],
    )
    assert kept.exists() and not gone.exists() and not gone.parent.exists()


def test_strict_tools_without_a_strict_recording_say_so(project: Path):
    record_case(project, "genres")
    _, output = status(project, "--case", "genres", "--strict")
    assert "(repeat 0: no recording with strict tools (recorded without --strict) (" in output
    assert "spec changed" not in output


def test_bad_input_to_status_and_prune_exits_two(project: Path):
    (project / "prompts" / "suite.yaml").write_text("cases:\n  - id: a\n    prompt: [\n")
    code, output = status(project)
    assert code == 2, output
    assert output.startswith("error: ") and "suite.yaml:" in output
    code, output = status(project, "--case", "nope")
    assert code == 2, output
    pruned = CliRunner().invoke(
        cassettes,
        ["prune", "--suite", str(project / "prompts"), "--cassettes", str(project / "cassettes")],
    )
    assert pruned.exit_code == 2, pruned.output
    assert pruned.output.startswith("error: ") and "suite.yaml:" in pruned.output
    (project / "openapi.json").write_text("{")
    (project / "prompts" / "suite.yaml").write_text(SUITE)
    code, output = status(project)
    assert code == 2 and "openapi.json" in output
