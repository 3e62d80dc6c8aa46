"""Serve one of the benchmark apps under uvicorn: ``python -m benchmarks.serve KIND --port N``.

Every app runs with the same settings (one worker, asyncio loop, h11, no access log), so
the upstream stand-in, the bare pass-through and the proxy differ only in the app.
"""

from __future__ import annotations

import argparse

import uvicorn

from benchmarks.apps import FACTORIES

UVICORN_SETTINGS = {"log_level": "warning", "access_log": False, "loop": "asyncio", "http": "h11"}


def main() -> None:
    """Parse the command line and serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=sorted(FACTORIES))
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(FACTORIES[args.kind](), host="127.0.0.1", port=args.port, **UVICORN_SETTINGS)


if __name__ == "__main__":
    main()
