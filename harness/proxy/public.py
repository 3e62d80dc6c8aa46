"""The public routes: plugin manifest, the spec as served, logo and legal page.

The manifest and the spec are serialised once at start with a placeholder for the origin;
each request only substitutes its own origin (scheme and host) into the prepared bytes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

ORIGIN_PLACEHOLDER = "__REQUEST_ORIGIN__"
VERIFICATION_TOKEN_PLACEHOLDER = "${CHATGPT_VERIFICATION_TOKEN}"
MANIFEST_PATH = "/.well-known/ai-plugin.json"
SPEC_PATH = "/openapi.json"
_MANIFEST_URL_FIELDS = ("logo_url", "legal_info_url")


def request_origin(request: Request) -> str:
    """The origin the caller used to reach this proxy, e.g. ``https://plugin.example``."""
    return f"{request.url.scheme}://{request.url.netloc}"


class OriginTemplate:
    """JSON bytes in which the request's origin is substituted at serve time."""

    def __init__(self, document: Any) -> None:
        self._bytes = orjson.dumps(document)

    def render(self, origin: str) -> bytes:
        """The document with ``origin`` in place of the placeholder (JSON-escaped)."""
        escaped = orjson.dumps(origin)[1:-1]
        return self._bytes.replace(ORIGIN_PLACEHOLDER.encode(), escaped)


def _with_placeholder_origin(url: str) -> tuple[str, str]:
    """Return ``(templated_url, path)`` for an absolute or relative URL from the manifest."""
    parts = urlsplit(url)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{ORIGIN_PLACEHOLDER}{path}{query}", path


def served_manifest(
    manifest: Mapping[str, Any], verification_token: str | None
) -> tuple[OriginTemplate, dict[str, str]]:
    """The manifest template and the local paths it names (``api``, ``logo_url``, ...)."""
    document = copy.deepcopy(dict(manifest))
    paths: dict[str, str] = {}
    api = document.get("api")
    if isinstance(api, dict) and isinstance(api.get("url"), str):
        api["url"], paths["api"] = _with_placeholder_origin(api["url"])
    for key in _MANIFEST_URL_FIELDS:
        if isinstance(document.get(key), str):
            document[key], paths[key] = _with_placeholder_origin(document[key])
    if verification_token:
        text = orjson.dumps(document).decode()
        escaped = orjson.dumps(verification_token).decode()[1:-1]
        document = orjson.loads(text.replace(VERIFICATION_TOKEN_PLACEHOLDER, escaped))
    return OriginTemplate(document), paths


def served_spec(document: Mapping[str, Any], server_path: str) -> OriginTemplate:
    """The spec as callers see it: the server URL is the request origin plus the server path,
    and the internal ``x-upstream`` mappings are left out."""
    served = copy.deepcopy(dict(document))
    servers = served.get("servers") or [{}]
    served["servers"] = [{**servers[0], "url": ORIGIN_PLACEHOLDER + server_path}]
    for item in served.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("x-upstream", None)
    return OriginTemplate(served)


def public_routes(
    manifest: Mapping[str, Any],
    spec_document: Mapping[str, Any],
    server_path: str,
    verification_token: str | None,
) -> list[BaseRoute]:
    """Routes for the manifest, the spec (also at the manifest's API path), logo and legal."""
    manifest_template, paths = served_manifest(manifest, verification_token)
    spec_template = served_spec(spec_document, server_path)

    def json_endpoint(template: OriginTemplate):
        async def endpoint(request: Request) -> Response:
            return Response(template.render(request_origin(request)), media_type="application/json")

        return endpoint

    spec_endpoint = json_endpoint(spec_template)
    routes: list[BaseRoute] = [
        Route(MANIFEST_PATH, json_endpoint(manifest_template), methods=["GET"]),
        Route(SPEC_PATH, spec_endpoint, methods=["GET"]),
    ]
    if paths.get("api", SPEC_PATH) != SPEC_PATH:
        routes.append(Route(paths["api"], spec_endpoint, methods=["GET"]))
    if "logo_url" in paths:
        logo = (resources.files(__package__) / "logo.png").read_bytes()

        async def logo_endpoint(request: Request) -> Response:
            return Response(logo, media_type="image/png")

        routes.append(Route(paths["logo_url"], logo_endpoint, methods=["GET"]))
    if "legal_info_url" in paths:
        legal = (resources.files(__package__) / "legal.html").read_text(encoding="utf-8")

        async def legal_endpoint(request: Request) -> Response:
            return HTMLResponse(legal)

        routes.append(Route(paths["legal_info_url"], legal_endpoint, methods=["GET"]))
    return routes
