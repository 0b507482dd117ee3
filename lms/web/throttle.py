"""Counting failures in the rate limiter's storage (memory, or Redis when configured).

Flask-Limiter's decorators count requests; the login, join, link and password pages need to count
*failures* under keys the view chooses (an account, an address, both together) and to ask before
doing the work whether a key is over its allowance. These helpers use the limiter's own strategy and
storage, so every process sharing a Redis store shares the counts. Settings hold limits as Flask-Limiter
writes them: ``"5 per minute; 20 per hour"``.
"""

from __future__ import annotations

from functools import cache

from flask import current_app, request
from limits import RateLimitItem, parse_many

from lms.extensions import limiter


@cache
def _parsed(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text))


def _limits(setting: str) -> tuple[RateLimitItem, ...]:
    return _parsed(current_app.config[setting])


def address() -> str:
    """The client's address (the proxy's client when ``LMS_TRUSTED_PROXIES`` is set)."""
    return request.remote_addr or "unknown"


def allowed(setting: str, *key: str) -> bool:
    """True while ``key`` has failures left under every limit of ``setting``."""
    strategy = limiter.limiter
    return all(strategy.test(item, setting, *key) for item in _limits(setting))


def clean(setting: str, *key: str) -> bool:
    """True when no failure of ``key`` is counted in any current window of ``setting``."""
    strategy = limiter.limiter
    return all(
        strategy.get_window_stats(item, setting, *key).remaining >= item.amount
        for item in _limits(setting)
    )


def fail(setting: str, *key: str) -> None:
    """Count one failure of ``key`` under every limit of ``setting``."""
    strategy = limiter.limiter
    for item in _limits(setting):
        strategy.hit(item, setting, *key)


def take(setting: str, *key: str) -> bool:
    """Count one request of ``key`` under every limit of ``setting``; False once any is over (a
    page that counts every request, not only failures: one storage call a limit)."""
    strategy = limiter.limiter
    return all([strategy.hit(item, setting, *key) for item in _limits(setting)])
