"""Fixtures shared by the whole suite: a real Mosquitto on a free loopback port, and the
hub database on SQLite or on a real PostgreSQL server.

Without Mosquitto the run stops at once with one line saying how to install it.

``hub_database`` is where a test's hub database lives: a SQLite file in tmp_path, or -
with ``KHIDMAT_TEST_DATABASE=postgresql`` - a fresh database on a throwaway PostgreSQL
cluster (one per session, on a free loopback port; each test's database is a copy of a
template with every hub migration applied, dropped after the test)::

    KHIDMAT_TEST_DATABASE=postgresql .venv/bin/python -m pytest -q -m hub_database

``testbed_databases`` hands whole deployments (``khidmat.testbed.Testbed``, the attack
site's provisioned hub.toml) the same choice: None - the deployment's own SQLite hub.db -
or a fresh PostgreSQL URL. Tests that use either fixture are marked ``hub_database``.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
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


TEST_DATABASE = os.environ.get("KHIDMAT_TEST_DATABASE", "sqlite")
"""Which database ``hub_database`` gives: ``sqlite`` (default) or ``postgresql``."""
_TEMPLATE = "khidmat_template"


def pytest_configure(config: pytest.Config) -> None:
    """Stop before any test where Mosquitto is missing: one line saying how to install it."""
    if find_mosquitto() is None:
        raise pytest.UsageError(MOSQUITTO_MISSING)
    if TEST_DATABASE not in ("sqlite", "postgresql"):
        raise pytest.UsageError("KHIDMAT_TEST_DATABASE: sqlite or postgresql")
    config.addinivalue_line(
        "markers", "hub_database: uses the hub database fixture (runs on either database)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses ``hub_database`` (select them with ``-m hub_database``)."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "hub_database" in names or "testbed_databases" in names:
            item.add_marker("hub_database")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """A throwaway PostgreSQL cluster for the session, with a template database that has
    every hub migration applied."""
    from hub.store import HubStore, migrate_all
    from khidmat_base.postgres_server import PostgresServer
    from provisioning.registry import Registry

    server = PostgresServer().start()
    try:
        url = server.create_database(_TEMPLATE)
        with HubStore(url) as store:
            migrate_all(store)
            Registry(store.db)
        yield server
    finally:
        server.close()


class _DatabaseSupply:
    """Fresh copies of the template, made (and used ones dropped) on a thread of its own
    while the tests run, so a test rarely waits for CREATE DATABASE (0.1-0.9 s each)."""

    def __init__(self, server) -> None:  # type: ignore[no-untyped-def]
        self.server = server
        self.numbers = itertools.count(1)
        self.ready: queue.Queue[str | BaseException] = queue.Queue()
        self.jobs: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="pg-supply", daemon=True)
        self.thread.start()
        self.jobs.put("")  # make the first one

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            try:
                if job:
                    self.server.drop_database(job)
                    continue
                name = f"hub_{os.getpid()}_{next(self.numbers)}"
                self.server.create_database(name, template=_TEMPLATE)
                self.ready.put(name)
            except BaseException as error:  # handed to the test that waits for it
                self.ready.put(error)

    def take(self) -> str:
        """A fresh database's name (the next one is started at once)."""
        self.jobs.put("")
        made = self.ready.get(timeout=120)
        if isinstance(made, BaseException):
            raise made
        return made

    def give_back(self, name: str) -> None:
        self.jobs.put(name)

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join(60)


@pytest.fixture(scope="session")
def postgres_databases(postgres_server) -> Iterator[_DatabaseSupply]:  # type: ignore[no-untyped-def]
    supply = _DatabaseSupply(postgres_server)
    yield supply
    supply.close()


@pytest.fixture
def hub_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """The location of a fresh hub database: ``tmp_path / "hub.db"`` or a PostgreSQL URL."""
    if TEST_DATABASE == "sqlite":
        yield tmp_path / "hub.db"
        return
    supply = request.getfixturevalue("postgres_databases")
    server = request.getfixturevalue("postgres_server")
    name = supply.take()
    try:
        yield server.url(name)
    finally:
        supply.give_back(name)


@pytest.fixture(scope="session")
def testbed_databases(request: pytest.FixtureRequest) -> Iterator[Callable[[], str | None]]:
    """``take()``: where a deployment's hub keeps its database - None (its own SQLite
    hub.db) or, with ``KHIDMAT_TEST_DATABASE=postgresql``, the URL of a fresh database on
    the session's server. Session-scoped so module-scoped deployments can use it; the
    databases handed out are dropped at the end of the session."""
    if TEST_DATABASE == "sqlite":
        yield lambda: None
        return
    supply = request.getfixturevalue("postgres_databases")
    server = request.getfixturevalue("postgres_server")
    taken: list[str] = []

    def take() -> str:
        taken.append(supply.take())
        return str(server.url(taken[-1]))

    yield take
    for name in taken:
        supply.give_back(name)


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
