"""An httpx transport that replays and records exchanges in a vcrpy cassette.

vcrpy's ``use_cassette`` patches httpx process-wide: every client in the process would
share the one active cassette, which breaks when cases run concurrently under asyncio. This
transport drives vcrpy's own ``Cassette`` (record modes, matchers, request/response filters,
YAML serializer and filesystem persister) from one client's transport instead, so each
(case, model, repeat) has its own cassette and nothing global is patched. The files it
writes are ordinary vcrpy cassettes, with a top-level ``metadata`` mapping (vcrpy's own
cassette metadata): what the caller passes (model, its version, the case) plus the harness
version and the recording time.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import httpx
from vcr import matchers
from vcr.cassette import Cassette
from vcr.errors import UnhandledHTTPRequestError
from vcr.persisters.filesystem import FilesystemPersister
from vcr.record_mode import RecordMode
from vcr.request import Request as VcrRequest

from harness.errors import ExecutionError
from harness.cassettes import yaml_format
from harness.cassettes.matching import canonical_body_matcher, stale_reason
from harness.cassettes.scrub import (
    credentials_of,
    request_filter,
    response_filter,
    secrets_from_env,
)

# Record modes as the command line names them; "new" is vcrpy's "new_episodes".
RECORD_MODES = ("none", "once", "new", "all")
VCR_RECORD_MODES = {
    "none": "none",
    "once": "once",
    "new": "new_episodes",
    "new_episodes": "new_episodes",
    "all": "all",
}


class StaleCassetteError(ExecutionError):
    """A request has no recording and the record mode forbids calling out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def cassette_options(secrets: list[str]) -> dict[str, Any]:
    """Keyword arguments of vcrpy's ``Cassette`` shared by every cassette of the harness.

    What ``vcr.VCR(serializer="yaml", match_on=MATCH_ON, filter_headers=...,
    filter_query_parameters=..., decode_compressed_response=True, ...)`` would configure,
    spelled out so that the request filter copies the request instead of deep-copying it
    (vcrpy runs the filter on every request it loads, matches and records), and so that
    cassettes are read by :mod:`harness.cassettes.yaml_format`.
    ``secrets`` are the values to redact; the list may grow while the cassette is in use.
    """
    return {
        "serializer": yaml_format,
        "persister": FilesystemPersister,
        "match_on": (matchers.method, matchers.path, matchers.query, canonical_body_matcher),
        "before_record_request": request_filter(secrets),
        "before_record_response": response_filter(secrets),
    }


def open_cassette(
    path: Path,
    mode: str = "none",
    secrets: list[str] | None = None,
    env_secrets: Sequence[str] | None = None,
) -> Cassette:
    """Load the cassette at ``path`` configured for ``mode``.

    ``secrets`` is extended with the values of secret-looking environment variables
    (``env_secrets`` when the caller has read them already, as a run does once for all its
    cassettes) and may grow while the cassette is in use. Mode ``all`` starts from an empty
    cassette: re-recording replaces the file (interactions and metadata) once the first new
    exchange is saved.
    """
    if mode not in VCR_RECORD_MODES:
        raise ValueError(f"record mode {mode!r} is not one of {', '.join(RECORD_MODES)}")
    if secrets is None:
        secrets = []
    secrets.extend(secrets_from_env() if env_secrets is None else env_secrets)
    options = cassette_options(secrets)
    record_mode = RecordMode(VCR_RECORD_MODES[mode])
    if record_mode is RecordMode.ALL:
        return Cassette(Path(path), record_mode=record_mode, **options)
    return Cassette.load(path=Path(path), record_mode=record_mode, **options)


@functools.cache
def harness_version() -> str:
    """The installed version of podcast-harness (read once: the lookup scans installed
    distributions, about 1 ms)."""
    try:
        return version("podcast-harness")
    except PackageNotFoundError:
        return "unknown"


class CassetteTransport(httpx.AsyncBaseTransport):
    """Replays recorded exchanges; records new ones when ``mode`` allows.

    ``mode`` is a vcrpy record mode: ``none`` (replay only; a miss raises
    ``StaleCassetteError``), ``once`` (record if the file does not exist yet), ``new`` or
    ``new_episodes`` (record misses) or ``all`` (always call ``inner`` and record afresh).
    Before anything is stored, credential headers, cookies and credential query parameters
    are dropped, and the values of ``secrets``, of secret-looking environment variables and
    of the credentials the request carried are masked (:mod:`harness.secrets`); ``env_secrets``
    are those environment values when the caller has read them already. The cassette is
    saved after each new successful exchange; error answers (4xx/5xx) are passed on, never
    recorded, so a later run retries them.
    """

    def __init__(
        self,
        path: Path,
        mode: str,
        inner: httpx.AsyncBaseTransport,
        secrets: Sequence[str] = (),
        metadata: dict[str, Any] | None = None,
        env_secrets: Sequence[str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.mode = mode
        self._inner = inner
        self._metadata = dict(metadata or {})
        self._secrets = list(secrets)
        self._cassette = open_cassette(self.path, mode, self._secrets, env_secrets)
        self.played = 0
        self.recorded = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        asked = VcrRequest(request.method, str(request.url), body, request.headers)
        cassette = self._cassette
        recorded = _play(cassette, asked)
        if recorded is not None:
            self.played += 1
            return _httpx_response(recorded, request)
        if cassette.write_protected:
            raise StaleCassetteError(
                f"{stale_reason(cassette.filter_request(asked), cassette.requests)} ({self.path})"
            )
        self._secrets.extend(credentials_of(request.headers, request.url.params.multi_items()))
        response = await self._inner.handle_async_request(request)
        try:
            content = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        if response.is_success:
            # An error answer (bad key, rate limit, server down) says nothing about the model;
            # recorded, it would be replayed instead of retried.
            cassette.append(asked, _vcr_response(response, content))
            if self.recorded == 0:
                self._stamp_metadata()
            self.recorded += 1
            cassette._save()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(content),
            extensions=response.extensions,
            request=request,
        )

    def _stamp_metadata(self) -> None:
        stamp = {
            "harness_version": harness_version(),
            "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            **self._metadata,
        }
        for key, value in stamp.items():
            self._cassette.get_metadata(key, value)

    async def aclose(self) -> None:
        if self._cassette.dirty:
            self._cassette._save()
        await self._inner.aclose()


def _play(cassette: Cassette, asked: VcrRequest) -> dict[str, Any] | None:
    """The recorded response to ``asked``, or ``None`` when it must not or cannot be played.

    vcrpy's ``can_play_response_for`` followed by ``play_response`` in one pass: each of them
    filters and matches the request again. The condition is vcrpy's own (playback repeats
    are off): a cassette loaded from its file and not being re-recorded.
    """
    if not cassette.rewound or cassette.record_mode == RecordMode.ALL:
        return None
    try:
        return cassette.play_response(asked)
    except UnhandledHTTPRequestError:
        return None


def _vcr_response(response: httpx.Response, content: bytes) -> dict[str, Any]:
    """The cassette form of a response (as vcrpy's httpx stub stores it)."""
    headers: dict[str, list[str]] = defaultdict(list)
    for name, value in response.headers.multi_items():
        headers[name].append(value)
    return {
        "status": {"code": response.status_code, "message": response.reason_phrase},
        "headers": dict(headers),
        "body": {"string": content},
    }


def _httpx_response(recorded: dict[str, Any], request: httpx.Request) -> httpx.Response:
    """An httpx response rebuilt from its cassette form."""
    message = recorded["status"].get("message")
    return httpx.Response(
        recorded["status"]["code"],
        headers=[(name, value) for name, values in recorded["headers"].items() for value in values],
        stream=httpx.ByteStream(recorded["body"]["string"]),
        extensions={"reason_phrase": message.encode("ascii")} if message else {},
        request=request,
    )
