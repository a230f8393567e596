"""Fixtures shared by the whole suite: a real Mosquitto broker on a free loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from khidmat.mosquitto import BrokerFiles, MosquittoBroker, find_mosquitto
from khidmat.testbed import ACL_TEXT

BrokerFactory = Callable[..., MosquittoBroker]


@pytest.fixture
def broker_factory(tmp_path: Path) -> Iterator[BrokerFactory]:
    """Make and start brokers with a test-written config; all are stopped at the end.

    ``broker_factory(users={"hub": "pw"}, acl=ACL_TEXT)``; persistence lives in tmp_path.
    """
    if find_mosquitto() is None:
        pytest.fail(
            "mosquitto is not installed: run .ci/run or apt-get install mosquitto mosquitto-clients"
        )
    brokers: list[MosquittoBroker] = []

    def make(
        *, users: dict[str, str] | None = None, acl: str | None = ACL_TEXT, persistence: bool = True
    ) -> MosquittoBroker:
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
