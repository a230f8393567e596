"""Complaint workflow at the hub: intake, lifecycle, due times, escalation, gender desk."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hub.complaint_rules import HOUR_MS, DuePolicy, TransitionError
from hub.complaints import REDACTED, ComplaintDesk
from hub.ingest import Ingestor
from hub.store import HubStore
from khidmat.testbed import sample_complaint
from khidmat_wire import decode, encode, make_envelope
from khidmat_wire.messages import Feedback, Lookup


@pytest.fixture
def desk(tmp_path: Path, hub_database):
    store = HubStore(hub_database)
    complaints = ComplaintDesk(store, DuePolicy(escalation_step_h=2))
    complaints.install()
    ingestor = Ingestor(store, lambda topic, payload: True)
    yield complaints, ingestor, store
    store.close()


def _file(ingestor: Ingestor, device: str, body: object, kind: str = "complaint") -> str:
    envelope = make_envelope(kind, device, body)
    ingestor.process([(f"khidmat/v1/dev/{device}/up/{kind}", encode(envelope))])
    return envelope.record_id


def _statuses_sent(store: HubStore, device: str) -> list[tuple[str, str]]:
    rows = store.db.query(
        "SELECT payload FROM downlinks WHERE device_id = ? AND kind = 'complaint-status' ORDER BY id",
        (device,),
    )
    return [(decode(bytes(r[0])).body.tracking_no, decode(bytes(r[0])).body.status) for r in rows]


def test_a_complaint_opens_with_the_category_due_time_and_is_pushed_back(desk) -> None:
    complaints, ingestor, store = desk
    body = sample_complaint("QTA01", 1, device_id="unit-1")
    _file(ingestor, "unit-1", body)
    _file(ingestor, "unit-1", body)  # a second record with the same tracking number
    view = complaints.get(body.tracking_no, desk="general")
    assert view is not None and view.status == "received" and view.category == "theft"
    assert view.due_at_ms - view.filed_ms == 24 * HOUR_MS
    # the second is not lost: opened under a fresh hub-issued number (5-digit sequence)
    (first, _), (fresh, status) = _statuses_sent(store, "unit-1")
    assert first == body.tracking_no and fresh != first and status == "received"
    assert len(fresh.split("-")[2]) == 5
    actions = [e.action for e in complaints.history(body.tracking_no, desk="general")]
    assert actions == ["status", "tracking-collision"]
    assert [e.action for e in complaints.history(fresh, desk="general")] == [
        "tracking-collision",
        "status",
    ]


def test_lifecycle_is_validated_audited_and_each_change_goes_to_the_unit(desk) -> None:
    complaints, ingestor, store = desk
    tracking = sample_complaint("QTA01", 2, device_id="unit-1").tracking_no
    _file(ingestor, "unit-1", sample_complaint("QTA01", 2, device_id="unit-1"))
    change = dict(officer="ASI Karim", desk="general")
    with pytest.raises(TransitionError, match="cannot become resolved"):
        complaints.change_status(tracking, "resolved", reason="done", **change)
    with pytest.raises(TransitionError, match="reason"):
        complaints.change_status(tracking, "registered", reason="  ", **change)
    complaints.change_status(tracking, "registered", reason="FIR 12/26", **change)
    with pytest.raises(TransitionError, match="assigned to"):
        complaints.change_status(tracking, "assigned", reason="x", **change)
    complaints.change_status(tracking, "assigned", reason="beat", assignee="SI Rashid", **change)
    complaints.change_status(tracking, "under-investigation", reason="visited", **change)
    view = complaints.change_status(
        tracking,
        "resolved",
        reason="bike recovered; SI Rashid on duty at QTA-1021",
        message="Your motorcycle was found. Please collect it from the police station.",
        **change,
    )
    assert view.status == "resolved" and view.assignee == "SI Rashid" and not view.open
    assert [s for _, s in _statuses_sent(store, "unit-1")] == [
        "received",
        "registered",
        "assigned",
        "under-investigation",
        "resolved",
    ]
    public = complaints.public_status(tracking)
    # the citizen sees no internal reason (nor the officer's name), only what was written
    # for them
    assert public.can_rate and [h.message for h in public.history] == [
        "",
        "",
        "",
        "",
        "Your motorcycle was found. Please collect it from the police station.",
    ]
    with pytest.raises(TransitionError, match="over 500"):
        complaints.change_status(tracking, "closed", reason="r", message="x" * 501, **change)
    events = complaints.history(tracking, desk="general")
    assert [e.officer for e in events[1:]] == ["ASI Karim"] * 4


def test_feedback_rates_and_reopens_with_a_new_due_time(desk) -> None:
    complaints, ingestor, store = desk
    tracking = sample_complaint("QTA01", 3, device_id="unit-1").tracking_no
    _file(ingestor, "unit-1", sample_complaint("QTA01", 3, device_id="unit-1"))
    _file(ingestor, "unit-2", Feedback(tracking, 4), "feedback")  # too early: refused
    assert complaints.get(tracking, desk="general").rating is None
    for status, extra in (
        ("registered", {}),
        ("assigned", {"assignee": "SI Rashid"}),
        ("under-investigation", {}),
        ("resolved", {}),
    ):
        complaints.change_status(tracking, status, reason="r", officer="o", desk="general", **extra)
    _file(ingestor, "unit-2", Feedback(tracking, 1, "not recovered", reopen=True), "feedback")
    view = complaints.get(tracking, desk="general")
    assert view.status == "reopened" and view.escalation_level == 0
    assert view.due_at_ms > view.filed_ms + 24 * HOUR_MS - 1
    assert _statuses_sent(store, "unit-1")[-1] == (tracking, "reopened")
    assert _statuses_sent(store, "unit-2")[-1] == (tracking, "reopened")
    actions = [e.action for e in complaints.history(tracking, desk="general")]
    assert actions[1] == "feedback-refused" and actions[-2:] == ["rated", "status"]


def test_a_lookup_is_answered_on_the_asking_units_downlink(desk) -> None:
    complaints, ingestor, store = desk
    tracking = sample_complaint("QTA01", 4, device_id="unit-1").tracking_no
    _file(ingestor, "unit-1", sample_complaint("QTA01", 4, device_id="unit-1"))
    _file(ingestor, "unit-3", Lookup(tracking), "lookup")
    _file(ingestor, "unit-3", Lookup("QTA01-261130-999999-K"), "lookup")
    rows = store.db.query("SELECT payload FROM downlinks WHERE device_id = 'unit-3' ORDER BY id")
    bodies = [decode(bytes(r[0])).body for r in rows]
    assert [(b.tracking_no, b.found, b.status) for b in bodies] == [
        (tracking, True, "received"),
        ("QTA01-261130-999999-K", False, "received"),
    ]


def test_escalation_when_the_due_time_passes(desk) -> None:
    complaints, ingestor, store = desk
    tracking = sample_complaint("QTA01", 5, device_id="unit-1").tracking_no
    _file(ingestor, "unit-1", sample_complaint("QTA01", 5, device_id="unit-1"))
    view = complaints.get(tracking, desk="general")
    assert complaints.escalate_due(view.due_at_ms - 1) == []
    assert complaints.escalate_due(view.due_at_ms + 1) == [(tracking, 1)]
    assert complaints.escalate_due(view.due_at_ms + 2) == []  # next level one step later
    assert complaints.escalate_due(view.due_at_ms + 2 * HOUR_MS + 2) == [(tracking, 2)]
    view = complaints.get(tracking, desk="general")
    assert view.escalated_to == "SDPO" and view.overdue(view.due_at_ms + 1)
    assert [
        tn for tn in complaints.queue(desk="general", overdue_only=True, now_ms=view.due_at_ms + 1)
    ]
    escalations = [
        e for e in complaints.history(tracking, desk="general") if e.action == "escalated"
    ]
    assert len(escalations) == 2 and "level 2 (SDPO)" in escalations[1].reason


def test_gender_desk_details_are_hidden_from_the_general_desk_and_the_public(desk) -> None:
    complaints, ingestor, store = desk
    body = dataclasses.replace(
        sample_complaint("QTA01", 6, device_id="unit-1"),
        gender_desk=True,
        complainant_name="Saima Bibi",
    )
    _file(ingestor, "unit-1", body)
    general = complaints.get(body.tracking_no, desk="general")
    women = complaints.get(body.tracking_no, desk="women")
    assert general.redacted and general.complainant_name == REDACTED and general.answers == ()
    assert general.cnic == REDACTED and general.description == REDACTED
    assert women.complainant_name == "Saima Bibi" and not women.redacted
    assert complaints.search("Saima", desk="general") == []
    assert [v.tracking_no for v in complaints.search("Saima", desk="women")] == [body.tracking_no]
    with pytest.raises(TransitionError, match="women's desk"):
        complaints.change_status(
            body.tracking_no, "registered", reason="r", officer="o", desk="general"
        )
    complaints.change_status(
        body.tracking_no,
        "registered",
        reason="FIR 7 at Saima's home",
        officer="LC Amna",
        desk="women",
    )
    public = complaints.public_status(body.tracking_no)
    assert all("Saima" not in h.message for h in public.history)
    assert all(e.reason == REDACTED for e in complaints.history(body.tracking_no, desk="general"))


def test_transfer_moves_the_station_and_clears_the_assignee(desk) -> None:
    complaints, ingestor, store = desk
    tracking = sample_complaint("QTA01", 7, device_id="unit-1").tracking_no
    _file(ingestor, "unit-1", sample_complaint("QTA01", 7, device_id="unit-1"))
    with pytest.raises(TransitionError, match="receiving station"):
        complaints.change_status(tracking, "transferred", reason="r", officer="o", desk="general")
    view = complaints.change_status(
        tracking, "transferred", reason="jurisdiction", officer="o", desk="general", station="qta02"
    )
    assert view.station == "QTA02" and view.assignee == ""
    assert [v.tracking_no for v in complaints.queue(desk="general", station="QTA02")] == [tracking]


def test_an_officer_named_with_another_status_is_kept_as_assignee(desk) -> None:
    complaints, ingestor, store = desk
    tracking = sample_complaint("QTA01", 8, device_id="unit-1").tracking_no
    _file(ingestor, "unit-1", sample_complaint("QTA01", 8, device_id="unit-1"))
    view = complaints.change_status(
        tracking,
        "registered",
        reason="FIR 12/26",
        officer="o",
        desk="general",
        assignee="SI Khan",
    )
    assert view.status == "registered" and view.assignee == "SI Khan"
    view = complaints.change_status(
        tracking, "rejected", reason="civil matter", officer="o", desk="general"
    )
    assert view.assignee == "SI Khan"  # a later change without a name keeps it


def test_a_rating_survives_a_reopen_and_in_time_follows_the_due_time_in_force(desk) -> None:
    from hub.reports import Period, complaint_report

    complaints, ingestor, store = desk
    tracking = sample_complaint("QTA01", 7, device_id="unit-1").tracking_no
    _file(ingestor, "unit-1", sample_complaint("QTA01", 7, device_id="unit-1"))
    view = complaints.get(tracking, desk="general")
    late = view.due_at_ms + HOUR_MS  # resolved an hour after the promise
    for status, extra in (
        ("registered", {}),
        ("assigned", {"assignee": "SI Rashid"}),
        ("under-investigation", {}),
    ):
        complaints.change_status(tracking, status, reason="r", officer="o", desk="general", **extra)
    complaints.change_status(
        tracking, "resolved", reason="r", officer="o", desk="general", now_ms=late
    )
    _file(ingestor, "unit-1", Feedback(tracking, 2, "too slow", reopen=True), "feedback")

    def row() -> dict[str, object]:
        rows = complaint_report(store, Period(0, 2**53))
        return next(r for r in rows if r["station"] == "QTA01")

    reopened = row()  # the 2/5 is kept; the complaint is open again, not "resolved in time"
    assert (reopened["resolved"], reopened["resolved_in_time"]) == (0, 0)
    assert (reopened["rated"], reopened["mean_rating"]) == (1, 2.0)
    # resolved again within the new due time: in time against that one; both ratings count
    complaints.change_status(
        tracking, "under-investigation", reason="r", officer="o", desk="general"
    )
    complaints.change_status(tracking, "resolved", reason="r", officer="o", desk="general")
    _file(ingestor, "unit-1", Feedback(tracking, 5, "thank you"), "feedback")
    again = row()
    assert (again["resolved"], again["resolved_in_time"]) == (1, 1)
    assert (again["rated"], again["mean_rating"]) == (2, 3.5)


def _urgent_body(sequence: int, *, category: str = "domestic-violence", **answers: str):
    from khidmat_wire.messages import Answer

    return dataclasses.replace(
        sample_complaint("QTA01", sequence, device_id="unit-1"),
        category=category,
        answers=tuple(Answer(k, v) for k, v in answers.items()),
        gender_desk=category == "domestic-violence",
    )


def test_an_urgent_complaint_is_due_in_hours_and_tells_the_hook_without_personal_details(
    desk,
) -> None:
    complaints, ingestor, _store = desk
    told = []
    complaints.on_urgent = lambda conn, view, rule: told.append((view, rule.key))
    body = _urgent_body(70, danger_now="Yes, he is outside")
    _file(ingestor, "unit-1", body)
    view = complaints.get(body.tracking_no, desk="general")
    assert view is not None and view.urgent == "danger-now" and view.urgent_title == "In danger now"
    assert view.due_at_ms - view.filed_ms == 2 * HOUR_MS
    ((seen, key),) = told
    assert key == "danger-now" and seen.tracking_no == body.tracking_no
    assert seen.redacted and body.complainant_name not in repr(seen)  # women's desk case
    events = complaints.history(body.tracking_no, desk="women")
    assert [e.action for e in events] == ["status", "urgent"]
    assert "due in 2 h" in events[1].reason
    # the same category answered "no" is not urgent and keeps its 72 h
    calm = _urgent_body(71, danger_now="no", happening_now="no")
    _file(ingestor, "unit-1", calm)
    view = complaints.get(calm.tracking_no, desk="women")
    assert view is not None and view.urgent == "" and view.due_at_ms - view.filed_ms == 72 * HOUR_MS
    assert len(told) == 1
    # a missing child: urgent; a missing adult: not
    child = _urgent_body(72, category="missing-person", missing_age="7")
    adult = _urgent_body(73, category="missing-person", missing_age="40")
    _file(ingestor, "unit-1", child)
    _file(ingestor, "unit-1", adult)
    assert complaints.get(child.tracking_no, desk="general").urgent == "missing-child"
    assert complaints.get(adult.tracking_no, desk="general").urgent == ""


def test_an_unacknowledged_urgent_complaint_escalates_and_a_resolved_one_does_not(desk) -> None:
    complaints, ingestor, _store = desk
    body = _urgent_body(74, category="missing-person", missing_age="5")
    _file(ingestor, "unit-1", body)
    assert complaints.escalate_unacknowledged(body.tracking_no, 300) == 1
    assert complaints.escalate_unacknowledged(body.tracking_no, 600) == 2
    view = complaints.get(body.tracking_no, desk="general")
    assert view is not None and view.escalated_to == "SDPO"
    reasons = [e.reason for e in complaints.history(body.tracking_no, desk="general")]
    assert any("not acknowledged at the console for 600 s" in r and "SDPO" in r for r in reasons)
    for status in ("registered", "assigned", "under-investigation", "resolved"):
        complaints.change_status(
            body.tracking_no, status, reason="found", officer="SI", desk="general", assignee="SI"
        )
    assert complaints.escalate_unacknowledged(body.tracking_no, 900) is None
    calm = _urgent_body(75, category="missing-person", missing_age="30")
    _file(ingestor, "unit-1", calm)
    assert complaints.escalate_unacknowledged(calm.tracking_no, 300) is None  # not urgent
    assert complaints.escalate_unacknowledged("QTA01-261130-999999-X", 300) is None


def test_a_reopened_urgent_complaint_gets_the_urgent_due_time_again(desk) -> None:
    complaints, ingestor, _store = desk
    body = _urgent_body(76, category="missing-person", missing_age="5")
    _file(ingestor, "unit-1", body)
    for status in ("registered", "assigned", "under-investigation", "resolved", "reopened"):
        view = complaints.change_status(
            body.tracking_no, status, reason="r", officer="SI", desk="general", assignee="SI",
            now_ms=1_000_000_000_000,
        )  # fmt: skip
    assert view.due_at_ms - 1_000_000_000_000 == 2 * HOUR_MS


def _downlinks(store: HubStore) -> list[tuple[str, str, object]]:
    rows = store.db.query(
        "SELECT device_id, kind, payload FROM downlinks "
        "WHERE kind IN ('complaint-status', 'complaint-statuses') ORDER BY id"
    )
    return [(r[0], r[1], decode(bytes(r[2])).body) for r in rows]


def _batch(units: list[tuple[str, int]]) -> list[tuple[str, bytes, str]]:
    """(topic, payload, tracking no) of complaints from ``units`` (unit, sequence)."""
    items = []
    for unit, sequence in units:
        body = sample_complaint("QTA01", sequence, device_id=unit)
        payload = encode(make_envelope("complaint", unit, body))
        items.append((f"khidmat/v1/dev/{unit}/up/complaint", payload, body.tracking_no))
    return items


def test_one_batch_pushes_its_openings_in_one_message_per_unit(desk) -> None:
    """Three complaints of one unit in one ingest batch: one complaint-statuses downlink
    whose entries are what the desk would read back for each; one complaint: a
    complaint-status. Queued in the ingest transaction, each opening once."""
    complaints, ingestor, store = desk
    items = _batch([("unit-1", 11), ("unit-2", 12), ("unit-1", 13), ("unit-1", 14)])
    ingestor.process([(topic, payload) for topic, payload, _ in items])
    downlinks = _downlinks(store)
    assert [(unit, kind) for unit, kind, _ in downlinks] == [
        ("unit-1", "complaint-statuses"),
        ("unit-2", "complaint-status"),
    ]
    statuses = downlinks[0][2].statuses
    assert [s.tracking_no for s in statuses] == [items[0][2], items[2][2], items[3][2]]
    # built without reading back, equal to what the rows say (status, due time, timeline)
    for status in (*statuses, downlinks[1][2]):
        assert status == complaints.public_status(status.tracking_no)
        assert status.status == "received" and len(status.history) == 1
    assert set(complaints.statuses_pushed_per_tracking_no().values()) == {1}
    # the same records again: duplicates open nothing and push nothing
    ingestor.process([(topic, payload) for topic, payload, _ in items])
    assert len(_downlinks(store)) == 2


def test_an_urgent_or_renumbered_opening_is_pushed_as_the_rows_say(desk) -> None:
    complaints, ingestor, store = desk
    urgent = _urgent_body(21, danger_now="Yes, he is outside")
    taken = sample_complaint("QTA01", 22, device_id="unit-1")
    again = dataclasses.replace(taken, complainant_name="Another Person")  # same number
    batch = [
        (
            "khidmat/v1/dev/unit-1/up/complaint",
            encode(make_envelope("complaint", "unit-1", body)),
        )
        for body in (urgent, taken, again)
    ]
    ingestor.process(batch)
    (_, kind, body), *_ = _downlinks(store)
    assert kind == "complaint-statuses" and len(body.statuses) == 3
    assert body.statuses[2].tracking_no != taken.tracking_no  # opened under a fresh number
    for status in body.statuses:
        assert status == complaints.public_status(status.tracking_no)
    view = complaints.get(urgent.tracking_no, desk="women")
    assert view is not None and view.urgent == "danger-now"
    assert body.statuses[0].due_at_ms == view.due_at_ms < view.filed_ms + 24 * HOUR_MS


def test_a_failed_batch_pushes_only_what_its_retries_stored(desk) -> None:
    """The batch transaction fails on one record: stored record by record, the others'
    openings are pushed once each, the failing one's not at all."""
    complaints, ingestor, store = desk
    items = _batch([("unit-1", 31), ("unit-1", 32), ("unit-1", 33)])
    bad = decode(items[1][1]).record_id

    def explode(conn, envelope, now_ms) -> None:
        if envelope.record_id == bad:
            raise RuntimeError("a handler's own defect")

    store.add_handler("complaint", explode)
    try:
        result = ingestor.process([(topic, payload) for topic, payload, _ in items])
    finally:
        store.handlers["complaint"].remove(explode)
    assert result.stored == 2 and result.quarantined == 1
    pushed = complaints.statuses_pushed_per_tracking_no()
    assert pushed == {items[0][2]: 1, items[2][2]: 1}
    assert all(kind == "complaint-status" for _, kind, _ in _downlinks(store))
    # the next batch pushes only its own openings (nothing kept from the failed one)
    ingestor.process([(topic, payload) for topic, payload, _ in _batch([("unit-2", 34)])])
    assert sorted(complaints.statuses_pushed_per_tracking_no().values()) == [1, 1, 1]
