"""The hub database's owner: schema, migrations and every query, one module per table group.

Nothing outside this package runs SQL on the hub database; the workflows (ingest,
complaints, records, watchlists, identification, fleet, alerts, reports) call these
functions. One SQLite file per deployment (WAL, ``BEGIN IMMEDIATE`` writes, shared by
several hub worker processes) opened through :class:`khidmat_base.sqlite.Database`.

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

__all__ = ["HubStore", "QuarantinedPayload", "RecordHandler", "StateHandler"]
