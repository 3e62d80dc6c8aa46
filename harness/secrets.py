"""The one secrets policy of the harness: what is a secret, and how it is masked.

Every sink uses it: the proxy's log output and request log, the written reports and the
recorded cassettes. A secret is

- the value of one of the harness's own secret variables (``SECRET_VARIABLES``) or a value
  a caller declares (proxy settings, the cassette transport's ``secrets``), when it has at
  least ``MIN_LENGTH`` characters;
- the value of any other environment variable whose name looks secret (``*KEY*``,
  ``*SECRET*``, ``*TOKEN*``, ``*PASSWORD*``, ``*PASSWD*``, ``*CREDENTIAL*``) or a credential
  seen in a request, when it has at least ``GUESSED_MIN_LENGTH`` characters (shorter values
  of such variables are settings such as ``false``, not secrets).

A secret is masked as ``PLACEHOLDER`` in every form it can take in text: raw,
percent-encoded (either hex case, ``+`` for a space, any mix of encoded and plain
characters, encoded twice), JSON-escaped once or twice (short escapes and ``\\uXXXX``), HTML
character references, and base64 (standard and URL-safe alphabets, at any alignment, so a
secret inside ``Basic base64(user:secret)`` is found). Earlier versions wrote ``<REDACTED>``
(cassettes) and ``[redacted]`` (proxy logs): ``PLACEHOLDER_PATTERN`` still matches both.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

PLACEHOLDER = "[REDACTED]"

SECRET_VARIABLES = (
    "CHATGPT_SECRET",
    "CHATGPT_VERIFICATION_TOKEN",
    "LISTEN_API_KEY",
    "OPENAI_API_KEY",
)
SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
MIN_LENGTH = 4
"""A shorter declared value is not masked: masking it would garble ordinary text."""
GUESSED_MIN_LENGTH = 8
"""The minimum for values that only look secret (by variable name, or by where they were seen)."""

SECRET_HEADERS = (
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "x-listenapi-key",
    "openai-organization",
    "openai-project",
    "cookie",
)
"""Request headers whose values are credentials."""
SECRET_RESPONSE_HEADERS = ("set-cookie", "set-cookie2")
SECRET_PARAMETERS = (
    "key",
    "api_key",
    "apikey",
    "api-key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "secret",
    "password",
    "passwd",
)
"""Query (and form) parameter names whose values are credentials, compared case-insensitively."""
SECRET_FIELDS = frozenset(SECRET_PARAMETERS) - {"key", "token", "secret"}
"""JSON field names whose values are credentials (``key``, ``token`` and ``secret`` alone are
too common as ordinary field names), compared case-insensitively."""

PLACEHOLDER_PATTERN = re.compile(
    r"(?i:(?:\[|<|%5B|%3C|&lt;|&#91;|&#60;)REDACTED(?:\]|>|%5D|%3E|&gt;|&#93;|&#62;))"
)
"""The placeholder and the legacy ones (``<REDACTED>`` of earlier cassettes, ``[redacted]`` of
earlier proxy logs), raw, percent-encoded or HTML-escaped, in any case."""
_CREDENTIAL = re.compile(
    r"(?P<prefix>bearer(?:\s+|%20|\+)|x-listenapi-key[\"']?\s*[:=]\s*[\"']?)"
    r"(?![\[<]REDACTED)[^\s\"',;}&]{4,}",
    re.IGNORECASE,
)
_CREDENTIAL_WORDS = ("bearer", "x-listenapi-key")


def _may_hold_credential(text: str) -> bool:
    """False only when :data:`_CREDENTIAL` cannot match ``text``: ASCII text without either
    prefix word in any case (Unicode case-insensitive matching is left to the regex)."""
    if not text.isascii():
        return True
    lowered = text.lower()
    return any(word in lowered for word in _CREDENTIAL_WORDS)


_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
_JSON_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f"}
_JSON_SHORT_ESCAPES |= {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HTML_NAMED = {"&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos"}


def is_secret_name(name: str) -> bool:
    """Whether an environment variable named ``name`` holds a secret."""
    return name in SECRET_VARIABLES or bool(SECRET_NAME.search(name))


def secrets_from_env(environ: Mapping[str, str] | None = None) -> list[str]:
    """The secret values in ``environ`` (default ``os.environ``), sorted."""
    environ = os.environ if environ is None else environ
    return sorted(
        {
            value
            for name, value in environ.items()
            if len(value) >= (MIN_LENGTH if name in SECRET_VARIABLES else GUESSED_MIN_LENGTH)
            and is_secret_name(name)
        }
    )


def guessed(values: Iterable[str | None]) -> list[str]:
    """The values long enough to mask although nothing but their place says they are secret."""
    return sorted({value for value in values if value and len(value) >= GUESSED_MIN_LENGTH})


class Redactor:
    """Masks secret values, in every encoding, with ``PLACEHOLDER``.

    ``credentials=True`` also masks what follows ``Bearer`` and ``X-ListenAPI-Key:`` whatever
    the value (for free text such as reports). ``legacy=True`` also rewrites legacy
    placeholders to the current one (so old recordings compare equal to new ones).
    """

    def __init__(
        self,
        secrets: Iterable[str | None] = (),
        *,
        credentials: bool = False,
        legacy: bool = False,
    ) -> None:
        self.secrets = tuple(
            sorted({s for s in secrets if s and len(s) >= MIN_LENGTH}, key=len, reverse=True)
        )
        alternatives = [secret_pattern(secret) for secret in self.secrets]
        starts = {secret[0] for secret in self.secrets} | set("%\\&+")
        if legacy:
            alternatives.append(PLACEHOLDER_PATTERN.pattern)
            starts |= set("[<")
        # The lookahead lets the regex engine skip most positions with one character test.
        lookahead = "(?=[" + "".join(map(re.escape, sorted(starts))) + "])"
        self._pattern = (
            re.compile(lookahead + "(?:" + "|".join(alternatives) + ")") if alternatives else None
        )
        cores = sorted({core for secret in self.secrets for core in base64_cores(secret)})
        self._base64 = re.compile("|".join(map(re.escape, cores))) if cores else None
        self._credentials = credentials

    def __bool__(self) -> bool:
        return self._pattern is not None or self._credentials

    def __call__(self, text: str) -> str:
        """``text`` with every secret masked."""
        if self._pattern is not None:
            text = self._pattern.sub(PLACEHOLDER, text)
        if self._base64 is not None:
            text = _mask_base64(self._base64, text)
        if self._credentials and _may_hold_credential(text):
            text = _CREDENTIAL.sub(lambda match: match.group("prefix") + PLACEHOLDER, text)
        return text

    def bytes(self, data: bytes) -> bytes:
        """``data`` with every secret masked; bytes that are not UTF-8 are kept as they are."""
        if not self:
            return data
        return self(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

    def structure(self, value: Any) -> Any:
        """``value`` with every string (also dict keys) and bytes masked, at any depth (a copy
        when there is anything to mask)."""
        return map_strings(value, self, self.bytes) if self else value


def map_strings(value: Any, text: Callable[[str], str], data: Callable[[bytes], bytes]) -> Any:
    """A copy of ``value`` with ``text`` applied to every string (dict keys too) and ``data`` to
    every bytes value, at any depth of dicts, lists and tuples; anything else as it is."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, bytes | bytearray):
        return data(bytes(value))
    if isinstance(value, dict):
        return {map_strings(k, text, data): map_strings(v, text, data) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(map_strings(item, text, data) for item in value)
    return value


def secret_pattern(secret: str) -> str:
    """A regular expression matching ``secret`` in its raw, percent-encoded, JSON-escaped (once
    or twice) and HTML-escaped forms, and any mix of them (one alternation per character)."""
    return "".join(_char_pattern(char) for char in secret)


def _char_pattern(char: str, escapes: int = 2) -> str:
    """The forms of one character; a JSON short escape (``\\"``) is itself matched in every
    form, down to ``escapes`` levels (a JSON-escaped value inside a JSON string)."""
    forms = [re.escape(char), _percent(char), _html_reference(char), _json_unicode(char)]
    if char == " ":
        forms.append(r"\+")
    if char in _HTML_NAMED:
        forms.append(f"&{_HTML_NAMED[char]};")
    short = _JSON_SHORT_ESCAPES.get(char)
    if short is not None and escapes > 0:
        forms.append("".join(_char_pattern(c, escapes - 1) for c in short))
    return "(?:" + "|".join(forms) + ")"


def _hex(value: int, digits: int) -> str:
    """``value`` as hex digits, each letter matched in either case."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{value:0{digits}x}")


def _percent(char: str) -> str:
    """Percent-encoding of ``char``'s UTF-8 bytes, optionally encoded twice (``%252D``)."""
    return "".join(f"%(?:25)?{_hex(byte, 2)}" for byte in char.encode("utf-8"))


def _json_unicode(char: str) -> str:
    units = char.encode("utf-16-be")
    codes = [int.from_bytes(units[i : i + 2], "big") for i in range(0, len(units), 2)]
    return "".join(rf"(?:\\|%(?:25)?5[cC])u{_hex(code, 4)}" for code in codes)


def _html_reference(char: str) -> str:
    return f"&#(?:0*{ord(char)}|[xX]0*{_hex(ord(char), 1)});"


def base64_cores(secret: str) -> set[str]:
    """The base64 characters that encode only ``secret``'s bits, at each of the three
    alignments, in the standard and URL-safe alphabets (too short ones are left out)."""
    data = secret.encode("utf-8")
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        first = -(-8 * offset // 6)  # the first character made only of the secret's bits
        last = (8 * (offset + len(data))) // 6  # one past the last such character
        core = encoded[first:last]
        if len(core) >= GUESSED_MIN_LENGTH:
            cores |= {core, core.replace("+", "-").replace("/", "_")}
    return cores


def _mask_base64(cores: re.Pattern[str], text: str) -> str:
    """Mask each whole base64 run that contains a core (its edges carry bits of the secret)."""
    pieces: list[str] = []
    end = 0
    for match in cores.finditer(text):
        if match.start() < end:
            continue
        start = match.start()
        while start > end and text[start - 1] in _BASE64_CHARS:
            start -= 1
        stop = match.end()
        while stop < len(text) and text[stop] in _BASE64_CHARS:
            stop += 1
        while stop < len(text) and text[stop] == "=":
            stop += 1
        pieces += [text[end:start], PLACEHOLDER]
        end = stop
    return "".join(pieces) + text[end:] if pieces else text
