"""The unit's local store: outbox bookkeeping, inbox, two writer processes at once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from edge_agent.store import MIGRATIONS, LocalStore
from khidmat.testbed import sample_complaint
from khidmat_wire import WireError, make_envelope
from khidmat_wire.messages import Feedback


def _complaint(i: int):
    return make_envelope("complaint", "unit-1", sample_complaint("QTA01", i, device_id="unit-1"))


def test_outbox_lifecycle(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "unit.db") as store:
        ids = [store.enqueue(_complaint(i)) for i in range(5)]
        assert store.outbox_depth() == 5
        due = store.due_records(at_ms=10**13, limit=3)
        assert [r.record_id for r in due] == ids[:3]
        store.mark_sent([(r.record_id, 10**13 + 5000) for r in due], at_ms=10**13)
        assert [r.record_id for r in store.due_records(10**13, 10)] == ids[3:]
        assert store.mark_acked(ids[:2], at_ms=10**13) == 2
        assert store.mark_acked(ids[:2], at_ms=10**13) == 0  # a repeated ack changes nothing
        assert store.record_state(ids[0]) == "acked" and store.record_state(ids[2]) == "pending"
        assert store.outbox_depth() == 3
        assert store.reschedule_pending(10**13) == 1
        assert len(store.due_records(10**13, 10)) == 3
        store.mark_acked([ids[4]], at_ms=10**13, rejected=True)
        assert store.record_state(ids[4]) == "rejected"
        # the hub accounts for what it acknowledged (held or refused); pending ones wait
        assert store.acknowledged_ids() == {ids[0], ids[1], ids[4]}
        assert set(store.record_ids()) == set(ids)
        assert [t[1:] for t in store.delivery_times()] == [(10**13, 10**13)] * 2


def test_settings_of_one_config_are_stored_together(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "unit.db") as store:
        store.put_setting("gate.red_threshold", "0.5")
        store.put_settings({"gate.red_threshold": "0.62", "sensor.baud": "115200"})
        assert store.settings() == {"gate.red_threshold": "0.62", "sensor.baud": "115200"}


def test_acked_payloads_erased_files_private_and_wal_truncated(tmp_path: Path) -> None:
    import stat

    path = tmp_path / "data" / "unit.db"
    with LocalStore(path) as store:
        ids = [store.enqueue(_complaint(i)) for i in range(3)]
        store.mark_acked(ids[:2], at_ms=10**13)
        rows = dict(store.db.query("SELECT record_id, length(payload) FROM outbox"))
        assert rows[ids[0]] == rows[ids[1]] == 0 and rows[ids[2]] > 0
        numbers = [_complaint(i).body.tracking_no for i in range(3)]
        assert sorted(store.acked_refs("complaint")) == sorted(numbers[:2])
        assert store.checkpoint()
        assert (tmp_path / "data" / "unit.db-wal").stat().st_size == 0
        assert store.prune_acked(10**13 + 1) == 2
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for name in ("unit.db", "unit.db-wal", "unit.db-shm"):
        file = path.parent / name
        assert not file.exists() or stat.S_IMODE(file.stat().st_mode) == 0o600, name
    raw = path.read_bytes()
    assert numbers[2].encode() in raw  # the unacknowledged one is still there
    assert raw.count(b"54400-1234567-1") == 1  # the two acked ones are gone from the file


def test_invalid_record_is_refused_and_nothing_stored(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "unit.db") as store:
        with pytest.raises(WireError):
            store.enqueue(make_envelope("feedback", "unit-1", Feedback("QTA01-261130-000001-K", 9)))
        assert store.outbox_depth() == 0


def test_inbox_deduplicates_redeliveries(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "unit.db") as store:
        assert store.add_inbox("r1", "alert", b"{}") is True
        assert store.add_inbox("r1", "alert", b"{}") is False
        assert store.unhandled_inbox(["alert"]) == [("r1", "alert", b"{}")]
        store.mark_handled("r1")
        assert store.unhandled_inbox(["alert"]) == []


def _writer(path: str, start: int, count: int) -> None:
    with LocalStore(path) as store:
        for i in range(start, start + count):
            store.enqueue(_complaint(i))
            store.next_sequence("tracking")


def test_two_processes_write_at_once_without_lock_errors(tmp_path: Path) -> None:
    path = tmp_path / "unit.db"
    LocalStore(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), n * 1000, 150)) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    with LocalStore(path) as store:
        assert store.outbox_depth() == 450
        assert store.next_sequence("tracking") == 451


def test_reopening_keeps_schema_and_data(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "unit.db") as store:
        store.enqueue(_complaint(1))
    with LocalStore(tmp_path / "unit.db") as store:
        assert store.outbox_depth() == 1
        assert store.db.scalar(
            "SELECT version FROM schema_versions WHERE component = 'edge_agent.store'"
        ) == len(MIGRATIONS)
        assert store.db.scalar("PRAGMA journal_mode") == "wal"
        assert store.db.scalar("PRAGMA secure_delete") == 1


def test_an_older_status_never_replaces_a_newer_one(tmp_path: Path) -> None:
    from edge_agent.store import ComplaintStatusRow
    from khidmat_wire.messages import ComplaintStatus, StatusEntry

    number = "QTA01-261130-000001-K"
    with LocalStore(tmp_path / "unit.db") as store:
        store.add_inbox_many([("s2", "complaint-status", b"{}"), ("s1", "complaint-status", b"{}")])
        assigned = ComplaintStatus(
            number, True, "assigned", 9, (StatusEntry("assigned", "to SI Rashid", 5),), False
        )
        newer = ComplaintStatusRow(assigned, 2000, "s2")
        older = ComplaintStatusRow(
            ComplaintStatus(number, True, "registered", 9, (), False), 1000, "s1"
        )
        store.apply_complaint_statuses([newer, older])
        assert store.complaint_status(number) == assigned  # the typed wire object, whole
        assert store.unhandled_inbox(["complaint-status"]) == []


def test_one_drain_is_one_commit_and_a_redelivered_status_is_not_applied_again(
    tmp_path: Path,
) -> None:
    from edge_agent.store import ComplaintStatusRow
    from khidmat_wire.messages import ComplaintStatus, StatusEntry

    number = "QTA01-261130-000001-K"
    received = ComplaintStatus(number, True, "received", 9, (StatusEntry("received", "", 5),))
    with LocalStore(tmp_path / "unit.db") as store:
        first, second = store.enqueue(_complaint(1)), store.enqueue(_complaint(2))
        bad = store.enqueue(_complaint(3))
        statements: list[str] = []
        store.db.conn.set_trace_callback(statements.append)
        count, new = store.take_downlinks(
            acked=[first, second, "0190c3b0-0000-7000-8000-000000000000"],
            rejected=[bad],
            messages=[("s1", "complaint-status", b"{}"), ("c1", "command", b"{}")],
            statuses=[ComplaintStatusRow(received, 1000, "s1")],
        )
        store.db.conn.set_trace_callback(None)
        assert statements.count("COMMIT") == 1
        assert (count, new) == (2, {"s1", "c1"})
        assert store.outbox_depth() == 0  # two acknowledged, one rejected
        assert store.complaint_status(number) == received
        assert [r[0] for r in store.unhandled_inbox(["complaint-status", "command"])] == ["c1"]
        # the hub sends the status again (a redelivery) with an older stamp: not applied
        older = ComplaintStatus(number, True, "registered", 9, ())
        store.db.conn.execute("UPDATE complaint_status SET hub_time_ms = 0")
        count, new = store.take_downlinks(
            acked=[first],
            messages=[("s1", "complaint-status", b"{}")],
            statuses=[ComplaintStatusRow(older, 2000, "s1")],
        )
        assert (count, new) == (0, set())
        assert store.complaint_status(number) == received


def test_the_store_stamps_records_with_its_clock(tmp_path: Path) -> None:
    """The clock is a port: a settable clock decides every time the store records."""
    from khidmat_base.clock import SettableClock

    clock = SettableClock(1_765_000_000_000)
    with LocalStore(tmp_path / "unit.db", clock=clock) as store:
        first = store.enqueue(_complaint(1), audit="filed")
        clock.advance(60_000)
        store.enqueue(_complaint(2))
        assert store.oldest_unacked_ms() == 1_765_000_000_000
        store.mark_acked([first], at_ms=clock.now_ms())
        assert store.oldest_unacked_ms() == 1_765_000_060_000
        assert store.audit_log(1)[0][0] == 1_765_000_000_000
