"""The control room hears every officer decision at a gate: confirmed and rejected hits.

A gate officer who confirms or rejects a red or yellow verdict queues a second ``scan``
record (``decision`` confirmed/rejected, ``decides`` = the first scan's id). This module's
ingest handler raises an alert for it, in the ingest transaction, so the operator sees and
acknowledges it on the console: a confirmed red is ``critical`` ("detention"), a confirmed
yellow and a rejected hit are ``warning`` (a rejected red is checked by the control room).
The top candidate's name comes from the hub's records (never from the unit's text).
Cost: one record lookup per decision. Thread-safety: as :class:`hub.store.HubStore`.
"""

from __future__ import annotations

from hub.alerts import AlertBoard
from hub.records import RecordStore
from hub.store import HubStore
from khidmat_base.database import Connection
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import Scan

ALERT_KINDS = ("confirmed", "rejected-hit")


class GateDecisions:
    """Raises an alert per officer decision on a red or yellow verdict."""

    def __init__(self, store: HubStore, records: RecordStore, alerts: AlertBoard) -> None:
        self.store = store
        self.records = records
        self.alerts = alerts

    def install(self) -> None:
        self.store.add_handler("scan", self._on_scan)

    def _on_scan(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: Scan = envelope.body
        if body.decision == "none" or body.verdict == "green":
            return
        top = body.candidates[0] if body.candidates else None
        person = self.records.get(top.person_id) if top else None
        who = (
            f"{person.status} {person.name}"
            if person
            else (top.person_id if top else "no candidate")
        )
        scan = body.decides or envelope.record_id
        if body.decision == "confirmed":
            kind = "confirmed"
            severity = "critical" if body.verdict == "red" else "warning"
            title = f"{body.verdict.upper()} CONFIRMED at {envelope.device_id}: {who}"
        else:
            kind = "rejected-hit"
            severity = "warning"
            title = f"{body.verdict} match rejected at {envelope.device_id}: {who}"
        detail = (
            f"scan {scan} by {body.officer}; candidate {top.person_id if top else '-'} "
            f"score {top.score:.3f}; "
            if top
            else f"scan {scan} by {body.officer}; "
        ) + (f"reason: {body.decision_reason}" if body.decision_reason else "no reason given")
        self.alerts.raise_alert(
            f"{kind}:{scan}", kind, severity, envelope.device_id, title, detail,
            conn=conn, now_ms=now_ms,
        )  # fmt: skip
