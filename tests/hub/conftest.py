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


@pytest.fixture
def hub_toml(tmp_path, hub_database):
    """``hub_toml(port=1883, extra="")`` writes tmp_path/hub.toml and returns its path; its
    database is hub.db beside it, or the test's PostgreSQL database (``hub_database``)."""

    def write(*, port: int = 1883, extra: str = "", directory=None):
        directory = directory or tmp_path
        path = directory / "hub.toml"
        (directory / "hub.password").write_text("pw-hub\n")
        database = hub_database if isinstance(hub_database, str) else "hub.db"
        path.write_text(
            f'[hub]\ndatabase = "{database}"\n{extra}\n[broker]\nhost = "127.0.0.1"\nport = {port}\n'
            'username = "hub"\npassword_file = "hub.password"\n'
        )
        return path

    return write
