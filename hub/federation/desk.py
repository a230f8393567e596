"""The holding province's contact desk: a reference another province's officer reads out
on the phone, resolved to this province's record, and the federation's audit as rows.

Only this province's own records are shown, to this province's desk officer; every lookup
is written to the record's audit trail (who looked up which reference). Cost: two indexed
statements; thread-safety as :class:`khidmat_base.sqlite.Database`.
"""

from __future__ import annotations

from hub.records import Person, RecordStore
from hub.store import HubStore, people
from hub.store import federation as table
from khidmat_base import clock


def look_up(store: HubStore, ref: str, *, officer: str) -> Person | None:
    """The person ``ref`` names here (None when this province never handed it out); the
    lookup is audited on that person's record with ``officer``."""
    table.migrate(store.db)
    person_id = table.resolve_ref(store.db, ref)
    if person_id is None:
        return None
    person = RecordStore(store).get(person_id)
    if person is not None:
        with store.db.write() as conn:
            people.add_audit(
                conn, clock.now_ms(), person_id, "federation lookup", f"reference {ref}", officer
            )
    return person


def audit(store: HubStore, limit: int = 200) -> dict[str, list[dict[str, object]]]:
    """Both sides of the federation's audit: searches this province forwarded (with each
    province's reply) and asks it answered, newest first."""
    table.migrate(store.db)
    return {"asked": table.queries(store.db, limit), "answered": table.answers(store.db, limit)}
