"""Wires the hub's modules into a :class:`hub.service.HubService`: handlers, hooks, duties.

One place decides what the hub process runs, so ``khidmat hub`` and the tests build the
same thing:

- ingest handlers (in the ingest transaction): complaints, feedback, lookups, enrolments,
  telemetry and events (fleet, gates' watchlist versions, officer lists and sign-ins),
  hotel guests (checked against the records, :mod:`hub.hotels`; a guest of a hotel the hub
  does not know is refused by an ingest check) and licence lookups (:mod:`hub.licences`);
- at start: the identification gallery is loaded on a background thread (minutes for a
  large record store), so ingest and acks start at once;
- after each ingest batch: on worker 0, sending a unit whose birth arrived what it lacks
  (the watchlist for a gate) at once; publishing the queued downlinks, and handing the new scans
  and enrolments to the :class:`hub.search_worker.SearchWorker` thread (template sync,
  identification once the gallery is ready, then its own downlinks; every
  ``CATCH_UP_S`` it also searches scans not yet searched, e.g. stored while the gallery
  loaded), so acks never wait behind a search;
- in the ingest transaction: the station diary's automatic entries (complaints opened,
  detentions confirmed at a gate, enrolments, units going offline: :mod:`hub.diary.feed`);
  an urgent complaint raises a critical ``urgent-complaint``
  console alert (``urgent:<tracking no>``);
- periodic duties: downlinks written by other processes (the console) every
  ``DOWNLINK_POLL_S``; on worker 0 only: complaint escalation, urgent alerts left
  unacknowledged for ``[hub] urgent_ack_s`` escalating their complaint (every
  ``urgent_check_s``), texts to citizens (every ``[sms] check_s``; queued by
  :class:`hub.sms.outbox.SmsOutbox` with each status change), watchlist publishing, fleet
  alerts, hotel stays past ``[hotels] retention_days`` dropped (every ``purge_check_s``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.alerts import AlertBoard
from hub.complaints import ComplaintDesk, ComplaintView
from hub.diary import Diary
from hub.diary.feed import DiaryFeed
from hub.fleet import Fleet
from hub.gate_decisions import GateDecisions
from hub.hotels import HotelEye
from hub.licences import LicenceOffice
from hub.records import RecordStore
from hub.roster import Roster, Unit
from hub.search_worker import SearchWorker
from hub.signin import SignInVerifier
from hub.sms.outbox import SmsOutbox
from hub.unit_control import UnitControl
from hub.unit_keys import WatchlistKeys
from hub.watchlists import WatchlistPublisher
from khidmat_base import clock
from khidmat_wire.vocabulary import UrgentAnswer, escalation_name

if TYPE_CHECKING:
    from hub.config import HubConfig
    from hub.ingest import IngestResult
    from hub.service import HubService
    from hub.store import HubStore

log = logging.getLogger(__name__)

DOWNLINK_POLL_S = 0.25
"""How often queued downlinks written by other processes (the console) are published."""
OFFICERS_CHECK_S = 2.0
"""How often the roster is compared with the lists the units carry (a suspension takes
effect within this; a few small SQL reads)."""
SUMMARY_CHECK_S = 600.0
"""How often the hub looks whether yesterday's station summary is written (once a day it is)."""
CATCH_UP_S = 2.0
"""How often scans without a search row are looked for (cheap: an indexed query)."""
CATCH_UP_WINDOW_MS = 7 * 86_400_000
URGENT_KIND = "urgent-complaint"
URGENT_KEY = "urgent:"
"""An urgent complaint's console alert is ``urgent:<tracking no>`` of kind ``urgent-complaint``."""
"""Unsearched scans older than this before the hub started are left (audited as absent)."""


@dataclass
class HubModules:
    """The hub's workflow modules over one store (also what the console opens)."""

    complaints: ComplaintDesk
    records: RecordStore
    alerts: AlertBoard
    watchlists: WatchlistPublisher
    fleet: Fleet
    roster: Roster
    units: UnitControl
    sms: SmsOutbox
    keys: WatchlistKeys
    diary: Diary
    hotels: HotelEye
    licences: LicenceOffice


def open_modules(config: HubConfig, store: HubStore, *, signing: bool = True) -> HubModules:
    """The modules over ``store`` (tables migrated), without handlers or duties.

    ``signing``: load the watchlist signing key (the console does not need it).
    """
    from khidmat_wire.signing import load_private_key

    key = None
    if signing and config.hub.signing_key_file is not None:
        key = load_private_key(config.hub.signing_key_file.read_bytes())
    records = RecordStore(store)
    alerts = AlertBoard(store)
    complaints = ComplaintDesk(store, config.complaints)
    sms = SmsOutbox(store, config.sms)
    # every process that changes a complaint (the hub, the console) queues its text
    complaints.on_status = sms.on_status
    return HubModules(
        complaints=complaints,
        records=records,
        alerts=alerts,
        watchlists=WatchlistPublisher(store, records, key=key, criteria=config.watchlist),
        fleet=Fleet(store, alerts, config.fleet, offline_alert_s=config.hub.offline_alert_s),
        roster=Roster(store, alerts, key=key),
        units=UnitControl(store),
        keys=WatchlistKeys(store, config.hub.watchlist_key_grace_s),
        sms=sms,
        diary=Diary(store),
        hotels=HotelEye(store, alerts, config.hotels, statuses=config.watchlist.statuses),
        licences=LicenceOffice(store, sms),
    )


def install(service: HubService) -> HubModules:
    """Build the modules on ``service.store`` and register their handlers and duties."""
    from hub.identify import Identifier

    config = service.config
    modules = open_modules(config, service.store)
    modules.complaints.install()
    modules.records.install()
    modules.watchlists.install()
    modules.fleet.install()
    modules.roster.install()
    modules.units.install()
    modules.hotels.install()
    modules.licences.install()
    service.ingestor.checks.append(modules.hotels.refusal)
    GateDecisions(service.store, modules.records, modules.alerts).install()
    feed = DiaryFeed(service.store, modules.diary, modules.records)
    feed.install()
    modules.complaints.on_opened = feed.complaint_opened
    modules.records.on_enrolled = feed.enrolled
    SignInVerifier(service.store).install()
    # beside a SQLite file by default; a server database's workers keep theirs in the
    # configuration's folder (each machine maps its own prepared files)
    server = service.store.db.dialect != "sqlite"
    identifier = Identifier(
        service.store,
        modules.records,
        modules.alerts,
        threshold=config.hub.hit_threshold,
        gallery_file=config.hub.data_dir / "hub.gallery" if server else None,
    )
    service.identifier = identifier
    started_ms = clock.now_ms()

    def load_gallery() -> None:
        try:
            size = identifier.load()
        except Exception:  # logged: the hub keeps ingesting; scans stay unsearched
            log.exception("loading the identification gallery failed")
            return
        log.info("identification gallery ready: %d templates", size)

    def start_loading() -> None:
        threading.Thread(target=load_gallery, name="gallery-load", daemon=True).start()

    def catch_up() -> None:
        # Scans stored while the gallery was loading, or just before the hub last
        # stopped, have no search row: search them (each is claimed, so only once).
        if not identifier.ready.is_set():
            return
        identifier.sync()
        for envelope in identifier.unsearched_scans(started_ms - CATCH_UP_WINDOW_MS):
            identifier.identify(envelope)

    if modules.watchlists.key is None:
        log.warning("no [hub] signing_key_file: watchlists are not published to the gates")

    publishing = threading.Lock()  # the ingest and search threads both publish

    def publish_downlinks() -> None:
        with publishing:
            service.store.publish_downlinks(service.publish)

    searches = SearchWorker(identifier, publish_downlinks, catch_up=catch_up, catch_up_s=CATCH_UP_S)
    service.search_worker = searches

    if config.federation is not None:
        from hub.federation.service import Federation

        federation = Federation(
            config.federation,
            service.store,
            identifier,
            modules.alerts,
            publish=service.publish,
            publish_downlinks=publish_downlinks,
        )
        service.federation = federation
        service.federation_inbox = federation.receive
        searches.after_search.append(federation.forward)
        service.on_start.append(federation.start)
        service.on_stop.append(federation.stop)

    def after_ingest(_service: HubService, result: IngestResult) -> None:
        searches.submit(result.new_records)
        if result.came_online and service.worker == 0:
            # A unit's birth: what it lacks goes out now, not at the next round.
            for catch_up_unit in on_online:
                try:
                    catch_up_unit(frozenset(result.came_online))
                except Exception:  # logged; the periodic round retries
                    log.exception("sending what a unit lacks on its birth failed")
        publish_downlinks()

    def escalate() -> None:
        for key in modules.alerts.open_keys("escalation:"):
            view = modules.complaints.get(key.split(":", 1)[1], desk="general")
            if view is None or not view.open:  # resolved, closed or rejected meanwhile
                modules.alerts.clear(key)
        for tracking_no, level in modules.complaints.escalate_due():
            log.info("complaint %s escalated to level %d", tracking_no, level)
            view = modules.complaints.get(tracking_no, desk="general")  # no personal details
            if view is None:
                continue
            # One open alert per complaint; a further level updates it.
            modules.alerts.raise_alert(
                f"escalation:{tracking_no}",
                "escalation",
                "warning",
                view.device_id,
                f"complaint {tracking_no} overdue: escalated to {view.escalated_to}",
                f"{view.category} at {view.station}, {view.status}, due "
                f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(view.due_at_ms / 1000))} UTC; "
                f"level {level} ({view.escalated_to})",
            )

    def publish_watchlists(reconnected: frozenset[str] = frozenset()) -> None:
        if modules.watchlists.key is None:
            return
        devices = [d for d in modules.fleet.devices() if d.role == "gate" and d.active]
        # each gate's key first: a gate refuses a list it cannot keep sealed
        for gate in modules.keys.publish([d.device_id for d in devices], reconnected=reconnected):
            log.info("watchlist key queued for %s", gate)
        online = frozenset(d.device_id for d in devices if d.status == "online")
        queued = modules.watchlists.publish(
            [d.device_id for d in devices], online=online, reconnected=reconnected
        )
        for gate, version, base in queued:
            log.info("watchlist v%d (base v%d) queued for %s", version, base, gate)
        publish_downlinks()

    def publish_unit_state(reconnected: frozenset[str] = frozenset()) -> None:
        """Officer lists and unit settings each unit lacks (every OFFICERS_CHECK_S, and on births)."""
        devices = [d for d in modules.fleet.devices() if d.registered and d.active]
        online = frozenset(d.device_id for d in devices if d.status == "online")
        for unit in modules.units.resend(
            [d.device_id for d in devices], online=online, reconnected=reconnected
        ):
            log.info("settings sent again to %s", unit)
        if modules.roster.key is None:
            publish_downlinks()
            return
        queued = modules.roster.publish(
            [Unit(d.device_id, d.role, d.station) for d in devices],
            online=online,
            reconnected=reconnected,
        )
        for unit, version, count in queued:
            log.info("officer list v%d (%d officers) queued for %s", version, count, unit)
        publish_downlinks()

    on_online: list[Callable[[frozenset[str]], None]] = [publish_watchlists, publish_unit_state]

    def nightly_summary() -> None:
        from hub.daily_summary import write_day, yesterday

        day = yesterday(int(time.time() * 1000))
        directory = config.hub.data_dir / "reports"
        if not (directory / f"summary-{day.isoformat()}.pdf").exists():
            for path in write_day(service.store, modules.fleet, day, directory):
                log.info("daily summary written: %s", path)

    def check_fleet() -> None:
        modules.fleet.check(current_watchlist=modules.watchlists.current_version())

    def refused(device_id: str, kind: str, reason: str) -> None:
        # One open alert per unit and kind; repeats bump its count.
        modules.alerts.raise_alert(
            f"{kind}:{device_id}",
            kind,
            "critical" if kind == "unit-refused" else "warning",
            device_id,
            f"records from {device_id} refused"
            if kind == "unit-refused"
            else f"quarantine quota of {device_id} is full",
            reason[:500],
        )

    service.ingestor.on_refused = refused

    def collided(conn, receipt: str, opened_as: str, device_id: str) -> None:
        modules.alerts.raise_alert(
            f"tracking-collision:{receipt}",
            "tracking-collision",
            "critical",
            device_id,
            f"tracking number {receipt} not usable: the complaint is {opened_as}",
            f"{device_id} filed a complaint under {receipt}, which another complaint already "
            f"had or which is not that desk's to issue (its trail says which); it was opened as "
            f"{opened_as} (tell the citizen; check the desks' unit numbers)",
            conn=conn,
        )

    modules.complaints.on_collision = collided

    def urgent(conn, view: ComplaintView, rule: UrgentAnswer) -> None:
        # No personal details: the general desk's view of the complaint.
        due = time.strftime("%H:%M", time.gmtime(view.due_at_ms / 1000))
        modules.alerts.raise_alert(
            f"{URGENT_KEY}{view.tracking_no}",
            URGENT_KIND,
            "critical",
            view.device_id,
            f"URGENT complaint {view.tracking_no}: {rule.title.lower()}",
            f"{view.category} at {view.station} ({view.device_id}), due {due} UTC; acknowledge "
            f"within {config.hub.urgent_ack_s:g} s or it escalates",
            conn=conn,
        )
        modules.sms.notify_duty_officer(conn, view, rule)

    def escalate_unacknowledged() -> None:
        now = clock.now_ms()
        wait_ms = int(config.hub.urgent_ack_s * 1000)
        for alert in modules.alerts.list(kind=URGENT_KIND):
            if alert.acked_ms is not None or now - alert.last_ms < wait_ms:
                continue
            tracking_no = alert.key.removeprefix(URGENT_KEY)
            waited_s = (now - alert.raised_ms) / 1000
            level = modules.complaints.escalate_unacknowledged(tracking_no, waited_s, now)
            if level is None:  # resolved, closed or rejected meanwhile
                modules.alerts.clear(alert.key, now_ms=now)
                continue
            log.warning(
                "urgent complaint %s unacknowledged: escalated to level %d", tracking_no, level
            )
            modules.alerts.raise_alert(  # bumps it: the next step waits from now
                alert.key,
                URGENT_KIND,
                "critical",
                alert.device_id,
                f"URGENT complaint {tracking_no} not acknowledged: escalated to "
                f"{escalation_name(level)}",
                alert.detail,
                now_ms=now,
            )

    modules.complaints.on_urgent = urgent

    def send_texts() -> None:
        sent = modules.sms.send_due()
        if sent:
            log.info("%d texts sent to citizens", sent)

    service.on_start.append(start_loading)
    service.on_start.append(searches.start)
    service.on_stop.append(searches.stop)
    service.after_ingest.append(after_ingest)
    service.every("downlinks", DOWNLINK_POLL_S, publish_downlinks)
    if service.worker == 0:
        # One coordinator: two workers would queue the same watchlist twice (the gate
        # rejects the second as not newer) and raise the same fleet alerts twice.
        service.every("escalation", config.hub.escalation_check_s, escalate)
        service.every("urgent", config.hub.urgent_check_s, escalate_unacknowledged)
        service.every("sms", config.sms.check_s, send_texts)
        service.on_stop.append(modules.sms.close)
        service.every("watchlists", config.hub.watchlist_check_s, publish_watchlists)
        service.every("fleet", config.hub.fleet_check_s, check_fleet)
        service.every("unit-state", OFFICERS_CHECK_S, publish_unit_state)
        service.every("daily-summary", SUMMARY_CHECK_S, nightly_summary)
        service.every("hotel-purge", config.hotels.purge_check_s, modules.hotels.purge)
    return modules
