"""Wires the hub's modules into a :class:`hub.service.HubService`: handlers, hooks, duties.

One place decides what the hub process runs, so ``khidmat hub`` and the tests build the
same thing: ingest handlers (complaints, feedback, lookups), the downlink publisher (after
every ingest batch and every ``DOWNLINK_POLL_S`` for changes made from the console), and
the periodic duties (escalation).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.complaints import ComplaintDesk

if TYPE_CHECKING:
    from hub.ingest import IngestResult
    from hub.service import HubService

log = logging.getLogger(__name__)

DOWNLINK_POLL_S = 0.25
"""How often queued downlinks written by other processes (the console) are published."""


@dataclass
class HubModules:
    """The hub's workflow modules over one store."""

    complaints: ComplaintDesk


def install(service: HubService) -> HubModules:
    """Build the modules on ``service.store`` and register their handlers and duties."""
    config = service.config
    complaints = ComplaintDesk(service.store, config.complaints)
    complaints.install()
    modules = HubModules(complaints=complaints)

    def publish_downlinks() -> None:
        service.store.publish_downlinks(service.publish)

    def after_ingest(_service: HubService, _result: IngestResult) -> None:
        publish_downlinks()

    def escalate() -> None:
        for tracking_no, level in complaints.escalate_due():
            log.info("complaint %s escalated to level %d", tracking_no, level)

    service.after_ingest.append(after_ingest)
    service.every("downlinks", DOWNLINK_POLL_S, publish_downlinks)
    service.every("escalation", config.hub.escalation_check_s, escalate)
    return modules
