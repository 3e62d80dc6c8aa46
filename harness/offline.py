"""The proxy in front of the in-process offline mock: the composition of the two.

The proxy never imports its test double; commands, eval and fuzz build an offline proxy here.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
from starlette.applications import Starlette

from harness.contract.load import Spec
from harness.mock.app import MOCK_BASE_URL, create_mock_app
from harness.mock.faults import Faults
from harness.proxy.app import create_app
from harness.proxy.settings import ProxySettings

logger = logging.getLogger("harness.proxy")

OFFLINE_MOCK_LOG_LINE = "upstream: offline mock (no LISTEN_API_KEY set)"


def create_proxy(
    settings: ProxySettings,
    spec: Spec | None = None,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The proxy for ``settings``; without an upstream key, in front of the offline mock.

    ``upstream_transport``, when given, replaces the in-process mock (the base URL stays the
    mock's when no key is set).
    """
    if settings.upstream_base_url() is not None:
        return create_app(settings, spec=spec, upstream_transport=upstream_transport)
    if upstream_transport is None:
        logger.warning(OFFLINE_MOCK_LOG_LINE)
        upstream_transport = _in_process(create_mock_app())
    return create_app(
        settings, spec=spec, upstream_transport=upstream_transport, upstream_url=MOCK_BASE_URL
    )


def create_offline_app(
    secret: str | None = "test-secret",
    faults: Faults | None = None,
    request_log: Path | None = None,
    spec_path: Path | None = None,
    manifest_path: Path | None = None,
    spec: Spec | None = None,
) -> Starlette:
    """The proxy in front of the in-process offline mock; ``secret=None`` disables auth.

    ``faults`` is passed to :func:`harness.mock.app.create_mock_app` unchanged; with
    ``request_log`` every API call is logged there (fuzz and eval measure budgets from it);
    ``spec_path`` and ``manifest_path`` replace the default spec and manifest, and ``spec``,
    when given, is served instead of loading ``spec_path``.
    """
    paths = {"spec_path": spec_path, "manifest_path": manifest_path}
    settings = ProxySettings(
        chatgpt_secret=secret,
        no_auth=secret is None,
        upstream_url=MOCK_BASE_URL,
        request_log=request_log,
        **{key: value for key, value in paths.items() if value is not None},
    )
    return create_app(
        settings, spec=spec, upstream_transport=_in_process(create_mock_app(faults=faults))
    )


def _in_process(app: Starlette) -> httpx.ASGITransport:
    """A transport to an in-process upstream that fails like a remote one: with a 500."""
    return httpx.ASGITransport(app=app, raise_app_exceptions=False)
