"""The MCP endpoint over Streamable HTTP, mounted in the proxy's ASGI app.

Every request to the endpoint passes, in order: the DNS-rebinding check (``Host`` and
``Origin`` against loopback, ``--allowed-host`` and ``--cors-origin``, with the SDK's
:class:`~mcp.server.transport_security.TransportSecurityMiddleware`), then the bearer secret
of the REST routes. A refusal is the REST error envelope with
``WWW-Authenticate: Bearer resource_metadata="<origin>/.well-known/oauth-protected-resource"``,
where the RFC 9728 protected-resource metadata names the configured authorization servers.
Then the SDK's session manager serves the request, statelessly and with JSON responses: the
tools need no session, no server-to-client request and no stream, so any replica can answer
any request and nothing is kept per client.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

import orjson
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from harness.proxy.errors import ProxyError
from harness.proxy.mcp_server import CALLER_STATE_KEY
from harness.proxy.operations import Admission
from harness.proxy.public import request_origin

PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
MCP_METHODS = ("GET", "POST", "DELETE")
MCP_REQUEST_HEADERS = (
    "Content-Type",
    "Last-Event-ID",
    "Mcp-Method",
    "Mcp-Name",
    "Mcp-Protocol-Version",
    "Mcp-Session-Id",
)
"""Headers an MCP client sends besides ``Authorization`` (allowed by CORS)."""
MCP_RESPONSE_HEADERS = ("Mcp-Session-Id",)


def transport_security(
    allowed_hosts: Iterable[str], cors_origins: Iterable[str]
) -> TransportSecuritySettings:
    """Accept loopback and ``allowed_hosts`` as ``Host`` (any port), and as ``Origin`` those
    hosts over http(s) plus the CORS origins; an absent ``Origin`` (not a browser) passes."""
    hosts = [*LOOPBACK_HOSTS, *allowed_hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[form for host in hosts for form in (host, f"{host}:*")],
        allowed_origins=[
            *(
                form
                for host in hosts
                for scheme in ("http", "https")
                for form in (f"{scheme}://{host}", f"{scheme}://{host}:*")
            ),
            *cors_origins,
        ],
    )


class McpEndpoint:
    """The ASGI app behind the MCP path: security checks, auth, then the SDK's transport.

    The SDK's session manager runs once per instance, while an app's lifespan may run several
    times (test clients enter it per client), so each :meth:`running` gets a fresh manager;
    a lifespan entered while one runs shares it.
    """

    def __init__(
        self, server: Server[Any], admission: Admission, security: TransportSecuritySettings
    ) -> None:
        self.server = server
        self.admission = admission
        self._security = TransportSecurityMiddleware(security)
        self._transport: StreamableHTTPASGIApp | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run a session manager for the endpoint (enter from the app's lifespan)."""
        if self._transport is not None:
            yield
            return
        manager = StreamableHTTPSessionManager(app=self.server, stateless=True, json_response=True)
        async with manager.run():
            self._transport = StreamableHTTPASGIApp(manager)
            try:
                yield
            finally:
                self._transport = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        refusal = await self._security.validate_request(request)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        authorization = request.headers.getlist("authorization")
        address = request.client.host if request.client else "unknown"
        try:
            caller = self.admission.authenticate(authorization, address)
        except ProxyError as error:
            await _refusal(request, error, token_given=bool(authorization))(scope, receive, send)
            return
        if self._transport is None:
            raise RuntimeError("the MCP endpoint is not running: run the app's lifespan")
        scope.setdefault("state", {})[CALLER_STATE_KEY] = caller
        await self._transport(scope, receive, send)


def _refusal(request: Request, error: ProxyError, *, token_given: bool) -> Response:
    """The error envelope; a 401 also points the client at the protected-resource metadata."""
    if error.status != 401:
        return error.to_response()
    metadata_url = request_origin(request) + PROTECTED_RESOURCE_PATH
    challenge = f'Bearer resource_metadata="{metadata_url}"'
    if token_given:
        challenge += ', error="invalid_token"'
    return Response(
        orjson.dumps(error.body()),
        status_code=error.status,
        media_type="application/json",
        headers={**error.headers, "WWW-Authenticate": challenge},
    )


def protected_resource_document(
    resource: str, authorization_servers: Iterable[str], resource_name: str | None
) -> dict[str, Any]:
    """RFC 9728 protected-resource metadata for ``resource`` (bearer tokens in the header)."""
    document: dict[str, Any] = {"resource": resource}
    servers = list(authorization_servers)
    if servers:
        document["authorization_servers"] = servers
    document["bearer_methods_supported"] = ["header"]
    if resource_name:
        document["resource_name"] = resource_name
    return document


def mcp_routes(
    endpoint: McpEndpoint,
    mcp_path: str,
    authorization_servers: tuple[str, ...],
    resource_name: str | None,
    auth_enabled: bool,
) -> list[BaseRoute]:
    """The MCP endpoint and, with auth on, its protected-resource metadata at the root
    well-known path and at the path RFC 9728 derives from the resource (``.../mcp``)."""
    routes: list[BaseRoute] = [Route(mcp_path, endpoint, methods=list(MCP_METHODS))]
    if not auth_enabled:
        return routes

    async def metadata(request: Request) -> Response:
        document = protected_resource_document(
            request_origin(request) + mcp_path, authorization_servers, resource_name
        )
        return Response(
            orjson.dumps(document),
            media_type="application/json",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    for path in (PROTECTED_RESOURCE_PATH, PROTECTED_RESOURCE_PATH + mcp_path):
        routes.append(Route(path, metadata, methods=["GET"]))
    return routes
