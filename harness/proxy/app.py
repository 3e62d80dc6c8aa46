"""The reference proxy as an ASGI app whose routes are built from the spec.

Starlette rather than FastAPI: here the spec is the input and the routes are derived from
it, so FastAPI's main value, deriving a spec from typed handlers, would work against the
design; Starlette is the thin routing/request/response core it is built on, and nothing more.

``create_app`` compiles one :class:`~harness.proxy.operations.OperationPipeline` per
operation and serves it on both surfaces: a REST route under the spec's server path
(:class:`~harness.proxy.operations.OperationHandler`) and an MCP tool on the Streamable HTTP
endpoint (:mod:`harness.proxy.mcp_http`, ``/mcp`` by default); plus the public
manifest/spec/logo/legal routes, JSON 404/405 answers and optional CORS.
``create_offline_app`` is the same proxy in front of the in-process offline mock (for the
eval loop, fuzzing and benchmarks).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from harness.contract.load import Spec, load_manifest, load_spec
from harness.proxy.auth import BearerAuth
from harness.proxy.errors import ProxyError
from harness.proxy.mcp_http import (
    MCP_REQUEST_HEADERS,
    MCP_RESPONSE_HEADERS,
    McpEndpoint,
    mcp_routes,
    transport_security,
)
from harness.proxy.mcp_server import create_mcp_server
from harness.proxy.operations import CALLER_QUOTA_HEADERS, Admission, OperationHandler
from harness.proxy.public import public_routes
from harness.proxy.ratelimit import RateLimiter
from harness.proxy.redaction import proxy_redactor
from harness.proxy.request_log import RequestLog
from harness.proxy.settings import ProxySettings, SettingsError
from harness.proxy.upstream import UpstreamClient

logger = logging.getLogger("harness.proxy")


def create_app(
    settings: ProxySettings,
    spec: Spec | None = None,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
    upstream_url: str | None = None,
) -> Starlette:
    """Build the proxy for ``settings`` (spec loaded from ``settings.spec_path`` if not given).

    The upstream is ``upstream_url`` (else the one ``settings`` names) reached through
    ``upstream_transport`` (else the network); :mod:`harness.offline` wires in the mock.

    Raises :class:`~harness.proxy.settings.SettingsError` for a configuration the proxy
    refuses (e.g. neither a bearer secret nor ``no_auth``), and ``SpecError`` for a bad spec.
    """
    settings.check()
    spec = spec if spec is not None else load_spec(settings.spec_path)
    manifest = load_manifest(settings.manifest_path)
    upstream = _upstream_client(settings, upstream_transport, upstream_url)
    redact = proxy_redactor(settings)
    request_log = RequestLog(settings.request_log, redact) if settings.request_log else None
    admission = Admission(
        auth=BearerAuth(settings.chatgpt_secret) if settings.auth_enabled else None,
        limiter=RateLimiter(settings.rate_limit) if settings.rate_limit else None,
    )
    routes: list[BaseRoute] = public_routes(
        manifest, spec.document, spec.server_path, settings.verification_token
    )
    handlers: dict[str, OperationHandler] = {}
    fixed_paths: dict[str, OperationHandler] = {}  # REST routes without path parameters
    for operation in spec.operations.values():
        if operation.method != "GET":
            raise ValueError(f"{operation.pointer}: only GET operations are supported")
        handler = OperationHandler.compile(operation, admission, upstream, request_log, redact)
        handlers[operation.operation_id] = handler
        route = Route(spec.server_path + operation.path, handler, methods=["GET"])
        routes.append(route)
        if not route.param_convertors:
            fixed_paths[route.path] = handler
    mcp_endpoint = _mcp_endpoint(settings, spec, manifest, handlers, admission)
    taken = {getattr(route, "path", None) for route in routes}
    if settings.mcp_path in taken:
        raise SettingsError(f"the MCP path {settings.mcp_path} is already a route of the proxy")
    routes.extend(
        mcp_routes(
            mcp_endpoint,
            settings.mcp_path,
            settings.authorization_servers,
            manifest.get("name_for_human"),
            settings.auth_enabled,
        )
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with mcp_endpoint.running():
                yield
        finally:
            await upstream.aclose()
            if request_log is not None:
                request_log.close()

    app = ProxyApp(
        fixed_paths,
        routes=routes,
        middleware=_cors_middleware(settings.cors_origins),
        exception_handlers={HTTPException: _http_exception_as_json},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.upstream = upstream
    app.state.settings = settings
    app.state.mcp_path = settings.mcp_path
    return app


class ProxyApp(Starlette):
    """The proxy's Starlette app, with a direct way to the REST routes without path parameters.

    A GET or HEAD of such a route goes straight to its
    :class:`~harness.proxy.operations.OperationHandler`, a plain ASGI app that answers every
    failure itself, so it needs none of Starlette's error middleware, exception middleware and
    route matching (about 8% of the proxy's throughput under load: README, Performance). Every
    other request (MCP, the public files, other methods, path parameters, a ``root_path``) and
    every request when CORS middleware is configured takes Starlette's usual way.
    """

    def __init__(self, fixed_paths: dict[str, OperationHandler], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fixed_paths = {} if self.user_middleware else fixed_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not scope.get("root_path")
        ):
            handler = self._fixed_paths.get(scope["path"])
            if handler is not None:
                scope["app"] = self
                await handler(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def _mcp_endpoint(
    settings: ProxySettings,
    spec: Spec,
    manifest: dict,
    handlers: dict[str, OperationHandler],
    admission: Admission,
) -> McpEndpoint:
    """The MCP server over the REST handlers' own pipelines, behind the endpoint's checks."""
    server = create_mcp_server(
        spec,
        {operation_id: handler.pipeline for operation_id, handler in handlers.items()},
        admission,
        name=str(manifest.get("name_for_model") or "podcast-harness"),
        version=str(spec.document.get("info", {}).get("version", "")),
        title=manifest.get("name_for_human"),
        instructions=manifest.get("description_for_model"),
    )
    security = transport_security(settings.allowed_hosts, settings.cors_origins)
    return McpEndpoint(server, admission, security)


def _upstream_client(
    settings: ProxySettings,
    transport: httpx.AsyncBaseTransport | None,
    base_url: str | None,
) -> UpstreamClient:
    base_url = base_url or settings.upstream_base_url()
    if base_url is None:
        raise SettingsError(
            "no upstream: set LISTEN_API_KEY (or the upstream URL), "
            "or build the app with harness.offline"
        )
    logger.info("upstream: %s", base_url)
    return UpstreamClient(
        base_url,
        api_key=settings.listen_api_key,
        timeout=settings.timeout,
        retries=settings.retries,
        transport=transport,
    )


def _cors_middleware(origins: tuple[str, ...]) -> list[Middleware]:
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", *MCP_REQUEST_HEADERS],
            expose_headers=[*CALLER_QUOTA_HEADERS, "Retry-After", *MCP_RESPONSE_HEADERS],
        )
    ]


async def _http_exception_as_json(request: Request, exc: HTTPException) -> Response:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    error = ProxyError(exc.status_code, code, str(exc.detail))
    return error.to_response(exc.headers)
