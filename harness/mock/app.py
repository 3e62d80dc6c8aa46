"""The offline PodcastAPI v2 stand-in: a Starlette app serving the generated catalogue."""

from __future__ import annotations

import hmac
import itertools
import time
from collections.abc import Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from harness.mock import directory
from harness.mock.catalogue import Catalogue, get_catalogue
from harness.mock.errors import MockError
from harness.mock.faults import FaultInjectionMiddleware, Faults
from harness.mock.params import QueryParams
from harness.mock.search import SearchRequest, search

MOCK_BASE_URL = "http://podcastapi-mock.invalid/api/v2"
API_PREFIX = "/api/v2"
API_KEY_HEADER = "X-ListenAPI-Key"
FREE_QUOTA = 10_000
NEXT_BILLING_DATE = "2026-12-01T00:00:00+00:00"

Handler = Callable[[Catalogue, QueryParams], dict[str, Any]]
ItemHandler = Callable[[Catalogue, str, QueryParams], dict[str, Any]]


class OrjsonResponse(JSONResponse):
    """A JSON response serialised with orjson."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _search(catalogue: Catalogue, params: QueryParams) -> dict[str, Any]:
    request = SearchRequest.from_params(params)
    offset = params.integer("offset", default=0, minimum=0)
    page_size = params.integer("page_size", default=10, minimum=1, maximum=10)
    return search(catalogue, request, offset or 0, page_size or 10)


COLLECTION_ROUTES: dict[str, Handler] = {
    "/search": _search,
    "/typeahead": directory.typeahead,
    "/best_podcasts": directory.best_podcasts,
    "/genres": directory.genres,
    "/languages": directory.languages,
    "/regions": directory.regions,
    "/just_listen": directory.just_listen,
    "/curated_podcasts": directory.curated_lists,
}

ITEM_ROUTES: dict[str, ItemHandler] = {
    "/podcasts/{id}": directory.podcast_detail,
    "/podcasts/{id}/recommendations": directory.podcast_recommendations,
    "/episodes/{id}": directory.episode_detail,
    "/episodes/{id}/recommendations": directory.episode_recommendations,
    "/curated_podcasts/{id}": directory.curated_detail,
}


class _Endpoints:
    """Turns catalogue handlers into Starlette endpoints with auth, errors and quota headers."""

    def __init__(self, catalogue: Catalogue, api_key: str | None) -> None:
        self.catalogue = catalogue
        self.api_key = api_key
        self.usage = itertools.count(1)

    def _authorised(self, request: Request) -> bool:
        if self.api_key is None:
            return True
        given = request.headers.get(API_KEY_HEADER, "")
        return hmac.compare_digest(given.encode(), self.api_key.encode())

    def wrap(self, compute: Callable[[Request, QueryParams], dict[str, Any]]):
        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            if not self._authorised(request):
                return OrjsonResponse(
                    {"status": 401, "error": "Wrong api key or your account is suspended."},
                    status_code=401,
                )
            try:
                payload = compute(request, QueryParams(request.query_params))
            except MockError as error:
                return OrjsonResponse(error.body(), status_code=error.status)
            headers = {
                "X-ListenAPI-FreeQuota": str(FREE_QUOTA),
                "X-ListenAPI-Usage": str(next(self.usage)),
                "X-ListenAPI-NextBillingDate": NEXT_BILLING_DATE,
                "X-listenAPI-Latency-Seconds": f"{time.perf_counter() - started:.3f}",
            }
            return OrjsonResponse(payload, headers=headers)

        return endpoint

    def collection(self, handler: Handler):
        return self.wrap(lambda request, params: handler(self.catalogue, params))

    def item(self, handler: ItemHandler):
        return self.wrap(
            lambda request, params: handler(self.catalogue, request.path_params["id"], params)
        )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "Endpoint not found." if exc.status_code == 404 else exc.detail
    return OrjsonResponse(
        {"status": exc.status_code, "error": message},
        status_code=exc.status_code,
        headers=exc.headers,
    )


def create_mock_app(api_key: str | None = None, faults: Faults | None = None) -> Starlette:
    """A Starlette app answering PodcastAPI v2 GET routes under `/api/v2`.

    With `api_key`, requests must carry it in `X-ListenAPI-Key` (else 401). With `faults`,
    a seeded fraction of requests is delayed or answered with errors or broken JSON.
    """
    endpoints = _Endpoints(get_catalogue(), api_key)
    routes = [
        Route(path, endpoints.collection(handler), methods=["GET"])
        for path, handler in COLLECTION_ROUTES.items()
    ] + [
        Route(path, endpoints.item(handler), methods=["GET"])
        for path, handler in ITEM_ROUTES.items()
    ]
    middleware = [Middleware(FaultInjectionMiddleware, faults=faults)] if faults else []
    return Starlette(
        routes=[Mount(API_PREFIX, routes=routes)],
        middleware=middleware,
        exception_handlers={HTTPException: _http_error},
    )
