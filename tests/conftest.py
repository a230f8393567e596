"""Fixtures shared by the whole suite: a real Mosquitto on a free loopback port.

Without Mosquitto the run stops at once with one line saying how to install it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from khidmat_base.mosquitto import MOSQUITTO_MISSING, BrokerFiles, MosquittoBroker, find_mosquitto
from provisioning.broker_files import acl_text

BrokerFactory = Callable[..., MosquittoBroker]

# Hypothesis profiles: "ci" (default, short) and "fuzz" (>= 10,000 examples per target):
#   HYPOTHESIS_PROFILE=fuzz .venv/bin/pytest tests/fuzz
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    """Stop before any test where Mosquitto is missing: one line saying how to install it."""
    if find_mosquitto() is None:
        raise pytest.UsageError(MOSQUITTO_MISSING)


@pytest.fixture
def broker_factory(tmp_path: Path) -> Iterator[BrokerFactory]:
    """Make and start brokers with a test-written config; all are stopped at the end.

    ``broker_factory(users={"hub": "pw"})``: provisioning's ACL unless ``acl`` is given;
    persistence lives in tmp_path.
    """
    brokers: list[MosquittoBroker] = []

    def make(
        *, users: dict[str, str] | None = None, acl: str | None = None, persistence: bool = True
    ) -> MosquittoBroker:
        acl = acl if acl is not None else acl_text(tmp_path / "hub.db")
        files = BrokerFiles(users=users or {}, acl=acl if users else None, persistence=persistence)
        broker = MosquittoBroker(tmp_path / f"broker-{len(brokers)}", files)
        brokers.append(broker)
        return broker.start()

    try:
        yield make
    finally:
        for broker in brokers:
            broker.stop(kill=True)


@pytest.fixture
def broker(broker_factory: BrokerFactory) -> MosquittoBroker:
    """A broker with users hub and unit-1..unit-5 (password ``pw-<name>``) and the unit ACL."""
    users = {"hub": "pw-hub"} | {f"unit-{i}": f"pw-unit-{i}" for i in range(1, 6)}
    return broker_factory(users=users)
