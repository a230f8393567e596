"""Check and install signed watchlists on a unit.

A watchlist is installed only when (1) its Ed25519 signature checks against the hub key
from provisioning, (2) it is newer than the installed one, and (3) a delta's
``base_version`` is exactly the installed version. Anything else is rejected with a
reason and the installed list is kept. Installation is one SQLite transaction.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge_agent.store import LocalStore
from edge_agent.watchlist_key import seal
from khidmat_wire.messages import Watchlist
from khidmat_wire.signing import verify_watchlist


class WatchlistRejected(ValueError):
    """The watchlist was not installed; the message says why."""


def install_watchlist(
    store: LocalStore,
    watchlist: Watchlist,
    hub_key: Ed25519PublicKey | None,
    *,
    seal_key: bytes | None = None,
    require_seal: bool = False,
) -> int:
    """Verify and install; returns the number of entries now installed.

    With ``seal_key`` each entry's name and template are stored sealed
    (:mod:`edge_agent.watchlist_key`); with ``require_seal`` and no key the list is
    refused (the hub sends it again once it has sent the key).

    Raises WatchlistRejected for a missing key, a bad signature, an older or equal
    version, or a delta that does not apply to the installed version.
    """
    if hub_key is None:
        raise WatchlistRejected("no hub public key configured: cannot check the signature")
    if not verify_watchlist(watchlist, hub_key):
        raise WatchlistRejected(
            f"signature of watchlist v{watchlist.version} does not verify against the hub key"
        )
    current = store.watchlist_info()
    current_version = current.version if current else 0
    if watchlist.version <= current_version:
        raise WatchlistRejected(
            f"watchlist v{watchlist.version} is not newer than installed v{current_version}"
        )
    if seal_key is None and require_seal:
        raise WatchlistRejected(
            "no watchlist key from the hub yet (or it expired): the list is not kept in clear"
        )
    if seal_key is None:
        entries = [(e.person_id, e.finger, e.name, e.status, e.template) for e in watchlist.add]
    else:
        entries = [
            (e.person_id, e.finger, seal(seal_key, e.person_id, e.finger, "name", e.name),
             e.status, seal(seal_key, e.person_id, e.finger, "template", e.template))
            for e in watchlist.add
        ]  # fmt: skip
    if watchlist.base_version == 0:
        if watchlist.remove:
            raise WatchlistRejected("a snapshot (base_version 0) cannot remove entries")
        store.replace_watchlist(watchlist.version, watchlist.issued_at_ms, entries)
    else:
        if watchlist.base_version != current_version:
            raise WatchlistRejected(
                f"delta v{watchlist.base_version}->v{watchlist.version} does not apply to installed v{current_version}"
            )
        store.replace_watchlist(
            watchlist.version, watchlist.issued_at_ms, entries, delta_removes=watchlist.remove
        )
    info = store.watchlist_info()
    return info.entries if info else 0
