"""The spec-change gate with the real local model: a harmful change fails it, a harmless passes.

A copy of the repository (spec, manifest, suite, the committed Qwen cassettes, the baseline,
the gate thresholds) is committed to a scratch git repository; the test changes the spec in
the work tree and runs `harness eval --affected-by HEAD`, which re-records the affected cases
with Qwen2.5-Coder-1.5B (`harness models fetch qwen2.5-coder-1.5b`), replays the rest and
gates against the baseline.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakes import commit_all

from harness.cli import main
from harness.models.catalog import QWEN_CODER_1_5B, locate

REPO = Path(__file__).resolve().parents[1]
COPIED = ("specs", "prompts", "reports/baseline", "pyproject.toml")
CASSETTES = Path("cassettes") / "qwen2.5-coder-1.5b-instruct-q4_k_m"

pytestmark = pytest.mark.slow


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytest.importorskip("llama_cpp")
    if locate(QWEN_CODER_1_5B) is None:
        pytest.skip(f"run: {QWEN_CODER_1_5B.fetch_command}")
    root = tmp_path / "repo"
    for name in (*COPIED, str(CASSETTES)):
        source, target = REPO / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    commit_all(root)
    monkeypatch.chdir(root)
    return root


def operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def edit_spec(repo: Path, edit: Any) -> None:
    path = repo / "specs" / "openapi.json"
    spec = json.loads(path.read_text())
    edit(operations(spec))
    path.write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")


def gate(repo: Path) -> tuple[int, str]:
    args = ["eval", "--affected-by", "HEAD", "--quiet", "--out", str(repo / "runs")]
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


def parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_a_harmful_parameter_change_fails_the_gate_naming_the_regression(repo: Path) -> None:
    # A copy-paste slip: the id pattern on searchPodcasts' q. The model reads parameter
    # schemas (with chatml-function-calling it does not read tool descriptions, and ignored
    # misleading parameter descriptions when measured), and the calls are scored against
    # the new contract, so every podcast search the baseline passed now fails.
    def break_q(ops: dict[str, dict[str, Any]]) -> None:
        q = parameter(ops["searchPodcasts"], "q")
        q["description"] = "The podcast id, exactly as returned by another operation."
        q["schema"]["pattern"] = "^[0-9a-f]{32}$"

    edit_spec(repo, break_q)
    code, output = gate(repo)
    assert code == 1, output
    assert "affected by HEAD: 28 of 118 cases re-recorded" in output
    assert "significant regression: paired pass rate down" in output
    assert "McNemar p = " in output


def test_a_harmless_wording_change_passes_the_gate(repo: Path) -> None:
    def reword(ops: dict[str, dict[str, Any]]) -> None:
        parameter(ops["getEpisode"], "id")["description"] = (
            "The id of the episode, exactly as another operation returned it "
            "(e.g. 02f0123246c944e289ee2bb90804e41b)."
        )

    edit_spec(repo, reword)
    code, output = gate(repo)
    assert code == 0, output
    assert "affected by HEAD: 7 of 118 cases re-recorded" in output
    assert "gate passed" in output
