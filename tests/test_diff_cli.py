"""`harness diff` on the command line: exit codes, formats, git refs, the prompt suite."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.commands.diff import diff

PAIRS = Path(__file__).parent / "spec_pairs"
SUITE_YAML = """\
cases:
  - id: search-startup
    prompt: startup podcasts
    expect:
      - operation: searchPodcasts
        arguments: {q: startup}
"""


def invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(diff, [str(a) for a in args])
    return result.exit_code, result.output


def pair(name: str) -> tuple[Path, Path]:
    return PAIRS / name / "old.json", PAIRS / name / "new.json"


def test_breaking_change_exits_one_unless_allowed() -> None:
    code, output = invoke(*pair("parameter-removed"))
    assert code == 1
    assert "parameter-removed" in output and "breaking, prompt-affecting" in output
    code, _ = invoke(*pair("parameter-removed"), "--allow-breaking")
    assert code == 0


def test_non_breaking_change_exits_zero() -> None:
    code, output = invoke(*pair("enum-value-added"))
    assert code == 0, output


def test_json_lists_cases_to_rerun(tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text(SUITE_YAML)
    code, output = invoke(*pair("description-changed"), "--suite", tmp_path, "--format", "json")
    assert code == 0, output
    report = json.loads(output)
    assert report["rerun_cases"] == ["search-startup"]
    assert report["counts"] == {"breaking": 0, "non_breaking": 1, "prompt_affecting": 1}


def test_markdown_has_a_section_per_class() -> None:
    code, output = invoke(*pair("maximum-tightened"), "--format", "markdown")
    assert code == 1
    assert "#### Breaking changes" in output
    assert "#### Prompt-affecting changes" in output
    assert "| searchPodcasts | `constraint-tightened` |" in output


def test_explicit_bad_suite_is_a_usage_error(tmp_path: Path) -> None:
    code, output = invoke(*pair("description-changed"), "--suite", tmp_path / "missing")
    assert code == 2
    assert "missing" in output


def test_unreadable_spec_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "new.json"
    bad.write_text("{\n  nope\n}\n")
    code, output = invoke(PAIRS / "enum-value-added" / "old.json", bad)
    assert code == 2
    assert "new.json:2:" in output


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
@pytest.mark.integration
def test_git_ref_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = pair("operation-removed")
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(old, specs / "openapi.json")

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", "specs/openapi.json")
    git("commit", "-q", "-m", "old spec")
    shutil.copy(new, specs / "openapi.json")
    monkeypatch.chdir(tmp_path)
    code, output = invoke("HEAD:specs/openapi.json", "specs/openapi.json", "--format", "json")
    assert code == 1, output
    assert [c["code"] for c in json.loads(output)["changes"]] == ["operation-removed"]
    code, output = invoke("HEAD:specs/nope.json", "specs/openapi.json")
    assert code == 2
    assert "HEAD:specs/nope.json" in output


def test_a_dangling_ref_is_an_error_naming_its_pointer(tmp_path: Path) -> None:
    old, new = pair("response-field-removed-via-ref")
    document = json.loads(new.read_text())
    schemas = document["components"]["schemas"]
    name = next(iter(schemas))
    del schemas[name]
    broken = tmp_path / "new.json"
    broken.write_text(json.dumps(document))
    code, output = invoke(old, broken)
    assert code == 2, output
    assert f"{broken}: " in output
    assert f"$ref '#/components/schemas/{name}' points nowhere" in output
    assert "/$ref" in output
    assert "breaking" not in output
