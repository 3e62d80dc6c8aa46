"""The regression gate and its configuration: exit codes 0, 1, 2 with a one-line reason."""

import json
import shutil
from pathlib import Path

import pytest

from harness.report import ConfigError, GateConfig, evaluate_gate

FIXTURES = Path(__file__).parent / "fixtures" / "runs"
BASELINE, CANDIDATE, STALE = FIXTURES / "baseline", FIXTURES / "candidate", FIXTURES / "stale"
# The candidate run has one errored case (a model server 500): tolerate it where a test is
# about something else.
TOLERANT = GateConfig(max_error_rate=0.05)


def test_tolerated_errors_pass_a_run_without_baseline():
    result = evaluate_gate(CANDIDATE, None, TOLERANT)
    assert result.exit_code == 0
    assert result.reason.startswith("gate passed: pass rate 44.4% (16/36")


def test_baseline_compared_with_itself_passes():
    assert evaluate_gate(BASELINE, BASELINE, GateConfig()).exit_code == 0


def test_critical_case_newly_failing_fails():
    result = evaluate_gate(CANDIDATE, BASELINE, TOLERANT)
    assert result.exit_code == 1
    assert (
        result.reason == "gate failed: 1 critical cases newly failing: search-podcasts-startup-en"
    )
    assert "\n" not in result.reason


def test_overall_and_operation_thresholds():
    result = evaluate_gate(CANDIDATE, None, GateConfig(min_pass_rate=0.5, max_error_rate=0.05))
    assert result.exit_code == 1 and "pass rate 44.4% < min 50.0%" in result.reason
    only_genres = GateConfig(min_operation_pass_rate={"getGenres": 0.5}, max_error_rate=0.05)
    result = evaluate_gate(CANDIDATE, None, only_genres)
    assert result.reason == "gate failed: getGenres pass rate 0.0% < min 50.0%"


def test_significant_regression_fails(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(BASELINE, run)
    results = run / "results.jsonl"
    records = [json.loads(line) for line in results.read_text().splitlines()]
    for record in records:  # every baseline pass becomes a fail, tag critical removed
        record["tags"] = [tag for tag in record["tags"] if tag != "critical"]
        if record["status"] == "pass":
            record.update(status="fail", passed=False, reason="broken")
    results.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = evaluate_gate(run, BASELINE, GateConfig())
    assert result.exit_code == 1
    assert "significant regression: paired pass rate down 58.3%" in result.reason
    # a large tolerated drop lets it through
    assert evaluate_gate(run, BASELINE, GateConfig(max_significant_regression=0.6)).exit_code == 0


def test_stale_cases_are_a_harness_error():
    result = evaluate_gate(STALE, None, GateConfig())
    assert result.exit_code == 2
    assert result.reason == "2 cases stale: just-listen, languages-list"


def test_unreadable_run_is_a_harness_error(tmp_path):
    result = evaluate_gate(tmp_path, None, GateConfig())
    assert result.exit_code == 2 and "no such results file" in result.reason


def write_pyproject(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_config_reads_gate_section(tmp_path):
    path = write_pyproject(
        tmp_path,
        "[tool.harness.gate]\nmin_pass_rate = 0.6\nmin_operation_pass_rate = {getGenres = 0.9}\n"
        'critical_tag = "must"\n',
    )
    config = GateConfig.from_pyproject(path)
    assert config.min_pass_rate == 0.6 and config.critical_tag == "must"
    assert config.operation_threshold("getGenres") == 0.9
    assert config.operation_threshold("getRegions") == 0.0


def test_config_found_from_cwd_upward(tmp_path, monkeypatch):
    write_pyproject(tmp_path, "[tool.harness.gate]\nmin_pass_rate = 0.25\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    assert GateConfig.from_pyproject().min_pass_rate == 0.25


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("min_pass = 0.5", "unknown key 'min_pass'"),
        ("min_pass_rate = 1.5", "min_pass_rate: 1.5 is outside the range"),
        ('min_pass_rate = "high"', "min_pass_rate: expected a number"),
        ("min_operation_pass_rate = {getGenres = -1}", r"min_operation_pass_rate\.getGenres"),
        ("alpha = 1", "alpha: 1 is outside"),
        ("critical_tag = 3", "critical_tag: expected a non-empty string"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, body, message):
    path = write_pyproject(tmp_path, f"[tool.harness.gate]\n{body}\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml \[tool\.harness\.gate\].*" + message):
        GateConfig.from_pyproject(path)


def test_project_pyproject_gate_section_is_valid():
    root = Path(__file__).parent.parent / "pyproject.toml"
    assert GateConfig.from_pyproject(root).alpha == 0.05


def rewrite_run(tmp_path: Path, source: Path, change) -> Path:
    """A copy of ``source`` whose records went through ``change(record)``."""
    run = tmp_path / "run"
    shutil.copytree(source, run)
    results = run / "results.jsonl"
    records = [json.loads(line) for line in results.read_text().splitlines()]
    for record in records:
        change(record)
    results.write_text("".join(json.dumps(r) + "\n" for r in records))
    return run


def errored(record: dict) -> None:
    message = "cannot reach https://api.openai.com/v1: 401 invalid api key"
    record.update(status="error", passed=False, score=0.0, reason=message, error=message)


def test_a_run_where_every_case_errored_fails_with_exit_two_quoting_the_first_error(tmp_path):
    run = rewrite_run(tmp_path, BASELINE, errored)
    result = evaluate_gate(run, None, GateConfig())
    assert result.exit_code == 2
    assert result.reason.startswith("harness error: 36 of 36 runs errored (max 0.0%); first:")
    assert result.reason.endswith(": cannot reach https://api.openai.com/v1: 401 invalid api key")
    assert "\n" not in result.reason
    # even a gate that tolerates every error never passes a run that measured nothing
    tolerant = GateConfig(max_error_rate=1.0)
    result = evaluate_gate(run, None, tolerant)
    assert result.exit_code == 2 and "no case was scored" in result.reason


def test_one_error_fails_by_default_and_is_tolerated_when_configured():
    result = evaluate_gate(CANDIDATE, None, GateConfig())
    assert result.exit_code == 2
    assert "1 of 36 runs errored (max 0.0%); first: just-listen:" in result.reason
    assert evaluate_gate(CANDIDATE, None, GateConfig(max_error_rate=0.05)).exit_code == 0


def test_a_run_whose_cases_are_all_stale_never_passes(tmp_path):
    def stale(record: dict) -> None:
        record.update(status="stale", passed=False, reason="stale cassette: prompt changed")

    run = rewrite_run(tmp_path, BASELINE, stale)
    for config in (GateConfig(), GateConfig(max_error_rate=1.0)):
        result = evaluate_gate(run, None, config)
        assert result.exit_code == 2 and result.reason.startswith("12 cases stale: ")


def test_a_vacuous_threshold_says_only_the_regression_check_is_active():
    result = evaluate_gate(BASELINE, BASELINE, GateConfig())
    assert result.exit_code == 0
    assert "min_pass_rate is 0.0: only the regression check against the baseline is active" in (
        result.reason
    )
    alone = evaluate_gate(BASELINE, None, GateConfig())
    assert "no pass-rate threshold and no baseline" in alone.reason
    strict = evaluate_gate(BASELINE, None, GateConfig(min_pass_rate=0.1))
    assert strict.exit_code == 0 and "only the regression check" not in strict.reason


def test_thresholds_derived_from_a_baseline_let_the_baseline_itself_pass():
    from harness.report.gate import thresholds_from_baseline
    from harness.report.load import load_run

    derived = thresholds_from_baseline(load_run(BASELINE))
    assert 0 < derived.min_pass_rate <= 1
    # the Wilson lower bound of the baseline's own rate, rounded down to whole percent
    assert derived.min_pass_rate == pytest.approx(0.47)
    assert isinstance(derived.min_operation_pass_rate, dict)
    assert evaluate_gate(BASELINE, BASELINE, derived).exit_code == 0
    toml = derived.to_toml()
    assert toml.startswith("[tool.harness.gate]\nmin_pass_rate = 0.47\n")
    assert (
        GateConfig.from_mapping(__import__("tomllib").loads(toml)["tool"]["harness"]["gate"])
        == derived
    )


def test_max_error_rate_is_validated(tmp_path):
    path = write_pyproject(tmp_path, "[tool.harness.gate]\nmax_error_rate = 2\n")
    with pytest.raises(ConfigError, match="max_error_rate: 2 is outside"):
        GateConfig.from_pyproject(path)


def test_report_suggests_thresholds_as_a_pyproject_table(tmp_path):
    from click.testing import CliRunner

    from harness.cli import main

    empty = write_pyproject(tmp_path, "[tool.harness.gate]\n")
    result = CliRunner().invoke(
        main, ["report", str(BASELINE), "--suggest-thresholds", "--pyproject", str(empty)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("[tool.harness.gate]\nmin_pass_rate = 0.47\n")
    assert "getBestPodcasts = 0.43" in result.output


def test_thresholds_table_quotes_operation_names_toml_cannot_leave_bare():
    import tomllib

    config = GateConfig(min_operation_pass_rate={"(no call)": 0.5, "getGenres": 0.25})
    table = tomllib.loads(config.to_toml())["tool"]["harness"]["gate"]
    assert GateConfig.from_mapping(table) == config
