"""`harness eval --shard I/N` and `harness report SHARD_DIR...`: a stable split by case id,
merged back into one run, report and gate; shards that do not belong together are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import respx
from click.testing import CliRunner
from fakes import MODEL_URL, constant_model

from harness.cli import main
from harness.eval.shard import Shard, ShardError, shard_index
from harness.eval.suite import load_suite

REPO = Path(__file__).resolve().parents[1]
CASES = 12


def suite_text(count: int = CASES) -> str:
    """Cases genres-0.. expecting getGenres, every third one expecting no call."""
    lines = ["cases:"]
    for index in range(count):
        lines += [f"  - id: genres-{index}", f"    prompt: list the podcast genres ({index})"]
        lines += (
            ["    expect: none"]
            if index % 3 == 0
            else ["    expect:", "      - operation: getGenres"]
        )
    return "\n".join(lines) + "\n"


answer = constant_model([("getGenres", "{}")])
"""A model that always calls getGenres."""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    """Specs, a 12-case suite and its cassettes (2 repeats), as the cwd (default gate)."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "suite.yaml").write_text(suite_text(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-shard-test-key")
    with respx.mock(base_url=MODEL_URL) as mock:
        mock.post("/chat/completions").mock(side_effect=answer)
        recorded = run_eval("--record", "once", "--repeat", "2", "--out", "full")
    assert recorded.exit_code == 0, recorded.output
    return tmp_path


def run_eval(*args: str):
    base = ["eval", "--backend", "openai", "--model", "fake", "--base-url", MODEL_URL, "--quiet"]
    return CliRunner().invoke(main, [*base, *args])


def run_report(*args: str):
    return CliRunner().invoke(main, ["report", *args])


def shard_dirs(workdir: Path, count: int, *extra: str, root: str = "shards") -> list[Path]:
    """Replay every shard of ``count`` into ``root``; return the run directories in order."""
    dirs = []
    for index in range(1, count + 1):
        out = workdir / root / str(index)
        result = run_eval("--shard", f"{index}/{count}", "--out", str(out), *extra)
        assert result.exit_code == 0, result.output
        (run_dir,) = out.iterdir()
        dirs.append(run_dir)
    return dirs


def results(run_dir: Path) -> dict[tuple[str, int], str]:
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    return {(r["case_id"], r["repeat"]): r["status"] for r in map(json.loads, lines)}


def test_every_case_is_in_exactly_one_shard_and_the_split_is_pinned() -> None:
    cases = load_suite(REPO / "prompts").cases
    for count in range(1, 8):
        owners = [[s for s in range(1, count + 1) if Shard(s, count).holds(c.id)] for c in cases]
        assert all(len(owner) == 1 for owner in owners)
    # Pinned: the split must not change between versions, machines or Python hash seeds.
    assert [shard_index(f"case-{n}", 4) for n in range(8)] == [4, 3, 4, 4, 4, 1, 2, 3]


def test_the_split_depends_on_the_case_id_alone() -> None:
    cases = load_suite(REPO / "prompts").cases
    shard = Shard(2, 5)
    kept = [case.id for case in shard.select(cases)]
    edited = cases[::2]  # half the suite removed: the remaining cases stay where they were
    assert [case.id for case in shard.select(edited)] == [
        c for c in kept if c in {e.id for e in edited}
    ]


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_a_bad_shard_value_is_refused(text: str) -> None:
    with pytest.raises(ShardError):
        Shard.parse(text)


def test_a_bad_shard_option_exits_two(workdir: Path) -> None:
    result = run_eval("--shard", "5/4")
    assert result.exit_code == 2
    assert "--shard" in result.output


def test_merged_shards_equal_the_unsharded_run(workdir: Path) -> None:
    (full,) = (workdir / "full").iterdir()
    dirs = shard_dirs(workdir, 3, "--repeat", "2")
    per_shard = [set(results(d)) for d in dirs]
    assert sum(map(len, per_shard)) == CASES * 2
    for run_dir in dirs:
        run = json.loads((run_dir / "run.json").read_text())
        assert run["shard"]["count"] == 3
        # both repeats of a case ran in the same shard
        assert {(case, 0) for case, _ in results(run_dir)} | {
            (case, 1) for case, _ in results(run_dir)
        } == set(results(run_dir))
    merged = run_report(*map(str, dirs), "--out", str(workdir / "merged"), "--gate")
    assert merged.exit_code == 0, merged.output
    (merged_dir,) = (workdir / "merged").iterdir()
    assert results(merged_dir) == results(full)
    assert (merged_dir / "summary.md").exists() and (merged_dir / "junit.xml").exists()
    run = json.loads((merged_dir / "run.json").read_text())
    assert [shard["index"] for shard in run["shards"]] == [1, 2, 3]
    assert "gate passed: pass rate 66.7% (16/24" in merged.output


def test_a_failing_gate_is_deferred_from_the_shard_to_the_merge(workdir: Path) -> None:
    (workdir / "pyproject.toml").write_text("[tool.harness.gate]\nmin_pass_rate = 0.9\n")
    dirs = shard_dirs(workdir, 2)  # each shard exits 0 though its pass rate is below 90%
    merged = run_report(*map(str, dirs), "--out", str(workdir / "merged"), "--gate")
    assert merged.exit_code == 1, merged.output
    assert "gate failed: pass rate 66.7% < min 90.0%" in merged.output


def test_resume_keeps_the_shard(workdir: Path) -> None:
    (first,) = shard_dirs(workdir, 1)  # a 1/1 shard holds every case
    run = json.loads((first / "run.json").read_text())
    run["shard"] = {**run["shard"], "index": 2, "count": 2}
    (first / "run.json").write_text(json.dumps(run))
    (first / "results.jsonl").write_text("")
    resumed = run_eval("--resume", str(first))
    assert resumed.exit_code == 0, resumed.output
    assert {case for case, _ in results(first)} == {
        f"genres-{n}" for n in range(CASES) if Shard(2, 2).holds(f"genres-{n}")
    }


def refused(dirs: list[Path], workdir: Path) -> str:
    result = run_report(*map(str, dirs), "--out", str(workdir / "merged"))
    assert result.exit_code == 2, result.output
    assert not (workdir / "merged").exists() or not any((workdir / "merged").iterdir())
    return result.output


def edit_run(run_dir: Path, **changes: object) -> None:
    run = json.loads((run_dir / "run.json").read_text())
    (run_dir / "run.json").write_text(json.dumps(run | changes))


def test_shards_of_different_specs_are_refused(workdir: Path) -> None:
    dirs = shard_dirs(workdir, 2)
    edit_run(dirs[1], spec_sha256="0" * 64)
    output = refused(dirs, workdir)
    assert f"{dirs[1]}: spec_sha256" in output


def test_shards_of_different_models_are_refused(workdir: Path) -> None:
    dirs = shard_dirs(workdir, 2)
    edit_run(dirs[0], model="other-model")
    assert f"{dirs[1]}: model 'fake' differs from 'other-model' in {dirs[0]}" in refused(
        dirs, workdir
    )


def test_shards_of_an_edited_suite_are_refused(workdir: Path) -> None:
    first = shard_dirs(workdir, 2)
    (workdir / "prompts" / "suite.yaml").write_text(suite_text(CASES - 1), encoding="utf-8")
    second = shard_dirs(workdir, 2, root="edited")
    output = refused([first[0], second[1]], workdir)
    assert f"{second[1]}: its suite's cases differ" in output


def test_a_missing_shard_is_refused(workdir: Path) -> None:
    dirs = shard_dirs(workdir, 3)
    assert "missing shard 2 of 3" in refused([dirs[0], dirs[2]], workdir)


def test_a_shard_given_twice_is_refused(workdir: Path) -> None:
    dirs = shard_dirs(workdir, 2)
    copy = workdir / "copy"
    shutil.copytree(dirs[0], copy)
    assert f"{copy}: shard 1/2 is also {dirs[0]}" in refused([dirs[0], copy, dirs[1]], workdir)


def test_shards_of_different_splits_are_refused(workdir: Path) -> None:
    two = shard_dirs(workdir, 2)
    three = shard_dirs(workdir, 3, root="three")
    assert "split into 3" in refused([two[0], three[1]], workdir)


def test_an_unfinished_shard_is_refused_with_the_resume_command(workdir: Path) -> None:
    dirs = shard_dirs(workdir, 2)
    lines = (dirs[1] / "results.jsonl").read_text().splitlines()
    (dirs[1] / "results.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    output = refused(dirs, workdir)
    assert f"harness eval --resume {dirs[1]}" in output


def test_a_run_made_without_shard_is_refused(workdir: Path) -> None:
    dirs = shard_dirs(workdir, 2)
    (full,) = (workdir / "full").iterdir()
    assert f"{full}: not a shard run" in refused([full, *dirs], workdir)


def test_one_run_directory_is_still_reported_in_place(workdir: Path) -> None:
    (full,) = (workdir / "full").iterdir()
    (full / "summary.md").unlink()
    result = run_report(str(full))
    assert result.exit_code == 0, result.output
    assert (full / "summary.md").exists()
