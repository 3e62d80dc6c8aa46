"""Incoming service auth: ``Authorization: Bearer <CHATGPT_SECRET>``, compared in constant time.

:func:`authenticate` is the first check every API request passes, on both surfaces: the client
address's budget of failed authentications, then exactly one bearer token. The per-caller rate
limit follows (:class:`harness.proxy.operations.Admission`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from harness.proxy.errors import ProxyError
from harness.proxy.ratelimit import RateLimiter

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class BearerAuth:
    """Checks the bearer token of a request against the configured secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the bearer secret must not be empty")
        self._secret = secret.encode()

    def check_headers(self, authorization: Sequence[str]) -> str:
        """Like :meth:`check` for every ``Authorization`` header of a request: more than one
        is refused (which one would count is ambiguous, so neither does)."""
        if len(authorization) > 1:
            raise ProxyError(
                401,
                "unauthorized",
                "More than one Authorization header: send exactly one.",
                headers=_CHALLENGE,
            )
        return self.check(authorization[0] if authorization else None)

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


def authenticate(
    auth: BearerAuth | None,
    limiter: RateLimiter | None,
    authorization: Sequence[str],
    address: str,
) -> str | None:
    """The caller id of the ``authorization`` headers sent from ``address`` (``None`` when auth
    is off), or a 401 or 429 :class:`ProxyError`. Failed authentications count against the
    address, and an address over its budget is refused before its token is checked."""
    if auth is None:
        return None
    if limiter is not None:
        limiter.check_address(address)
    try:
        return auth.check_headers(authorization)
    except ProxyError:
        if limiter is not None:
            limiter.record_failed_auth(address)
        raise
