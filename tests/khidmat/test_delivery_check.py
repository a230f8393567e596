"""The delivery check counts side effects at the hub, so a duplicate or a loss shows."""

from __future__ import annotations

import collections

from khidmat.testbed import DeliveryCheck, FiledRecord, log_filed, read_filed_log, sample_complaint
from khidmat_wire import make_envelope


def _effects(records: dict, opened: dict, pushes: dict) -> dict[str, collections.Counter[str]]:
    return {
        "records": collections.Counter(records),
        "opened": collections.Counter(opened),
        "status_pushes": collections.Counter(pushes),
    }


FILED = [FiledRecord("u1", f"r{i}", f"T1-261130-00000{i}-K") for i in range(3)]
ONCE = {f.tracking_no: 1 for f in FILED}


def test_once_each_is_clean() -> None:
    assert DeliveryCheck.of(FILED, _effects(ONCE, ONCE, ONCE)) == DeliveryCheck(3, 0, 0, 0)


def test_a_complaint_opened_twice_or_pushed_twice_is_a_duplicate() -> None:
    twice = ONCE | {FILED[0].tracking_no: 2}
    assert DeliveryCheck.of(FILED, _effects(ONCE, twice, ONCE)).duplicated == 1
    assert DeliveryCheck.of(FILED, _effects(twice, ONCE, twice)).duplicated == 2


def test_a_complaint_never_opened_is_lost_and_an_unknown_one_unlogged() -> None:
    opened = {FILED[0].tracking_no: 1, FILED[1].tracking_no: 1, "X9-261130-000001-K": 1}
    check = DeliveryCheck.of(FILED, _effects(ONCE, opened, ONCE))
    assert (check.lost, check.unlogged) == (1, 1)


def test_the_log_skips_a_torn_last_line(tmp_path) -> None:
    envelopes = [
        make_envelope("complaint", "u1", sample_complaint("T1", i, device_id="u1"))
        for i in range(2)
    ]
    log_filed(tmp_path / "filed.log", envelopes)
    with open(tmp_path / "filed.log", "a") as log:
        log.write("u1 0190")  # a filer killed mid-write
    assert [f.record_id for f in read_filed_log(tmp_path / "filed.log")] == [
        e.record_id for e in envelopes
    ]
