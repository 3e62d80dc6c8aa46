"""Every form a secret value can take in text, for tests that assert none of them is written."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote, quote_plus


def encodings(secret: str) -> dict[str, str]:
    """The raw value and its encodings, by name (only the forms that differ from the raw one
    add anything, but all are kept so that a test names what it checks)."""
    percent = quote(secret, safe="")
    every_char = "".join(f"%{byte:02X}" for byte in secret.encode())
    data = secret.encode()
    forms = {
        "raw": secret,
        "percent": percent,
        "percent, lower-case hex": _lower_hex(percent),
        "percent, + for space": quote_plus(secret, safe=""),
        "percent, every character": every_char,
        "percent, every character, lower-case": every_char.lower(),
        "percent twice": quote(percent, safe=""),
        "json": json.dumps(secret)[1:-1],
        "json, ascii": json.dumps(secret, ensure_ascii=True)[1:-1],
        "json, then percent": quote(json.dumps(secret)[1:-1], safe=""),
        "html": html.escape(secret),
        "base64": base64.b64encode(data).decode().rstrip("="),
        "base64, url-safe": base64.urlsafe_b64encode(data).decode().rstrip("="),
    }
    for prefix in (b":", b"u:"):  # inside "Basic base64(user:secret)", at the other alignments
        encoded = base64.b64encode(prefix + data).decode()
        first, last = -(-8 * len(prefix) // 6), 8 * (len(prefix) + len(data)) // 6
        forms[f"base64 after {len(prefix)} byte(s)"] = encoded[first:last]
    return forms


def _lower_hex(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "%":
            out.append(text[i : i + 3].lower())
            i += 3
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The (secret number, form) of every form of ``secrets`` found in ``text``."""
    return [
        f"secret #{index + 1} {name}: {form[:6]}…"
        for index, secret in enumerate(secrets)
        for name, form in encodings(secret).items()
        if form and form in text
    ]
