"""A gate installed while the hub runs gets the watchlist on its first connection.

Real Mosquitto, the hub service and unit agents in threads. The periodic watchlist round
is set to an hour, so only the birth can bring the list within the test's timeouts.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.agent import Agent
from edge_agent.config import load_unit_config
from hub.config import load_hub_config
from hub.service import HubService
from khidmat.testbed import Testbed
from khidmat_wire import make_envelope
from khidmat_wire.messages import EnrolledFinger, Enrolment
from provisioning.registry import Registry

pytestmark = pytest.mark.broker

DEVICES = ["enrol-1", "gate-1", "gate-2"]


def _wait(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class Site:
    """A broker, a running hub with one wanted person enrolled, and agents started on demand."""

    def __init__(
        self,
        root: Path,
        templates: dict[tuple[int, int], bytes],
        database: str | None = None,
    ) -> None:
        """``database``: a PostgreSQL URL for the hub (None: the testbed's SQLite hub.db)."""
        self.testbed = Testbed(root, DEVICES, resend_after_s=0.5, database=database).start()
        key = Ed25519PrivateKey.generate()
        (root / "hub" / "signing.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (root / "hub.pub").write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        hub_toml = self.testbed.hub_config
        hub_toml.write_text(
            hub_toml.read_text().replace(
                "[hub]\n", '[hub]\nsigning_key_file = "signing.pem"\nwatchlist_check_s = 3600\n'
            )
        )
        for device, unit_toml in self.testbed.unit_configs.items():
            text = unit_toml.read_text() + f'\n[hub]\npublic_key_file = "{root / "hub.pub"}"\n'
            unit_toml.write_text(text.replace('role = "desk"', f'role = "{device.split("-")[0]}"'))
        self.register("enrol-1")
        self.hub = HubService(load_hub_config(hub_toml))
        self.threads = [threading.Thread(target=self.hub.run, daemon=True)]
        self.threads[0].start()
        assert self.hub.session.wait_connected(10)
        self.agents: dict[str, Agent] = {}
        enrol = self.start_agent("enrol-1")
        enrol.store.enqueue(
            make_envelope(
                "enrolment",
                "enrol-1",
                Enrolment(
                    officer="CRO-7",
                    name="Gul Khan",
                    father_name="Sher Khan",
                    cnic="54400-7777777-1",
                    offences=("PPC 392",),
                    status="wanted",
                    fingers=(EnrolledFinger(2, base64.b64encode(templates[(2, 0)]).decode(), 80),),
                ),
            )
        )
        records = self.hub.modules.records
        assert _wait(lambda: bool(records.search("54400-7777777-1")), 20)
        self.person_id = records.search("54400-7777777-1")[0].person_id

    def register(self, device: str) -> None:
        """What ``khidmat provision device`` writes to the registry (the hub is running)."""
        with Registry(self.testbed.hub_db) as registry:
            registry.register(
                device,
                role=device.split("-")[0],
                station="QTA01",
                name=device,
                mqtt_password_hash="$7$unused",
                has_client_cert=False,
            )

    def start_agent(self, device: str) -> Agent:
        agent = Agent(load_unit_config(self.testbed.unit_configs[device]))
        self.agents[device] = agent
        thread = threading.Thread(target=agent.run, daemon=True)
        self.threads.append(thread)
        thread.start()
        return agent

    def close(self) -> None:
        for agent in self.agents.values():
            agent.stop()
        self.hub.stop()
        for thread in self.threads:
            thread.join(10)
        for agent in self.agents.values():
            agent.store.close()
        self.hub.store.close()
        self.testbed.close()


@pytest.fixture
def site(tmp_path: Path, templates, testbed_databases) -> Iterator[Site]:
    site = Site(tmp_path, templates, testbed_databases())
    try:
        yield site
    finally:
        site.close()


def _installed(agent: Agent, person_id: str) -> bool:
    return any(e[0] == person_id for e in agent.store.watchlist_entries())


def test_a_gate_installed_while_the_hub_runs_gets_the_list_on_its_birth(site: Site) -> None:
    site.register("gate-1")
    started = time.monotonic()
    gate = site.start_agent("gate-1")
    assert _wait(lambda: _installed(gate, site.person_id), 15)
    assert time.monotonic() - started < 15  # the hourly round never ran
    watchlists = site.hub.modules.watchlists
    assert _wait(
        lambda: (
            [(g.device_id, g.installed_version) for g in watchlists.gates()]
            == [("gate-1", watchlists.current_version())]
        ),
        15,
    )


def test_a_copy_published_before_the_first_connection_is_sent_again(site: Site) -> None:
    site.register("gate-2")
    watchlists = site.hub.modules.watchlists
    # The round runs before the gate ever connected: the broker drops the copy (no session).
    [(_, version, base)] = watchlists.publish(["gate-2"])
    assert base == 0
    # The hub's own loop may hand the queued copy to the broker before this thread does.
    site.hub.store.publish_downlinks(site.hub.publish)
    assert _wait(lambda: not any(d[1] == "gate-2" for d in site.hub.store.pending_downlinks()), 15)
    assert watchlists.gates()[0].sent_version == version
    gate = site.start_agent("gate-2")
    assert _wait(lambda: _installed(gate, site.person_id), 15)
    assert _wait(lambda: watchlists.gates()[0].installed_version == version, 15)
    # A second copy of the installed version (a resend crossing the first) is reported
    # installed, not rejected: no alert.
    with site.hub.store.db.write() as conn:
        entries = watchlists.entries()
        site.hub.store.queue_downlink(
            conn, "gate-2", "watchlist", watchlists.message(entries, version, 0, 1)
        )
    site.hub.store.publish_downlinks(site.hub.publish)
    assert _wait(lambda: any("already installed" in p for p in _events(site, "gate-2")), 15)
    assert not any("watchlist-rejected" in p for p in _events(site, "gate-2"))
    assert not site.hub.modules.alerts.list(kind="watchlist-rejected")


def test_a_copy_not_installed_is_resent_within_a_minute_while_the_gate_is_online(
    site: Site,
) -> None:
    site.register("gate-2")  # registered, never connected: nothing reports installed
    watchlists = site.hub.modules.watchlists
    t0 = 1_000_000_000_000
    [(_, version, _)] = watchlists.publish(["gate-2"], t0)
    online = frozenset({"gate-2"})
    assert watchlists.publish(["gate-2"], t0 + 30_000, online=online) == []
    assert watchlists.publish(["gate-2"], t0 + 59_000) == []  # offline: the broker keeps it
    assert watchlists.publish(["gate-2"], t0 + 59_000, online=online) == [("gate-2", version, 0)]
    assert watchlists.publish(["gate-2"], t0 + 59_500, reconnected=online) == [
        ("gate-2", version, 0)
    ]


def _events(site: Site, device: str) -> list[str]:
    return [
        r["payload"]
        for r in site.hub.store.db.query(
            "SELECT payload FROM records WHERE device_id = ? AND kind = 'event'", (device,)
        )
    ]
