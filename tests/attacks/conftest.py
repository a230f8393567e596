"""Attack fixtures: ``site``, a provisioned deployment with its Mosquitto (tests.attacks.attack_site)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.attacks.attack_site import Site


@pytest.fixture
def site(tmp_path: Path, testbed_databases) -> Iterator[Site]:
    made = Site(tmp_path, database=testbed_databases())
    try:
        yield made
    finally:
        made.close()
