"""Loading the suite format: cases, defaults, fingerprints and errors that name file and line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from harness.eval.suite import SCHEMA_PATH, SuiteError, load_suite

REPO = Path(__file__).resolve().parents[1]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


VALID = """
defaults:
  tags: [search]
cases:
  - id: startup-en
    prompt: startup podcasts in English
    tags: [critical, search]
    expect:
      - operation: searchPodcasts
        arguments:
          q: [{contains: startup}]
          language: [English, ""]
          region: no
          published_after: {timestamp: 2023-01-01}
  - id: chat
    messages:
      - {role: user, content: find gardening podcasts}
      - {role: assistant, content: Here are five.}
      - {role: user, content: thanks}
    expect: none
"""


def test_loads_cases_with_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", VALID)
    suite = load_suite(path)
    first, chat = suite.cases
    assert first.id == "startup-en"
    assert first.tags == ("search", "critical")
    assert first.messages == [{"role": "user", "content": "startup podcasts in English"}]
    assert first.prompt == "startup podcasts in English"
    assert first.operations == frozenset({"searchPodcasts"})
    assert (first.source, first.line) == (str(path), 4)
    expected = first.alternatives[0].calls[0]
    assert expected.optional == frozenset({"language"})
    assert expected.line == 8
    assert expected.arguments["region"][0].value == "no"  # YAML 1.2: "no" is not false
    assert expected.arguments["published_after"][0].instant == "2023-01-01"
    assert chat.prompt == "thanks" and chat.expects_no_call and chat.operations == frozenset()
    assert chat.expect == "none"


def test_fingerprint_follows_the_messages_only(tmp_path: Path) -> None:
    original = load_suite(write(tmp_path, "a.yaml", VALID)).cases[0].fingerprint
    assert len(original) == 64
    retagged = VALID.replace("tags: [critical, search]", "tags: [other]")
    assert load_suite(write(tmp_path, "a.yaml", retagged)).cases[0].fingerprint == original
    reworded = VALID.replace("startup podcasts in English", "startup podcasts, English")
    assert load_suite(write(tmp_path, "a.yaml", reworded)).cases[0].fingerprint != original


def test_directory_loads_sorted_yaml_files_and_select(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", "cases:\n  - {id: b1, prompt: hi, expect: none, tags: [x]}\n")
    write(tmp_path, "a.yml", "cases:\n  - {id: a1, prompt: hi, expect: none}\n")
    write(tmp_path, "notes.txt", "not a suite")
    suite = load_suite(tmp_path)
    assert [case.id for case in suite] == ["a1", "b1"]
    assert [case.id for case in suite.select(["x"])] == ["b1"]
    assert [case.id for case in suite.select([], ["a1"])] == ["a1"]
    assert len(suite.select()) == 2


def error_of(path: Path) -> SuiteError:
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    return info.value


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("cases:\n  - id: a\n    prompt: [unclosed\n", 4, "invalid YAML"),
        ("cases:\n  - id: a\n    prompt: hi\n", 2, "'expect' is a required property"),
        (
            "cases:\n  - id: a\n    prompt: hi\n    expect:\n      - operation: getGenres\n"
            "        arguments:\n          top_level_only: {similar: 1}\n",
            7,
            "top_level_only",
        ),
        (
            "cases:\n  - id: a\n    prompt: hi\n    prompt: again\n    expect: none\n",
            4,
            "duplicate key 'prompt'",
        ),
        (
            "cases:\n  - id: a\n    messages:\n      - {role: user, content: hi}\n"
            "      - {role: assistant, content: ok}\n    expect: none\n",
            5,
            "last message must be a user turn",
        ),
        (
            "cases:\n  - id: a\n    prompt: hi\n    expect:\n      - operation: getPodcast\n"
            "        arguments:\n          id:\n            - ''\n"
            "            - {regex: '[a-', example: a}\n",
            9,
            "id: invalid regex",
        ),
        (
            "cases:\n  - id: a\n    prompt: hi\n    expect:\n      - operation: searchEpisodes\n"
            "        arguments:\n          published_after: {timestamp: soon}\n",
            7,
            "not an ISO date",
        ),
        ("cases:\n  - id: a\n    prompt: hi\n    expect: maybe\n", 4, "cases/0/expect"),
        ("cases:\n  - id: Bad Id\n    prompt: hi\n    expect: none\n", 2, "cases/0/id"),
        ("cases:\n  - id: a\n    prompt: hi\n    messages: []\n    expect: none\n", 2, "cases/0"),
        ("", 1, "empty suite file"),
        ("- just a list\n", 1, "(top level)"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, "bad.yaml", text) if text else tmp_path / "bad.yaml"
    if not text:
        path.write_text("")
    error = error_of(path)
    assert (error.file, error.line) == (str(path), line), str(error)
    assert message in error.message
    assert str(error).startswith(f"{path}:{line}: ")


def test_duplicate_ids_across_files_name_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", "cases:\n  - {id: same, prompt: hi, expect: none}\n")
    second = write(
        tmp_path,
        "b.yaml",
        "cases:\n  - {id: other, prompt: x, expect: none}\n"
        "  - {id: same, prompt: yo, expect: none}\n",
    )
    error = error_of(tmp_path)
    assert (error.file, error.line) == (str(second), 3)
    assert f"first defined at {first}:2" in error.message


def test_missing_paths(tmp_path: Path) -> None:
    assert "no such file" in error_of(tmp_path / "missing.yaml").message
    assert "no *.yaml" in error_of(tmp_path).message


UNKNOWN_OPERATION = """
cases:
  - id: best
    prompt: best podcasts
    expect:
      - operation: getBestPodcastz
        arguments: {genre_id: 93}
"""

UNKNOWN_ARGUMENT = """
cases:
  - id: best
    prompt: best podcasts
    expect:
      any_of:
        - - operation: getBestPodcasts
            arguments: {genre_id: 93}
        - - operation: getBestPodcasts
            arguments:
              genre_id: 93
              regoin: us
"""


def test_an_unknown_operation_is_a_suite_error_with_a_suggestion(tmp_path: Path) -> None:
    from harness.contract.load import load_spec

    path = write(tmp_path, "a.yaml", UNKNOWN_OPERATION)
    load_suite(path)  # without a spec the names cannot be checked
    with pytest.raises(SuiteError) as caught:
        load_suite(path, spec=load_spec(REPO / "specs" / "openapi.json"))
    assert str(caught.value) == (
        f"{path}:5: unknown operation 'getBestPodcastz'; did you mean getBestPodcasts?"
    )


def test_an_unknown_argument_name_is_a_suite_error_with_a_suggestion(tmp_path: Path) -> None:
    from harness.contract.load import load_spec

    path = write(tmp_path, "a.yaml", UNKNOWN_ARGUMENT)
    with pytest.raises(SuiteError) as caught:
        load_suite(path, spec=load_spec(REPO / "specs" / "openapi.json"))
    assert str(caught.value) == (
        f"{path}:11: getBestPodcasts has no parameter 'regoin'; did you mean region?"
    )


def test_the_shipped_suite_names_only_real_operations_and_parameters() -> None:
    from harness.contract.load import load_spec

    assert len(load_suite(REPO / "prompts", spec=load_spec(REPO / "specs" / "openapi.json"))) > 100


def test_the_suite_schema_is_a_valid_json_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    assert validator_class is jsonschema.Draft202012Validator
