"""Where each lint rule comes from: the vendor pages, standards and the harness's own contract.

A rule cites at least one source. ``verified`` says whether the page was read and found to
state the rule when the rule was written; an unverified source says why in ``note``. A rule
whose only sources are third-party pages is a warning (a test enforces it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SourceKind = Literal["vendor", "standard", "harness", "third-party"]


@dataclass(frozen=True)
class Source:
    """One reference a rule rests on."""

    title: str
    url: str | None
    kind: SourceKind
    verified: bool = True
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "title": self.title,
            "url": self.url,
            "kind": self.kind,
            "verified": self.verified,
            "note": self.note,
        }

    def label(self) -> str:
        """One line: kind, title, URL and, when unverified, why."""
        text = f"[{self.kind}] {self.title}" + (f" <{self.url}>" if self.url else "")
        if not self.verified:
            text += " (unverified" + (f": {self.note}" if self.note else "") + ")"
        elif self.note:
            text += f" ({self.note})"
        return text


GPT_ACTIONS = Source(
    "OpenAI: Production notes on GPT Actions (OpenAPI limits, payloads, timeout, "
    "consequential flag)",
    "https://developers.openai.com/api/docs/actions/production",
    "vendor",
)
OPENAI_FUNCTIONS = Source(
    "OpenAI API reference: chat completions, tools[].function.name and the tool count",
    "https://platform.openai.com/docs/api-reference/chat/create",
    "vendor",
    verified=False,
    note="not re-read when the rule was written; name pattern and 128-tool cap as the API "
    "enforces them",
)
STRUCTURED_OUTPUTS = Source(
    "OpenAI: Structured Outputs, supported schemas",
    "https://platform.openai.com/docs/guides/structured-outputs",
    "vendor",
    verified=False,
    note="not re-read when the rule was written",
)
PLUGIN_MANIFEST = Source(
    "OpenAI: ChatGPT plugins, the plugin manifest",
    "https://platform.openai.com/docs/plugins/getting-started",
    "vendor",
    verified=False,
    note="withdrawn with plugins in April 2024; its field table (name_for_model 50, "
    "name_for_human 20, description_for_model 8,000, description_for_human 100 characters) "
    "is quoted at https://community.openai.com/t/"
    "difference-between-description-for-model-and-the-openapi-info-plugin/303356",
)
PLUGIN_REVIEW_LORE = Source(
    "Plugin developers' reports of review rejections for descriptions without final "
    "punctuation; no vendor page states it",
    None,
    "third-party",
    verified=False,
    note="no vendor page found",
)
GPT_ACTIONS_OPERATION_COUNT = Source(
    "GPT builder limit of 30 operations per action, as reported by builders; the production "
    "notes do not list it",
    None,
    "third-party",
    verified=False,
    note="no vendor page found",
)
MCP_TOOLS = Source(
    "Model Context Protocol specification: Tools (name, title, annotations and their meaning)",
    "https://modelcontextprotocol.io/specification/2025-06-18/server/tools",
    "standard",
    verified=False,
    note="linked from Anthropic's submission guide; not re-read when the rule was written",
)
OPENAI_APPS = Source(
    "OpenAI: App submission guidelines (Apps SDK)",
    "https://developers.openai.com/apps-sdk/app-submission-guidelines",
    "vendor",
    note="reviewers ask that every hint be 'explicitly set to true or false (not null) for "
    "every tool' with 'a clear justification', as quoted from a rejection at "
    "https://community.openai.com/t/rejected-for-annotations-do-not-appear-to-match-the-"
    "tools-behavior-with-all-hints-set-explicitly-what-else-is-expected/1413175",
)
ANTHROPIC_POLICY = Source(
    "Anthropic MCP Directory Policy (privacy, data minimisation, tool descriptions)",
    "https://support.claude.com/en/articles/11697096-anthropic-mcp-directory-policy",
    "vendor",
)
ANTHROPIC_SUBMISSION = Source(
    "Anthropic: Remote MCP server submission guide (every tool needs accurate safety "
    "annotations; a dedicated support channel)",
    "https://support.claude.com/en/articles/12922490",
    "vendor",
)
ANTHROPIC_CHECKLIST = Source(
    "Anthropic: connector-directory submission checklist (annotations.title and hints on "
    "every tool, tool names of at most 64 characters)",
    "https://github.com/anthropics/claude-plugins-official/blob/"
    "fd30cee3ecd5a8ee772733c5d20c0f2bae2da2f0/plugins/mcp-server-dev/skills/build-mcp-app/"
    "references/directory-checklist.md",
    "vendor",
)
OPENAPI = Source(
    "OpenAPI Specification 3.1.0",
    "https://spec.openapis.org/oas/v3.1.0",
    "standard",
    verified=False,
    note="checked by openapi-spec-validator rather than read",
)
HTTP_SAFE_METHODS = Source(
    "RFC 9110 HTTP Semantics, 9.2.1 Safe Methods",
    "https://www.rfc-editor.org/rfc/rfc9110#section-9.2.1",
    "standard",
    verified=False,
    note="cited from memory of the standard",
)
HARNESS_CONTRACT = Source(
    "podcast-harness: the proxy's x-upstream contract and the upstream spec",
    "docs/architecture.md",
    "harness",
)
HARNESS_TOOLS = Source(
    "podcast-harness: one converter turns operations into function and MCP tools "
    "(harness/contract/tools.py; it cuts descriptions above 1,024 characters)",
    "docs/architecture.md",
    "harness",
)
HARNESS_TOOL_METADATA = Source(
    "podcast-harness: the x-tool extension (title, annotations, justifications)",
    "docs/architecture.md",
    "harness",
)
