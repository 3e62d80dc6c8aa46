"""Per-caller sliding-window rate limit."""

from __future__ import annotations

import pytest

from harness.proxy.errors import ProxyError
from harness.proxy.ratelimit import Rate, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "rate"),
    [("60/minute", Rate(60, 60.0)), ("5 / second", Rate(5, 1.0)), ("100/hour", Rate(100, 3600.0))],
)
def test_parse(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["60", "0/minute", "ten/minute", "5/day", ""])
def test_parse_rejects_bad_rates(text):
    with pytest.raises(ValueError, match="invalid rate limit"):
        Rate.parse(text)


def test_limit_is_per_caller_and_window_slides():
    clock = FakeClock()
    limiter = RateLimiter(Rate(2, 60.0), clock=clock)
    limiter.check("a")
    clock.now += 10
    limiter.check("a")
    limiter.check("b")
    with pytest.raises(ProxyError) as caught:
        limiter.check("a")
    assert caught.value.status == 429
    assert caught.value.code == "rate_limited"
    assert caught.value.headers["Retry-After"] == "50"
    clock.now += 50
    limiter.check("a")


def test_idle_callers_are_forgotten():
    clock = FakeClock()
    limiter = RateLimiter(Rate(1, 1.0), clock=clock)
    for index in range(10_002):
        limiter.check(f"caller-{index}")
    clock.now += 5
    limiter.check("new")
    assert len(limiter._hits) == 1
