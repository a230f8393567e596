"""The gate's watchlist as a prepared file: mapped when current, updated entry by entry."""

from __future__ import annotations

import base64
import time
from pathlib import Path

from edge_agent.store import LocalStore
from kiosk.identify import WatchlistGallery
from matcher_cy.distractors import distractor_template


def entry(index: int, *, seed: int = 0) -> tuple[str, int, str, str, str]:
    template = distractor_template(index, seed=seed).to_bytes()
    return (f"CR-{index:07d}", 1, f"Person {index}", "wanted", base64.b64encode(template).decode())


def test_the_gate_maps_a_current_list_and_applies_a_delta_entry_by_entry(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "unit.db")
    entries = [entry(i) for i in range(40)]
    entries.append(("CR-BROKEN", 2, "Bad Entry", "wanted", "not base64!"))
    store.replace_watchlist(3, 1_000, entries)
    built = WatchlistGallery.load(store)
    path = tmp_path / "unit.db.watchlist.1"  # one prepared file per finger position
    assert len(built) == 40 and built.skipped == 1 and path.exists()
    probe = distractor_template(7)
    expected = built.identify(probe)
    # a restart: the file is only mapped (nothing rebuilt), the same verdicts
    start = time.perf_counter()
    mapped = WatchlistGallery.load(store)
    elapsed = time.perf_counter() - start
    assert mapped._galleries[1]._ram.rows == 0 and mapped.skipped == 1 and len(mapped) == 40
    assert mapped.identify(probe).candidates == expected.candidates
    assert elapsed < 1.0
    # a delta: one removed, one changed, one new; only those two are built
    changed = entry(5, seed=9)
    store.replace_watchlist(
        4, 2_000, [changed, entry(100)], delta_removes=["CR-0000003", "CR-0000005"]
    )
    added: list[int] = []
    updated = WatchlistGallery.load(store, lambda done, total: added.append(done))
    assert updated.version == 4 and len(updated) == 40
    assert updated._galleries[1]._ram.rows == 2 and "CR-0000003" not in updated._galleries[1]
    assert updated._galleries[1].get("CR-0000005") == distractor_template(5, seed=9)
    again = WatchlistGallery.load(store)
    assert again._galleries[1]._ram.rows == 0 and again._galleries[1].stamp == 4
    # a damaged file is rebuilt, not fatal
    path.write_bytes(path.read_bytes()[:5000])
    rebuilt = WatchlistGallery.load(store)
    assert len(rebuilt) == 40 and rebuilt._galleries[1]._ram.rows == 40
    store.close()
