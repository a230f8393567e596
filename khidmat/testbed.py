"""A whole delivery path on one machine: real Mosquitto, a hub process, agent processes.

Used by the integration tests and ``khidmat bench ingest``/``chaos``: it writes a broker
config with provisioning's ACL, hub identities, limits and client-id binding
(:mod:`provisioning.broker_files`), a hub config and one unit config per device under ``root``, and starts and kills the real processes (``python -m khidmat hub``
and ``python -m khidmat agent``). Not thread-safe; drive it from one thread.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from edge_agent.store import LocalStore
from hub.complaints import ComplaintDesk
from hub.store import HubStore
from khidmat.netcut import LinkRelay
from khidmat_base.mosquitto import BrokerFiles, MosquittoBroker
from khidmat_wire import make_envelope
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import Answer, Complaint
from khidmat_wire.vocabulary import BY_KEY, check_char, unit_number_of
from provisioning.broker_files import BROKER_LIMITS, LISTENER_IDENTITY, acl_text, hub_usernames

SAMPLE_DAY = date(2026, 11, 30)
"""The day of :func:`sample_complaint`'s first tracking numbers."""
SAMPLE_ANSWERS = {"items": "motorcycle", "where": "Jinnah Road, Quetta"}


def sample_complaint(
    station: str,
    sequence: int,
    *,
    device_id: str,
    description: str = "",
    category: str = "theft",
) -> Complaint:
    """A valid complaint body (about 450 bytes on the wire) for tests and benchmarks, as
    desk ``device_id`` numbers it: its unit number, a correct check character, and the
    ``sequence``-th number counted from 2026-11-30 (9,999 a day, as a desk's counter; a
    larger ``sequence`` moves to a later day). Its answers are those of
    ``SAMPLE_ANSWERS`` that ``category`` asks."""
    asked = BY_KEY[category]
    day, counter = divmod(sequence, 10_000)
    when = SAMPLE_DAY + timedelta(days=day)
    payload = f"{station}-{when:%y%m%d}-{unit_number_of(device_id):02d}{counter:04d}"
    return Complaint(
        tracking_no=f"{payload}-{check_char(payload)}",
        station=station,
        category=category,
        answers=tuple(
            Answer(key, SAMPLE_ANSWERS[key]) for key in asked.question_keys if key in SAMPLE_ANSWERS
        ),
        complainant_name="Abdul Rehman",
        cnic="54400-1234567-1",
        mobile="0300-1234567",
        description=description
        or "My motorcycle was taken from outside the shop during the afternoon.",
        cognizable=asked.cognizable,
        gender_desk=False,
        language="en",
    )


class Testbed:
    """Broker, hub and agents for ``devices`` under ``root`` (one directory per part)."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        root: Path,
        devices: list[str],
        *,
        protocol: int = 5,
        resend_after_s: float = 1.0,
        catchup_per_s: float = 2000.0,
        batch_size: int = 200,
        telemetry_interval_s: float = 3600.0,
        hub_workers: int = 1,
        relayed: tuple[str, ...] = (),
        hub_cpus: frozenset[int] | None = None,
        agent_cpus: frozenset[int] | None = None,
        database: str | None = None,
    ) -> None:
        """``hub_cpus`` / ``agent_cpus``: the CPUs the hub and agent processes may run on
        (Linux ``sched_setaffinity``, set before they start, so every thread inherits it);
        None leaves them to the scheduler. ``database``: a PostgreSQL URL for the hub's
        database (default: the SQLite file ``hub/hub.db``)."""
        self.root = Path(root)
        self.devices = list(devices)
        self.protocol = protocol
        self.database = database
        self.hub_db: Path | str = self.root / "hub" / "hub.db" if database is None else database
        """Where the hub's database is: its SQLite file, or the PostgreSQL URL."""
        # The broker files as provisioning writes them: its ACL, one identity per hub
        # worker, and the same limits and client-id binding (one definition).
        users = dict.fromkeys(hub_usernames(), "hub-secret") | {d: f"pw-{d}" for d in devices}
        files = BrokerFiles(
            users=users,
            acl=acl_text(self.root / "hub" / "hub.db"),
            extra="\n".join([*BROKER_LIMITS, LISTENER_IDENTITY]),
        )
        self.broker = MosquittoBroker(self.root / "broker", files)
        self.relays = {d: LinkRelay((self.broker.host, self.broker.port)) for d in relayed}
        self.filed_log = self.root / "filed.log"
        self.hub_workers = hub_workers
        self.hub_config = self._write_hub_config()
        self.unit_configs = {
            d: self._write_unit_config(
                d, resend_after_s, catchup_per_s, batch_size, telemetry_interval_s
            )
            for d in devices
        }
        self.hubs: list[subprocess.Popen[bytes]] = []
        self.agents: dict[str, subprocess.Popen[bytes]] = {}
        self.hub_cpus = hub_cpus
        self.agent_cpus = agent_cpus

    # ------------------------------------------------------------------ files

    def _write_hub_config(self) -> Path:
        directory = self.root / "hub"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "hub.password").write_text("hub-secret\n")
        path = directory / "hub.toml"
        path.write_text(
            f'[hub]\ndatabase = "{self.database or "hub.db"}"\nworkers = {self.hub_workers}\n\n'
            f'[broker]\nhost = "{self.broker.host}"\nport = {self.broker.port}\nusername = "hub"\n'
            f'password_file = "hub.password"\nprotocol = {self.protocol}\n'
        )
        return path

    def _write_unit_config(
        self,
        device_id: str,
        resend_after_s: float,
        catchup_per_s: float,
        batch_size: int,
        telemetry_s: float,
    ) -> Path:
        directory = self.root / "units" / device_id
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "mqtt.password").write_text(f"pw-{device_id}\n")
        path = directory / "unit.toml"
        port = self.relays[device_id].port if device_id in self.relays else self.broker.port
        path.write_text(
            f'[device]\nid = "{device_id}"\nrole = "desk"\nstation = "T{abs(hash(device_id)) % 1000:03d}"\ndata_dir = "data"\n\n'
            f'[broker]\nhost = "{self.broker.host}"\nport = {port}\nusername = "{device_id}"\n'
            f'password_file = "mqtt.password"\nprotocol = {self.protocol}\nkeepalive_s = 5\n\n'
            f"[agent]\nresend_after_s = {resend_after_s}\nmax_backoff_s = {max(resend_after_s * 4, 2.0)}\n"
            f"catchup_per_s = {catchup_per_s}\nbatch_size = {batch_size}\ntelemetry_interval_s = {telemetry_s}\n"
        )
        return path

    def store_path(self, device_id: str) -> Path:
        return self.root / "units" / device_id / "data" / "unit.db"

    # -------------------------------------------------------------- processes

    def start(self) -> Testbed:
        self.broker.start()
        return self

    def start_hub(self, worker: int = 0) -> subprocess.Popen[bytes]:
        process = _spawn(
            [
                "hub",
                "--config",
                str(self.hub_config),
                "--worker",
                str(worker),
                "--log-level",
                "WARNING",
            ],
            self.root / "hub" / f"hub-{worker}.log",
            cpus=self.hub_cpus,
        )
        self.hubs.append(process)
        return process

    def stop_hubs(self, *, kill: bool = False) -> None:
        for process in self.hubs:
            _stop(process, kill=kill)
        self.hubs.clear()

    def start_agent(self, device_id: str) -> subprocess.Popen[bytes]:
        process = _spawn(
            ["agent", "--config", str(self.unit_configs[device_id]), "--log-level", "WARNING"],
            self.root / "units" / device_id / "agent.log",
            cpus=self.agent_cpus,
        )
        self.agents[device_id] = process
        return process

    def stop_agent(self, device_id: str, *, kill: bool = False) -> None:
        process = self.agents.pop(device_id, None)
        if process is not None:
            _stop(process, kill=kill)

    def close(self) -> None:
        """Stop every process this testbed started (idempotent)."""
        for device_id in list(self.agents):
            self.stop_agent(device_id, kill=True)
        self.stop_hubs(kill=True)
        for relay in self.relays.values():
            relay.close()
        self.broker.stop()

    def __enter__(self) -> Testbed:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------- data

    def fill_outbox(self, device_id: str, count: int, *, start: int = 0) -> list[str]:
        """Queue ``count`` complaint records in the unit's store, as the kiosk would."""
        station = f"D{self.devices.index(device_id):04d}"
        envelopes = [
            make_envelope(
                "complaint", device_id, sample_complaint(station, start + i, device_id=device_id)
            )
            for i in range(count)
        ]
        with LocalStore(self.store_path(device_id)) as store:
            store.enqueue_many(envelopes)
        log_filed(self.filed_log, envelopes)
        return [e.record_id for e in envelopes]

    def filed(self) -> list[FiledRecord]:
        """Every record the filer logged (``filed_log``), in filing order."""
        return read_filed_log(self.filed_log)

    def hub_effects(self) -> dict[str, collections.Counter[str]]:
        """Side effects at the hub per tracking number: ``records`` (complaint records
        stored), ``opened`` (complaints opened: their ``received`` audit rows) and
        ``status_pushes`` (complaint statuses queued for the units)."""
        store = HubStore(self.hub_db)
        try:
            desk = ComplaintDesk(store)
            return {
                "records": store.complaint_records_per_tracking_no(),
                "opened": desk.opened_per_tracking_no(),
                "status_pushes": desk.statuses_pushed_per_tracking_no(),
            }
        finally:
            store.close()

    def delivery_check(self) -> DeliveryCheck:
        """The filer's log compared with the hub's side effects (see :class:`DeliveryCheck`)."""
        return DeliveryCheck.of(self.filed(), self.hub_effects())

    def pending(self, device_id: str) -> int:
        with LocalStore(self.store_path(device_id)) as store:
            return store.outbox_depth()

    def total_pending(self) -> int:
        return sum(self.pending(d) for d in self.devices)

    def wait_delivered(self, timeout_s: float, poll_s: float = 0.2) -> bool:
        """Wait until no unit has an unacknowledged record; False on timeout.

        Each unit's store is opened once for the wait and polled with one read query (a
        reader does not block the agent's writes), so the wait costs the units little."""
        deadline = time.monotonic() + timeout_s
        stores = [LocalStore(self.store_path(d)) for d in self.devices]
        try:
            while stores:
                # a unit last seen waiting is asked first: while it waits a poll is one query
                if stores[0].outbox_depth() == 0:
                    waiting = [s for s in stores if s.outbox_depth() > 0]
                    if not waiting:
                        return True
                    stores = waiting + [s for s in stores if s not in waiting]
                if time.monotonic() >= deadline:
                    return False
                time.sleep(poll_s)
            return True
        finally:
            for store in stores:
                store.close()

    def hub_record_ids(self, kind: str | None = None) -> list[str]:
        store = HubStore(self.hub_db)
        try:
            return store.record_ids(kind)
        finally:
            store.close()


@dataclass(frozen=True, slots=True)
class FiledRecord:
    """One line of a filer's log: a complaint committed to a unit's outbox."""

    device_id: str
    record_id: str
    tracking_no: str


def log_filed(path: Path, envelopes: list[Envelope]) -> None:
    """Append committed complaints to the filer's own log (fsynced), after the commit.

    The log is the independent account of what was filed: written by the filer, not read
    back from the units' stores or the hub. A filer killed between its commit and this
    write leaves a record the log does not know (counted as ``unlogged``, never as lost).
    """
    lines = "".join(f"{e.device_id} {e.record_id} {e.body.tracking_no}\n" for e in envelopes)
    with open(path, "a", encoding="utf-8") as log:
        log.write(lines)
        log.flush()
        os.fsync(log.fileno())


def read_filed_log(path: Path) -> list[FiledRecord]:
    """The complete lines of a filer's log (a torn last line from a kill is skipped)."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        parts = line.split(" ")
        if len(parts) == 3 and all(parts):
            records.append(FiledRecord(*parts))
    return records


@dataclass(frozen=True, slots=True)
class DeliveryCheck:
    """What the hub did with what was filed, counted by side effect, not by primary key.

    - ``lost``: logged complaints the hub never opened;
    - ``duplicated``: extra side effects of logged complaints: complaint records beyond one
      per tracking number, complaints opened more than once (``received`` audit rows), and
      more than one status push for the opening;
    - ``unlogged``: complaints the hub opened that the log does not name (a filer killed
      between its commit and its log line).
    """

    filed: int
    lost: int
    duplicated: int
    unlogged: int

    @classmethod
    def of(
        cls, filed: list[FiledRecord], effects: dict[str, collections.Counter[str]]
    ) -> DeliveryCheck:
        tracking = [f.tracking_no for f in filed]
        logged = set(tracking)
        opened = effects["opened"]
        duplicated = sum(n - 1 for n in collections.Counter(tracking).values() if n > 1)
        for name in ("records", "opened", "status_pushes"):
            duplicated += sum(n - 1 for t, n in effects[name].items() if n > 1 and t in logged)
        return cls(
            filed=len(tracking),
            lost=sum(1 for t in logged if opened.get(t, 0) == 0),
            duplicated=duplicated,
            unlogged=sum(1 for t in opened if t not in logged),
        )


def _spawn(
    arguments: list[str], log_path: Path, *, cpus: frozenset[int] | None = None
) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "khidmat", *arguments],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus),
        )


def _stop(process: subprocess.Popen[bytes], *, kill: bool) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
