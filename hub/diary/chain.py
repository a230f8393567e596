"""The station diary's hash chain: the canonical encoding of an entry, its hash, and the check.

Every station has one chain per day. An entry's hash is SHA-256 over the canonical
encoding of its fields and the previous entry's hash (:func:`canonical`: UTF-8 JSON with
sorted keys, no spaces, the text as written, version :data:`CHAIN_VERSION`); the first
entry of a day links to :func:`genesis` of that station and day, so an entry moved to
another day or station no longer fits. :func:`check` walks a day's stored entries and
names the first one that does not fit: a changed field (its hash no longer matches), a
broken link (an entry replaced with a recomputed hash: the one after it names it), a gap
in the numbering (an entry removed), or a register that counts more entries, or another
last hash, than are stored (the last entries removed).

What it cannot catch on its own: someone with write access to the database who rewrites
a whole day consistently (every hash and the register). The closed day's export prints
the day's last hash; a printed or sent-on copy anchors it (docs/station.md).
Pure functions; thread-safe. Cost: one SHA-256 over a few hundred bytes per entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CHAIN_VERSION = 1
HASHED_FIELDS = (
    "station", "day", "seq", "at_ms", "kind", "officer", "text", "ref", "corrects", "source",
)  # fmt: skip
"""The entry's fields that its hash covers (every stored field but the hashes and the
idempotency key)."""


def entry_name(station: str, day: str, seq: int) -> str:
    """How an entry is named everywhere (console, CLI, corrections): ``QTA1/2026-12-06/7``."""
    return f"{station}/{day}/{seq}"


def genesis(station: str, day: str) -> str:
    """The hash the first entry of a station's day links to."""
    seed = f"khidmat roznamcha v{CHAIN_VERSION} {station} {day}"
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def canonical(entry: Mapping[str, object], prev_hash: str) -> bytes:
    """The bytes an entry's hash is taken over (``entry``: the :data:`HASHED_FIELDS`)."""
    document = {name: entry[name] for name in HASHED_FIELDS}
    document["prev"] = prev_hash
    document["v"] = CHAIN_VERSION
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def entry_hash(entry: Mapping[str, object], prev_hash: str) -> str:
    """SHA-256 (hex) of :func:`canonical`."""
    return hashlib.sha256(canonical(entry, prev_hash)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The check of one station's day. ``first_bad``: the name of the first entry that does
    not fit ('' when ``ok``); ``problem``: what is wrong with it, in words."""

    station: str
    day: str
    entries: int
    ok: bool
    first_bad: str = ""
    problem: str = ""
    head_hash: str = ""
    closed: bool = False

    def describe(self) -> str:
        """One line for an officer: what was checked and the verdict."""
        state = "closed" if self.closed else "open"
        if self.ok:
            return (
                f"diary {self.station} {self.day} ({state}): {self.entries} entries, chain "
                f"intact; last hash {self.head_hash or '-'}"
            )
        return (
            f"diary {self.station} {self.day}: TAMPERED at entry {self.first_bad}: {self.problem}"
        )


def check(
    station: str,
    day: str,
    rows: Sequence[Mapping[str, object]],
    register: Mapping[str, object] | None,
    *,
    closing_kind: str,
) -> ChainReport:
    """Check the stored ``rows`` of a station's day (by ``seq``) against their chain and the
    day's ``register`` (``entries``, ``head_hash``, ``closed_ms``; None when it has none).

    ``closing_kind``: the kind of the entry that closes a day (a closed day ends with it).
    """
    prev = genesis(station, day)
    closed = register is not None and register["closed_ms"] is not None

    def bad(seq: int, problem: str) -> ChainReport:
        name = entry_name(station, day, seq)
        return ChainReport(station, day, len(rows), False, name, problem, closed=closed)

    for expected, row in enumerate(rows, start=1):
        seq = int(row["seq"])  # type: ignore[arg-type]
        if seq != expected:
            return bad(expected, f"missing: the entries jump from {expected - 1} to {seq}")
        if row["station"] != station or row["day"] != day:
            return bad(seq, "its station or day was changed")
        if row["prev_hash"] != prev:
            return bad(
                seq,
                "its link to the entry before does not match (that entry, or this one, was "
                "replaced)",
            )
        computed = entry_hash(row, prev)
        if computed != row["hash"]:
            return bad(seq, "its contents were changed after it was written (hash mismatch)")
        prev = computed
    stored = len(rows)
    if register is None:
        if stored:
            return bad(stored, "the day's register is missing (removed)")
        return ChainReport(station, day, 0, True)
    counted = int(register["entries"])  # type: ignore[arg-type]
    if counted != stored or (stored and register["head_hash"] != prev):
        if counted > stored:
            return bad(
                stored + 1, f"missing: the register counts {counted} entries, {stored} are stored"
            )
        return bad(stored, "the day's register does not end at this entry (register changed)")
    if closed and (not rows or rows[-1]["kind"] != closing_kind):
        return bad(stored, "the day is closed but its closing entry is not the last")
    return ChainReport(station, day, stored, True, head_hash=prev, closed=closed)
