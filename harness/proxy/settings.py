"""Proxy configuration, from CLI flags and the environment.

Secrets come from the environment (``CHATGPT_SECRET``, ``CHATGPT_VERIFICATION_TOKEN``,
``LISTEN_API_KEY``) and are kept out of ``repr`` so they never reach a log line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.contract.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH
from harness.errors import InputError
from harness.proxy.ratelimit import Rate

PRODUCTION_BASE_URL = "https://listen-api.listennotes.com/api/v2"


class SettingsError(InputError):
    """A configuration the proxy refuses to start with."""


@dataclass(frozen=True)
class ProxySettings:
    """Everything `harness serve` can be told. Secrets are hidden from ``repr``."""

    chatgpt_secret: str | None = field(default=None, repr=False)
    verification_token: str | None = field(default=None, repr=False)
    listen_api_key: str | None = field(default=None, repr=False)
    upstream_url: str | None = None
    no_auth: bool = False
    rate_limit: Rate | None = None
    cors_origins: tuple[str, ...] = ()
    request_log: Path | None = None
    timeout: float = 10.0
    retries: int = 2
    spec_path: Path = DEFAULT_SPEC_PATH
    manifest_path: Path = DEFAULT_MANIFEST_PATH
    mcp_path: str = "/mcp"
    """Where the MCP endpoint (Streamable HTTP) is served."""
    authorization_servers: tuple[str, ...] = ()
    """OAuth authorization servers named in the protected-resource metadata (RFC 9728)."""
    allowed_hosts: tuple[str, ...] = ()
    """Host header values ``/mcp`` accepts besides loopback (DNS-rebinding protection)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ProxySettings:
        """Read the secrets from ``environ`` (default ``os.environ``), then apply ``overrides``."""
        env = os.environ if environ is None else environ
        settings = cls(
            chatgpt_secret=env.get("CHATGPT_SECRET") or None,
            verification_token=env.get("CHATGPT_VERIFICATION_TOKEN") or None,
            listen_api_key=env.get("LISTEN_API_KEY") or None,
        )
        return replace(settings, **overrides)

    def check(self) -> None:
        """Raise :class:`SettingsError` for a configuration the proxy must not run with."""
        if not self.chatgpt_secret and not self.no_auth:
            raise SettingsError(
                "CHATGPT_SECRET is not set: set it to require 'Authorization: Bearer <secret>' "
                "on API routes, or pass --no-auth explicitly (local development only)"
            )
        if self.timeout <= 0:
            raise SettingsError(f"timeout must be positive, got {self.timeout}")
        if self.retries < 0:
            raise SettingsError(f"retries must be >= 0, got {self.retries}")
        if not self.mcp_path.startswith("/") or self.mcp_path.rstrip("/") == "":
            raise SettingsError(
                f"the MCP path must start with / and not be /, got {self.mcp_path!r}"
            )
        for url in self.authorization_servers:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SettingsError(f"authorization server {url!r} is not an absolute http(s) URL")

    @property
    def auth_enabled(self) -> bool:
        """Whether API routes require the bearer secret."""
        return bool(self.chatgpt_secret) and not self.no_auth

    def upstream_base_url(self) -> str | None:
        """``--upstream``, else production when a key is set, else ``None`` (offline mock)."""
        if self.upstream_url:
            return self.upstream_url
        if self.listen_api_key:
            return PRODUCTION_BASE_URL
        return None
