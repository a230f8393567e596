"""The watchlist key on the wire: the ``config`` settings that carry a gate's key.

The hub sends :data:`KEY_SETTING` (:data:`KEY_BYTES` random bytes, base64) and
:data:`GRACE_SETTING` (seconds the gate may use the key without hearing from the hub
again) in one ``config`` downlink to the gate alone. A unit never stores these settings
nor keeps that downlink's payload (see edge_agent.watchlist_key, docs/security.md).
"""

from __future__ import annotations

KEY_SETTING = "watchlist.key"
GRACE_SETTING = "watchlist.key_grace_s"
KEY_BYTES = 32
SECRET_SETTINGS = frozenset({KEY_SETTING})
"""Settings that are never stored in a unit's settings table nor kept in its inbox."""
