"""The fuzz runner against a tiny spec-serving app: verdicts, counts, reports, curl, checks."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from harness.fuzz.config import FuzzOptions, config_document
from harness.fuzz.fuzz_suite import ASGI_ORIGIN, REPRODUCE_ORIGIN, app_schema
from harness.fuzz.runner import curl_for, run_schema
from harness.proxy.public import SPEC_PATH

SECRET = "toy-secret-0123456789"
ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict) -> dict:
    return {"description": "d", "content": {"application/json": {"schema": schema}}}


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "toy", "version": "1"},
    "servers": [{"url": "/api/v2"}],
    "security": [{"bearerAuth": []}],
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["status", "code", "message"],
                        "properties": {
                            "status": {"type": "integer"},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    }
                },
            }
        },
    },
    "paths": {
        "/items/{id}": {
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[a-z]{1,8}$"},
                    },
                    {
                        "name": "n",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 5},
                    },
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["id"],
                            "properties": {"id": {"type": "string"}},
                        }
                    ),
                    "400": _json(ERROR),
                    "401": _json(ERROR),
                },
            }
        }
    },
}


def _error(status: int, code: str) -> Response:
    return JSONResponse({"error": {"status": status, "code": code, "message": code}}, status)


def toy_app(misbehave_on: int | None = None, misbehaviour: str = "") -> Starlette:
    """A correct implementation of SPEC, except for ``n == misbehave_on``."""

    async def item(request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {SECRET}":
            return _error(401, "unauthorized")
        item_id = request.path_params["id"]
        raw = request.query_params.getlist("n")
        if not re.fullmatch("[a-z]{1,8}", item_id) or len(raw) > 1:
            return _error(400, "invalid_parameter")
        if raw:
            if not re.fullmatch("[1-5]", raw[0]):
                return _error(400, "invalid_parameter")
            if int(raw[0]) == misbehave_on:
                return {
                    "crash": PlainTextResponse("Internal Server Error", 500),
                    "leak": JSONResponse({"id": item_id, "debug": SECRET}),
                    "encoded leak": JSONResponse(
                        {"id": item_id, "debug": "".join(f"%{b:02x}" for b in SECRET.encode())}
                    ),
                    "trace": _error(400, 'File "app.py", line 3, in item'),
                    "envelope": JSONResponse(
                        {"error": {"status": 401, "code": "x", "message": "x"}}, 400
                    ),
                }[misbehaviour]
        return JSONResponse({"id": item_id})

    async def openapi(request: Request) -> Response:
        return JSONResponse(SPEC)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        response = _error(exc.status_code, "http_error")
        response.headers.update(exc.headers or {})
        return response

    return Starlette(
        routes=[Route("/api/v2/items/{id}", item), Route("/openapi.json", openapi)],
        exception_handlers={HTTPException: http_error},
    )


FAST = FuzzOptions(max_examples=30, seed=7, accepted_statuses=("200",))


def fuzz(app: Starlette, tmp_path=None, formats: tuple[str, ...] = ()):
    return run_schema(
        app_schema(app, FAST, SECRET),
        name="toy",
        location=SPEC_PATH,
        reproduce=curl_for(ASGI_ORIGIN, REPRODUCE_ORIGIN),
        formats=formats,
        report_dir=tmp_path / "toy" if tmp_path else None,
    )


def test_a_correct_app_passes_every_check_and_reports_are_written(tmp_path):
    result = fuzz(toy_app(), tmp_path, ("junit", "json"))

    assert result.ok, result.failures or result.errors
    assert result.examples["GET /items/{id}"] >= 30
    assert result.total_checks > result.total_examples
    assert {"no_secret_leak", "no_stack_trace", "error_envelope", "ignored_auth"} <= set(
        result.check_names
    )
    assert result.seed == 7
    junit = ET.parse(tmp_path / "toy" / "junit.xml").getroot()
    assert junit.tag == "testsuites"
    report = json.loads((tmp_path / "toy" / "schemathesis.json").read_text())
    assert report["seed"] == 7
    assert report["test_cases"]["generated"] > 0


@pytest.mark.parametrize(
    ("misbehaviour", "check"),
    [
        ("crash", "not_a_server_error"),
        ("leak", "no_secret_leak"),
        ("encoded leak", "no_secret_leak"),
        ("trace", "no_stack_trace"),
        ("envelope", "error_envelope"),
    ],
)
def test_a_misbehaving_response_fails_its_check_with_a_curl_command(misbehaviour, check):
    # n = 5 is the schema's maximum, which the coverage phase always sends: the test does not
    # depend on the fuzzing phase's random draws hitting one value (they depend on what ran
    # earlier in the process).
    result = fuzz(toy_app(misbehave_on=5, misbehaviour=misbehaviour))

    failed = {failure.check: failure for failure in result.failures}
    assert check in failed, result.failures
    curl = failed[check].curl
    assert curl.startswith("curl ")
    assert f"{REPRODUCE_ORIGIN}/api/v2/items/" in curl
    assert "n=5" in curl
    assert '"Authorization: Bearer $CHATGPT_SECRET"' in curl
    assert SECRET not in curl
    assert not result.ok


def test_the_secret_never_reaches_the_reports(tmp_path):
    fuzz(toy_app(misbehave_on=2, misbehaviour="crash"), tmp_path, ("junit", "json"))

    for path in (tmp_path / "toy").iterdir():
        assert SECRET not in path.read_text()


def test_config_enables_exactly_the_requested_checks_with_their_statuses():
    options = FuzzOptions(checks=("positive_data_acceptance", "no_secret_leak"), secrets=("s" * 9,))
    checks = config_document(options, {})["checks"]

    assert checks["enabled"] is False
    assert checks["positive_data_acceptance"] == {
        "enabled": True,
        "expected-statuses": ["200", "404"],
    }
    assert checks["no_secret_leak"] == {"enabled": True, "secrets": ["s" * 9]}
    assert "not_a_server_error" not in checks


def test_options_reject_unknown_phases():
    with pytest.raises(ValueError, match="unknown phase"):
        FuzzOptions(phases=("fuzzing", "chaos"))
