"""Fixtures for the matcher tests: synthetic prints and both implementations.

Synthetic prints come from edge_agent.sim.fingers (deterministic by finger, impression
and seed); nothing here reads ../shared.
"""

from __future__ import annotations

import pytest

from matcher_cy.backend import Backend, backend_named

FINGERS = (1, 2, 3)
IMPRESSIONS = (0, 1, 2)


@pytest.fixture(scope="session")
def synthetic_templates() -> dict[tuple[int, int], object]:
    """Templates of FINGERS x IMPRESSIONS synthetic 256x288 500 dpi images (R307 size)."""
    from edge_agent.sim.fingers import impression_image
    from matcher_cy import extract

    return {
        (finger, impression): extract(impression_image(finger, impression), dpi=500)
        for finger in FINGERS
        for impression in IMPRESSIONS
    }


@pytest.fixture(params=["reference", "cython"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each test taking ``backend`` runs once per implementation."""
    try:
        return backend_named(request.param)
    except ImportError as error:
        pytest.skip(f"compiled matcher not built: {error}")
