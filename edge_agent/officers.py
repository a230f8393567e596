"""Check and install the signed officer list the hub sends a unit.

The list is installed only when its Ed25519 signature checks against the hub key from
provisioning and its version is newer than the installed one (setting
``officers_version``); it then replaces every ``officer.<badge>`` setting in one
transaction, so the kiosk's next sign-in (:mod:`kiosk.officers`) sees the whole new list
(a suspended officer is refused at once). A second copy of the installed version is
reported as installed. Cost: one signature check (about 0.1 ms per officer). Pure
besides the store; call from the agent's thread.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge_agent.store import LocalStore
from khidmat_wire.messages import Officers
from khidmat_wire.signing import verify_watchlist

PREFIX = "officer."
"""Setting key prefix of one officer's PIN hash (badge in lower case); read by the kiosk."""
VERSION_KEY = "officers_version"


class OfficersRejected(ValueError):
    """The officer list was not installed; the message says why."""


def installed_version(store: LocalStore) -> int:
    value = store.settings().get(VERSION_KEY, "0")
    return int(value) if value.isdigit() else 0


def install_officers(
    store: LocalStore, officers: Officers, hub_key: Ed25519PublicKey | None
) -> int:
    """Verify and install; returns how many officers may now sign in (-1: already installed).

    Raises OfficersRejected for a missing key, a bad signature or an older version.
    """
    if hub_key is None:
        raise OfficersRejected("no hub public key configured: cannot check the signature")
    if not verify_watchlist(officers, hub_key):
        raise OfficersRejected(
            f"signature of officer list v{officers.version} does not verify against the hub key"
        )
    current = installed_version(store)
    if officers.version == current:
        return -1
    if officers.version < current:
        raise OfficersRejected(
            f"officer list v{officers.version} is older than installed v{current}"
        )
    values = {PREFIX + o.badge.lower(): o.pin_hash for o in officers.officers}
    values[VERSION_KEY] = str(officers.version)
    store.replace_settings(
        PREFIX, values, audit=f"officer list v{officers.version}: {len(officers.officers)} officers"
    )
    return len(officers.officers)
