"""Sliding-window rate limits for the public tracking page (per client address, per number).

:class:`RateLimit` counts events per key in the last ``window_s`` seconds and says how long
a key must wait once it reached ``limit``. Memory is bounded: at most ``max_keys`` keys
are kept; when full, keys whose events have all expired are dropped, then the key seen
longest ago. Times are ``time.monotonic()`` seconds unless given.

Thread-safety: not thread-safe; the page's event loop is its one user. Cost: amortised
O(1) per call (a deque per key), O(max_keys) when the table is full.
"""

from __future__ import annotations

import collections
import math
import time


class RateLimit:
    def __init__(self, limit: int, window_s: float, *, max_keys: int = 10_000) -> None:
        if limit < 1 or window_s <= 0 or max_keys < 1:
            raise ValueError("limit and max_keys must be >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._events: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )

    def retry_after_s(self, key: str, now: float | None = None) -> float:
        """0 when ``key`` may go on now, else the seconds until its oldest event expires."""
        now = time.monotonic() if now is None else now
        events = self._events.get(key)
        if events is None:
            return 0.0
        self._expire(events, now)
        if len(events) < self.limit:
            return 0.0
        return max(0.0, events[0] + self.window_s - now)

    def record(self, key: str, now: float | None = None) -> None:
        """Count one event of ``key`` now."""
        now = time.monotonic() if now is None else now
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._make_room(now)
            events = self._events[key] = collections.deque()
        self._events.move_to_end(key)
        self._expire(events, now)
        events.append(now)
        while len(events) > self.limit:
            events.popleft()

    def _expire(self, events: collections.deque[float], now: float) -> None:
        while events and events[0] <= now - self.window_s:
            events.popleft()

    def _make_room(self, now: float) -> None:
        for key in [k for k, e in self._events.items() if not e or e[-1] <= now - self.window_s]:
            del self._events[key]
        while len(self._events) >= self.max_keys:
            self._events.popitem(last=False)  # the key seen longest ago


def minutes(seconds: float) -> int:
    """Whole minutes to tell a citizen to wait (at least 1)."""
    return max(1, math.ceil(seconds / 60))
