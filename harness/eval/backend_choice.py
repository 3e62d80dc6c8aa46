"""Which backend a run talks to, from its configuration."""

from __future__ import annotations

import ipaddress
import os

import httpx

from harness.eval.backends import Backend, LocalBackend, OpenAICompatibleBackend, SamplingSettings
from harness.eval.config import RunConfig, RunError
from harness.models.catalog import resolve as resolve_local_model

OPENAI_BASE_URL = "https://api.openai.com/v1"


def make_backend(config: RunConfig) -> Backend:
    """The backend ``config`` names; the OpenAI key comes from ``OPENAI_API_KEY`` (not needed
    for a server on this machine, nor to replay)."""
    settings = SamplingSettings(config.temperature, config.seed, config.tool_choice)
    if config.backend == "local":
        local_model = resolve_local_model(config.local_model, config.chat_format)
        if config.record != "none" or config.affected_by is not None:
            local_model.require_path()
        return LocalBackend(local_model, settings)
    if config.backend != "openai":
        raise RunError(f"unknown backend {config.backend!r} (choose local or openai)")
    if not config.model:
        raise RunError("--backend openai needs --model")
    base_url = config.base_url or OPENAI_BASE_URL
    api_key = os.environ.get("OPENAI_API_KEY") or None
    if api_key is None and not is_loopback(base_url):
        if config.record != "none":
            raise RunError(
                f"OPENAI_API_KEY is not set (needed to record new cassettes from {base_url})"
            )
        api_key = "replay-only"
    return OpenAICompatibleBackend(config.model, base_url, api_key, settings)


def is_loopback(url: str) -> bool:
    """True when ``url`` names this machine (localhost, 127.0.0.0/8, ::1): a local model
    server, which needs no API key."""
    host = httpx.URL(url).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
