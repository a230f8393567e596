"""The hub database's owner: schema, migrations and every query, one module per table group.

Nothing outside this package runs SQL on the hub database; the workflows (ingest,
complaints, records, watchlists, identification, fleet, alerts, reports) call these
functions. One SQLite file per deployment (WAL, ``BEGIN IMMEDIATE`` writes, shared by
several hub worker processes) or one PostgreSQL database (shared by hub processes on
several machines), opened through :func:`khidmat_base.database.open_database`; the SQL is
the portable subset of :mod:`khidmat_base.sql_dialect`.

- :mod:`hub.store.base`: :class:`HubStore` (records, quarantine, unit state, downlinks)
- :mod:`hub.store.complaints`: complaints, their audit trail and feedback
- :mod:`hub.store.people`: people, templates, template log, record audit
- :mod:`hub.store.fleet`: telemetry and its history
- :mod:`hub.store.alerts`, :mod:`hub.store.watchlists`, :mod:`hub.store.searches`
- :mod:`hub.store.roster`: officers, assignments, unit officer lists, sign-ins, operations audit
- :mod:`hub.store.diary`: the station diaries (roznamcha): entries and days

The ``devices`` table in the same file belongs to :mod:`provisioning.registry`.
"""

from hub.store.base import HubStore, QuarantinedPayload, RecordHandler, StateHandler

__all__ = ["HubStore", "QuarantinedPayload", "RecordHandler", "StateHandler", "migrate_all"]


def migrate_all(store: HubStore) -> None:
    """Apply every hub table owner's migrations (the workflows apply their own as they
    start; this makes a complete schema at once, e.g. a template database)."""
    from hub.store import (
        alerts,
        complaints,
        diary,
        federation,
        fleet,
        hotels,
        licences,
        people,
        roster,
        searches,
        sms,
        unit_control,
        unit_keys,
        watchlists,
    )

    for owner in (alerts, complaints, diary, federation, fleet, hotels, licences, people, roster):
        owner.migrate(store.db)
    for owner in (searches, sms, unit_control, unit_keys, watchlists):
        owner.migrate(store.db)
