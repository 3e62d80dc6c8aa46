"""The tool call a model made, as the harness records it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """One function call emitted by a model.

    ``arguments`` is the parsed JSON object, or ``None`` when ``raw_arguments`` was not a
    JSON object; ``error`` says why the call is unusable (invalid JSON, unknown tool, schema
    violation), and ``None`` when it is fine.
    """

    name: str
    arguments: dict[str, Any] | None
    raw_arguments: str = ""
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in results.jsonl."""
        return asdict(self)
