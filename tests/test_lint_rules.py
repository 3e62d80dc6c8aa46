"""Each lint rule fires on a targeted defect, at the right JSON pointer, and not on clean input."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.contract.jsondoc import read_document
from harness.contract.lint import LintConfig, LintFinding, run_rules
from harness.contract.rules import RULES, LintInput
from harness.contract.rules.tool_metadata import sensitive_category

FIXTURES = Path(__file__).parent / "fixtures" / "lint"
SPEC = json.loads((FIXTURES / "openapi.json").read_text())
MANIFEST = json.loads((FIXTURES / "ai-plugin.json").read_text())
UPSTREAM = read_document(FIXTURES / "upstream.yaml")
SEARCH = "/paths/~1search_podcasts/get"
PODCAST = "/paths/~1podcasts~1{id}/get"
SEARCH_POST = "/paths/~1search_podcasts/post"
SUBMISSION = {
    "privacy_url": "https://podcasts.example/privacy",
    "terms_url": "https://podcasts.example/terms",
    "support_url": "https://podcasts.example/support",
}


def run(
    spec: dict[str, Any] = SPEC,
    manifest: dict[str, Any] = MANIFEST,
    submission: dict[str, Any] | None = SUBMISSION,
) -> list[LintFinding]:
    findings, _ = run_rules(
        LintInput(spec, manifest, UPSTREAM, submission),
        {"spec": "openapi.json", "manifest": "ai-plugin.json", "config": "pyproject.toml"},
        LintConfig(),
    )
    return findings


def add_post(spec: dict[str, Any], read_only: bool = False) -> dict[str, Any]:
    """A POST twin of searchPodcasts (the linted spec may have non-GET operations)."""
    post = copy.deepcopy(search_op(spec))
    post["operationId"] = "createSearch"
    post["x-tool"]["annotations"]["readOnlyHint"]["value"] = read_only
    spec["paths"]["/search_podcasts"]["post"] = post
    return post


def hints(spec: dict[str, Any]) -> dict[str, Any]:
    return search_op(spec)["x-tool"]["annotations"]


def found(findings: list[LintFinding]) -> set[tuple[str, str]]:
    return {(f.rule, f.pointer) for f in findings}


def search_op(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["paths"]["/search_podcasts"]["get"]


def test_clean_fixture_has_no_findings() -> None:
    assert run() == []


def test_every_rule_ran() -> None:
    _, ran = run_rules(LintInput(SPEC, MANIFEST, UPSTREAM), {}, LintConfig())
    assert ran == list(RULES)


SPEC_DEFECTS: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "bad operationId",
        lambda s: search_op(s).update(operationId="search podcasts!"),
        "operation-id",
        f"{SEARCH}/operationId",
    ),
    (
        "missing operationId",
        lambda s: search_op(s).pop("operationId"),
        "operation-id",
        SEARCH,
    ),
    (
        "duplicate operationId",
        lambda s: s["paths"]["/podcasts/{id}"]["get"].update(operationId="searchPodcasts"),
        "operation-id-unique",
        f"{PODCAST}/operationId",
    ),
    (
        "no operation description",
        lambda s: search_op(s).pop("description"),
        "operation-description",
        SEARCH,
    ),
    (
        "no parameter description",
        lambda s: search_op(s)["parameters"][1].pop("description"),
        "parameter-description",
        f"{SEARCH}/parameters/1",
    ),
    (
        "long description",
        lambda s: search_op(s).update(description="x" * 1025),
        "description-length",
        f"{SEARCH}/description",
    ),
    (
        "header collides with query",
        lambda s: search_op(s)["parameters"].append(
            {"name": "q", "in": "header", "description": "Dup.", "schema": {"type": "string"}}
        ),
        "parameter-collision",
        f"{SEARCH}/parameters/3",
    ),
    (
        "default outside enum",
        lambda s: search_op(s)["parameters"][1]["schema"].update(default=2),
        "default-consistency",
        f"{SEARCH}/parameters/1/schema/default",
    ),
    (
        "default above maximum",
        lambda s: search_op(s)["parameters"][2]["schema"].update(default=11),
        "default-consistency",
        f"{SEARCH}/parameters/2/schema/default",
    ),
    (
        "uniqueItems is not strict",
        lambda s: search_op(s)["parameters"][0]["schema"].update(uniqueItems=True),
        "strict-schema",
        f"{SEARCH}/parameters/0/schema",
    ),
    (
        "unsupported format is not strict",
        lambda s: search_op(s)["parameters"][0]["schema"].update(format="uri"),
        "strict-schema",
        f"{SEARCH}/parameters/0/schema",
    ),
    (
        "summary over the GPT Actions cap",
        lambda s: search_op(s).update(summary="Find podcasts. " * 21),
        "gpt-actions-description-length",
        f"{SEARCH}/summary",
    ),
    (
        "description over the GPT Actions cap",
        lambda s: search_op(s).update(description="x" * 301),
        "gpt-actions-description-length",
        f"{SEARCH}/description",
    ),
    (
        "parameter description over the GPT Actions cap",
        lambda s: search_op(s)["parameters"][1].update(description="x" * 701),
        "gpt-actions-parameter-description-length",
        f"{SEARCH}/parameters/1/description",
    ),
    (
        "POST without x-openai-isConsequential",
        lambda s: add_post(s),
        "gpt-actions-consequential",
        SEARCH_POST,
    ),
    (
        "x-openai-isConsequential not a boolean",
        lambda s: search_op(s).update({"x-openai-isConsequential": "yes"}),
        "gpt-actions-consequential",
        f"{SEARCH}/x-openai-isConsequential",
    ),
    (
        "no title",
        lambda s: search_op(s)["x-tool"].pop("title"),
        "tool-title",
        f"{SEARCH}/x-tool",
    ),
    (
        "no x-tool: no title",
        lambda s: search_op(s).pop("x-tool"),
        "tool-title",
        SEARCH,
    ),
    (
        "no x-tool: every hint defaulted",
        lambda s: search_op(s).pop("x-tool"),
        "tool-annotations",
        SEARCH,
    ),
    (
        "a hint left to its default",
        lambda s: hints(s).pop("openWorldHint"),
        "tool-annotations",
        f"{SEARCH}/x-tool",
    ),
    (
        "a hint without justification",
        lambda s: hints(s)["readOnlyHint"].pop("justification"),
        "tool-annotations",
        f"{SEARCH}/x-tool/annotations/readOnlyHint",
    ),
    (
        "readOnlyHint true on POST",
        lambda s: add_post(s, read_only=True),
        "tool-read-only-method",
        f"{SEARCH_POST}/x-tool/annotations/readOnlyHint",
    ),
    (
        "read-only and destructive",
        lambda s: hints(s)["destructiveHint"].update(value=True),
        "tool-read-only-method",
        f"{SEARCH}/x-tool/annotations/readOnlyHint",
    ),
    (
        "hint value not a boolean",
        lambda s: hints(s).update(readOnlyHint=True),
        "tool-metadata",
        f"{SEARCH}/x-tool/annotations/readOnlyHint",
    ),
    (
        "unknown hint",
        lambda s: hints(s).update(safeHint={"value": True, "justification": "x"}),
        "tool-metadata",
        f"{SEARCH}/x-tool/annotations/safeHint",
    ),
    (
        "input asking for a password",
        lambda s: search_op(s)["parameters"].append(
            {"name": "password", "in": "query", "description": "P.", "schema": {"type": "string"}}
        ),
        "tool-sensitive-input",
        f"{SEARCH}/parameters/3",
    ),
    (
        "input asking for a passport number",
        lambda s: search_op(s)["parameters"].append(
            {
                "name": "passportNumber",
                "in": "query",
                "description": "P.",
                "schema": {"type": "string"},
            }
        ),
        "tool-sensitive-input",
        f"{SEARCH}/parameters/3",
    ),
    (
        "dangling ref",
        lambda s: s["components"]["schemas"]["Podcast"]["properties"].update(
            x={"$ref": "#/components/schemas/Nope"}
        ),
        "openapi-ref",
        "/components/schemas/Podcast/properties/x/$ref",
    ),
    (
        "operationId of the wrong type",
        lambda s: search_op(s).update(operationId=5),
        "openapi-valid",
        f"{SEARCH}/operationId",
    ),
    (
        "invalid schema type inside a parameter",
        lambda s: search_op(s)["parameters"][2]["schema"].update(type="integr"),
        "openapi-valid",
        f"{SEARCH}/parameters/2/schema/type",
    ),
    (
        "no x-upstream",
        lambda s: search_op(s).pop("x-upstream"),
        "upstream-mapping",
        SEARCH,
    ),
    (
        "malformed x-upstream",
        lambda s: search_op(s)["x-upstream"].update(params={"q": 3}),
        "upstream-mapping",
        f"{SEARCH}/x-upstream/params/q",
    ),
    (
        "unknown upstream path",
        lambda s: search_op(s)["x-upstream"].update(path="/search_podcasts"),
        "upstream-path",
        f"{SEARCH}/x-upstream/path",
    ),
    (
        "placeholder without a path parameter",
        lambda s: s["paths"]["/podcasts/{id}"]["get"]["x-upstream"].update(
            path="/podcasts/{podcast_id}"
        ),
        "upstream-path",
        f"{PODCAST}/x-upstream/path",
    ),
    (
        "parameter unknown upstream",
        lambda s: search_op(s)["parameters"].append(
            {"name": "mood", "in": "query", "description": "Mood.", "schema": {"type": "string"}}
        ),
        "upstream-params",
        f"{SEARCH}/parameters/3",
    ),
    (
        "params maps a parameter that does not exist",
        lambda s: search_op(s)["x-upstream"].update(params={"size": "page_size"}),
        "upstream-params",
        f"{SEARCH}/x-upstream/params/size",
    ),
    (
        "fixed value outside the upstream enum",
        lambda s: search_op(s)["x-upstream"].update(fixed={"type": "show"}),
        "upstream-params",
        f"{SEARCH}/x-upstream/fixed/type",
    ),
    (
        "required upstream parameter not supplied",
        lambda s: search_op(s)["parameters"][0].update(required=False),
        "upstream-params",
        f"{SEARCH}/x-upstream",
    ),
    (
        "enum value upstream rejects",
        lambda s: search_op(s)["parameters"][1]["schema"].update(enum=[0, 1, 2]),
        "upstream-params",
        f"{SEARCH}/parameters/1/schema",
    ),
    (
        "free text where upstream has a closed set",
        lambda s: search_op(s)["parameters"][1]["schema"].pop("enum"),
        "closed-set-enum",
        f"{SEARCH}/parameters/1/schema",
    ),
    (
        "response field upstream cannot supply (through a $ref)",
        lambda s: s["components"]["schemas"]["Podcast"]["properties"].update(
            rating={"type": "number"}
        ),
        "upstream-response",
        "/components/schemas/Podcast/properties/rating",
    ),
    (
        "response field type upstream does not supply",
        lambda s: s["components"]["schemas"]["SearchPodcastsResponse"]["properties"].update(
            count={"type": "string"}
        ),
        "upstream-response",
        "/components/schemas/SearchPodcastsResponse/properties/count/type",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "rule", "at"),
    [case[1:] for case in SPEC_DEFECTS],
    ids=[case[0] for case in SPEC_DEFECTS],
)
def test_spec_defect_is_reported(
    mutate: Callable[[dict[str, Any]], None], rule: str, at: str
) -> None:
    spec = copy.deepcopy(SPEC)
    mutate(spec)
    assert (rule, at) in found(run(spec=spec))


def test_rename_supplies_a_renamed_field() -> None:
    spec = copy.deepcopy(SPEC)
    search_op(spec)["x-upstream"]["rename"] = {}
    findings = [f for f in run(spec=spec) if f.rule == "upstream-response"]
    assert [f.pointer for f in findings] == ["/components/schemas/Podcast/properties/title"]


def test_renamed_title_on_get_podcast_is_not_supplied() -> None:
    """Renaming the upstream `title` away leaves nothing to fill the declared `title`."""
    spec = copy.deepcopy(SPEC)
    spec["paths"]["/podcasts/{id}"]["get"]["x-upstream"]["rename"] = {"title": "name"}
    messages = [f.message for f in run(spec=spec) if f.rule == "upstream-response"]
    assert messages == ["getPodcast: upstream response has no field that becomes 'title'"]


def test_tool_count_cap() -> None:
    spec = copy.deepcopy(SPEC)
    template = spec["paths"]["/podcasts/{id}"]
    for index in range(128):
        operation = copy.deepcopy(template)
        operation["get"]["operationId"] = f"op{index}"
        spec["paths"][f"/podcasts{index}/{{id}}"] = operation
    assert ("tool-count", "/paths") in found(run(spec=spec))


def test_gpt_actions_operation_count_is_a_warning() -> None:
    spec = copy.deepcopy(SPEC)
    template = spec["paths"]["/podcasts/{id}"]
    for index in range(29):
        operation = copy.deepcopy(template)
        operation["get"]["operationId"] = f"op{index}"
        spec["paths"][f"/podcasts{index}/{{id}}"] = operation
    [finding] = [f for f in run(spec=spec) if f.rule == "gpt-actions-operation-count"]
    assert (finding.pointer, finding.severity) == ("/paths", "warning")
    assert "31 operations" in finding.message


def test_get_without_consequential_flag_is_fine() -> None:
    assert "gpt-actions-consequential" not in {f.rule for f in run()}


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("user_password", "a credential"),
        ("apiKey", "a credential"),
        ("X-Access-Token", "a credential"),
        ("ssn", "a government id"),
        ("creditCardNumber", "payment card data"),
        ("q", None),
        ("next_page_token", None),
        ("language", None),
    ],
)
def test_sensitive_input_names(name: str, category: str | None) -> None:
    assert sensitive_category(name) == category


def test_submission_urls_missing() -> None:
    findings = [f for f in run(submission=None) if f.rule == "submission-urls"]
    assert [(f.file, f.pointer) for f in findings] == [
        ("pyproject.toml", "/tool/harness/submission")
    ] * 3
    assert "no privacy policy URL: set privacy_url" in findings[0].message


def test_submission_url_must_be_https() -> None:
    submission = {**SUBMISSION, "terms_url": "http://podcasts.example/terms"}
    findings = [f for f in run(submission=submission) if f.rule == "submission-urls"]
    assert [f.pointer for f in findings] == ["/tool/harness/submission/terms_url"]


def test_submission_urls_from_the_manifest() -> None:
    manifest = copy.deepcopy(MANIFEST)
    manifest.update(
        privacy_policy_url="https://podcasts.example/privacy",
        terms_of_service_url="https://podcasts.example/terms",
        support_url="ftp://podcasts.example/support",
    )
    findings = [f for f in run(manifest=manifest, submission=None) if f.rule == "submission-urls"]
    assert [(f.file, f.pointer) for f in findings] == [("ai-plugin.json", "/support_url")]


MANIFEST_DEFECTS: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("missing field", lambda m: m.pop("legal_info_url"), "manifest-fields", ""),
    (
        "wrong schema_version",
        lambda m: m.update(schema_version="v2"),
        "manifest-fields",
        "/schema_version",
    ),
    ("api not openapi", lambda m: m["api"].update(type="rest"), "manifest-fields", "/api/type"),
    (
        "name_for_model with a space",
        lambda m: m.update(name_for_model="podcast search"),
        "manifest-name-for-model",
        "/name_for_model",
    ),
    (
        "name_for_model too long",
        lambda m: m.update(name_for_model="p" * 51),
        "manifest-name-for-model",
        "/name_for_model",
    ),
    (
        "long description_for_human",
        lambda m: m.update(description_for_human="Find podcasts. " * 10),
        "manifest-lengths",
        "/description_for_human",
    ),
    (
        "long name_for_human",
        lambda m: m.update(name_for_human="Podcast Search Deluxe"),
        "manifest-lengths",
        "/name_for_human",
    ),
    (
        "long description_for_model",
        lambda m: m.update(description_for_model="Search podcasts. " * 500),
        "manifest-lengths",
        "/description_for_model",
    ),
    (
        "description without final punctuation",
        lambda m: m.update(description_for_model="Search podcasts"),
        "manifest-punctuation",
        "/description_for_model",
    ),
    (
        "service_http without tokens",
        lambda m: m["auth"].pop("verification_tokens"),
        "manifest-auth",
        "/auth",
    ),
    (
        "unknown authorization_type",
        lambda m: m["auth"].update(authorization_type="digest"),
        "manifest-auth",
        "/auth/authorization_type",
    ),
    (
        "literal verification token",
        lambda m: m["auth"]["verification_tokens"].update(openai="3f9a1c0d5e"),
        "manifest-auth",
        "/auth/verification_tokens/openai",
    ),
    (
        "logo on an unserved path",
        lambda m: m.update(logo_url="http://localhost:8000/static/logo.png"),
        "manifest-urls",
        "/logo_url",
    ),
    (
        "legal on another origin",
        lambda m: m.update(legal_info_url="https://example.org/legal"),
        "manifest-urls",
        "/api/url",
    ),
    (
        "api.url on an operation route",
        lambda m: m["api"].update(url="http://localhost:8000/api/v2/search_podcasts"),
        "manifest-urls",
        "/api/url",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "rule", "at"),
    [case[1:] for case in MANIFEST_DEFECTS],
    ids=[case[0] for case in MANIFEST_DEFECTS],
)
def test_manifest_defect_is_reported(
    mutate: Callable[[dict[str, Any]], None], rule: str, at: str
) -> None:
    manifest = copy.deepcopy(MANIFEST)
    mutate(manifest)
    assert (rule, at) in found(run(manifest=manifest))


@pytest.mark.parametrize(
    "auth",
    [
        {"type": "none"},
        {"type": "user_http", "authorization_type": "bearer"},
        {
            "type": "oauth",
            "client_url": "https://example.com/authorize",
            "scope": "read",
            "authorization_url": "https://example.com/token",
            "authorization_content_type": "application/json",
            "verification_tokens": {"openai": "${OPENAI_OAUTH_TOKEN}"},
        },
    ],
    ids=["none", "user_http", "oauth"],
)
def test_other_auth_forms_are_accepted(auth: dict[str, Any]) -> None:
    manifest = copy.deepcopy(MANIFEST)
    manifest["auth"] = auth
    assert run(manifest=manifest) == []


def test_none_auth_rejects_extra_keys() -> None:
    manifest = copy.deepcopy(MANIFEST)
    manifest["auth"] = {"type": "none", "authorization_type": "bearer"}
    assert "manifest-auth" in {f.rule for f in run(manifest=manifest)}


def test_every_rule_has_a_defect_that_fires_it() -> None:
    fired_elsewhere = {"tool-count", "gpt-actions-operation-count", "submission-urls"}
    covered = {case[2] for case in SPEC_DEFECTS + MANIFEST_DEFECTS} | fired_elsewhere
    assert set(RULES) - covered == set()


def test_a_rule_crashing_on_a_malformed_config_is_reported_not_raised() -> None:
    """`submission-urls` needs no document; a broken table still becomes a finding."""
    broken: Any = 5  # not a table: the rule's lookups raise TypeError
    [finding] = [f for f in run(submission=broken) if f.rule == "submission-urls"]
    assert finding.file == "pyproject.toml"
    assert finding.message.startswith("could not run this rule on the document: TypeError")
