"""Each gate's watchlist key: made once, sent on every birth and before the grace period ends."""

from __future__ import annotations

import base64
from pathlib import Path

from hub.store import HubStore
from hub.unit_keys import WatchlistKeys
from khidmat_wire import decode
from khidmat_wire.watchlist_key import GRACE_SETTING, KEY_BYTES, KEY_SETTING


def _sent(store: HubStore) -> list[tuple[str, dict[str, str]]]:
    rows = store.pending_downlinks()
    return [(r[1], {s.key: s.value for s in decode(r[3]).body.settings}) for r in rows]


def test_keys_are_per_gate_stable_and_resent_before_the_grace_ends(
    tmp_path: Path, hub_database
) -> None:
    with HubStore(hub_database) as store:
        keys = WatchlistKeys(store, grace_s=300.0)
        assert keys.publish(["gate-1", "gate-2"], now_ms=1_000) == ["gate-1", "gate-2"]
        first = dict(_sent(store))
        assert first["gate-1"][GRACE_SETTING] == "300"
        one, two = (base64.b64decode(first[g][KEY_SETTING]) for g in ("gate-1", "gate-2"))
        assert len(one) == KEY_BYTES and one != two
        assert keys.publish(["gate-1", "gate-2"], now_ms=50_000) == []  # within grace/3
        assert keys.publish(["gate-1"], now_ms=50_000, reconnected=frozenset({"gate-1"})) == [
            "gate-1"
        ]  # a birth: sent again at once
        assert keys.publish(["gate-1", "gate-2"], now_ms=1_000 + 100_001) == ["gate-2"]
        again = [s for g, s in _sent(store) if g == "gate-1"]
        assert {base64.b64decode(s[KEY_SETTING]) for s in again} == {one}  # the same key
