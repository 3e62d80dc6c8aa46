"""Incoming service auth: ``Authorization: Bearer <CHATGPT_SECRET>``, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

from harness.proxy.errors import ProxyError

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class BearerAuth:
    """Checks the bearer token of a request against the configured secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the bearer secret must not be empty")
        self._secret = secret.encode()

    def check(self, authorization: str | None) -> str:
        """Return a caller id (a hash of the token) or raise a 401 :class:`ProxyError`."""
        if not authorization:
            raise ProxyError(
                401,
                "unauthorized",
                "Missing credentials: send 'Authorization: Bearer <token>'.",
                headers=_CHALLENGE,
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ProxyError(
                401,
                "unauthorized",
                "Malformed Authorization header: expected 'Bearer <token>'.",
                headers=_CHALLENGE,
            )
        presented = token.strip().encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(presented, self._secret):
            raise ProxyError(401, "unauthorized", "Invalid bearer token.", headers=_CHALLENGE)
        return caller_id_for_token(presented)


def caller_id_for_token(token: bytes) -> str:
    """A stable, non-reversible caller id for rate limiting (never the token itself)."""
    return "token:" + hashlib.sha256(token).hexdigest()[:16]
