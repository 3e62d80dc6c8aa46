"""The plugin manifest's (`ai-plugin.json`) structure: required fields and their types.

One schema, read by `harness lint` (rule ``manifest-fields``) and by
:func:`harness.contract.load.load_manifest`, so what lint rejects never loads in `harness eval`
or `harness serve` either.
"""

from __future__ import annotations

from typing import Any

MANIFEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "schema_version",
        "name_for_human",
        "name_for_model",
        "description_for_human",
        "description_for_model",
        "auth",
        "api",
        "logo_url",
        "contact_email",
        "legal_info_url",
    ],
    "properties": {
        "schema_version": {"const": "v1"},
        "name_for_human": {"type": "string", "minLength": 1},
        "name_for_model": {"type": "string"},
        "description_for_human": {"type": "string", "minLength": 1},
        "description_for_model": {"type": "string", "minLength": 1},
        "auth": {"type": "object"},
        "api": {
            "type": "object",
            "required": ["type", "url"],
            "properties": {
                "type": {"const": "openapi"},
                "url": {"type": "string", "minLength": 1},
                "is_user_authenticated": {"type": "boolean"},
            },
        },
        "logo_url": {"type": "string", "minLength": 1},
        "contact_email": {"type": "string", "format": "email"},
        "legal_info_url": {"type": "string", "minLength": 1},
    },
}
