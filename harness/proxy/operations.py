"""One pipeline per spec operation, compiled at start, shared by both surfaces.

A call, whether a REST request (``GET /api/v2/...``) or an MCP ``tools/call``, walks the same
steps in :meth:`OperationPipeline.run`: admission (auth and rate limit), parameter validation,
the upstream call, projection onto the declared response schema, error mapping and one request
log record, stamped with the ``surface`` it came from. The surfaces differ only in how the
parameters arrive (query strings vs. JSON arguments) and how the result is rendered
(:class:`OperationHandler` for REST, :mod:`harness.proxy.mcp_server` for MCP).

Everything derived from the spec (parameter rules, upstream path template, projection plan)
is computed in :meth:`OperationPipeline.compile`, so a call walks no schema.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

import orjson
from starlette.types import Receive, Scope, Send

from harness.contract.load import Operation
from harness.proxy.auth import BearerAuth, authenticate
from harness.proxy.errors import ProxyError
from harness.proxy.projection import ProjectionError, Projector, compile_projection
from harness.proxy.ratelimit import RateLimiter
from harness.proxy.request_log import RequestLog, response_chars
from harness.proxy.upstream import QUOTA_HEADERS, UpstreamClient, UpstreamFailure
from harness.proxy.validation import ParameterRule, RequestRules, format_for_upstream

logger = logging.getLogger("harness.proxy")

CALLER_QUOTA_HEADERS = QUOTA_HEADERS[:3]
"""Quota headers passed on to the caller (the ones the spec declares); all go to the log."""

SURFACE_REST = "rest"
SURFACE_MCP = "mcp"


@dataclass
class Admission:
    """What every API call passes before validation: bearer auth, then the rate limit."""

    auth: BearerAuth | None
    limiter: RateLimiter | None

    def admit(self, authorization: Sequence[str], address: str) -> None:
        """Raise a 401 or 429 :class:`ProxyError`, or return when the call may proceed."""
        caller = self.authenticate(authorization, address)
        self.limit(caller, address)

    def authenticate(self, authorization: Sequence[str], address: str) -> str | None:
        """The caller id of a valid bearer token (``None`` when auth is off), or a 401; an
        address that spent its budget of failed authentications gets a 429 first."""
        return authenticate(self.auth, self.limiter, authorization, address)

    def limit(self, caller: str | None, client_host: str | None) -> None:
        """Count one call by ``caller`` (else by client address), or raise a 429."""
        if self.limiter is not None:
            self.limiter.check(caller or "ip:" + (client_host or "unknown"))


@dataclass(frozen=True)
class CallParameters:
    """A call's declared parameters after validation, keyed by their proxy names."""

    query: dict[str, Any]
    path: dict[str, Any]
    ignored: list[str] = field(default_factory=list)
    """Names the caller sent that the operation does not declare (never forwarded)."""


@dataclass(frozen=True)
class OperationResult:
    """What a call produced: the projected body, or the ``Error`` envelope of a refusal."""

    status: int
    body: Any
    headers: dict[str, str]
    error: ProxyError | None = None

    @property
    def is_error(self) -> bool:
        """Whether the call was refused or failed (the body is then the error envelope)."""
        return self.error is not None

    def json(self) -> bytes:
        """The body as JSON bytes, exactly as the REST route sends it."""
        return orjson.dumps(self.body)


Admit = Callable[[], None]
"""Raises a 401/429 :class:`ProxyError`, or returns when the call may proceed."""
Parse = Callable[[RequestRules], CallParameters]
"""Validates the surface's raw parameters, or raises a 400 :class:`ProxyError`."""


@dataclass(frozen=True)
class OperationPipeline:
    """Runs calls of one operation: admission, validation, upstream, projection, log."""

    operation_id: str
    rules: RequestRules
    upstream_path: Callable[[dict[str, Any]], str]
    fixed_params: dict[str, str]
    project: Projector
    upstream: UpstreamClient
    request_log: RequestLog | None
    redact: Callable[[str], str]

    @classmethod
    def compile(
        cls,
        operation: Operation,
        upstream: UpstreamClient,
        request_log: RequestLog | None,
        redact: Callable[[str], str],
    ) -> OperationPipeline:
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
            upstream=upstream,
            request_log=request_log,
            redact=redact,
        )

    async def run(self, surface: str, admit: Admit, parse: Parse) -> OperationResult:
        """Run one call; every failure becomes an error result, never an exception."""
        started = time.perf_counter()
        record: dict[str, Any] = {"operation": self.operation_id, "surface": surface}
        try:
            result = await self._call(admit, parse, record)
        except ProxyError as error:
            result = self._error_result(error, record)
        except Exception as unexpected:
            details = "".join(traceback.format_exception(unexpected))
            logger.error("unexpected failure in %s\n%s", self.operation_id, self.redact(details))
            error = ProxyError(502, "proxy_error", "The proxy failed to handle the request.")
            result = self._error_result(error, record)
        if self.request_log is not None:
            record["status"] = result.status
            record["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
            # Both surfaces deliver the body's JSON (MCP as structuredContent and a text block).
            record["response_chars"] = response_chars(result.json())
            self.request_log.write(record)
        return result

    async def _call(self, admit: Admit, parse: Parse, record: dict[str, Any]) -> OperationResult:
        admit()
        parameters = parse(self.rules)
        record["params"] = {**parameters.path, **parameters.query}
        if parameters.ignored:
            record["ignored_params"] = parameters.ignored
        params = {
            self.rules.query[name].upstream_name: format_for_upstream(v)
            for name, v in parameters.query.items()
        }
        params.update(self.fixed_params)
        reply = await self.upstream.get_json(self.upstream_path(parameters.path), params)
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
        return OperationResult(200, body, headers)

    @staticmethod
    def _error_result(error: ProxyError, record: dict[str, Any]) -> OperationResult:
        record["error"] = error.code
        if error.parameter is not None:
            record["error_parameter"] = error.parameter
        quota: dict[str, str] = {}
        if isinstance(error, UpstreamFailure):
            record["upstream_status"] = error.upstream_status
            if error.latency_ms is not None:
                record["upstream_latency_ms"] = round(error.latency_ms, 3)
            record["quota"] = quota = error.quota
        headers = {k: quota[k] for k in CALLER_QUOTA_HEADERS if k in quota}
        return OperationResult(error.status, error.body(), {**headers, **error.headers}, error)


@dataclass(frozen=True)
class OperationHandler:
    """Serves one operation as a REST route: query strings in, JSON response out.

    A plain ASGI app (Starlette routes to it as it is): it reads the query string, the
    ``Authorization`` headers and the client address straight from the scope, the way
    Starlette's ``Request`` does, and never raises, so it needs none of the request and
    exception wrapping Starlette gives a request function (measured: README, Performance).
    """

    pipeline: OperationPipeline
    admission: Admission

    @classmethod
    def compile(
        cls,
        operation: Operation,
        admission: Admission,
        upstream: UpstreamClient,
        request_log: RequestLog | None,
        redact: Callable[[str], str],
    ) -> OperationHandler:
        """The REST handler of ``operation`` over a freshly compiled pipeline."""
        return cls(OperationPipeline.compile(operation, upstream, request_log, redact), admission)

    @property
    def operation_id(self) -> str:
        return self.pipeline.operation_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request; every failure becomes a JSON error, never a 500."""
        query_items = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        path_params = scope.get("path_params", {})
        authorization = [v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"]
        client = scope.get("client")
        address = client[0] if client else "unknown"

        def parse(rules: RequestRules) -> CallParameters:
            query, path = rules.parse(query_items, path_params)
            if len(query) == len(query_items):  # every name declared (none can repeat)
                return CallParameters(query, path)
            ignored = sorted({name for name, _ in query_items} - rules.query.keys())
            return CallParameters(query, path, ignored)

        result = await self.pipeline.run(
            SURFACE_REST, lambda: self.admission.admit(authorization, address), parse
        )
        body = result.json()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *[
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in result.headers.items()
            ],
        ]
        if scope["method"] == "HEAD":
            body = b""
        await send({"type": "http.response.start", "status": result.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


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
