"""In-memory per-caller rate limit over a sliding window (``--rate-limit 60/minute``).

Two budgets of the same rate: requests per caller (the bearer token's hash, or the client
address without auth), and failed authentications per client address. An address that spent
its failure budget is refused with 429 before its token is even checked, so guessing tokens
is rate-limited too. The client address is the socket peer, or the address a trusted proxy in
front reports (``harness serve --forwarded-allow-ips``). The state lives in one process: with
several worker processes each keeps its own budgets.
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from harness.proxy.errors import ProxyError

_PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
_RATE_PATTERN = re.compile(r"\s*([0-9]{1,9})\s*/\s*(second|minute|hour)\s*")
_FAILED_AUTH = "failed-auth:"


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``period`` seconds."""

    limit: int
    period: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Parse ``"N/second"``, ``"N/minute"`` or ``"N/hour"``; raise ``ValueError`` otherwise."""
        match = _RATE_PATTERN.fullmatch(text)
        if not match or int(match.group(1)) < 1:
            raise ValueError(
                f"invalid rate limit {text!r}: expected N/second, N/minute or N/hour with N >= 1"
            )
        return cls(int(match.group(1)), _PERIODS[match.group(2)])


class RateLimiter:
    """Admits at most ``rate.limit`` requests per caller in any window of ``rate.period`` s."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def check(self, caller: str) -> None:
        """Record a request by ``caller``, or raise a 429 :class:`ProxyError` with Retry-After."""
        now = self._clock()
        hits = self._window(caller, now)
        if len(hits) >= self.rate.limit:
            raise self._refusal(hits, now, "requests")
        hits.append(now)

    def check_address(self, address: str) -> None:
        """Raise a 429 if ``address`` spent its budget of failed authentications."""
        now = self._clock()
        hits = self._window(_FAILED_AUTH + address, now)
        if len(hits) >= self.rate.limit:
            raise self._refusal(hits, now, "failed authentications")

    def record_failed_auth(self, address: str) -> None:
        """Count one failed authentication from ``address``."""
        now = self._clock()
        self._window(_FAILED_AUTH + address, now).append(now)

    def _window(self, key: str, now: float) -> deque[float]:
        window_start = now - self.rate.period
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) > 10_000:
                self._forget_idle(window_start)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= window_start:
            hits.popleft()
        return hits

    def _refusal(self, hits: deque[float], now: float, what: str) -> ProxyError:
        retry_after = max(1, math.ceil(hits[0] + self.rate.period - now))
        return ProxyError(
            429,
            "rate_limited",
            f"Rate limit of {self.rate.limit} {what} per {self.rate.period:g} s exceeded; "
            f"retry after {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )

    def _forget_idle(self, window_start: float) -> None:
        """Drop callers with no request in the current window, bounding memory."""
        idle = [
            caller for caller, hits in self._hits.items() if not hits or hits[-1] <= window_start
        ]
        for caller in idle:
            del self._hits[caller]
