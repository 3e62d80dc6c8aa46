"""Removing secrets from an exchange before it is stored in a cassette.

Credential headers (``harness.secrets.SECRET_HEADERS``), cookies and credential query and
form parameters (``SECRET_PARAMETERS``, any case) are dropped, the values of credential JSON
fields (``SECRET_FIELDS``) are masked; configured secret values, those of
the environment and the credentials a request carried are masked with
``harness.secrets.PLACEHOLDER`` anywhere in the request or response, in every encoding the
policy knows (percent, JSON, base64...). The same request filter is applied to a live request
before it is matched, and to every recorded request when a cassette is loaded, so scrubbed
recordings still match; it also rewrites the legacy ``<REDACTED>`` placeholder of older
recordings, so they match too.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from vcr import filters
from vcr.request import Request

from harness.secrets import (
    PLACEHOLDER,
    SECRET_FIELDS,
    SECRET_HEADERS,
    SECRET_PARAMETERS,
    SECRET_RESPONSE_HEADERS,
    Redactor,
    guessed,
    map_strings,
    secrets_from_env,
)

__all__ = [
    "credentials_of",
    "request_filter",
    "request_redactor",
    "response_filter",
    "response_scrubber",
    "secrets_from_env",
]

_SECRET_HEADERS = frozenset(SECRET_HEADERS)
_SECRET_PARAMETERS = frozenset(SECRET_PARAMETERS)
# Every name in SECRET_FIELDS ends with or holds one of these: most bodies hold none, which
# spares parsing them.
_FIELD_HINTS = (b'key"', b'token"', b'secret"', b"passw")
_LEGACY_WORD = "redacted"
"""Every legacy placeholder (``PLACEHOLDER_PATTERN``) holds this word, in some case."""


def credentials_of(headers: Mapping[str, str], query: Iterable[tuple[str, str]]) -> list[str]:
    """The credential values a request carries, to redact wherever else they appear."""
    values = [value for name, value in headers.items() if name.lower() in _SECRET_HEADERS]
    values += [value.split(" ", 1)[1] for value in values if " " in value]  # "Bearer <token>"
    values += [value for name, value in query if name.lower() in _SECRET_PARAMETERS]
    return guessed(values)


def request_filter(secrets: Sequence[str]) -> Callable[[Request], Request]:
    """A vcrpy ``before_record_request`` hook: drop credential headers and query parameters,
    then mask secret values; the request passed in is left unchanged (and returned when
    there is nothing to drop or mask: vcrpy filters every request it loads and every one
    asked of it).

    ``secrets`` is read on every call, so values learnt later (``credentials_of``) count.
    """
    redactor = _redactors(secrets, legacy=True)

    def scrub(request: Request) -> Request:
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in _SECRET_HEADERS
        }
        body = _without_credential_fields(request.body, request.headers.get("content-type"))
        uri = _without_credentials(request.uri)
        mask = redactor()
        if mask:
            uri, body = mask(uri), _mask_body(mask, body)
            headers = {mask(name): mask.structure(value) for name, value in headers.items()}
        if uri == request.uri and body == request.body and _same_headers(headers, request):
            return request
        # A new Request holds its own headers and URI; the body (bytes) is immutable.
        return Request(request.method, uri, body, headers)

    return scrub


def _same_headers(headers: dict[str, Any], request: Request) -> bool:
    """``headers`` are the request's own, names and values."""
    return len(headers) == len(request.headers) and all(
        name in headers and headers[name] == value for name, value in request.headers.items()
    )


def response_filter(secrets: Sequence[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A vcrpy ``before_record_response`` hook: decompress the body (vcrpy's
    ``decode_response``), then drop cookies and redact secret values.

    vcrpy hands the hook its own copy of the response, which is left unchanged.
    """
    scrub = response_scrubber(secrets)

    def decode_and_scrub(response: dict[str, Any]) -> dict[str, Any]:
        if _content_encoded(response):  # else decode_response would only deep-copy it
            response = filters.decode_response(response)
        return scrub(response)

    return decode_and_scrub


def _content_encoded(response: dict[str, Any]) -> bool:
    return any(
        value and name.lower() == "content-encoding" for name, value in response["headers"].items()
    )


def request_redactor(secrets: Sequence[str]) -> Callable[[Request], Request]:
    """A vcrpy ``before_record_request`` hook masking secret values (and legacy placeholders).

    ``secrets`` is read on every call, so values learnt later (``credentials_of``) count.
    """
    redactor = _redactors(secrets, legacy=True)

    def redact(request: Request) -> Request:
        mask = redactor()
        if not mask:
            return request
        return _masked_request(mask, request.method, request.uri, request.body, request.headers)

    return redact


def _masked_request(
    mask: _Masker, method: str, uri: str, body: Any, headers: Mapping[str, Any]
) -> Request:
    """A request of these parts, masked (when ``mask`` masks anything)."""
    if mask:
        uri, body = mask(uri), _mask_body(mask, body)
        headers = {mask(name): mask.structure(value) for name, value in headers.items()}
    return Request(method, uri, body, headers)


def response_scrubber(secrets: Sequence[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A vcrpy ``before_record_response`` hook: drop cookies, redact secret values."""
    redactor = _redactors(secrets, legacy=False)

    def scrub(response: dict[str, Any]) -> dict[str, Any]:
        mask = redactor()
        headers = {
            name: value
            for name, value in response["headers"].items()
            if name.lower() not in SECRET_RESPONSE_HEADERS
        }
        content_type = next(
            (v for n, v in response["headers"].items() if n.lower() == "content-type"), None
        )
        body = _without_credential_fields(response["body"]["string"], content_type)
        body = _mask_body(mask, body)
        headers = {
            name: [str(len(body))] if name.lower() == "content-length" else value
            for name, value in mask.structure(headers).items()
        }
        return {**response, "headers": headers, "body": {**response["body"], "string": body}}

    return scrub


def _redactors(secrets: Sequence[str], legacy: bool) -> Callable[[], _Masker]:
    """The masker for the current contents of ``secrets`` (shared by every cassette with
    the same secrets, so its remembered results serve the whole run)."""

    def current() -> _Masker:
        return _masker(tuple(secrets), legacy)

    return current


@functools.lru_cache(maxsize=16)
def _masker(secrets: tuple[str, ...], legacy: bool) -> _Masker:
    return _Masker(Redactor(secrets, legacy=legacy))


class _Masker:
    """A :class:`Redactor` that remembers its recent results.

    vcrpy filters every recorded request as a cassette loads and every request asked of it
    (and a recording's request again as it is stored), so the same headers and the same
    15 kB body are masked several times per case; masking is a pure function of the text.
    """

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        # Without secrets, only a legacy placeholder is rewritten, and each spells REDACTED.
        self._placeholders_only = bool(redactor) and not redactor.secrets
        self.text = functools.lru_cache(maxsize=4096)(self._text)
        self.bytes = functools.lru_cache(maxsize=64)(self._bytes)

    def __bool__(self) -> bool:
        return bool(self._redactor)

    def __call__(self, text: str) -> str:
        """``text`` masked (remembered)."""
        return self.text(text)

    def _text(self, text: str) -> str:
        if self._placeholders_only and _LEGACY_WORD not in text.lower():
            return text
        return self._redactor(text)

    def _bytes(self, data: bytes) -> bytes:
        if self._placeholders_only and _LEGACY_WORD.encode() not in data.lower():
            return data
        return self._redactor.bytes(data)

    def structure(self, value: Any) -> Any:
        """``value`` with every string (also dict keys) and bytes masked, at any depth (a copy
        when there is anything to mask)."""
        return map_strings(value, self.text, self.bytes) if self else value


def _mask_body(mask: _Masker, body: Any) -> Any:
    if isinstance(body, str):
        return mask(body)
    if isinstance(body, bytes | bytearray):
        return mask.bytes(bytes(body))
    return body


def _without_credentials(uri: str) -> str:
    """``uri`` without its credential query parameters (any case); unchanged if it has none."""
    base, question, query = uri.partition("?")
    if not question:
        return uri
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(name, value) for name, value in pairs if name.lower() not in _SECRET_PARAMETERS]
    if len(kept) == len(pairs):
        return uri
    return f"{base}?{urlencode(kept)}" if kept else base


def _without_credential_fields(body: Any, content_type: str | list[str] | None) -> Any:
    """A form body without its credential parameters, a JSON body with the values of its
    credential fields masked; any other body (or one without credentials) unchanged."""
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else None
    if not body or not isinstance(body, bytes) or not content_type:
        return body
    return _bytes_without_credential_fields(body, content_type)


# Remembered like the masker's results: the same body is filtered on load and on replay.
@functools.lru_cache(maxsize=64)
def _bytes_without_credential_fields(body: bytes, content_type: str) -> bytes:
    form = "application/x-www-form-urlencoded" in content_type
    if not form and not ("json" in content_type and _may_hold_fields(body)):
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    if form:
        pairs = parse_qsl(text, keep_blank_values=True)
        kept = [(name, value) for name, value in pairs if name.lower() not in _SECRET_PARAMETERS]
        return body if len(kept) == len(pairs) else urlencode(kept).encode()
    try:
        document = json.loads(text)
    except ValueError:
        return body
    masked = _masked_fields(document)
    return body if masked == document else json.dumps(masked, ensure_ascii=False).encode()


def _may_hold_fields(body: bytes) -> bool:
    lowered = body.lower()
    return any(hint in lowered for hint in _FIELD_HINTS)


def _masked_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            name: PLACEHOLDER
            if name.lower() in SECRET_FIELDS and isinstance(item, str) and item
            else _masked_fields(item)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [_masked_fields(item) for item in value]
    return value
