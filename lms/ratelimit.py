"""Rate-limit storage in process memory (``memory://``) without a thread per request.

limits' ``MemoryStorage`` forgets expired counters on a ``threading.Timer`` of 10 ms that it starts
again on the first hit after the last one fired: on a page with a limit under steady traffic that is
a new thread almost every request, which was three quarters of the verification page's time. Reads
already drop expired counters themselves (``get``), so the sweep only returns memory; here it runs
inline, at most once a second. Everything else, and every count, is limits' own.

``create_app`` serves ``memory://`` with it (``lms-memory://`` names it directly); Redis
(``redis://``, for several processes or hosts) is unchanged.
"""

from __future__ import annotations

import time

from limits.storage import MemoryStorage

SWEEP_SECONDS = 1.0


class InlineSweepMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["lms-memory"]  # registered with limits by its storage metaclass

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = time.monotonic() + SWEEP_SECONDS

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the base class's private hook
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()


def storage_uri(uri: str) -> str:
    """The storage URI to give Flask-Limiter for the configured one."""
    if uri.startswith("memory://"):
        return "lms-memory://" + uri.removeprefix("memory://")
    return uri
