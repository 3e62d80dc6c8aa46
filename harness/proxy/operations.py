"""One handler per spec operation, compiled at start: auth, rate limit, validation,
the upstream call, projection, the request log record.

Everything derived from the spec (parameter rules, upstream path template, projection plan)
is computed in :meth:`OperationHandler.compile`, so a request walks no schema.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import Response

from harness.proxy.auth import BearerAuth, admit
from harness.proxy.errors import ProxyError
from harness.proxy.projection import ProjectionError, Projector, compile_projection
from harness.proxy.ratelimit import RateLimiter
from harness.proxy.request_log import RequestLog
from harness.proxy.upstream import QUOTA_HEADERS, UpstreamClient, UpstreamFailure
from harness.proxy.validation import ParameterRule, RequestRules, format_for_upstream
from harness.spec.load import Operation

logger = logging.getLogger("harness.proxy")

CALLER_QUOTA_HEADERS = QUOTA_HEADERS[:3]
"""Quota headers passed on to the caller (the ones the spec declares); all go to the log."""


@dataclass
class Gate:
    """What every API request passes before validation: bearer auth, then the rate limit."""

    auth: BearerAuth | None
    limiter: RateLimiter | None

    def admit(self, request: Request) -> None:
        """Raise a 401 or 429 :class:`ProxyError`, or return when the request may proceed."""
        address = request.client.host if request.client else "unknown"
        admit(self.auth, self.limiter, request.headers.getlist("authorization"), address)


@dataclass(frozen=True)
class OperationHandler:
    """Serves one operation of the spec."""

    operation_id: str
    rules: RequestRules
    upstream_path: Callable[[dict[str, Any]], str]
    fixed_params: dict[str, str]
    project: Projector
    gate: Gate
    upstream: UpstreamClient
    request_log: RequestLog | None
    redact: Callable[[str], str]

    @classmethod
    def compile(
        cls,
        operation: Operation,
        gate: Gate,
        upstream: UpstreamClient,
        request_log: RequestLog | None,
        redact: Callable[[str], str],
    ) -> OperationHandler:
        """Precompute validators, the upstream path template and the projection plan."""
        rules = RequestRules.from_rules(
            ParameterRule.compile(
                p.name, p.location, p.required, p.schema, operation.upstream.upstream_name(p.name)
            )
            for p in operation.parameters
        )
        return cls(
            operation_id=operation.operation_id,
            rules=rules,
            upstream_path=_path_template(operation.upstream.path, rules),
            fixed_params={k: format_for_upstream(v) for k, v in operation.upstream.fixed.items()},
            project=compile_projection(operation.response_schema, operation.upstream.rename),
            gate=gate,
            upstream=upstream,
            request_log=request_log,
            redact=redact,
        )

    async def handle(self, request: Request) -> Response:
        """Answer one request; every failure becomes a JSON error, never a 500."""
        started = time.perf_counter()
        record: dict[str, Any] = {"operation": self.operation_id}
        try:
            response = await self._respond(request, record)
        except ProxyError as error:
            response = self._error_response(error, record)
        except Exception as unexpected:
            details = "".join(traceback.format_exception(unexpected))
            logger.error("unexpected failure in %s\n%s", self.operation_id, self.redact(details))
            error = ProxyError(502, "proxy_error", "The proxy failed to handle the request.")
            response = self._error_response(error, record)
        if self.request_log is not None:
            record["status"] = response.status_code
            record["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
            self.request_log.write(record)
        return response

    async def _respond(self, request: Request, record: dict[str, Any]) -> Response:
        self.gate.admit(request)
        query_items = request.query_params.multi_items()
        query, path = self.rules.parse(query_items, request.path_params)
        record["params"] = {**path, **query}
        ignored = sorted({name for name, _ in query_items} - self.rules.query.keys())
        if ignored:
            record["ignored_params"] = ignored
        params = {
            self.rules.query[name].upstream_name: format_for_upstream(v)
            for name, v in query.items()
        }
        params.update(self.fixed_params)
        reply = await self.upstream.get_json(self.upstream_path(path), params)
        record.update(
            upstream_status=reply.status,
            upstream_latency_ms=round(reply.latency_ms, 3),
            quota=reply.quota,
        )
        try:
            body = self.project(reply.data)
        except ProjectionError as error:
            raise ProxyError(
                502, "upstream_contract", "The upstream response did not have the expected shape."
            ) from error
        headers = {k: reply.quota[k] for k in CALLER_QUOTA_HEADERS if k in reply.quota}
        return Response(orjson.dumps(body), media_type="application/json", headers=headers)

    @staticmethod
    def _error_response(error: ProxyError, record: dict[str, Any]) -> Response:
        record["error"] = error.code
        if error.parameter is not None:
            record["error_parameter"] = error.parameter
        quota: dict[str, str] = {}
        if isinstance(error, UpstreamFailure):
            record["upstream_status"] = error.upstream_status
            if error.latency_ms is not None:
                record["upstream_latency_ms"] = round(error.latency_ms, 3)
            record["quota"] = quota = error.quota
        return error.to_response({k: quota[k] for k in CALLER_QUOTA_HEADERS if k in quota})


def _path_template(template: str, rules: RequestRules) -> Callable[[dict[str, Any]], str]:
    """A function filling ``{name}`` placeholders with URL-quoted path parameter values."""
    for name in rules.path:
        if "{" + name + "}" not in template:
            raise ValueError(f"x-upstream path {template!r} does not use path parameter {name!r}")
    if "{" not in template:
        return lambda _path: template
    return lambda path: template.format_map(
        {name: quote(str(value), safe="") for name, value in path.items()}
    )
