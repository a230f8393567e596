"""Unit settings and remote commands: what ``khidmat unit set|settings|command`` and the
console's Devices tab change on a unit, versioned, acknowledged and audited.

Settings (:mod:`khidmat_wire.unit_settings`: desk unit number, gate thresholds, sensor
baud, idle timeout, default language) are kept per unit; each change makes a new version
of that unit's settings and queues a ``config`` message with all of them and that version
(the unit answers ``config-applied``). A desk unit number must be unique within its
station. The hub sends the settings again at a unit's birth, and after 50 s to an online
unit that has not applied them. Commands (``selftest``, ``restart-screen``, ``open-relay``,
``sync-watchlist``) are queued as ``command`` messages (``sync-watchlist`` is done at the
hub: the gate's watchlist is sent whole at the next round); the unit's ``command-result``
event is stored against the command. Every change and command is in ``operations_audit``
(who, when, old, new). Thread-safety: as :class:`hub.store.HubStore`. Cost: a few
statements per change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.store import HubStore
from hub.store import roster as audit_table
from hub.store import unit_control as table
from hub.store import watchlists as watchlist_table
from khidmat_base.clock import now_ms as _clock_ms
from khidmat_base.database import Connection
from khidmat_wire.codec import Envelope
from khidmat_wire.ids import new_record_id
from khidmat_wire.messages import Command, Config, Event, Setting
from khidmat_wire.unit_settings import check

COMMANDS: dict[str, str] = {
    "selftest": "sensor-selftest",
    "restart-screen": "restart-screen",
    "open-relay": "open-relay",
    "sync-watchlist": "",
}
"""Command name at the CLI and console -> wire command ("" for one the hub does itself)."""
RESEND_ONLINE_AFTER_MS = 50_000


class UnitControlError(ValueError):
    """A change or command that is not valid; the message says why (shown to the operator)."""


@dataclass(frozen=True, slots=True)
class UnitTarget:
    """A registered, active unit."""

    device_id: str
    role: str
    station: str


@dataclass(frozen=True, slots=True)
class CommandView:
    record_id: str
    device_id: str
    command: str
    by: str
    at_ms: int
    severity: str | None
    detail: str | None
    result_ms: int | None


class UnitControl:
    def __init__(self, store: HubStore) -> None:
        self.store = store
        self.db = store.db
        table.migrate(self.db)
        audit_table.migrate(self.db)

    def install(self) -> None:
        self.store.add_handler("event", self._on_event)

    # ------------------------------------------------------------ settings

    def set(
        self,
        unit: UnitTarget,
        changes: dict[str, str],
        *,
        actor: str,
        station_units: Sequence[UnitTarget] = (),
    ) -> int:
        """Set ``changes`` (key -> value) on ``unit``; returns the new settings version.

        ``station_units``: the other active units of the unit's station (for the unique
        desk unit number). UnitControlError for an unknown key, a bad value or a clash.
        """
        actor = actor.strip()[:80]
        if not actor:
            raise UnitControlError("who makes the change: give --by")
        if not changes:
            raise UnitControlError("nothing to set: give key=value")
        for key, value in changes.items():
            problem = check(key, value, unit.role)
            if problem:
                raise UnitControlError(problem)
        now = _clock_ms()
        with self.db.write() as conn:
            if "kiosk.unit_no" in changes:
                others = [u.device_id for u in station_units if u.device_id != unit.device_id]
                taken = table.values_of(conn, "kiosk.unit_no", others) if others else {}
                clash = [d for d, v in taken.items() if int(v) == int(changes["kiosk.unit_no"])]
                if clash:
                    raise UnitControlError(
                        f"desk unit number {changes['kiosk.unit_no']} is already {clash[0]}'s "
                        f"at station {unit.station}"
                    )
            old = table.settings_of(conn, unit.device_id)
            state = table.config_state(conn, unit.device_id)
            version = (state["version"] if state else 0) + 1
            for key, value in changes.items():
                table.put(conn, unit.device_id, key, value, version)
                audit_table.audit(
                    conn, now, actor, "unit set", unit.device_id,
                    f"{key}={old[key]}" if key in old else f"{key} (unset)", f"{key}={value}",
                )  # fmt: skip
            self._queue_config(conn, unit.device_id, version, now)
        return version

    def _queue_config(self, conn: Connection, device_id: str, version: int, now: int) -> None:
        settings = table.settings_of(conn, device_id)
        body = Config(tuple(Setting(k, v) for k, v in settings.items()), version)
        HubStore.queue_downlink(conn, device_id, "config", body)
        table.record_sent(conn, device_id, version, now)

    def settings(self, device_id: str) -> dict[str, str]:
        return table.settings_of(self.db, device_id)

    def config_state(self, device_id: str) -> tuple[int, int | None]:
        """(version at the hub, version the unit reported applied); (0, None) when none."""
        row = table.config_state(self.db, device_id)
        return (row["version"], row["applied_version"]) if row else (0, None)

    def resend(
        self,
        units: Sequence[str],
        now_ms: int | None = None,
        *,
        online: frozenset[str] = frozenset(),
        reconnected: frozenset[str] = frozenset(),
    ) -> list[str]:
        """Queue the settings again for units that have not applied the current version:
        at once after a birth, after RESEND_ONLINE_AFTER_MS while online. Returns the units."""
        now_ms = _clock_ms() if now_ms is None else now_ms
        wanted = set(units)
        queued = []
        for row in table.all_config(self.db):
            device = row["device_id"]
            if device not in wanted or row["applied_version"] == row["version"]:
                continue
            due = device in reconnected or (
                device in online and now_ms - row["sent_ms"] >= RESEND_ONLINE_AFTER_MS
            )
            if due:
                with self.db.write() as conn:
                    self._queue_config(conn, device, row["version"], now_ms)
                queued.append(device)
        return queued

    # ------------------------------------------------------------ commands

    def command(self, unit: UnitTarget, name: str, *, actor: str) -> str:
        """Send ``name`` (a key of COMMANDS) to ``unit``; returns the command's record id."""
        actor = actor.strip()[:80]
        if not actor:
            raise UnitControlError("who sends the command: give --by")
        if name not in COMMANDS:
            raise UnitControlError(f"unknown command {name[:40]!r}; one of {', '.join(COMMANDS)}")
        if name in ("open-relay", "sync-watchlist") and unit.role != "gate":
            raise UnitControlError(f"{name} is for gate units; {unit.device_id} is a {unit.role}")
        if name == "selftest" and unit.role == "desk":
            raise UnitControlError("selftest checks the fingerprint sensor: gate and enrol units")
        now = _clock_ms()
        with self.db.write() as conn:
            if COMMANDS[name]:
                record_id = HubStore.queue_downlink(
                    conn, unit.device_id, "command", Command(COMMANDS[name])
                )
            else:
                record_id = new_record_id()
                watchlist_table.mark_installed(conn, unit.device_id, None, now, f"sync by {actor}")
                watchlist_table.mark_rejected(conn, unit.device_id, f"sync requested by {actor}")
            table.add_command(conn, record_id, unit.device_id, name, actor, now)
            if not COMMANDS[name]:
                table.set_result(
                    conn, record_id, "info", "the whole watchlist is sent at the next round", now
                )
            audit_table.audit(conn, now, actor, "unit command", unit.device_id, "", name)
        return record_id

    def commands(self, device_id: str | None = None, limit: int = 50) -> list[CommandView]:
        return [CommandView(*tuple(r)) for r in table.commands(self.db, device_id, limit)]

    def command_result(self, record_id: str) -> CommandView | None:
        row = table.command(self.db, record_id)
        return CommandView(*tuple(row)) if row else None

    # ------------------------------------------------------------ handlers

    def _on_event(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: Event = envelope.body
        if body.event_type == "config-applied" and body.ref.isdigit():
            table.mark_applied(conn, envelope.device_id, int(body.ref), now_ms)
        elif body.event_type == "command-result" and body.ref:
            table.set_result(conn, body.ref, body.severity, body.detail[:500], now_ms)
