"""`harness eval --affected-by REF`: re-record what a change affects, replay the rest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import respx
from click.testing import CliRunner
from fakes import ANSWERS, API_KEY, MODEL_URL, SUITE, commit_all, fake_model, run_config

from harness.cli import main
from harness.eval.runner import RunConfig, RunError, run_eval
from harness.results import RESULTS_FILE, read_results

REPO = Path(__file__).resolve().parents[1]
NEW_CASE = """\
  - id: best-news
    prompt: the best news podcasts
    expect:
      - operation: getBestPodcasts
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git work tree with the shipped spec and manifest and a three-case suite, committed."""
    root = tmp_path / "repo"
    (root / "specs").mkdir(parents=True)
    for name in ("openapi.json", "ai-plugin.json"):
        shutil.copy(REPO / "specs" / name, root / "specs" / name)
    (root / "suite.yaml").write_text(SUITE, encoding="utf-8")
    commit_all(root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    return root


def config(repo: Path, **overrides) -> RunConfig:
    specs = {"spec": repo / "specs" / "openapi.json", "manifest": repo / "specs" / "ai-plugin.json"}
    return run_config(repo, repo / "suite.yaml", **({"record": "none"} | specs | overrides))


def change_description(repo: Path, operation_id: str, text: str) -> None:
    path = repo / "specs" / "openapi.json"
    spec = json.loads(path.read_text())
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                operation["description"] = text
    path.write_text(json.dumps(spec, indent=2))


@respx.mock(base_url=MODEL_URL)
async def test_only_the_cases_a_change_affects_are_re_recorded(respx_mock, repo: Path) -> None:
    route = respx_mock.post("/chat/completions").mock(side_effect=fake_model)
    await run_eval(config(repo, record="all"))
    assert route.call_count == 3
    change_description(repo, "searchPodcasts", "Find podcasts (shows) by keywords.")
    with (repo / "suite.yaml").open("a") as suite:
        suite.write(NEW_CASE)
    ANSWERS["the best news podcasts"] = [("getBestPodcasts", "{}")]
    try:
        plain = await run_eval(config(repo))
        assert plain.status_counts == {"stale": 4}  # without --affected-by: nothing measured

        summary = await run_eval(config(repo, affected_by="HEAD"))
    finally:
        del ANSWERS["the best news podcasts"]
    assert route.call_count == 3 + 2  # the searchPodcasts case and the new case
    assert summary.run["affected_cases"] == ["best-news", "startup-en"]
    statuses = {r.case_id: r.status for r in read_results(summary.run_dir / RESULTS_FILE)}
    assert statuses == {
        "startup-en": "pass",
        "genres": "fail",
        "weather": "pass",
        "best-news": "pass",
    }
    bodies = [json.loads(call.request.content) for call in route.calls[3:]]
    described = {
        tool["function"]["name"]: tool["function"]["description"] for tool in bodies[0]["tools"]
    }
    assert described["searchPodcasts"] == "Find podcasts (shows) by keywords."

    again = await run_eval(config(repo, affected_by="HEAD"))
    assert route.call_count == 5  # now recorded: everything replays
    assert again.status_counts == {"pass": 3, "fail": 1}


async def test_an_unknown_ref_is_a_harness_error(repo: Path) -> None:
    with pytest.raises(RunError, match="--affected-by no-such-ref"):
        await run_eval(config(repo, affected_by="no-such-ref"))


@respx.mock(base_url=MODEL_URL)
def test_the_cli_says_what_it_re_recorded_and_gates_against_the_baseline(
    respx_mock, repo: Path
) -> None:
    respx_mock.post("/chat/completions").mock(side_effect=fake_model)
    common = ["--suite", "suite.yaml", "--backend", "openai", "--model", "fake-model"]
    common += ["--base-url", MODEL_URL, "--quiet"]
    recorded = CliRunner().invoke(main, ["eval", *common, "--record", "all", "--out", "base"])
    assert recorded.exit_code == 0, recorded.output
    (baseline,) = (repo / "base").iterdir()
    change_description(repo, "getGenres", "List every podcast genre, with its id.")
    args = ["eval", *common, "--affected-by", "HEAD", "--baseline", str(baseline)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "affected by HEAD: 1 of 3 cases re-recorded with fake-model, the rest replayed" in (
        result.output
    )
    assert "newly failing vs" in result.output and "McNemar p = 1" in result.output
