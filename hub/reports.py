"""Reports from the hub database: complaint turnaround and satisfaction, fleet uptime.

Pure reads; each report is a list of rows (dicts) so the CLI can print a table or write
CSV. Cost: one pass over the complaints (or state changes) in the period.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass

from hub.fleet import Fleet
from hub.store import HubStore
from hub.store import complaints as complaint_table
from khidmat_wire.vocabulary import STOPPED_STATUSES

COMPLAINT_COLUMNS = (
    "station",
    "category",
    "filed",
    "open",
    "overdue",
    "resolved",
    "resolved_in_time",
    "median_turnaround_h",
    "escalated",
    "rated",
    "mean_rating",
)
FLEET_COLUMNS = (
    "device_id",
    "role",
    "station",
    "status",
    "uptime_pct",
    "offline_changes",
    "last_seen",
)


@dataclass(frozen=True, slots=True)
class Period:
    since_ms: int
    until_ms: int


def complaint_report(store: HubStore, period: Period) -> list[dict[str, object]]:
    """Per station and category: volumes, overdue, turnaround, satisfaction (plus a total row)."""
    rows = complaint_table.filed_between(store.db, period.since_ms, period.until_ms)
    # Each resolution with the due time in force when it was made, and its rating (a
    # reopen does not erase either): "in time" is the latest resolution's.
    latest: dict[str, sqlite3.Row] = {}
    rated: dict[str, list[int]] = defaultdict(list)
    for r in complaint_table.resolutions_of_filed(store.db, period.since_ms, period.until_ms):
        latest[r["tracking_no"]] = r
        if r["rating"] is not None:
            rated[r["tracking_no"]].append(r["rating"])
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for row in rows:
        groups[(row["station"], row["category"])].append(row)
        groups[("ALL", "ALL")].append(row)
    report = []
    for (station, category), items in sorted(
        groups.items(), key=lambda kv: kv[0] == ("ALL", "ALL")
    ):
        resolved = [r for r in items if r["resolved_ms"] is not None]
        turnaround_h = [(r["resolved_ms"] - r["filed_ms"]) / 3_600_000 for r in resolved]
        ratings = [rating for r in items for rating in rated.get(r["tracking_no"], [])]
        report.append(
            {
                "station": station,
                "category": category,
                "filed": len(items),
                "open": sum(r["status"] not in STOPPED_STATUSES for r in items),
                "overdue": sum(
                    r["status"] not in STOPPED_STATUSES and r["due_at_ms"] < period.until_ms
                    for r in items
                ),
                "resolved": len(resolved),
                "resolved_in_time": sum(
                    r["tracking_no"] in latest
                    and latest[r["tracking_no"]]["resolved_ms"]
                    <= latest[r["tracking_no"]]["due_at_ms"]
                    for r in resolved
                ),
                "median_turnaround_h": round(statistics.median(turnaround_h), 1)
                if turnaround_h
                else "",
                "escalated": sum(r["escalation_level"] > 0 for r in items),
                "rated": len(ratings),
                "mean_rating": round(statistics.fmean(ratings), 2) if ratings else "",
            }
        )
    return report


def fleet_report(store: HubStore, fleet: Fleet, period: Period) -> list[dict[str, object]]:
    """Per unit: share of the period it was online (from state changes), changes, last seen.

    Before a unit's first known state in the period it counts as in its previous state;
    with no state ever it counts as offline.
    """
    changes: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for device_id, status, at_ms in store.state_log(period.since_ms):
        changes[device_id].append((at_ms, status))
    report = []
    span = max(1, period.until_ms - period.since_ms)
    for device in fleet.devices():
        online_ms = 0
        offline_changes = 0
        events = sorted(changes.get(device.device_id, []))
        for index, (at_ms, status) in enumerate(events):
            start = max(at_ms, period.since_ms)
            end = events[index + 1][0] if index + 1 < len(events) else period.until_ms
            end = min(end, period.until_ms)
            if status == "online" and end > start:
                online_ms += end - start
            if status == "offline" and at_ms >= period.since_ms:
                offline_changes += 1
        report.append(
            {
                "device_id": device.device_id,
                "role": device.role,
                "station": device.station,
                "status": device.status,
                "uptime_pct": round(100 * online_ms / span, 1),
                "offline_changes": offline_changes,
                "last_seen": _iso(device.last_seen_ms),
            }
        )
    return report


def _iso(ms: int | None) -> str:
    if ms is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ms / 1000))
