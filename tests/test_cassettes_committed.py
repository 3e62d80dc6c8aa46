"""The committed cassettes: free of secrets, standard vcrpy files, with their metadata."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from vcr.serialize import deserialize
from vcr.serializers import yamlserializer

from harness.cassettes.layout import iter_cassettes
from harness.cassettes.scan import scan_paths
from harness.cassettes.scrub import secrets_from_env
from harness.models.catalog import KNOWN_MODELS

ROOT = Path(__file__).resolve().parents[1] / "cassettes"
COMMITTED = iter_cassettes(ROOT)
REQUIRED_METADATA = {
    "model",
    "model_version",
    "case_id",
    "case_fingerprint",
    "harness_version",
    "recorded_at",
}


def test_committed_cassettes_contain_no_secrets():
    findings = scan_paths([ROOT], secrets_from_env(os.environ)) if ROOT.is_dir() else []
    assert findings == [], "\n".join(map(str, findings))


def test_cassettes_are_committed():
    assert COMMITTED, f"no cassettes under {ROOT}: the default `harness eval` has nothing to replay"


@pytest.mark.parametrize("found", COMMITTED, ids=lambda found: f"{found.case_id}/{found.repeat}")
def test_each_cassette_loads_in_vcrpy_and_names_its_model_and_case(found):
    requests, responses, metadata = deserialize(found.path.read_text(), yamlserializer)
    assert requests and len(requests) == len(responses)
    assert metadata.keys() >= REQUIRED_METADATA
    assert metadata["case_id"] == found.case_id
    if metadata.get("backend") == "local":
        known = {model.alias: model for model in KNOWN_MODELS.values()}[metadata["model"]]
        assert metadata["model_sha256"] == known.sha256
