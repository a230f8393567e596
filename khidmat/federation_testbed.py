"""Several provinces on one machine: per province a real Mosquitto with its federation
listener and TLS bridges, a hub process over its own hub.db, and gates that publish scans.

Used by the federation tests and ``khidmat bench federation``. Every broker file comes
from provisioning (the unit ACL and limits of :mod:`provisioning.broker_files`, the
federation listener, bridges and ACL of :mod:`provisioning.federation`), the certificates
from one federation CA made under ``root``, and the hubs are real ``python -m khidmat hub``
processes with a ``[federation]`` section. Ports are free loopback ports. Not
thread-safe; drive it from one thread (a :class:`Gate` may be used from others).
"""

from __future__ import annotations

import base64
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from khidmat.testbed import _spawn, _stop
from khidmat_base.mosquitto import BrokerFiles, MosquittoBroker, free_port
from khidmat_wire import decode, encode, make_envelope
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import Scan, ScanFinger
from khidmat_wire.topics import Direction, build_topic, down_filter
from provisioning import federation
from provisioning.broker_files import BROKER_LIMITS, LISTENER_IDENTITY, acl_text, hub_usernames

HUB_PASSWORD = "hub-secret"


@dataclass
class Province:
    """One province's parts: names, ports and paths (processes live in the testbed)."""

    name: str
    root: Path
    port: int
    """The broker's plain loopback listener (hub and gates)."""
    federation_port: int
    """The broker's TLS federation listener (the other provinces' bridges)."""
    files: federation.FederationFiles
    gates: list[str]
    broker: MosquittoBroker | None = None
    hub: subprocess.Popen[bytes] | None = None
    """Hub worker 0 (the one the tests watch)."""
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    """Hub workers 1.. when ``hub_workers`` > 1."""
    database: str | None = None
    """The hub's PostgreSQL URL; None: its own SQLite file ``hub/hub.db``."""

    @property
    def hub_db(self) -> Path | str:
        """Where the hub's database is: its SQLite file, or the PostgreSQL URL."""
        return self.database or self.root / "hub" / "hub.db"

    @property
    def hub_config(self) -> Path:
        return self.root / "hub" / "hub.toml"

    @property
    def hub_log(self) -> Path:
        return self.root / "hub" / "hub.log"


class FederationTestbed:
    """``provinces`` joined by bridges under ``root``; :meth:`start` runs brokers and hubs."""

    __test__ = False

    def __init__(
        self,
        root: Path,
        provinces: list[str],
        *,
        gates: int = 1,
        policy: str = "no-hit",
        deadline_s: float = 1.5,
        hub_workers: int = 1,
        databases: Callable[[], str | None] | None = None,
    ) -> None:
        """``hub_workers``: hub processes per province (an MQTT v5 shared subscription
        splits the units' records and the federation's messages between them).
        ``databases``: called once per province for its hub's database (a PostgreSQL URL,
        or None for the SQLite file); default: every province on SQLite."""
        self.root = Path(root)
        self.hub_workers = hub_workers
        self.deadline_s = deadline_s
        self.ca_dir = self.root / "federation-ca"
        ca = federation.federation_ca(self.ca_dir)
        self.provinces: dict[str, Province] = {}
        for name in provinces:
            directory = self.root / name
            files = federation.FederationFiles.under(directory / "federation")
            federation.issue_province(ca, name, ["localhost", "127.0.0.1"], files)
            self.provinces[name] = Province(
                name,
                directory,
                free_port(),
                free_port(),
                files,
                [f"{name[:12]}-gate-{i}" for i in range(1, gates + 1)],
                database=databases() if databases is not None else None,
            )
        for province in self.provinces.values():
            self._write(province, policy, deadline_s)

    # ------------------------------------------------------------------ files

    def _write(self, province: Province, policy: str, deadline_s: float) -> None:
        others = [p for p in self.provinces.values() if p.name != province.name]
        peers = [federation.Peer(p.name, "127.0.0.1", p.federation_port) for p in others]
        users = dict.fromkeys(hub_usernames(), HUB_PASSWORD) | {
            g: f"pw-{g}" for g in province.gates
        }
        acl = acl_text(province.root / "hub" / "hub.db") + federation.acl_text(
            province.name, [p.name for p in others], hub_usernames()
        )
        extra = "\n".join(
            [
                *BROKER_LIMITS,
                LISTENER_IDENTITY,
                "",
                federation.broker_text(
                    province.name, province.federation_port, "127.0.0.1", peers, province.files
                ),
            ]
        )
        province.broker = MosquittoBroker(
            province.root / "broker",
            BrokerFiles(users=users, acl=acl, extra=extra),
            port=province.port,
        )
        hub_dir = province.root / "hub"
        hub_dir.mkdir(parents=True, exist_ok=True)
        (hub_dir / "hub.password").write_text(HUB_PASSWORD + "\n")
        provinces = ", ".join(f'"{p.name}"' for p in others)
        province.hub_config.write_text(
            f'[hub]\ndatabase = "{province.database or "hub.db"}"\nworkers = {self.hub_workers}\n\n'
            f'[broker]\nhost = "127.0.0.1"\nport = {province.port}\nusername = "hub"\n'
            'password_file = "hub.password"\nprotocol = 5\n\n'
            f'[federation]\nprovince = "{province.name}"\nprovinces = [{provinces}]\n'
            f'policy = "{policy}"\ndeadline_s = {deadline_s}\n'
            f'desk = "{province.name.title()} CRO desk, 0800-{abs(hash(province.name)) % 100000:05d}"\n'
        )

    # -------------------------------------------------------------- processes

    def start(self) -> FederationTestbed:
        """Start every broker, then every hub (hubs load their galleries in the background)."""
        for province in self.provinces.values():
            assert province.broker is not None
            province.broker.start()
        for name in self.provinces:
            self.start_hub(name)
        return self

    def start_hub(self, name: str) -> None:
        province = self.provinces[name]
        if province.hub is None or province.hub.poll() is not None:
            province.hub = _spawn(
                ["hub", "--config", str(province.hub_config), "--log-level", "WARNING"],
                province.hub_log,
            )
            province.workers = [
                _spawn(
                    [
                        "hub",
                        "--config",
                        str(province.hub_config),
                        "--worker",
                        str(n),
                        "--log-level",
                        "WARNING",
                    ],
                    province.hub_log.with_name(f"hub-{n}.log"),
                )  # fmt: skip
                for n in range(1, self.hub_workers)
            ]

    def stop_province(self, name: str) -> None:
        """Take a province off the federation: its hub and its broker stop."""
        province = self.provinces[name]
        for worker in province.workers:
            _stop(worker, kill=True)
        province.workers = []
        if province.hub is not None:
            _stop(province.hub, kill=True)
            province.hub = None
        if province.broker is not None:
            province.broker.stop(kill=True)

    def start_province(self, name: str) -> None:
        province = self.provinces[name]
        assert province.broker is not None
        province.broker.start()
        self.start_hub(name)

    def close(self) -> None:
        for name in self.provinces:
            self.stop_province(name)

    def __enter__(self) -> FederationTestbed:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ waits

    def wait_bridges(self, timeout_s: float = 20.0) -> bool:
        """Wait until every running province's broker log shows its bridges connected to
        every other running province (Mosquitto logs each bridge connection)."""
        deadline = time.monotonic() + timeout_s
        running = [p for p in self.provinces.values() if p.broker and p.broker.running]
        while time.monotonic() < deadline:
            if all(self._bridged(p, running) for p in running):
                return True
            time.sleep(0.1)
        return False

    @staticmethod
    def _bridged(province: Province, running: list[Province]) -> bool:
        others = [p for p in running if p.name != province.name]
        logs = {p.name: _read(p.broker.log_path) for p in others if p.broker}  # type: ignore[union-attr]
        return all(f"as {federation.identity(province.name)}" in logs[p.name] for p in others)

    def enrol(
        self, name: str, persons: list[tuple[str, str, list[tuple[int, bytes]]]]
    ) -> list[str]:
        """Store persons in ``name``'s record store, as an import would (before its hub
        starts, or the hub picks them up at its next search): (name, status, [(ISO
        position, template bytes)]) each; returns their person ids."""
        from hub.records import RecordStore
        from hub.store import HubStore

        province = self.provinces[name]
        store = HubStore(province.hub_db)
        try:
            records = RecordStore(store)
            return [
                records.upsert_person(
                    name=person,
                    father_name="",
                    cnic="",
                    offences=(),
                    status=status,
                    source="testbed",
                    actor="testbed",
                    templates=[(position, data, 60) for position, data in fingers],
                )  # fmt: skip
                for person, status, fingers in persons
            ]
        finally:
            store.close()

    def wait_ready(self, stranger: tuple[object, object], timeout_s: float = 60.0) -> bool:
        """Wait until every running province's hub searches and every other answers: a
        gate of each sends ``stranger`` (two templates of a person nobody holds) until its
        federated verdict comes back with every province answered. False on timeout."""
        deadline = time.monotonic() + timeout_s
        running = [n for n, p in self.provinces.items() if p.hub is not None]
        for name in running:
            gate = self.gate(name)
            try:
                while True:
                    self._check_running()
                    scan_id, _ = gate.scan(*stranger)
                    got = gate.wait(
                        "federated", scan_id, min(self.deadline_s + 3, deadline - time.monotonic())
                    )
                    if got is not None and not got[1].body.not_answered:
                        break
                    if time.monotonic() >= deadline:
                        return False
                    time.sleep(0.5)
            finally:
                gate.close()
        return True

    def _check_running(self) -> None:
        """RuntimeError with the log's tail when a started hub has exited."""
        for province in self.provinces.values():
            for n, process in enumerate([province.hub, *province.workers]):
                if process is not None and process.poll() is not None:
                    log = province.hub_log if n == 0 else province.hub_log.with_name(f"hub-{n}.log")
                    raise RuntimeError(
                        f"{province.name} hub worker {n} exited: {_read(log)[-1500:]}"
                    )

    def gate(self, province: str, index: int = 0) -> Gate:
        """A gate of ``province`` connected to its broker (close it when done)."""
        p = self.provinces[province]
        return Gate(p.gates[index], p.port)


class Gate:
    """A gate unit's MQTT side, enough to publish scans and hear its downlinks: connects as
    the gate's device identity, subscribes to its downlink, keeps what arrives by kind
    with the monotonic time it arrived. Thread-safe for :meth:`scan` and :meth:`wait`."""

    def __init__(self, device_id: str, port: int, host: str = "127.0.0.1") -> None:
        self.device_id = device_id
        self._down: queue.SimpleQueue[tuple[float, Envelope]] = queue.SimpleQueue()
        self._seen: list[tuple[float, Envelope]] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=device_id, protocol=paho.MQTTv5
        )
        self.client.username_pw_set(device_id, f"pw-{device_id}")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()
        if not self._connected.wait(10):
            raise RuntimeError(f"gate {device_id} could not connect")

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        client.subscribe(down_filter(self.device_id), qos=1)
        self._connected.set()

    def _on_message(self, client, userdata, message) -> None:  # type: ignore[no-untyped-def]
        try:
            envelope = decode(message.payload)
        except Exception:  # a downlink this test gate cannot read is not its business
            return
        self._down.put((time.monotonic(), envelope))

    def scan(
        self, right, left, *, officer: str = "B17", verdict: str = "green"
    ) -> tuple[str, float]:
        """Publish a two-finger scan (matcher_cy templates) as the gate's agent would; returns
        (scan record id, monotonic time published)."""
        from matcher_cy.persons import LEFT_INDEX, RIGHT_INDEX

        body = Scan(
            officer,
            _b64(right),
            right.quality,
            verdict,
            (),
            1,
            finger=RIGHT_INDEX,
            more_fingers=(ScanFinger(LEFT_INDEX, _b64(left), left.quality),),
        )
        envelope = make_envelope("scan", self.device_id, body)
        at = time.monotonic()
        self.client.publish(
            build_topic(self.device_id, Direction.UP, "scan"), encode(envelope), qos=1
        )
        return envelope.record_id, at

    def wait(self, kind: str, scan_id: str, timeout_s: float) -> tuple[float, Envelope] | None:
        """The first ``kind`` downlink about ``scan_id`` (its arrival time), or None."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                for at, envelope in self._seen:
                    if envelope.kind == kind and getattr(envelope.body, "scan_id", None) == scan_id:
                        return at, envelope
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                item = self._down.get(timeout=min(left, 0.05))
            except queue.Empty:
                continue
            with self._lock:
                self._seen.append(item)

    def received(self, kind: str, scan_id: str) -> int:
        """How many ``kind`` downlinks about ``scan_id`` have arrived so far."""
        with self._lock:
            while True:
                try:
                    self._seen.append(self._down.get_nowait())
                except queue.Empty:
                    break
            return sum(
                1
                for _, e in self._seen
                if e.kind == kind and getattr(e.body, "scan_id", None) == scan_id
            )

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _b64(template) -> str:  # type: ignore[no-untyped-def]
    return base64.b64encode(template.to_bytes()).decode()


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
