"""The spec loader: the committed contract loads, and broken specs fail with a JSON pointer."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from fakes import write_spec

from harness.contract.load import (
    DEFAULT_SPEC_PATH,
    DEFAULT_UPSTREAM_SPEC_PATH,
    SpecError,
    load_manifest,
    load_spec,
)

PUBLISHED_PLUGIN_OPERATIONS = {
    "searchPodcasts",
    "searchEpisodes",
    "getBestPodcasts",
    "justListen",
    "getGenres",
    "getLanguages",
    "getRegions",
    "getEpisode",
    "getPodcast",
}


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(DEFAULT_SPEC_PATH.read_text())


def test_committed_spec_covers_the_published_plugin() -> None:
    spec = load_spec()
    assert set(spec.operations) >= PUBLISHED_PLUGIN_OPERATIONS
    assert spec.server_path == "/api/v2"
    assert all(op.method == "GET" for op in spec.operations.values())


def test_search_operations_map_to_upstream_search_with_a_fixed_type() -> None:
    spec = load_spec()
    podcasts = spec.operations["searchPodcasts"].upstream
    episodes = spec.operations["searchEpisodes"].upstream
    assert (podcasts.path, podcasts.fixed) == ("/search", {"type": "podcast"})
    assert (episodes.path, episodes.fixed) == ("/search", {"type": "episode"})
    assert episodes.upstream_name("podcast_ids") == "ocid"
    assert episodes.upstream_name("q") == "q"


def test_response_schemas_are_fully_resolved() -> None:
    spec = load_spec()
    for operation in spec.operations.values():
        assert "$ref" not in json.dumps(operation.response_schema), operation.operation_id


def test_every_parameter_is_described_and_typed() -> None:
    for operation in load_spec().operations.values():
        for parameter in operation.parameters:
            assert parameter.description.strip(), (operation.operation_id, parameter.name)
            assert "type" in parameter.schema, (operation.operation_id, parameter.name)


def test_manifest_loads() -> None:
    manifest = load_manifest()
    assert manifest["auth"]["type"] == "service_http"
    assert manifest["description_for_model"].rstrip()[-1] in ".!?"


def test_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "openapi.json"
    path.write_text('{\n  "openapi": "3.1.0",\n  "paths": {,}\n}')
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(path) in str(caught.value)
    assert "line 3" in str(caught.value)


def test_missing_operation_id_names_its_pointer(tmp_path: Path, document: dict) -> None:
    broken = copy.deepcopy(document)
    del broken["paths"]["/genres"]["get"]["operationId"]
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(tmp_path, broken))
    assert caught.value.pointer == "/paths/~1genres/get/operationId"


def test_broken_ref_names_the_reference(tmp_path: Path, document: dict) -> None:
    broken = copy.deepcopy(document)
    content = broken["paths"]["/genres"]["get"]["responses"]["200"]["content"]
    content["application/json"]["schema"] = {"$ref": "#/components/schemas/Nope"}
    with pytest.raises(SpecError, match="unresolvable"):
        load_spec(write_spec(tmp_path, broken))


def test_upstream_param_mapping_must_name_a_declared_parameter(
    tmp_path: Path, document: dict
) -> None:
    broken = copy.deepcopy(document)
    broken["paths"]["/search_episodes"]["get"]["x-upstream"]["params"] = {"nope": "ocid"}
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(tmp_path, broken))
    assert caught.value.pointer == "/paths/~1search_episodes/get/x-upstream/params/nope"


def test_missing_upstream_mapping_is_an_error(tmp_path: Path, document: dict) -> None:
    broken = copy.deepcopy(document)
    del broken["paths"]["/regions"]["get"]["x-upstream"]
    with pytest.raises(SpecError, match="x-upstream"):
        load_spec(write_spec(tmp_path, broken))


def test_duplicate_operation_ids_name_both_places(tmp_path: Path, document: dict) -> None:
    broken = copy.deepcopy(document)
    broken["paths"]["/regions"]["get"]["operationId"] = "getGenres"
    with pytest.raises(SpecError, match="duplicate operationId"):
        load_spec(write_spec(tmp_path, broken))


def test_packaged_upstream_spec_is_the_shared_one() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "upstream" / "podcastapi-openapi.yaml"
    if not shared.is_file():
        pytest.skip(f"{shared} is not beside the repository")
    assert DEFAULT_UPSTREAM_SPEC_PATH.read_bytes() == shared.read_bytes()


def test_a_manifest_failing_the_lint_schema_is_refused_at_load_naming_the_pointer(
    tmp_path: Path,
) -> None:
    manifest = load_manifest()
    del manifest["name_for_model"]
    path = tmp_path / "ai-plugin.json"
    path.write_text(json.dumps(manifest))
    with pytest.raises(SpecError) as caught:
        load_manifest(path)
    assert caught.value.pointer == "/name_for_model"
    assert str(caught.value) == f"{path}: /name_for_model: a required field is missing"
    manifest["name_for_model"] = "podcasts"
    manifest["api"]["type"] = "graphql"
    path.write_text(json.dumps(manifest))
    with pytest.raises(SpecError, match=r"/api/type: 'openapi' was expected"):
        load_manifest(path)


def test_load_and_lint_share_one_manifest_schema() -> None:
    from harness.contract import manifest_schema
    from harness.contract.rules import manifest as manifest_rules

    assert manifest_rules.FIELDS_SCHEMA is manifest_schema.MANIFEST_SCHEMA


def test_eval_refuses_a_manifest_without_name_for_model(tmp_path: Path, monkeypatch) -> None:
    import shutil

    from click.testing import CliRunner

    from harness.cli import main

    repo = Path(__file__).resolve().parents[1]
    shutil.copytree(repo / "specs", tmp_path / "specs")
    shutil.copytree(repo / "prompts", tmp_path / "prompts")
    manifest = json.loads((tmp_path / "specs" / "ai-plugin.json").read_text())
    del manifest["name_for_model"]
    (tmp_path / "specs" / "ai-plugin.json").write_text(json.dumps(manifest))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["eval", "--quiet"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: specs/ai-plugin.json: /name_for_model: a required field is missing"
    )


def test_serve_refuses_a_manifest_without_name_for_model(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from harness.cli import main

    manifest = load_manifest()
    del manifest["name_for_model"]
    path = tmp_path / "ai-plugin.json"
    path.write_text(json.dumps(manifest))
    result = CliRunner().invoke(main, ["serve", "--no-auth", "--manifest", str(path)])
    assert result.exit_code != 0  # the exit code itself is harness serve's exit-code table
    assert f"{path}: /name_for_model: a required field is missing" in result.output


@pytest.mark.parametrize(
    ("url", "server_path"),
    [("https://proxy.example.com/api/v2/", "/api/v2"), ("/api/v2", "/api/v2"), ("/", "")],
)
def test_the_server_path_comes_from_the_first_server_url(
    tmp_path: Path, document: dict, url: str, server_path: str
) -> None:
    changed = copy.deepcopy(document) | {"servers": [{"url": url}]}
    assert load_spec(write_spec(tmp_path, changed)).server_path == server_path


def test_a_relative_server_url_is_refused_naming_the_pointer(tmp_path: Path, document: dict):
    changed = copy.deepcopy(document) | {"servers": [{"url": "api/v2"}]}
    with pytest.raises(SpecError, match="/servers/0/url: server URL must be absolute"):
        load_spec(write_spec(tmp_path, changed))


@pytest.mark.parametrize(
    ("parameter", "pointer", "message"),
    [
        ({"in": "query"}, "/paths/~1genres/get/parameters/1", "a parameter needs 'name' and 'in'"),
        ("top", "/paths/~1genres/get/parameters/1", "a parameter needs 'name' and 'in'"),
        (
            {"name": "x", "in": "header"},
            "/paths/~1genres/get/parameters/1/in",
            "unsupported parameter location 'header'",
        ),
        (
            {"$ref": "#/components/parameters/Nope"},
            "#/components/parameters/Nope",
            "unresolvable $ref",
        ),
    ],
)
def test_a_bad_parameter_is_refused_naming_its_pointer(
    tmp_path: Path, document: dict, parameter: object, pointer: str, message: str
) -> None:
    broken = copy.deepcopy(document)
    broken["paths"]["/genres"]["get"]["parameters"].append(parameter)
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(tmp_path, broken))
    assert (caught.value.pointer, caught.value.message) == (pointer, message)


def test_a_bad_path_level_parameter_is_refused_naming_where_it_is_written(
    tmp_path: Path, document: dict
) -> None:
    broken = copy.deepcopy(document)
    broken["paths"]["/genres"]["parameters"] = [{"name": "x", "in": "cookie"}]
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(tmp_path, broken))
    assert caught.value.pointer == "/paths/~1genres/parameters/0/in"


def test_operation_level_parameters_override_path_level_ones_in_place(
    tmp_path: Path, document: dict
) -> None:
    changed = copy.deepcopy(document)
    item = changed["paths"]["/podcasts/{id}"]
    item["parameters"] = [
        {"name": "id", "in": "path", "description": "Path level.", "schema": {"type": "string"}},
        {"name": "shared", "in": "query", "description": "Shared.", "schema": {"type": "integer"}},
    ]
    parameters = load_spec(write_spec(tmp_path, changed)).operations["getPodcast"].parameters
    assert [p.name for p in parameters] == ["id", "shared", "sort", "next_episode_pub_date"]
    assert parameters[0].description != "Path level."
    assert parameters[1].schema == {"type": "integer"}


def test_a_path_item_or_operation_that_is_not_an_object_is_refused(
    tmp_path: Path, document: dict
) -> None:
    broken = copy.deepcopy(document)
    broken["paths"]["/genres"]["get"] = []
    with pytest.raises(SpecError, match="operation must be an object") as caught:
        load_spec(write_spec(tmp_path, broken))
    assert caught.value.pointer == "/paths/~1genres/get"
    broken["paths"]["/genres"] = "nope"
    with pytest.raises(SpecError, match="path item must be an object") as caught:
        load_spec(write_spec(tmp_path, broken))
    assert caught.value.pointer == "/paths/~1genres"


def test_parameters_that_are_not_a_list_are_refused(tmp_path: Path, document: dict) -> None:
    broken = copy.deepcopy(document)
    broken["paths"]["/genres"]["get"]["parameters"] = {"name": "x", "in": "query"}
    with pytest.raises(SpecError, match="parameters must be a list") as caught:
        load_spec(write_spec(tmp_path, broken))
    assert caught.value.pointer == "/paths/~1genres/get/parameters"


def test_lint_walks_what_load_refuses(document: dict) -> None:
    from harness.contract.operation_walk import iter_operations, operation_parameters

    broken = copy.deepcopy(document)
    broken["paths"]["/genres"]["get"] = []
    broken["paths"]["/regions"] = "nope"
    search = broken["paths"]["/search_podcasts"]
    search["parameters"] = [{"name": "q", "in": "query", "description": "Path level."}]
    search["get"]["parameters"].append({"in": "query"})
    labels = [operation.label for operation in iter_operations(broken)]
    assert "getGenres" not in labels and "getRegions" not in labels
    assert len(labels) == len(document["paths"]) - 2
    operation = next(op for op in iter_operations(broken) if op.label == "searchPodcasts")
    parameters = operation_parameters(broken, operation)
    assert parameters[0].pointer == "/paths/~1search_podcasts/get/parameters/0"
    assert len(parameters) == len(document["paths"]["/search_podcasts"]["get"]["parameters"])
