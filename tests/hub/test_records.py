"""Criminal records, watchlists and identification at the hub (SQLite, real matcher)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.store import LocalStore
from edge_agent.watchlist import WatchlistRejected, install_watchlist
from hub.alerts import AlertBoard
from hub.identify import Identifier
from hub.ingest import Ingestor
from hub.records import RecordError, RecordStore
from hub.store import HubStore
from hub.watchlists import WatchlistPublisher
from khidmat_wire import decode, encode, make_envelope
from khidmat_wire.messages import (
    Candidate,
    EnrolledFinger,
    Enrolment,
    Event,
    Scan,
    ScanFinger,
    Telemetry,
)
from matcher_cy import Template

KEY = Ed25519PrivateKey.generate()


@pytest.fixture
def hub(tmp_path: Path, hub_database):
    store = HubStore(hub_database)
    records = RecordStore(store)
    records.install()
    alerts = AlertBoard(store)
    watchlists = WatchlistPublisher(store, records, key=KEY)
    watchlists.install()
    ingestor = Ingestor(store, lambda topic, payload: True)
    yield store, records, alerts, watchlists, ingestor
    store.close()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _enrol(
    ingestor: Ingestor,
    templates,
    *,
    finger_ids=(1,),
    cnic="54400-1111111-1",
    status="wanted",
    name="Gul Khan",
):
    body = Enrolment(
        officer="CRO-7",
        name=name,
        father_name="Sher Khan",
        cnic=cnic,
        offences=("PPC 392",),
        status=status,
        fingers=tuple(EnrolledFinger(f, _b64(templates[(f, 0)]), 80) for f in finger_ids),
    )
    envelope = make_envelope("enrolment", "cro-1", body)
    ingestor.process([("khidmat/v1/dev/cro-1/up/enrolment", encode(envelope))])
    return envelope.record_id


def test_enrolments_create_and_merge_people_by_cnic(hub, templates) -> None:
    store, records, *_, ingestor = hub
    _enrol(ingestor, templates, finger_ids=(1,))
    _enrol(ingestor, templates, finger_ids=(2,), status="proclaimed-offender")
    _enrol(ingestor, templates, finger_ids=(3,), cnic="", name="Unknown Man")
    people = records.search("Gul")
    assert [(p.person_id, p.status, p.fingers) for p in people] == [
        ("CR-0000001", "proclaimed-offender", (1, 2))
    ]
    assert records.get("CR-0000002").fingers == (3,)
    assert [a[1] for a in records.audit_log("CR-0000001")] == [
        "created",
        "templates",
        "updated",
        "templates",
    ]
    with pytest.raises(RecordError, match="cnic"):
        records.upsert_person(
            name="X",
            father_name="",
            cnic="123",
            offences=(),
            status="wanted",
            source="t",
            actor="t",
        )
    with pytest.raises(RecordError, match="template"):
        records.upsert_person(
            name="X",
            father_name="",
            cnic="",
            offences=(),
            status="wanted",
            source="t",
            actor="t",
            templates=[(1, b"not a template", 50)],
        )


def test_a_bad_enrolment_template_is_audited_not_fatal(hub, templates) -> None:
    store, records, *_, ingestor = hub
    body = Enrolment("CRO-7", "A", "B", "", (), "wanted", (EnrolledFinger(1, _b64(b"junk"), 50),))
    envelope = make_envelope("enrolment", "cro-1", body)
    result = ingestor.process([("khidmat/v1/dev/cro-1/up/enrolment", encode(envelope))])
    assert result.stored == 1 and records.count() == 0
    assert "enrolment-refused" in [a[1] for a in records.audit_log("-")]


def test_watchlist_snapshots_and_deltas_install_on_a_gate(hub, templates, tmp_path: Path) -> None:
    store, records, alerts, watchlists, ingestor = hub
    _enrol(ingestor, templates, finger_ids=(1, 2))
    _enrol(
        ingestor,
        templates,
        finger_ids=(3,),
        cnic="54400-2222222-2",
        name="Rafiq",
        status="convicted",
    )
    queued = watchlists.publish(["gate-1"])
    assert queued == [("gate-1", 1, 0)]
    assert watchlists.publish(["gate-1"]) == []  # sent and not yet reported: not again
    gate = LocalStore(tmp_path / "gate.db")

    def deliver() -> None:
        rows = store.db.query(
            "SELECT id, payload FROM downlinks WHERE kind = 'watchlist' AND sent_ms IS NULL"
        )
        for row_id, payload in rows:
            install_watchlist(gate, decode(bytes(payload)).body, KEY.public_key())
            store.mark_downlinks_sent([row_id])
            report = make_envelope(
                "event",
                "gate-1",
                Event("watchlist-installed", "info", "ok", ref=str(gate.watchlist_info().version)),
            )
            ingestor.process([("khidmat/v1/dev/gate-1/up/event", encode(report))])

    deliver()
    assert sorted((e[0], e[1]) for e in gate.watchlist_entries()) == [
        ("CR-0000001", 1),
        ("CR-0000001", 2),
    ]
    records.set_status("CR-0000002", "wanted", reason="escaped", actor="SP")
    records.set_status("CR-0000001", "released", reason="acquitted", actor="SP")
    assert watchlists.publish(["gate-1"]) == [("gate-1", 2, 1)]
    delta = decode(
        bytes(store.db.query("SELECT payload FROM downlinks WHERE sent_ms IS NULL")[0][0])
    ).body
    assert delta.remove == ("CR-0000001",) and [e.person_id for e in delta.add] == ["CR-0000002"]
    deliver()
    assert [(e[0], e[1], e[3]) for e in gate.watchlist_entries()] == [("CR-0000002", 3, "wanted")]
    assert watchlists.gates()[0].installed_version == 2
    rejected = make_envelope(
        "event", "gate-1", Event("watchlist-rejected", "error", "not newer", ref="2")
    )
    ingestor.process([("khidmat/v1/dev/gate-1/up/event", encode(rejected))])
    assert (
        watchlists.gates()[0].sent_version is None and watchlists.gates()[0].installed_version == 2
    )
    assert watchlists.publish(["gate-1"]) == []  # the gate has the current version: no loop
    wiped = make_envelope("telemetry", "gate-1", Telemetry(1, 40, 0.1, 900, 0, 0, 0, -1, "ok"))
    ingestor.process([("khidmat/v1/dev/gate-1/up/telemetry", encode(wiped))])
    assert watchlists.publish(["gate-1"]) == [("gate-1", 2, 0)]  # a wiped gate gets a snapshot
    forged = decode(
        bytes(store.db.query("SELECT payload FROM downlinks ORDER BY id DESC")[0][0])
    ).body
    with pytest.raises(WatchlistRejected):
        install_watchlist(gate, forged, Ed25519PrivateKey.generate().public_key())
    gate.close()


def test_a_gate_scan_the_watchlist_missed_raises_an_alert(hub, templates) -> None:
    store, records, alerts, watchlists, ingestor = hub
    _enrol(ingestor, templates, finger_ids=(1, 2))
    _enrol(
        ingestor,
        templates,
        finger_ids=(3,),
        cnic="54400-2222222-2",
        name="Rafiq",
        status="released",
    )
    identifier = Identifier(store, records, alerts)
    stored_early = make_envelope(
        "scan", "gate-1", Scan("G1", _b64(templates[(3, 1)]), 70, "green", (), 4)
    )
    assert identifier.identify(stored_early) is None  # not ready: left for the catch-up
    assert identifier.load() == 3 and identifier.persons == 2

    def scan(finger: int, candidates=()) -> object:
        body = Scan("GATE-OFF-1", _b64(templates[(finger, 1)]), 70, "green", candidates, 4)
        envelope = make_envelope("scan", "gate-1", body)
        return identifier.identify(envelope)

    stored = make_envelope(
        "scan", "gate-1", Scan("G2", _b64(templates[(1, 1)]), 70, "green", (), 4)
    )
    store.store_records([(stored, encode(stored))])  # stored, then the hub stopped
    assert [e.record_id for e in identifier.unsearched_scans()] == [stored.record_id]
    assert identifier.identify(identifier.unsearched_scans()[0]).alerted
    assert identifier.unsearched_scans() == []
    assert identifier.identify(stored) is None  # claimed once: never searched twice
    alerts.close(alerts.list()[0].id, officer="t", reason="test setup")
    missed = scan(2)
    assert missed.result == "hit" and missed.person_id == "CR-0000001" and missed.alerted
    seen = scan(1, (Candidate("CR-0000001", 0.5, 1),))
    assert seen.result == "hit" and not seen.alerted  # the gate had it
    from matcher_cy.distractors import distractor_template
    from matcher_cy.params import THRESHOLD_FMR_1E3

    assert identifier.threshold() > THRESHOLD_FMR_1E3  # 1:N: stricter than the 1:1 threshold
    stranger = Scan("GATE-OFF-1", _b64(distractor_template(5).to_bytes()), 70, "green", (), 4)
    assert identifier.identify(make_envelope("scan", "gate-1", stranger)).result == "no-hit"
    released = scan(3)
    assert released.result == "hit" and released.person_id == "CR-0000002" and not released.alerted
    hub_alerts = alerts.list(kind="hit")
    assert len(hub_alerts) == 1 and hub_alerts[0].device_id == "gate-1"
    sent = [
        decode(bytes(r[0])).body
        for r in store.db.query("SELECT payload FROM downlinks WHERE kind = 'alert'")
    ]
    assert [(a.person_id, a.status, a.scan_id) for a in sent] == [
        ("CR-0000001", "wanted", stored.record_id),
        ("CR-0000001", "wanted", missed.scan_id),
    ]
    audited = identifier.searches()
    assert [s["result"] for s in audited] == ["hit", "no-hit", "hit", "hit", "hit"] and audited[0][
        "officer"
    ] == "GATE-OFF-1"
    assert all(s["gallery_size"] == 2 for s in audited)  # persons
    alerts.acknowledge(hub_alerts[0].id, officer="op")
    alerts.close(hub_alerts[0].id, officer="op", reason="detained")
    assert alerts.list() == [] and alerts.list(include_closed=True)[0].state == "closed"


def test_a_two_finger_scan_is_searched_on_both_fingers_fused_as_at_the_gate(hub, templates) -> None:
    from matcher_cy import fuse, match_score
    from matcher_cy.decision import red_threshold

    store, records, alerts, _watchlists, ingestor = hub
    _enrol(ingestor, templates, finger_ids=(1, 2))
    _enrol(ingestor, templates, finger_ids=(3,), cnic="54400-2222222-2", name="Rafiq")
    identifier = Identifier(store, records, alerts)
    identifier.load()

    def scan(first: int, second: int | None, *, template2: str | None = None):
        more = ()
        if second is not None:
            encoded = template2 if template2 is not None else _b64(templates[(second, 1)])
            more = (ScanFinger(second, encoded, 60),)
        body = Scan("G1", _b64(templates[(first, 1)]), 70, "green", (), 4, finger=first,
                    more_fingers=more)  # fmt: skip
        return identifier.identify(make_envelope("scan", "gate-1", body))

    both = scan(1, 2)
    probe = {f: Template.from_bytes(templates[(f, 1)]) for f in (1, 2)}
    enrolled = {f: Template.from_bytes(templates[(f, 0)]) for f in (1, 2)}
    fused = fuse([match_score(probe[f], enrolled[f]) for f in (1, 2)])
    assert both.result == "hit" and both.person_id == "CR-0000001" and both.fingers == 2
    assert both.score == pytest.approx(fused, abs=1e-6)
    assert fused > red_threshold(identifier.persons, 1) and both.alerted
    assert both.candidates[0][0] == "CR-0000001"
    # the audit row holds the fused score (both fingers), not the first finger's own
    row = identifier.searches()[0]
    assert row["score"] == pytest.approx(fused, abs=1e-6)
    assert row["score"] > min(match_score(probe[1], enrolled[1]), 0.024) + 1e-9
    # one finger of the person with the other finger of another: the fingers disagree
    mixed = scan(1, 3)
    assert mixed.fingers == 2
    assert mixed.candidates[0][2] < both.score
    # a second template that does not decode: a bad probe, never a one-finger search
    bad = scan(1, 2, template2=_b64(b"not a template"))
    assert bad.result == "bad-probe" and bad.candidates == ()
    # the fixed hub threshold is read on the fused score
    strict = Identifier(store, records, alerts, threshold=fused + 0.001)
    strict.load()
    body = Scan("G1", _b64(templates[(1, 1)]), 70, "green", (), 4, finger=1,
                more_fingers=(ScanFinger(2, _b64(templates[(2, 1)]), 60),))  # fmt: skip
    assert strict.identify(make_envelope("scan", "gate-1", body)).result == "no-hit"


def test_hub_workers_map_the_prepared_galleries_and_apply_later_changes(
    hub, templates, tmp_path
) -> None:
    store, records, alerts, _watchlists, ingestor = hub
    _enrol(ingestor, templates, finger_ids=(1, 2))
    # beside the SQLite file by default; a server database's hub names a folder of its own
    files_at = {} if store.db.dialect == "sqlite" else {"gallery_file": tmp_path / "hub.gallery"}
    first = Identifier(store, records, alerts, checkpoint_changes=1, **files_at)
    assert first.load() == 2
    path = first.gallery_file
    assert path is not None
    manifest = path.with_name(path.name + ".json")
    files = {p: path.with_name(f"{path.name}.{p}") for p in (1, 2, 3)}
    # written once the changes were pending: one file per finger position, then the manifest
    assert manifest.exists() and files[1].exists() and files[2].exists()
    _enrol(ingestor, templates, finger_ids=(3,), cnic="54400-2222222-2", name="Rafiq")
    # a second worker (or a restart) maps the files and applies only the newer change
    second = Identifier(store, records, alerts, checkpoint_changes=10_000, **files_at)
    assert second.load() == 3 and second.persons == 2
    for position in (1, 2):
        mapped = second.galleries[position]
        assert mapped._base is not None and mapped.stamp == first._seq
        assert mapped.log_entries == 0 and mapped._ram.rows == 0  # nothing rebuilt
    assert second.galleries[3].stamp == 0 and list(second.galleries[3]) == ["CR-0000002"]
    found = second.search({0: Template.from_bytes(templates[(3, 1)])}, k=1)
    assert found[0].person == "CR-0000002" and found[0].finger_scores[0][0] == 3
    # a file that does not load is rebuilt from the records, not fatal
    files[1].write_bytes(b"KHGP" + bytes(100))
    third = Identifier(store, records, alerts, checkpoint_changes=1, **files_at)
    assert third.load() == 3 and all(g.stamp == third._seq for g in third.galleries.values())
    assert files[3].exists()  # the rebuild wrote every position again
    # a file ahead of the database (a restored database) is not trusted
    third.galleries[2].save(files[2], stamp=third._seq + 50)
    fourth = Identifier(store, records, alerts, checkpoint_changes=10_000, **files_at)
    assert fourth.load() == 3 and all(g.stamp == 0 for g in fourth.galleries.values())
    # a manifest that is not ours is not fatal either
    manifest.write_text('{"format": 1, "positions": ["2"]}')
    fifth = Identifier(store, records, alerts, checkpoint_changes=10_000, **files_at)
    assert fifth.load() == 3 and fifth.persons == 2
