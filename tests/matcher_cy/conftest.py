"""Fixtures for the matcher tests: synthetic prints and both implementations.

Synthetic prints come from edge_agent.sim.fingers (deterministic by finger, impression
and seed); nothing here reads ../shared.
"""

from __future__ import annotations

import pytest

from matcher_cy.backend import Backend, backend_named

FINGERS = (1, 2, 3)
IMPRESSIONS = (0, 1, 2)
#: The generator's finger behind each fixture finger. These tests check the matcher's
#: mechanics on usable prints, and the generator makes poor and partial impressions about as
#: often as real sensors do: generator finger 3's second and third impressions are partial
#: (14-15 minutiae, quality 56-60; mate scores 0.047-0.088), so fixture finger 3 is
#: generator finger 5 (35-38 minutiae, quality 100, mate scores 0.056-0.131, like 1 and 2).
GENERATOR_FINGER = {1: 1, 2: 2, 3: 5}


@pytest.fixture(scope="session")
def synthetic_templates() -> dict[tuple[int, int], object]:
    """Templates of FINGERS x IMPRESSIONS synthetic 256x288 500 dpi images (R307 size),
    keyed by fixture finger (see GENERATOR_FINGER)."""
    from edge_agent.sim.fingers import impression_image
    from matcher_cy import extract

    return {
        (finger, impression): extract(
            impression_image(GENERATOR_FINGER[finger], impression), dpi=500
        )
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
