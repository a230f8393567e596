"""Signed watchlists: installed only when authentic, newer and in order; otherwise kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.store import LocalStore
from edge_agent.watchlist import WatchlistRejected, install_watchlist
from khidmat_wire.messages import WatchEntry, Watchlist
from khidmat_wire.signing import sign_watchlist

HUB_KEY = Ed25519PrivateKey.generate()


def _entry(person: str) -> WatchEntry:
    return WatchEntry(person, f"Name {person}", "wanted", 2, "AAAA")


def _list(
    version: int, base: int, add: list[str], remove: tuple[str, ...] = (), key=HUB_KEY
) -> Watchlist:
    body = Watchlist(
        version, base, 1_700_000_000_000 + version, tuple(_entry(p) for p in add), remove, ""
    )
    return sign_watchlist(body, key)


@pytest.fixture
def store(tmp_path: Path):
    with LocalStore(tmp_path / "unit.db") as store:
        yield store


def _people(store: LocalStore) -> list[str]:
    return sorted(e[0] for e in store.watchlist_entries())


def test_snapshot_then_delta(store: LocalStore) -> None:
    public = HUB_KEY.public_key()
    assert install_watchlist(store, _list(1, 0, ["p1", "p2"]), public) == 2
    assert install_watchlist(store, _list(2, 1, ["p3"], ("p1",)), public) == 2
    assert _people(store) == ["p2", "p3"]
    assert store.watchlist_info().version == 2


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: _list(5, 0, ["x"], key=Ed25519PrivateKey.generate()), "signature"),
        (lambda: _list(1, 0, ["x"]), "not newer"),
        (lambda: _list(4, 3, ["x"]), "does not apply"),
        (lambda: _list(3, 0, ["x"], ("p1",)), "cannot remove"),
    ],
)
def test_forged_old_and_out_of_order_lists_are_rejected_and_current_kept(
    store: LocalStore, make, reason: str
) -> None:
    public = HUB_KEY.public_key()
    install_watchlist(store, _list(2, 0, ["p1", "p2"]), public)
    with pytest.raises(WatchlistRejected, match=reason):
        install_watchlist(store, make(), public)
    assert _people(store) == ["p1", "p2"]
    assert store.watchlist_info().version == 2


def test_tampered_body_fails_the_signature(store: LocalStore) -> None:
    import dataclasses

    good = _list(1, 0, ["p1"])
    tampered = dataclasses.replace(good, add=(_entry("p1"), _entry("innocent")))
    with pytest.raises(WatchlistRejected, match="signature"):
        install_watchlist(store, tampered, HUB_KEY.public_key())
    assert store.watchlist_info() is None


def test_no_hub_key_means_no_install(store: LocalStore) -> None:
    with pytest.raises(WatchlistRejected, match="no hub public key"):
        install_watchlist(store, _list(1, 0, ["p1"]), None)
