"""Hub test fixtures: synthetic fingerprint templates (made once per session)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def templates() -> dict[tuple[int, int], bytes]:
    """Compact templates of synthetic fingers 1..3, impressions 0 and 1: {(finger, impression): bytes}."""
    from edge_agent.sim.fingers import impression_image
    from matcher_cy import extract

    return {
        (finger, impression): extract(impression_image(finger, impression, seed=7)).to_bytes()
        for finger in (1, 2, 3)
        for impression in (0, 1)
    }
