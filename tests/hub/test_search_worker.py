"""Hub-side identification on its own thread: scans searched, alerts published, catch-up, stop."""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path

from hub.alerts import AlertBoard
from hub.identify import Identifier
from hub.ingest import Ingestor
from hub.records import RecordStore
from hub.search_worker import SearchWorker
from hub.store import HubStore
from khidmat_wire import decode, encode, make_envelope
from khidmat_wire.messages import EnrolledFinger, Enrolment, Scan

WAIT_S = 20.0


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _wait(predicate, timeout_s: float = WAIT_S) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def _scan(templates, finger: int) -> object:
    body = Scan("GATE-OFF-1", _b64(templates[(finger, 1)]), 70, "green", (), 4)
    return make_envelope("scan", "gate-1", body)


def test_scans_are_searched_off_the_ingest_thread_and_alerts_published(
    tmp_path: Path, hub_database, templates
) -> None:
    store = HubStore(hub_database)
    records = RecordStore(store)
    records.install()
    alerts = AlertBoard(store)
    sent: list[tuple[str, bytes]] = []
    ingestor = Ingestor(store, lambda topic, payload: True)
    wanted = Enrolment("CRO-7", "Gul Khan", "Sher Khan", "54400-1111111-1", ("PPC 392",),
                       "wanted", (EnrolledFinger(1, _b64(templates[(1, 0)]), 80),))  # fmt: skip
    ingestor.process([("khidmat/v1/dev/cro-1/up/enrolment", encode(make_envelope("enrolment", "cro-1", wanted)))])  # fmt: skip
    identifier = Identifier(store, records, alerts)
    threads: set[str] = set()

    def publish_downlinks() -> None:
        threads.add(threading.current_thread().name)
        store.publish_downlinks(lambda topic, payload: sent.append((topic, payload)) or True)

    def catch_up() -> None:
        identifier.sync()
        for envelope in identifier.unsearched_scans():
            identifier.identify(envelope)

    worker = SearchWorker(identifier, publish_downlinks, catch_up=catch_up, catch_up_s=0.2)
    worker.start()
    try:
        early = _scan(templates, 1)
        store.store_records([(early, encode(early))])
        worker.submit([early])  # the gallery is not loaded yet: left to the catch-up
        assert identifier.load() == 1
        assert _wait(lambda: bool(alerts.list(kind="hit")))
        assert [s["scan_id"] for s in identifier.searches()] == [early.record_id]
        alerts.close(alerts.list(kind="hit")[0].id, officer="t", reason="seen")
        later = _scan(templates, 1)
        store.store_records([(later, encode(later))])
        worker.submit([later])
        assert _wait(lambda: len(identifier.searches()) == 2)
        assert _wait(lambda: len([t for t, _ in sent if t.endswith("/down/alert")]) == 2)
        alert = decode([p for t, p in sent if t.endswith("/down/alert")][-1]).body
        assert alert.scan_id == later.record_id and alert.status == "wanted"
        assert threads == {"hub-search"}
    finally:
        started = time.monotonic()
        worker.stop()
        assert time.monotonic() - started < 5
        store.close()


def test_a_scan_of_nobody_on_record_is_audited_and_raises_nothing(tmp_path: Path, hub_database, templates) -> None:  # fmt: skip
    store = HubStore(hub_database)
    records = RecordStore(store)
    records.install()
    alerts = AlertBoard(store)
    identifier = Identifier(store, records, alerts)
    identifier.load()
    worker = SearchWorker(identifier, lambda: None, catch_up=lambda: None, catch_up_s=0.2)
    worker.start()
    try:
        stranger = _scan(templates, 2)
        store.store_records([(stranger, encode(stranger))])
        worker.submit([stranger, make_envelope("enrolment", "x", Enrolment(
            "CRO-7", "Someone", "", "", (), "released", ()))])  # fmt: skip
        # the pending claim row comes first; the outcome replaces it
        assert _wait(lambda: [s["result"] for s in identifier.searches()] == ["no-hit"])
        assert alerts.list(kind="hit") == []
        assert worker.searched == 1
    finally:
        worker.stop()
        store.close()
