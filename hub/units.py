"""Who may send records: the hub's check of a unit's identity on every record.

The broker authenticates a unit (username = device id, ACL ``%u``), but it keeps accepting
a revoked unit until it is reloaded, and it cannot read a record's body. :class:`UnitRoster`
checks each record against provisioning's device registry (the ``devices`` table in the
hub's database, read through :class:`provisioning.registry.Registry`):

- a **retired** unit's records are refused (quarantined, not acknowledged, an operator
  alert), whether or not the broker has been reloaded since the revocation;
- a complaint must carry the unit's **registered station**, and its tracking number must
  start with that station's code: a unit cannot file (or pre-file) another station's
  numbers;
- a unit that is not in the registry (a development setup made without provisioning) is
  accepted: the broker has authenticated it, and there is no station to compare.

The registry is re-read at most every ``REFRESH_S`` seconds (one query), so a revocation
takes effect at the hub within that time. Not thread-safe: used by the ingest thread only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from khidmat_wire.codec import Envelope

REFRESH_S = 1.0
"""Longest time the hub trusts its copy of the registry (seconds)."""


@dataclass(frozen=True, slots=True)
class UnitEntry:
    """What the hub needs to know about one registered unit."""

    station: str
    retired_at_ms: int | None


class UnitRoster:
    """Registry-backed identity checks for ingest. ``refusal()`` costs a dict lookup, plus
    one registry query (about 1 ms for a few hundred units) when the copy is stale."""

    def __init__(self, database: Path, *, refresh_s: float = REFRESH_S) -> None:
        from provisioning.registry import Registry

        self._registry = Registry(database)
        self._refresh_s = refresh_s
        self._units: dict[str, UnitEntry] = {}
        self._read_at = float("-inf")

    def close(self) -> None:
        self._registry.close()

    def _fresh(self) -> dict[str, UnitEntry]:
        now = time.monotonic()
        if now - self._read_at >= self._refresh_s:
            self._units = {
                d.device_id: UnitEntry(d.station, d.retired_at_ms)
                for d in self._registry.list(include_retired=True)
            }
            self._read_at = now
        return self._units

    def refusal(self, envelope: Envelope) -> str | None:
        """Why the hub must not accept this record from its unit, or None to accept it."""
        unit = self._fresh().get(envelope.device_id)
        if unit is None:
            return None
        if unit.retired_at_ms is not None:
            return f"unit {envelope.device_id} is retired (revoked); its records are refused"
        if envelope.kind == "complaint":
            body = envelope.body
            if body.station != unit.station:
                return (
                    f"complaint names station {body.station!r} but unit {envelope.device_id} "
                    f"is registered at {unit.station!r}"
                )
            if not body.tracking_no.startswith(unit.station + "-"):
                return (
                    f"tracking number is not one of station {unit.station!r}'s "
                    f"(unit {envelope.device_id})"
                )
        return None
