"""Plugin manifest (`ai-plugin.json`) rules: fields, names, descriptions, URLs, auth."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from harness.contract.jsondoc import pointer, server_path
from harness.contract.manifest_schema import MANIFEST_SCHEMA
from harness.contract.operation_walk import iter_operations
from harness.contract.rules.base import Issue, LintInput, rule, schema_issues
from harness.contract.rules.sources import HARNESS_CONTRACT, PLUGIN_MANIFEST, PLUGIN_REVIEW_LORE

MANIFEST_PATH = "/.well-known/ai-plugin.json"
SPEC_PATH = "/openapi.json"
LOGO_PATH = "/logo.png"
LEGAL_PATH = "/legal"
DESCRIPTIONS = ("description_for_human", "description_for_model")
PLACEHOLDER = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
ENDS_WITH_PUNCTUATION = re.compile(r"[.!?…][\"')\]»”’]*\s*$")

FIELDS_SCHEMA = MANIFEST_SCHEMA  # one schema for lint and for loading (contract.load)

NAME_FOR_MODEL_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": "^[A-Za-z0-9_]+$",
    "maxLength": 50,
}

_TOKENS = {
    "type": "object",
    "required": ["openai"],
    "properties": {"openai": {"type": "string", "minLength": 1}},
}
AUTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"enum": ["none", "user_http", "service_http", "oauth"]}},
    "allOf": [
        {
            "if": {"properties": {"type": {"const": "none"}}},
            "then": {"properties": {"type": True}, "additionalProperties": False},
        },
        {
            "if": {"properties": {"type": {"enum": ["user_http", "service_http"]}}},
            "then": {
                "required": ["authorization_type"],
                "properties": {"authorization_type": {"enum": ["bearer", "basic"]}},
            },
        },
        {
            "if": {"properties": {"type": {"const": "service_http"}}},
            "then": {
                "required": ["verification_tokens"],
                "properties": {"verification_tokens": _TOKENS},
            },
        },
        {
            "if": {"properties": {"type": {"const": "oauth"}}},
            "then": {
                "required": [
                    "client_url",
                    "scope",
                    "authorization_url",
                    "authorization_content_type",
                    "verification_tokens",
                ],
                "properties": {
                    "client_url": {"type": "string"},
                    "scope": {"type": "string"},
                    "authorization_url": {"type": "string"},
                    "authorization_content_type": {"type": "string"},
                    "verification_tokens": _TOKENS,
                },
            },
        },
    ],
}


def _manifest(lint: LintInput) -> dict[str, Any]:
    if not isinstance(lint.manifest, dict):
        return {}
    return lint.manifest


@rule(
    "manifest-fields",
    "error",
    "add the field with the documented type (see the plugin manifest format)",
    needs=("manifest",),
    targets=("chatgpt-plugin",),
    sources=(PLUGIN_MANIFEST,),
)
def check_fields(lint: LintInput) -> Iterator[Issue]:
    """The manifest has every required field, with the right type and schema_version 'v1'."""
    yield from schema_issues("manifest", lint.manifest, FIELDS_SCHEMA)


@rule(
    "manifest-name-for-model",
    "error",
    "use only letters, digits and '_', at most 50 characters",
    needs=("manifest",),
    targets=("chatgpt-plugin",),
    sources=(PLUGIN_MANIFEST,),
)
def check_name_for_model(lint: LintInput) -> Iterator[Issue]:
    """`name_for_model` matches `^[A-Za-z0-9_]+$` and has at most 50 characters."""
    name = _manifest(lint).get("name_for_model")
    if isinstance(name, str):
        yield from schema_issues("manifest", name, NAME_FOR_MODEL_SCHEMA, "/name_for_model")


@rule(
    "manifest-punctuation",
    "warning",
    "end the description with '.', '!' or '?' (developers report review rejections for it; "
    "no vendor page states the rule, so it is a warning)",
    needs=("manifest",),
    targets=("chatgpt-plugin",),
    sources=(PLUGIN_REVIEW_LORE,),
)
def check_punctuation(lint: LintInput) -> Iterator[Issue]:
    """Every manifest description ends with punctuation."""
    manifest = _manifest(lint)
    for field in DESCRIPTIONS:
        text = manifest.get(field)
        if isinstance(text, str) and text.strip() and not ENDS_WITH_PUNCTUATION.search(text):
            yield Issue("manifest", pointer(field), f"{field} does not end with punctuation")


@rule(
    "manifest-auth",
    "error",
    "use {type: service_http, authorization_type: bearer, "
    "verification_tokens: {openai: '${CHATGPT_VERIFICATION_TOKEN}'}} or {type: none}",
    needs=("manifest",),
    targets=("chatgpt-plugin",),
    sources=(PLUGIN_MANIFEST, HARNESS_CONTRACT),
)
def check_auth(lint: LintInput) -> Iterator[Issue]:
    """The auth block is well formed and its verification tokens are `${VAR}` placeholders."""
    auth = _manifest(lint).get("auth")
    if auth is None:
        return
    yield from schema_issues("manifest", auth, AUTH_SCHEMA, "/auth")
    tokens = auth.get("verification_tokens") if isinstance(auth, dict) else None
    if isinstance(tokens, dict):
        for name, token in tokens.items():
            if isinstance(token, str) and not PLACEHOLDER.match(token):
                yield Issue(
                    "manifest",
                    pointer("auth", "verification_tokens", name),
                    "verification token is a literal value, not a ${VAR} placeholder",
                    "replace it with '${CHATGPT_VERIFICATION_TOKEN}'; the proxy substitutes it "
                    "at serve time, so the secret never lands in the repository",
                )


def _operation_routes(spec: dict[str, Any] | None) -> set[str]:
    if not isinstance(spec, dict):
        return set()
    prefix = server_path(spec)
    return {prefix + operation.path for operation in iter_operations(spec)}


@rule(
    "manifest-urls",
    "error",
    f"use one origin for all URLs and the served paths: api.url -> {SPEC_PATH}, "
    f"logo_url -> {LOGO_PATH}, legal_info_url -> {LEGAL_PATH}",
    needs=("manifest",),
    targets=("chatgpt-plugin",),
    sources=(PLUGIN_MANIFEST, HARNESS_CONTRACT),
)
def check_urls(lint: LintInput) -> Iterator[Issue]:
    """api.url, logo_url and legal_info_url name routes the proxy serves, on one origin."""
    manifest = _manifest(lint)
    api = manifest.get("api")
    urls = {
        "/api/url": api.get("url") if isinstance(api, dict) else None,
        "/logo_url": manifest.get("logo_url"),
        "/legal_info_url": manifest.get("legal_info_url"),
    }
    origins: dict[str, str] = {}
    paths: dict[str, str] = {}
    for at, url in urls.items():
        if not isinstance(url, str) or not url:
            continue
        parts = urlsplit(url)
        if parts.scheme and parts.scheme not in ("http", "https"):
            yield Issue("manifest", at, f"URL scheme {parts.scheme!r} is not http or https")
            continue
        if not parts.scheme and not url.startswith("/"):
            yield Issue("manifest", at, f"URL {url!r} is neither absolute nor root-relative")
            continue
        if parts.netloc:
            origins[at] = f"{parts.scheme}://{parts.netloc}"
        paths[at] = parts.path or "/"
    if len(set(origins.values())) > 1:
        listed = ", ".join(f"{at[1:]}={origin}" for at, origin in origins.items())
        yield Issue("manifest", next(iter(origins)), f"URLs use different origins ({listed})")
    for at, expected in (("/logo_url", LOGO_PATH), ("/legal_info_url", LEGAL_PATH)):
        if at in paths and paths[at] != expected:
            yield Issue(
                "manifest", at, f"path {paths[at]!r} is not served; the proxy serves {expected!r}"
            )
    api_path = paths.get("/api/url")
    taken = {MANIFEST_PATH, LOGO_PATH, LEGAL_PATH} | _operation_routes(lint.spec)
    if api_path is not None and api_path in taken:
        yield Issue(
            "manifest", "/api/url", f"api.url path {api_path!r} collides with another served route"
        )
