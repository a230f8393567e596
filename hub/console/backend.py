"""The console's access to the hub database: blocking calls, run from thread workers.

:class:`ConsoleBackend` opens the hub database named by hub.toml and the hub modules over
it (without the signing key). Changes made here (complaint status, alerts) are written in
the same transactions as the downlinks they cause; the hub service publishes those. Safe
to call from several threads (the store's connection is guarded by a lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hub.alerts import Alert
from hub.complaints import ComplaintEvent, ComplaintView
from hub.config import HubConfig
from hub.duties import HubModules, open_modules
from hub.fleet import DeviceView
from hub.records import Person
from hub.store import HubStore, QuarantinedPayload
from hub.store.hotels import HitView, Hotel


@dataclass(frozen=True, slots=True)
class Operator:
    """Who is at the console: name or badge, and desk (``general`` or ``women``)."""

    name: str
    desk: str = "general"


class ConsoleBackend:
    def __init__(self, config: HubConfig, operator: Operator) -> None:
        self.config = config
        self.operator = operator
        self.store = HubStore(config.hub.database)
        self.modules: HubModules = open_modules(config, self.store, signing=False)

    def close(self) -> None:
        self.modules.fleet.close()
        self.store.close()

    # complaints
    def complaints(
        self,
        *,
        statuses: tuple[str, ...] = (),
        station: str = "",
        category: str = "",
        overdue_only: bool = False,
    ) -> list[ComplaintView]:
        return self.modules.complaints.queue(
            desk=self.operator.desk,
            statuses=statuses,
            station=station.strip().upper(),
            category=category.strip().lower(),
            overdue_only=overdue_only,
        )

    def complaint(self, tracking_no: str) -> tuple[ComplaintView | None, list[ComplaintEvent]]:
        desk = self.operator.desk
        return (
            self.modules.complaints.get(tracking_no, desk=desk),
            self.modules.complaints.history(tracking_no, desk=desk),
        )

    def change_status(
        self,
        tracking_no: str,
        status: str,
        reason: str,
        assignee: str,
        station: str,
        message: str = "",
    ) -> ComplaintView:
        return self.modules.complaints.change_status(
            tracking_no,
            status,
            reason=reason,
            officer=self.operator.name,
            desk=self.operator.desk,
            assignee=assignee or None,
            station=station or None,
            message=message,
        )

    # fleet, alerts, quarantine
    def devices(self) -> list[DeviceView]:
        return self.modules.fleet.devices()

    def alerts(self, *, include_closed: bool = False) -> list[Alert]:
        return self.modules.alerts.list(include_closed=include_closed)

    def acknowledge(self, alert_id: int) -> None:
        self.modules.alerts.acknowledge(alert_id, officer=self.operator.name)

    def close_alert(self, alert_id: int, reason: str) -> None:
        self.modules.alerts.close(alert_id, officer=self.operator.name, reason=reason)

    def hotels(self) -> tuple[list[Hotel], dict[str, int], list[HitView]]:
        """Registered hotels, stays kept per hotel, and the hits (newest first)."""
        eye = self.modules.hotels
        return eye.hotels(), eye.stays_per_hotel(), eye.hit_views()

    def quarantine(self) -> list[QuarantinedPayload]:
        return self.store.quarantined()

    def export_templates(self, person_id: str, fmt: str) -> list[Path]:
        """Write the person's templates (iso or ansi) into ``exports/`` beside the database;
        audited under the operator. RecordError for an unknown person or format."""
        directory = self.config.hub.data_dir / "exports"
        return self.modules.records.export_to_folder(
            person_id, fmt, directory, actor=self.operator.name
        )

    # search
    def search(self, text: str) -> tuple[list[ComplaintView], list[Person]]:
        return (
            self.modules.complaints.search(text, desk=self.operator.desk),
            self.modules.records.search(text),
        )
