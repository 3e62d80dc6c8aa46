"""`[tool.harness.submission]`: the submission's public URLs and the size of the reviewer pack.

```toml
[tool.harness.submission]
privacy_url = "https://example.com/privacy"
terms_url = "https://example.com/terms"
support_url = "https://example.com/support"
positive_cases = 5      # cases tagged `submission` (else `critical`) in the pack
negative_cases = 3      # irrelevance cases (the model must not call a tool)
```

The defaults follow the minimums of OpenAI's app submission import schema (5 test cases, 3
negative ones): https://developers.openai.com/apps-sdk/schemas/chatgpt-app-submission.v1.json
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import InputError

URL_KEYS = ("privacy_url", "terms_url", "support_url")
COUNT_KEYS = ("positive_cases", "negative_cases")
DEFAULT_POSITIVE = 5
DEFAULT_NEGATIVE = 3


class SubmissionConfigError(InputError):
    """Invalid `[tool.harness.submission]`; the message names the file and key."""


@dataclass(frozen=True)
class SubmissionConfig:
    """The submission table, validated; ``source`` is the file it came from."""

    urls: dict[str, str] = field(default_factory=dict)
    positive_cases: int = DEFAULT_POSITIVE
    negative_cases: int = DEFAULT_NEGATIVE
    source: str = "pyproject.toml"


def parse_submission(table: dict[str, Any], source: str) -> SubmissionConfig:
    """Validate a `[tool.harness.submission]` table; unknown keys are errors."""
    prefix = f"{source}: tool.harness.submission"
    unknown = sorted(set(table) - set(URL_KEYS) - set(COUNT_KEYS))
    if unknown:
        raise SubmissionConfigError(f"{prefix}.{unknown[0]}: unknown key")
    urls = {key: table[key] for key in URL_KEYS if key in table}
    for key, value in urls.items():
        if not isinstance(value, str):
            raise SubmissionConfigError(f"{prefix}.{key}: expected a URL string")
    counts = {}
    for key in COUNT_KEYS:
        if key in table:
            value = table[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SubmissionConfigError(f"{prefix}.{key}: expected an integer >= 0")
            counts[key] = value
    return SubmissionConfig(urls=urls, source=source, **counts)


def load_submission_config(path: Path | None) -> SubmissionConfig:
    """The table from the pyproject.toml at ``path`` (defaults when there is none)."""
    if path is None:
        return SubmissionConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SubmissionConfigError(f"{path}: invalid TOML: {error}") from error
    table = data.get("tool", {}).get("harness", {}).get("submission", {})
    return parse_submission(table, str(path))
