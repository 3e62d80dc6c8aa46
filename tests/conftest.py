"""Shared fixtures: proxies built from the real spec, driven in-process through httpx."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from harness.proxy.app import create_app
from harness.proxy.settings import ProxySettings
from harness.spec.load import Spec, load_spec

PROXY_BASE_URL = "http://proxy.test"


@pytest.fixture(scope="session")
def spec() -> Spec:
    """The project's own spec, loaded once."""
    return load_spec()


@pytest.fixture
def make_proxy_client(
    spec: Spec,
) -> Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]:
    """Factory: ``async with make_proxy_client(settings, transport) as client`` drives a proxy
    built from ``settings`` (the upstream mocked by respx, or by ``transport``) in-process."""

    @contextlib.asynccontextmanager
    async def make(
        settings: ProxySettings, upstream_transport: httpx.AsyncBaseTransport | None = None
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings, spec=spec, upstream_transport=upstream_transport)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url=PROXY_BASE_URL) as client:
                yield client
        finally:
            await app.state.upstream.aclose()

    return make
