"""Fleet monitoring: the registry joined with unit state and telemetry, and fleet alerts.

:class:`Fleet` keeps the latest ``telemetry`` of every unit (``device_telemetry``) and a
short history for the console's sparklines (``telemetry_history``, the newest
``HISTORY_PER_DEVICE`` samples per unit), raises alerts from ``event`` records (tamper,
sensor faults), and :meth:`Fleet.check` (a hub duty) raises or clears the standing
conditions: offline longer than ``[hub] offline_alert_s``, outbox backlog, sensor fault,
stale watchlist. The device list comes from provisioning's registry (the ``devices``
table of the same database); units heard from but not registered are listed too, marked
unregistered. Thread-safety: as :class:`hub.store.HubStore`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hub.alerts import AlertBoard
from hub.config import FleetSection
from hub.store import HubStore
from hub.store import fleet as fleet_table
from khidmat_base import clock
from khidmat_base.database import Connection
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import Event, Telemetry

HISTORY_PER_DEVICE = 120
"""Telemetry samples kept per unit for sparklines."""
ALERT_EVENT_TYPES = ("tamper", "sensor-fault", "watchlist-rejected")


@dataclass(frozen=True, slots=True)
class DeviceView:
    """One unit as the console shows it."""

    device_id: str
    role: str
    station: str
    name: str
    registered: bool
    active: bool
    status: str
    """online, offline, unknown (never heard), or retired (revoked in the registry)."""
    status_ms: int | None
    last_seen_ms: int | None
    telemetry: dict[str, float | int | str] | None
    backlog_history: tuple[int, ...]
    heartbeat_gaps_s: tuple[float, ...]
    """Seconds between successive telemetry messages (a steady line is a healthy unit)."""


class Fleet:
    def __init__(
        self,
        store: HubStore,
        alerts: AlertBoard,
        settings: FleetSection | None = None,
        *,
        offline_alert_s: float = 300.0,
    ) -> None:
        from provisioning.registry import Registry

        self.store = store
        self.db = store.db
        self.alerts = alerts
        self.settings = settings or FleetSection()
        self.offline_alert_s = offline_alert_s
        fleet_table.migrate(self.db)
        self.registry = Registry(store.db)

    def install(self) -> None:
        self.store.add_handler("telemetry", self._on_telemetry)
        self.store.add_handler("event", self._on_event)

    def close(self) -> None:
        self.registry.close()

    # ------------------------------------------------------------ handlers

    def _on_telemetry(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        t: Telemetry = envelope.body
        fleet_table.put_telemetry(conn, envelope.device_id, now_ms, envelope.device_time_ms, t)

    def _on_event(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        event: Event = envelope.body
        if event.event_type not in ALERT_EVENT_TYPES and event.severity != "error":
            return
        severity = "critical" if event.event_type == "tamper" else "warning"
        self.alerts.raise_alert(
            f"{event.event_type}:{envelope.device_id}",
            event.event_type,
            severity,
            envelope.device_id,
            f"{event.event_type} at {envelope.device_id}",
            event.detail[:1000],
            conn=conn,
            now_ms=now_ms,
        )

    # ---------------------------------------------------------------- view

    def devices(self) -> list[DeviceView]:
        """Registered units, then units heard from but not registered."""
        registered = {d.device_id: d for d in self.registry.list()}
        states = self.store.device_states_with_role()
        telemetry = fleet_table.latest(self.db)
        history: dict[str, list[int]] = {}
        beats: dict[str, list[int]] = {}
        for device_id, depth, at_ms in fleet_table.history(self.db):
            history.setdefault(device_id, []).append(depth)
            beats.setdefault(device_id, []).append(at_ms)
        views = []
        heard = (set(states) | set(telemetry)) - set(registered)
        for device_id in [*registered, *sorted(heard)]:
            device = registered.get(device_id)
            state = states.get(device_id)
            seen = [
                v
                for v in (
                    # Telemetry is periodic, so its arrival stands for "last heard from"
                    # without scanning the records table.
                    telemetry[device_id]["received_ms"] if device_id in telemetry else None,
                    state[1] if state else None,
                    device.last_seen_ms if device else None,
                )
                if v
            ]
            views.append(
                DeviceView(
                    device_id=device_id,
                    role=device.role if device else (state[2] if state else "?"),
                    station=device.station if device else "",
                    name=device.name if device else "",
                    registered=device is not None,
                    active=device.active if device else True,
                    # A retired unit is retired everywhere, whatever its last (retained)
                    # state message said.
                    status="retired"
                    if device is not None and not device.active
                    else (state[0] if state else "unknown"),
                    status_ms=state[1] if state else None,
                    last_seen_ms=max(seen) if seen else None,
                    telemetry=telemetry.get(device_id),
                    backlog_history=tuple(history.get(device_id, [])[-HISTORY_PER_DEVICE:]),
                    heartbeat_gaps_s=tuple(
                        (b - a) / 1000 for a, b in itertools.pairwise(beats.get(device_id, []))
                    ),
                )
            )
        return views

    # --------------------------------------------------------------- check

    def check(self, *, current_watchlist: int = 0, now_ms: int | None = None) -> set[str]:
        """Raise and clear the standing fleet alerts; returns the keys now open."""
        now_ms = clock.now_ms() if now_ms is None else now_ms
        wanted: dict[str, tuple[str, str, str, str, str]] = {}
        s = self.settings
        recorded = {d.device_id: d.last_seen_ms or 0 for d in self.registry.list()}
        for d in self.devices():
            if not d.active:
                continue
            if d.registered and (d.last_seen_ms or 0) > recorded.get(d.device_id, 0):
                self.registry.touch_last_seen(d.device_id, d.last_seen_ms or 0)
            if d.status == "offline" and d.status_ms is not None:
                away_s = (now_ms - d.status_ms) / 1000
                if away_s > self.offline_alert_s:
                    wanted[f"offline:{d.device_id}"] = (
                        "offline",
                        "warning",
                        d.device_id,
                        f"{d.device_id} offline",
                        f"offline for {away_s / 60:.0f} min",
                    )
            t = d.telemetry
            if t is None:
                continue
            depth, age = int(t["outbox_depth"]), float(t["oldest_unacked_s"])
            if depth > s.backlog_records or age > s.backlog_age_s:
                wanted[f"backlog:{d.device_id}"] = (
                    "backlog",
                    "warning",
                    d.device_id,
                    f"{d.device_id} outbox backlog",
                    f"{depth} records waiting, oldest {age / 60:.0f} min",
                )
            if t["sensor_status"] == "fault":
                wanted[f"sensor:{d.device_id}"] = (
                    "sensor",
                    "warning",
                    d.device_id,
                    f"{d.device_id} sensor fault",
                    "the fingerprint sensor reports a fault",
                )
            if d.role == "gate" and current_watchlist:
                version, age_s = int(t["watchlist_version"]), float(t["watchlist_age_s"])
                if version < current_watchlist and (age_s < 0 or age_s > s.watchlist_stale_s):
                    wanted[f"watchlist:{d.device_id}"] = (
                        "watchlist",
                        "warning",
                        d.device_id,
                        f"{d.device_id} watchlist stale",
                        f"installed v{version} (age {age_s / 3600:.1f} h), current v{current_watchlist}",
                    )
        for key, (kind, severity, device_id, title, detail) in wanted.items():
            self.alerts.raise_alert(key, kind, severity, device_id, title, detail, now_ms=now_ms)
        for prefix in ("offline:", "backlog:", "sensor:", "watchlist:"):
            for key in self.alerts.open_keys(prefix) - set(wanted):
                self.alerts.clear(key, now_ms=now_ms)
        self._prune()
        return set(wanted)

    def _prune(self) -> None:
        fleet_table.prune_history(self.db, HISTORY_PER_DEVICE)
