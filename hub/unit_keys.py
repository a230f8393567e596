"""Each gate's watchlist key: made at the hub, sent to the gate, held there in RAM only.

A gate keeps its watchlist sealed with this key (:mod:`edge_agent.watchlist_key`) and
holds the key in RAM for ``[hub] watchlist_key_grace_s`` after it arrived. The hub sends
it on every birth of the gate (before the watchlist, which the gate refuses without a
key) and again to every gate once a third of the grace period has passed since the last
send, so a gate that stays online never runs out; a gate cut off from the hub for longer
than the grace period locks its list until the hub is back. Cost: one downlink per gate
per ``grace/3``. Thread-safety: as :class:`hub.store.HubStore`.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable

from hub.store import HubStore
from hub.store import unit_keys as table
from khidmat_base.clock import now_ms as _now_ms
from khidmat_wire.messages import Config, Setting
from khidmat_wire.watchlist_key import GRACE_SETTING, KEY_BYTES, KEY_SETTING


class WatchlistKeys:
    """Sends gates their watchlist keys (see the module docstring)."""

    def __init__(self, store: HubStore, grace_s: float) -> None:
        self.store = store
        self.grace_s = grace_s
        table.migrate(store.db)

    def publish(
        self, gates: Iterable[str], *, reconnected: frozenset[str] = frozenset(),
        now_ms: int | None = None,
    ) -> list[str]:  # fmt: skip
        """Queue the key for each gate that just came online or is due; returns them."""
        now_ms = _now_ms() if now_ms is None else now_ms
        resend_ms = int(self.grace_s * 1000 / 3)
        queued = []
        for gate in gates:
            last = table.sent_ms(self.store.db, gate)
            if gate not in reconnected and last is not None and now_ms - last < resend_ms:
                continue
            key = table.key_for(self.store.db, gate, lambda: os.urandom(KEY_BYTES), now_ms)
            body = Config(
                (
                    Setting(KEY_SETTING, base64.b64encode(key).decode()),
                    Setting(GRACE_SETTING, f"{self.grace_s:g}"),
                )
            )
            with self.store.db.write() as conn:
                HubStore.queue_downlink(conn, gate, "config", body)
                table.mark_sent(conn, gate, now_ms)
            queued.append(gate)
        return queued
