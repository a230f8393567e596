"""RateLimit: a sliding window per key, a wait time, bounded memory."""

from __future__ import annotations

import pytest

from hub.tracking_web.limits import RateLimit, minutes


def test_a_key_waits_until_its_oldest_event_leaves_the_window() -> None:
    limit = RateLimit(3, 60.0)
    for t in (0.0, 10.0, 20.0):
        assert limit.retry_after_s("a", t) == 0
        limit.record("a", t)
    assert limit.retry_after_s("a", 30.0) == pytest.approx(30.0)
    assert limit.retry_after_s("b", 30.0) == 0  # another key is not affected
    assert limit.retry_after_s("a", 60.5) == 0  # the first event expired
    limit.record("a", 60.5)
    assert limit.retry_after_s("a", 61.0) == pytest.approx(9.0)


def test_memory_is_bounded_by_dropping_expired_then_oldest_keys() -> None:
    limit = RateLimit(1, 10.0, max_keys=3)
    for n, t in enumerate((0.0, 1.0, 2.0)):
        limit.record(f"k{n}", t)
    limit.record("k3", 20.0)  # all expired: dropped, not the newest
    assert len(limit._events) == 1
    for n in range(4, 8):
        limit.record(f"k{n}", 21.0 + n)
    assert len(limit._events) == 3 and "k7" in limit._events
    assert limit.retry_after_s("k7", 28.5) > 0


def test_settings_are_checked_and_minutes_round_up() -> None:
    with pytest.raises(ValueError):
        RateLimit(0, 60)
    assert minutes(1) == 1 and minutes(61) == 2 and minutes(3600) == 60
