"""The attack site: a deployment made by ``khidmat provision``, its Mosquitto, a hub process.

Every attack runs against exactly what a technician deploys: ``init_deployment`` and
``provision_device`` write the CA, the broker's config, password and ACL files and the
unit bundles; Mosquitto runs from those files on free loopback ports; the hub is a real
``python -m khidmat hub`` process with the deployment's hub.toml (TLS, its own account).
Attackers are paho clients holding a provisioned unit's credentials.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.store import HubStore
from khidmat.testbed import sample_complaint
from khidmat_wire import encode, make_envelope
from khidmat_wire.codec import Envelope
from provisioning.operations import Provisioned, provision_device
from tests.provisioning.provision_fixtures import DeploymentBroker, make_deployment
from tests.provisioning.provision_mqtt import Client, Creds

pytestmark = pytest.mark.broker

HUB_START_S = 30.0
"""How long a hub process may take to connect (imports, gallery thread, TLS)."""


def wait_for(predicate: Callable[[], object], timeout_s: float = 15.0) -> bool:
    """Poll ``predicate`` every 50 ms until it is true or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


class Site:
    """A provisioned deployment with its broker, units and (when started) hub processes."""

    def __init__(self, root: Path, *, database: str | None = None) -> None:
        """``database``: a PostgreSQL URL put in hub.toml's ``[hub] database`` (the hub and
        the registry then live there); None keeps the deployment's SQLite hub.db."""
        self.deployment = make_deployment(root / "deploy")
        if database is not None:
            hub_toml = self.deployment.hub_toml
            text = hub_toml.read_text(encoding="utf-8")
            assert 'database = "hub.db"' in text, "hub.toml's database line moved"
            hub_toml.write_text(text.replace('database = "hub.db"', f'database = "{database}"'))
        self.broker = DeploymentBroker(self.deployment)
        self.units: dict[str, Provisioned] = {}
        self.hubs: list[subprocess.Popen[bytes]] = []
        self.clients: list[Client] = []
        self._sequence = 0

    def provision(self, role: str = "desk", station: str = "QTA01") -> str:
        """A new unit (bundle on disk, broker reloaded); returns its device id."""
        made = provision_device(self.deployment, role=role, station=station, reload=True)
        self.units[made.device.device_id] = made
        time.sleep(0.2)  # Mosquitto re-reads its files on SIGHUP, asynchronously
        return made.device.device_id

    # ------------------------------------------------------------------ hub

    def start_hub(self, worker: int = 0) -> subprocess.Popen[bytes]:
        """``python -m khidmat hub`` on the deployment's hub.toml; waits until it is subscribed."""
        log_path = self.deployment.root / f"hub-{worker}.log"
        mark = len(self.broker.log())
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "khidmat", "hub", "--config", str(self.deployment.hub_toml)]
                + ["--worker", str(worker), "--log-level", "INFO"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        self.hubs.append(process)
        username = "hub" if worker == 0 else f"hub-{worker}"
        assert wait_for(
            lambda: process.poll() is not None or f"u'{username}')" in self.broker.log()[mark:],
            HUB_START_S,
        ), self.hub_log(worker)
        assert process.poll() is None, self.hub_log(worker)
        time.sleep(0.5)  # subscriptions follow the CONNACK
        return process

    def stop_hubs(self) -> None:
        for process in self.hubs:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.hubs.clear()

    def hub_log(self, worker: int = 0) -> str:
        path = self.deployment.root / f"hub-{worker}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def store(self) -> HubStore:
        return HubStore(self.deployment.hub_database)

    def stored(self, record_ids: list[str]) -> int:
        """How many of ``record_ids`` the hub's records table holds."""
        store = self.store()
        try:
            held = set(store.record_ids())
        finally:
            store.close()
        return len(held & set(record_ids))

    def quarantine_reasons(self, device_id: str) -> list[str]:
        store = self.store()
        try:
            return [q.reason for q in store.quarantined(limit=10_000) if q.device_id == device_id]
        finally:
            store.close()

    def open_alerts(self, prefix: str) -> list[str]:
        store = self.store()
        try:
            rows = store.db.query(
                "SELECT key FROM alerts WHERE closed_ms IS NULL AND key LIKE ?", (prefix + "%",)
            )
            return [r[0] for r in rows]
        finally:
            store.close()

    # -------------------------------------------------------------- clients

    def unit_client(self, device_id: str, *, client_id: str | None = None) -> Client:
        """A connected paho client with ``device_id``'s provisioned credentials."""
        creds = Creds.of_unit(self.units[device_id].bundle_dir)
        client = Client(creds, client_id=client_id or device_id).connect()
        self.clients.append(client)
        return client

    def hub_client(self, username: str = "hub-7") -> Client:
        """A connected client with one of the hub's identities (an observer)."""
        creds = Creds.of_hub(self.deployment)
        creds.username = username
        client = Client(creds, client_id=username).connect()
        self.clients.append(client)
        return client

    def complaint(self, device_id: str, **changes: object) -> tuple[Envelope, bytes]:
        """A valid complaint from ``device_id`` at its registered station, and its payload."""
        station = self.units[device_id].device.station
        self._sequence += 1
        body = sample_complaint(station, self._sequence, device_id=device_id)
        envelope = make_envelope("complaint", device_id, body)
        payload = encode(envelope)
        if changes:
            document = json.loads(payload)
            for path, value in changes.items():
                target = document
                keys = path.split("__")
                for key in keys[:-1]:
                    target = target[key]
                target[keys[-1]] = value
            payload = json.dumps(document).encode("ascii")  # "\ud800" stays a JSON escape
        return envelope, payload

    def close(self) -> None:
        for client in self.clients:
            try:
                client.close()
            except Exception:  # a client the broker already dropped
                pass
        self.stop_hubs()
        self.broker.stop()


def up(device_id: str, kind: str = "complaint") -> str:
    return f"khidmat/v1/dev/{device_id}/up/{kind}"
