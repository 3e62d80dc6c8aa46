"""`harness serve`: run the reference proxy under uvicorn (see :mod:`harness.proxy.server`).

Exit codes: 0 after a clean shutdown, 2 for a harness error (bad configuration or spec, or a
port that cannot be bound), checked before the server starts.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from harness.contract.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH
from harness.errors import command_errors
from harness.proxy import server
from harness.proxy.ratelimit import Rate
from harness.proxy.redaction import RedactingFilter, proxy_redactor
from harness.proxy.server import HEADER_TIMEOUT_S
from harness.proxy.settings import ProxySettings


def _parse_rate(ctx: click.Context, param: click.Parameter, value: str | None) -> Rate | None:
    if value is None:
        return None
    try:
        return Rate.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to bind.")
@click.option(
    "--upstream",
    "upstream_url",
    default=None,
    help="Upstream base URL. Default: production when LISTEN_API_KEY is set, "
    "else the built-in offline mock.",
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Serve API routes without the bearer secret (local development only).",
)
@click.option(
    "--rate-limit",
    default=None,
    callback=_parse_rate,
    help="Per-caller limit such as 60/minute (also N/second, N/hour).",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="Allow cross-origin requests from ORIGIN (repeatable). CORS is off by default.",
)
@click.option(
    "--request-log",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append one JSON line per API request to this file.",
)
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    help="Total deadline of one upstream call, retries included, seconds (then 504).",
)
@click.option("--retries", default=2, show_default=True, help="Retries on connect errors/503.")
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=DEFAULT_SPEC_PATH,
    show_default=True,
)
@click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=DEFAULT_MANIFEST_PATH,
    show_default=True,
)
@click.option(
    "--mcp-path",
    default="/mcp",
    show_default=True,
    help="Path of the MCP endpoint (Streamable HTTP).",
)
@click.option(
    "--authorization-server",
    "authorization_servers",
    multiple=True,
    help="OAuth authorization server URL named in /.well-known/oauth-protected-resource "
    "(repeatable).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    help="Host header the MCP endpoint accepts besides loopback, e.g. mcp.example.com "
    "(repeatable; DNS-rebinding protection).",
)
@click.option(
    "--header-timeout",
    default=HEADER_TIMEOUT_S,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Close a connection whose request headers take longer than this, seconds.",
)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Trust X-Forwarded-For (the client address for rate limits and logs) from these "
    "comma-separated proxy addresses, or '*'. Default: trust no one; the address is the peer.",
)
@click.option("--log-level", default="info", show_default=True, help="Logging level.")
def serve(
    host: str,
    port: int,
    log_level: str,
    header_timeout: float,
    forwarded_allow_ips: str | None,
    **options: object,
) -> None:
    """Run the spec-driven proxy. Secrets come from CHATGPT_SECRET, LISTEN_API_KEY and
    CHATGPT_VERIFICATION_TOKEN in the environment."""
    from harness.offline import create_proxy

    settings = ProxySettings.from_env(**options)
    _configure_logging(settings, log_level)
    # A configuration it cannot start with (or a port it cannot bind): one line, exit 2.
    with command_errors(prefix="Error: "):
        app = create_proxy(settings)
        sock = server.bind(host, port)
    _log_mcp_endpoint(host, port, settings)
    limits = server.ServerLimits(header_timeout, forwarded_allow_ips)
    server.serve(app, sock, limits, log_level.lower())


def _log_mcp_endpoint(host: str, port: int, settings: ProxySettings) -> None:
    """Say where the MCP endpoint is, and that a non-loopback bind needs ``--allowed-host``."""
    logger = logging.getLogger("harness.proxy")
    shown = f"[{host}]" if ":" in host else host
    logger.info("MCP endpoint: http://%s:%d%s", shown, port, settings.mcp_path)
    loopback = host in ("127.0.0.1", "localhost", "::1")
    if not loopback and not settings.allowed_hosts:
        logger.warning(
            "bound to %s: the MCP endpoint accepts only loopback Host headers; "
            "name the public host with --allowed-host",
            host,
        )


def _configure_logging(settings: ProxySettings, log_level: str) -> None:
    """One stderr handler for everything (uvicorn included), with secrets redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(proxy_redactor(settings)))
    logging.basicConfig(level=log_level.upper(), handlers=[handler], force=True)
