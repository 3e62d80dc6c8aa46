"""Serve one of the benchmark apps: ``python -m benchmarks.serve KIND --port N [--server S]``.

Servers (every one binds 127.0.0.1, no access log):

- ``uvicorn``: asyncio loop and h11, uvicorn's pure-Python defaults, for every reference target
  (the upstream stand-in, the mock, the bare pass-throughs), so they differ only in the app;
- ``harness``: exactly as ``harness serve`` runs an app (:func:`harness.proxy.server.serve`:
  asyncio's loop, httptools with the header timeout and size cap, its limits);
- ``uvicorn-httptools``: asyncio's loop and httptools, uvicorn's other defaults;
- ``uvicorn-fast``: uvloop and httptools;
- ``granian``: the Rust HTTP server, ASGI interface;
- ``aiohttp``: aiohttp's own server, for the minimal aiohttp reverse proxy.

``--workers 2`` runs two server processes sharing the port (uvicorn and granian only; the
``harness`` server has one).
"""

from __future__ import annotations

import argparse
import os

import uvicorn

from benchmarks.apps import FACTORIES, ASGIApp, aiohttp_proxy_app

KIND_ENV = "BENCH_APP_KIND"
SERVERS = ("harness", "uvicorn", "uvicorn-httptools", "uvicorn-fast", "granian", "aiohttp")
UVICORN_SETTINGS = {"log_level": "warning", "access_log": False, "loop": "asyncio", "http": "h11"}
UVICORN_VARIANTS = {
    "uvicorn": UVICORN_SETTINGS,
    "uvicorn-httptools": {**UVICORN_SETTINGS, "http": "httptools"},
    "uvicorn-fast": {**UVICORN_SETTINGS, "loop": "uvloop", "http": "httptools"},
}


def app_from_env() -> ASGIApp:
    """The app named by ``BENCH_APP_KIND`` (a factory importable by worker processes)."""
    return FACTORIES[os.environ[KIND_ENV]]()


def main() -> None:
    """Parse the command line and serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=[*sorted(FACTORIES), "aiohttp-proxy"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server", choices=SERVERS, default="uvicorn")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.server == "harness" and args.workers > 1:
        parser.error("the harness server runs one process")
    os.environ[KIND_ENV] = args.kind
    if args.kind == "aiohttp-proxy" or args.server == "aiohttp":
        from aiohttp import web

        web.run_app(aiohttp_proxy_app(), host="127.0.0.1", port=args.port, access_log=None)
    elif args.server == "harness":
        from harness.proxy.server import ServerLimits, bind, serve

        serve(app_from_env(), bind("127.0.0.1", args.port), ServerLimits(), "warning")
    elif args.server == "granian":
        from granian import Granian

        Granian(
            "benchmarks.serve:app_from_env",
            factory=True,
            address="127.0.0.1",
            port=args.port,
            interface="asgi",
            workers=args.workers,
            log_level="warning",
        ).serve()
    else:
        settings = UVICORN_VARIANTS[args.server]
        if args.workers > 1:
            uvicorn.run(
                "benchmarks.serve:app_from_env",
                factory=True,
                host="127.0.0.1",
                port=args.port,
                workers=args.workers,
                **settings,
            )
        else:
            uvicorn.run(app_from_env(), host="127.0.0.1", port=args.port, **settings)


if __name__ == "__main__":
    main()
