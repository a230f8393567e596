"""A gate's wanted list is sealed at rest; its key lives in RAM only (issue 16, finding 7).

Real parts: Mosquitto, the hub service, the agent of a gate unit; the key and the signed
list come down the gate's own downlink. A copied card (every file under the unit's
directory) must hold no wanted person's name and no template; the key must be only in
the runtime directory (a tmpfs), 0600; the kiosk opens the list with the key, and
without it (never sent, or past the grace period the hub set) the list stays locked.
Before the fix the names and templates sat in clear in ``unit.db``.
"""

from __future__ import annotations

import base64
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.agent import Agent
from edge_agent.config import load_unit_config
from edge_agent.watchlist_key import KeyFile, WatchlistLocked, is_sealed, open_sealed
from hub.config import load_hub_config
from hub.service import HubService
from khidmat.testbed import Testbed
from khidmat_wire import build_topic, encode, make_envelope
from khidmat_wire.messages import Config, Setting, WatchEntry, Watchlist
from khidmat_wire.signing import sign_watchlist
from khidmat_wire.watchlist_key import GRACE_SETTING, KEY_SETTING
from kiosk.identify import WatchlistGallery
from kiosk.sim import SIM_PEOPLE, watchlist_entries

pytestmark = pytest.mark.broker

HUB_KEY = Ed25519PrivateKey.generate()
GATE = "gate-1"


def _wait(predicate, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def entries() -> list[tuple[str, int, str, str, str]]:
    return watchlist_entries()


@pytest.fixture
def gate(tmp_path: Path, testbed_databases) -> Iterator[tuple[Testbed, HubService, Agent, Path]]:
    testbed = Testbed(
        tmp_path,
        [GATE],
        resend_after_s=0.5,
        telemetry_interval_s=0.5,
        database=testbed_databases(),
    ).start()
    key_path = tmp_path / "hub.pub"
    key_path.write_bytes(
        HUB_KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    runtime = tmp_path / "run" / GATE  # stands in for /dev/shm
    unit_toml = testbed.unit_configs[GATE]
    text = unit_toml.read_text().replace(
        'role = "desk"', f'role = "gate"\nruntime_dir = "{runtime}"'
    )
    unit_toml.write_text(text + f'\n[hub]\npublic_key_file = "{key_path}"\n')
    hub = HubService(load_hub_config(testbed.hub_config))
    agent = Agent(load_unit_config(unit_toml))
    threads = [threading.Thread(target=t, daemon=True) for t in (hub.run, agent.run)]
    for thread in threads:
        thread.start()
    assert agent.session.wait_connected(10) and hub.session.wait_connected(10)
    try:
        yield testbed, hub, agent, runtime
    finally:
        agent.stop()
        hub.stop()
        for thread in threads:
            thread.join(10)
        agent.store.close()
        hub.store.close()
        testbed.close()


def _send(hub: HubService, kind: str, body: object) -> None:
    assert hub.publish(build_topic(GATE, "down", kind), encode(make_envelope(kind, "hub", body)))


def _watchlist(version: int, entries: list) -> Watchlist:
    add = tuple(WatchEntry(p, name, status, finger, t) for p, finger, name, status, t in entries)
    return sign_watchlist(Watchlist(version, 0, int(time.time() * 1000), add, (), ""), HUB_KEY)


def _events(hub: HubService, event_type: str) -> list[str]:
    rows = hub.store.db.query("SELECT payload FROM records WHERE kind = 'event'")
    return [r[0] for r in rows if f'"event_type":"{event_type}"' in r[0]]


def test_gate_refuses_a_list_it_cannot_seal(gate, entries) -> None:
    _, hub, agent, _ = gate
    _send(hub, "watchlist", _watchlist(1, entries))
    assert _wait(lambda: bool(_events(hub, "watchlist-rejected")))
    assert "no watchlist key" in _events(hub, "watchlist-rejected")[0]
    assert agent.store.watchlist_info() is None


def test_wanted_list_sealed_at_rest_key_in_ram_only(gate, entries) -> None:
    testbed, hub, agent, runtime = gate
    key = Ed25519PrivateKey.generate().private_bytes_raw()  # 32 random bytes
    settings = (Setting(KEY_SETTING, base64.b64encode(key).decode()), Setting(GRACE_SETTING, "3"))
    _send(hub, "config", Config(settings))
    assert _wait(lambda: KeyFile(runtime).get(int(time.time() * 1000)) == key)
    _send(hub, "watchlist", _watchlist(1, entries))
    assert _wait(lambda: agent.store.watchlist_info() is not None)
    assert _wait(lambda: not agent.store.unhandled_inbox(["watchlist"]))

    # the key: in the runtime directory only, 0600, never a setting, never in the inbox
    key_file = runtime / "watchlist.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(runtime.stat().st_mode) == 0o700
    assert KEY_SETTING not in agent.store.settings()
    assert agent.store.settings()[GRACE_SETTING] == "3"

    # a copied card: no wanted name, no template, no key anywhere under the unit (the agent
    # scrubs every scrub_interval_s: erased payloads leave the WAL at the next checkpoint)
    unit_dir = testbed.unit_configs[GATE].parent
    needles = [p.name.encode() for p in SIM_PEOPLE] + [t[4][:40].encode() for t in entries]
    needles.append(base64.b64encode(key))

    def found() -> list[tuple[str, bytes]]:
        agent.scrub()
        return [
            (path.name, needle[:20])
            for path in unit_dir.rglob("*")
            if path.is_file()
            for needle in needles
            if needle in path.read_bytes()
        ]

    _wait(lambda: not found(), 10.0)
    assert not found(), found()

    # the kiosk opens it with the key: the same names and templates the hub sent
    held = KeyFile(runtime).get(int(time.time() * 1000))
    assert held == key
    stored = sorted(agent.store.watchlist_entries())
    assert all(is_sealed(name) and is_sealed(template) for _, _, name, _, template in stored)
    opened = [
        (p, f, open_sealed(held, p, f, "name", n), s, open_sealed(held, p, f, "template", t))
        for p, f, n, s, t in stored
    ]
    assert opened == sorted(entries), agent.store.audit_log()
    gallery = WatchlistGallery.load(agent.store, key=held, prepared=runtime / "watchlist")
    assert len(gallery) == len(entries) and gallery.positions == (1,)
    with pytest.raises(WatchlistLocked):
        WatchlistGallery.load(agent.store, key=None)
    with pytest.raises(WatchlistLocked):
        WatchlistGallery.load(agent.store, key=bytes(32))  # not this gate's key

    time.sleep(3.2)  # the grace period the hub set passes without the hub
    assert KeyFile(runtime).get(int(time.time() * 1000)) is None
