"""Import vcrpy without the HTTP clients that only its patchers need.

``import vcr`` runs ``vcr.patch``, which imports every HTTP client it knows how to patch
(aiohttp, requests, urllib3, httpx2, botocore, tornado...) to keep their original methods.
The harness never patches: :class:`~harness.cassettes.transport.CassetteTransport` drives
``vcr.cassette.Cassette`` from its own httpx transport. Those imports are a fifth of what
`harness eval` takes to start (aiohttp's alone builds two TLS contexts). ``vcr.patch`` also
imports httpx, whose package imports its command-line client (``httpx._main``: rich and
pygments, 40 ms), which the harness never runs either.

:func:`import_vcr` imports vcrpy with those clients hidden (``sys.modules[name] = None``
makes ``import name`` raise ``ImportError``, which ``vcr.patch`` treats as "not installed")
and un-hides them at once, so they import normally afterwards. The cost: in that process,
``vcr.use_cassette`` cannot patch the clients that were hidden, and ``httpx.main`` is httpx's
stand-in that says the client's dependencies are missing. The `harness` command calls
it for the commands that use cassettes; a program that imports the harness as a library
does not get it unless it calls it.
"""

from __future__ import annotations

import sys

PATCH_TARGETS = (
    "aiohttp",
    "botocore",
    "httplib2",
    "httpx2",
    "httpx_curl_cffi",
    "pyreqwest",
    "requests",
    "tornado",
    "urllib3",
)
"""Top-level packages ``vcr.patch`` imports only to patch them (httpx is not among them: the
harness uses it)."""
UNUSED_PARTS = ("httpx._main",)
"""Modules of packages the harness uses that it never runs (httpx's command-line client)."""


def import_vcr() -> None:
    """Import vcrpy with :data:`PATCH_TARGETS` and :data:`UNUSED_PARTS` hidden; nothing happens
    if vcrpy is imported.

    A module the process has already imported is left alone (``vcr.patch`` sees it as usual),
    and so is a part of a package already imported.
    """
    if "vcr" in sys.modules:
        return
    hidden = [name for name in PATCH_TARGETS if name not in sys.modules]
    hidden += [
        name
        for name in UNUSED_PARTS
        if name not in sys.modules and name.partition(".")[0] not in sys.modules
    ]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import vcr  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
