"""Rules for what MCP hosts and the directories read beside the schema: `x-tool` titles and
annotations, inputs a reviewer refuses, and the submission's privacy/terms/support URLs.

The rules read the same typed record the loader gives the MCP surface
(:func:`harness.contract.load.load_tool_metadata`), so lint and `tools/list` cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from harness.contract.jsondoc import join, pointer
from harness.contract.load import (
    SAFE_METHODS,
    TOOL_HINTS,
    SpecError,
    ToolMetadata,
    load_tool_metadata,
)
from harness.contract.operation_walk import OperationRef, iter_operations, operation_parameters
from harness.contract.rules.base import (
    ALL_TARGETS,
    DIRECTORIES,
    MCP_HOSTS,
    Issue,
    LintInput,
    json_request_schema,
    rule,
)
from harness.contract.rules.sources import (
    ANTHROPIC_CHECKLIST,
    ANTHROPIC_POLICY,
    ANTHROPIC_SUBMISSION,
    HARNESS_TOOL_METADATA,
    HTTP_SAFE_METHODS,
    MCP_TOOLS,
    OPENAI_APPS,
)

X_TOOL = "x-tool"

# Input names a reviewer refuses: what the category is -> name fragments (snake_case tokens).
SENSITIVE_INPUTS: dict[str, tuple[str, ...]] = {
    "a credential": (
        "password",
        "passwd",
        "passphrase",
        "secret",
        "api_key",
        "apikey",
        "api_token",
        "access_token",
        "refresh_token",
        "auth_token",
        "bearer",
        "private_key",
        "mfa_code",
        "otp",
    ),
    "a government id": (
        "ssn",
        "social_security",
        "passport",
        "national_id",
        "tax_id",
        "driver_license",
        "drivers_license",
        "driving_licence",
    ),
    "payment card data": ("card_number", "credit_card", "cvv", "cvc"),
}

# The submission's URLs: key in [tool.harness.submission] -> (key in the manifest, what it is).
SUBMISSION_URLS: dict[str, tuple[str, str]] = {
    "privacy_url": ("privacy_policy_url", "privacy policy"),
    "terms_url": ("terms_of_service_url", "terms of service"),
    "support_url": ("support_url", "support page"),
}
SUBMISSION_TABLE = ("tool", "harness", "submission")


def _metadata(operation: OperationRef) -> ToolMetadata | None:
    try:
        return load_tool_metadata(
            operation.node.get(X_TOOL), operation.method, "", join(operation.pointer, X_TOOL)
        )
    except SpecError:
        return None  # tool-metadata reports it


def _x_tool_pointer(operation: OperationRef, *tokens: str) -> str:
    if not isinstance(operation.node.get(X_TOOL), dict):
        return operation.pointer
    return join(operation.pointer, X_TOOL, *tokens)


@rule(
    "tool-metadata",
    "error",
    "write x-tool as {title: str, annotations: {readOnlyHint: {value: bool, "
    "justification: str}, ...}}",
    targets=ALL_TARGETS,
    sources=(HARNESS_TOOL_METADATA,),
)
def check_metadata(lint: LintInput) -> Iterator[Issue]:
    """Every `x-tool` is well formed (the loader would refuse it otherwise)."""
    assert lint.spec is not None
    for operation in iter_operations(lint.spec):
        try:
            load_tool_metadata(
                operation.node.get(X_TOOL), operation.method, "", join(operation.pointer, X_TOOL)
            )
        except SpecError as error:
            yield Issue("spec", error.pointer, f"{operation.label}: {error.message}")


@rule(
    "tool-title",
    "error",
    "add x-tool.title: a short human-readable name such as 'Search podcasts'",
    targets=MCP_HOSTS,
    sources=(MCP_TOOLS, ANTHROPIC_CHECKLIST, OPENAI_APPS),
)
def check_title(lint: LintInput) -> Iterator[Issue]:
    """Every tool has a human-readable title."""
    assert lint.spec is not None
    for operation in iter_operations(lint.spec):
        metadata = _metadata(operation)
        if metadata is not None and not (metadata.title or "").strip():
            yield Issue("spec", _x_tool_pointer(operation), f"{operation.label} has no title")


@rule(
    "tool-annotations",
    "error",
    "state every hint in x-tool.annotations as {value: true|false, justification: "
    "'why, from what the tool does'}",
    targets=MCP_HOSTS,
    sources=(OPENAI_APPS, ANTHROPIC_SUBMISSION, ANTHROPIC_CHECKLIST, MCP_TOOLS),
)
def check_annotations(lint: LintInput) -> Iterator[Issue]:
    """Every annotation hint is set explicitly, with a justification."""
    assert lint.spec is not None
    for operation in iter_operations(lint.spec):
        metadata = _metadata(operation)
        if metadata is None:
            continue
        unset = [hint for hint in TOOL_HINTS if not metadata.annotations[hint].explicit]
        if unset:
            defaults = ", ".join(
                f"{hint}={str(metadata.annotations[hint].value).lower()}" for hint in unset
            )
            yield Issue(
                "spec",
                _x_tool_pointer(operation),
                f"{operation.label}: {', '.join(unset)} not set (defaulted from "
                f"{operation.method.upper()} to {defaults}, without a justification)",
            )
        for hint in TOOL_HINTS:
            annotation = metadata.annotations[hint]
            if annotation.explicit and not (annotation.justification or "").strip():
                yield Issue(
                    "spec",
                    _x_tool_pointer(operation, "annotations", hint),
                    f"{operation.label}: {hint} has no justification",
                )


@rule(
    "tool-read-only-method",
    "error",
    "set readOnlyHint false on a method that may change state, and never claim a read-only "
    "tool is destructive",
    targets=MCP_HOSTS,
    sources=(MCP_TOOLS, HTTP_SAFE_METHODS),
)
def check_read_only(lint: LintInput) -> Iterator[Issue]:
    """`readOnlyHint: true` only on safe methods (GET, HEAD, OPTIONS), never with
    `destructiveHint: true`."""
    assert lint.spec is not None
    for operation in iter_operations(lint.spec):
        metadata = _metadata(operation)
        if metadata is None or not metadata.annotations["readOnlyHint"].value:
            continue
        at = _x_tool_pointer(operation, "annotations", "readOnlyHint")
        if operation.method.upper() not in SAFE_METHODS:
            yield Issue(
                "spec",
                at,
                f"{operation.label}: readOnlyHint is true on {operation.method.upper()}, "
                "which is not a safe method",
            )
        if metadata.annotations["destructiveHint"].value:
            yield Issue(
                "spec",
                at,
                f"{operation.label}: readOnlyHint and destructiveHint are both true",
            )


def _tokens(name: str) -> list[str]:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return [token for token in re.split(r"[^a-z0-9]+", snake) if token]


def sensitive_category(name: str) -> str | None:
    """What sensitive data an input called ``name`` asks for, or None."""
    tokens = _tokens(name)
    for category, fragments in SENSITIVE_INPUTS.items():
        for fragment in fragments:
            parts = fragment.split("_")
            if any(tokens[i : i + len(parts)] == parts for i in range(len(tokens))):
                return category
    return None


@rule(
    "tool-sensitive-input",
    "error",
    "drop the input: authenticate with OAuth or a server-held key, never through a tool "
    "argument, and do not collect government ids or card data",
    targets=DIRECTORIES,
    sources=(OPENAI_APPS, ANTHROPIC_POLICY),
)
def check_sensitive_input(lint: LintInput) -> Iterator[Issue]:
    """No tool input asks for credentials, government ids or payment card data."""
    spec = lint.spec
    assert spec is not None
    for operation in iter_operations(spec):
        inputs = [(p.name, p.pointer) for p in operation_parameters(spec, operation)]
        body = json_request_schema(spec, operation)
        if body is not None and isinstance(body[0].get("properties"), dict):
            inputs += [(n, join(body[1], "properties", n)) for n in body[0]["properties"]]
        for name, at in inputs:
            category = sensitive_category(name)
            if category is not None:
                yield Issue("spec", at, f"{operation.label}: input {name!r} asks for {category}")


def _submission_urls(lint: LintInput) -> Iterator[tuple[str, str, Any, str]]:
    """(config key, what, value, document) for each URL, from the config, else the manifest."""
    table = lint.submission or {}
    manifest = lint.manifest if isinstance(lint.manifest, dict) else {}
    for key, (manifest_key, what) in SUBMISSION_URLS.items():
        if key in table:
            yield key, what, table[key], "config"
        elif manifest_key in manifest:
            yield manifest_key, what, manifest[manifest_key], "manifest"
        else:
            yield key, what, None, "config"


@rule(
    "submission-urls",
    "error",
    "publish the page over HTTPS and set privacy_url, terms_url and support_url in "
    "[tool.harness.submission] (or privacy_policy_url, terms_of_service_url, support_url in "
    "the manifest)",
    needs=(),
    targets=DIRECTORIES,
    sources=(ANTHROPIC_SUBMISSION, OPENAI_APPS),
)
def check_submission_urls(lint: LintInput) -> Iterator[Issue]:
    """The submission names HTTPS URLs for its privacy policy, terms and support."""
    for key, what, value, document in _submission_urls(lint):
        at = pointer(*SUBMISSION_TABLE, key) if document == "config" else pointer(key)
        if value is None:
            manifest_key = SUBMISSION_URLS[key][0]
            yield Issue(
                "config",
                pointer(*SUBMISSION_TABLE),
                f"no {what} URL: set {key} in [tool.harness.submission] "
                f"(or {manifest_key} in the manifest)",
            )
        elif (
            not isinstance(value, str)
            or urlsplit(value).scheme != "https"
            or not urlsplit(value).netloc
        ):
            yield Issue(document, at, f"{key} {value!r} is not an HTTPS URL")  # type: ignore[arg-type]
