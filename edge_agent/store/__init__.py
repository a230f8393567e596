"""The unit's local store: one SQLite file on the data partition, shared by UI and agent.

Tables: ``outbox`` (records waiting for the hub's application ack), ``inbox`` (what the
hub sent: complaint statuses, commands, config), ``complaint_status`` (latest status per
tracking number, for the kiosk's tracking screen), ``watchlist_meta`` / ``watchlist``
(the installed signed watchlist, replaced atomically), ``settings`` (config pushed by the
hub), ``health`` (sensor status and other device health) and ``audit`` (local events).

Every write is one ``BEGIN IMMEDIATE`` transaction (see :mod:`khidmat_base.sqlite`), so the
kiosk process and the agent process can write at once. A :class:`LocalStore` may be
shared by threads of one process. A committed record survives SIGKILL and power loss.

The package owns unit.db: its schema and migrations (:mod:`edge_agent.store.schema`), its
file and storage faults (:mod:`edge_agent.store.files`) and every query
(:class:`LocalStore`, :mod:`edge_agent.store.local`). Nothing else runs SQL on it.
"""

from edge_agent.store.files import StoreFault, fault_kind
from edge_agent.store.local import LINK_HEALTH, LocalStore
from edge_agent.store.schema import (
    MIGRATIONS,
    ComplaintStatusRow,
    OutboxRecord,
    WatchlistInfo,
)

__all__ = [
    "LINK_HEALTH",
    "MIGRATIONS",
    "ComplaintStatusRow",
    "LocalStore",
    "OutboxRecord",
    "StoreFault",
    "WatchlistInfo",
    "fault_kind",
]
