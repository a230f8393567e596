"""Synthetic criminal records for the demo: people with names, CNICs, offences and fingerprints.

Person ``i`` (1-based) of a seeded store has synthetic finger ``i`` as the template of
their right index finger (ISO position 2) and synthetic finger ``i + LEFT_FINGER_OFFSET``
as their left index (ISO position 7), so placing ``--finger i`` and then ``--finger
i + 10000`` on a simulated gate presents that person's two index fingers. The first ``wanted`` people are wanted or proclaimed offenders and
their templates are extracted from real synthetic images (impression 0), so a gate can
match them; everyone else is convicted or released and carries a directly generated
distractor template (``matcher_cy.distractors``), which is fast. Finger ids above
``people`` belong to nobody on record: strangers at a gate.

Deterministic by seed. Cost: about 0.7 s per wanted person (two synthetic images and
extractions), 1 ms per other person; idempotent (people already seeded are kept).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

FIRST_NAMES = (
    "Abdul Rehman", "Muhammad Akram", "Ghulam Nabi", "Naseebullah", "Abdul Wahid", "Sher Ali",
    "Habibullah", "Shah Wali", "Noor Ahmed", "Mir Hazar", "Faiz Muhammad", "Allah Bakhsh",
    "Zahid Hussain", "Bilal Ahmed", "Jan Muhammad", "Gul Khan", "Dost Muhammad", "Rahim Dad",
)  # fmt: skip
FATHER_NAMES = (
    "Abdul Ghani", "Muhammad Hassan", "Sardar Khan", "Ghulam Rasool", "Haji Karim", "Mir Ahmed",
    "Abdul Qadir", "Juma Khan", "Pir Bakhsh", "Wali Muhammad", "Saleh Muhammad", "Nazar Ali",
)  # fmt: skip
OFFENCES = (
    "PPC 302",
    "PPC 324",
    "PPC 392",
    "PPC 379",
    "PPC 395",
    "PPC 489-F",
    "PPC 406",
    "PPC 457",
    "CNSA 9-C",
)
INDEX_FINGER = 2  # ISO: right index
LEFT_INDEX_FINGER = 7  # ISO: left index
#: Synthetic finger id of a person's left index: their right index's id plus this.
LEFT_FINGER_OFFSET = 10_000
SEED_SOURCE = "demo-seed"


@dataclass(frozen=True, slots=True)
class SeedSummary:
    people: int
    wanted: int
    added: int


def seeded_person_id(index: int) -> str:
    """The record id of seeded person ``index`` (1-based; their synthetic finger id)."""
    return f"SEED-{index:06d}"


def _wanted_template(finger_id: int, seed: int) -> tuple[bytes, int]:
    from edge_agent.sim.fingers import impression_image
    from matcher_cy import extract

    template = extract(impression_image(finger_id, 0, seed=seed))
    return template.to_bytes(), template.quality


def person_details(index: int, *, wanted: int, seed: int) -> dict[str, object]:
    """Name, father's name, CNIC, offences and status of seeded person ``index`` (1-based)."""
    rng = random.Random(seed * 1_000_003 + index)
    status = (
        ("wanted", "proclaimed-offender")[index % 2]
        if index <= wanted
        else ("convicted", "released")[index % 2]
    )
    return {
        "name": rng.choice(FIRST_NAMES),
        "father_name": rng.choice(FATHER_NAMES),
        "cnic": f"5{rng.randrange(1000, 9999)}-{rng.randrange(10**6, 10**7):07d}-{rng.randrange(10)}",
        "offences": tuple(sorted(rng.sample(OFFENCES, rng.randint(1, 3)))),
        "status": status,
    }


def seed_records(
    hub_db: Path,
    *,
    people: int = 1000,
    wanted: int = 50,
    seed: int = 0,
    jobs: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> SeedSummary:
    """Add the seeded people that ``hub_db`` lacks; returns what it holds and added."""
    from hub.records import RecordStore
    from hub.store import HubStore
    from matcher_cy.distractors import distractor_template

    store = HubStore(hub_db)
    try:
        records = RecordStore(store)
        records.install()
        have = set(records.ids_starting("SEED-"))
        missing = [i for i in range(1, people + 1) if seeded_person_id(i) not in have]
        wanted_missing = [i for i in missing if i <= wanted]
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            wanted_templates = dict(
                zip(
                    wanted_missing,
                    pool.map(_wanted_template, wanted_missing, [seed] * len(wanted_missing)),
                    strict=True,
                )
            )
            left_ids = [i + LEFT_FINGER_OFFSET for i in wanted_missing]
            left_templates = dict(
                zip(
                    wanted_missing,
                    pool.map(_wanted_template, left_ids, [seed] * len(left_ids)),
                    strict=True,
                )
            )
        for done, index in enumerate(missing, start=1):
            details = person_details(index, wanted=wanted, seed=seed)
            if index in wanted_templates:
                data, quality = wanted_templates[index]
                left, left_quality = left_templates[index]
            else:
                data = distractor_template(index, seed=seed).to_bytes()
                left = distractor_template(index + LEFT_FINGER_OFFSET, seed=seed).to_bytes()
                quality = left_quality = 60
            records.upsert_person(
                person_id=seeded_person_id(index),
                source=SEED_SOURCE,
                actor="demo",
                templates=[(INDEX_FINGER, data, quality), (LEFT_INDEX_FINGER, left, left_quality)],
                **details,  # type: ignore[arg-type]
            )
            if progress is not None:
                progress(done, len(missing))
        return SeedSummary(people=people, wanted=wanted, added=len(missing))
    finally:
        store.close()
