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

A store seeded before the gate asked for the left index (seed format 1: the right index
only) is upgraded in place: every seeded person without a left-index template gets the one
they would have been seeded with now, their other details untouched. Telling the formats
apart reads the seeded people's templates through :class:`hub.records.RecordStore` (about
20-30 ms for 1,000 people on the 2-core development machine under load), so a current
store keeps the demo's fast re-run.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.records import RecordStore

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
    upgraded: int = 0  # one-finger people given their left index now

    def upgrade_note(self) -> str:
        """One line saying the store was seeded with one finger and upgraded ("" if not)."""
        if not self.upgraded:
            return ""
        return (
            f"records  {self.upgraded} seeded people had the right index only (seeded before "
            "the gate asked for the left index): added their left-index templates"
        )


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
    two_fingers: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SeedSummary:
    """Add the seeded people that ``hub_db`` lacks and the left index that any seeded person
    lacks; returns what it holds, added and upgraded.

    ``two_fingers=False`` seeds the right index only, as seed format 1 did (to build an old
    store in a test); it upgrades nobody.
    """
    from hub.records import RecordStore
    from hub.store import HubStore
    from matcher_cy.distractors import distractor_template

    store = HubStore(hub_db)
    try:
        records = RecordStore(store)
        records.install()
        have = records.ids_starting("SEED-")
        seeded = set(have)
        missing = [i for i in range(1, people + 1) if seeded_person_id(i) not in seeded]
        one_finger = _one_finger_people(records, have) if two_fingers else []
        wanted_missing = [i for i in missing if i <= wanted]
        left_wanted = [i for i in (missing if two_fingers else []) + one_finger if i <= wanted]
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            right_templates = _extract(pool, wanted_missing, wanted_missing, seed)
            left_ids = [i + LEFT_FINGER_OFFSET for i in left_wanted]
            left_templates = _extract(pool, left_wanted, left_ids, seed)

        def left_template(index: int) -> tuple[int, bytes, int]:
            if index in left_templates:
                data, quality = left_templates[index]
            else:
                data = distractor_template(index + LEFT_FINGER_OFFSET, seed=seed).to_bytes()
                quality = 60
            return LEFT_INDEX_FINGER, data, quality

        for index in one_finger:
            person = records.get(seeded_person_id(index))
            if person is None:  # removed since it was listed
                continue
            records.upsert_person(
                person_id=person.person_id,
                name=person.name,
                father_name=person.father_name,
                cnic=person.cnic,
                offences=person.offences,
                status=person.status,
                source=SEED_SOURCE,
                actor="demo",
                templates=[left_template(index)],
            )
        for done, index in enumerate(missing, start=1):
            details = person_details(index, wanted=wanted, seed=seed)
            if index in right_templates:
                data, quality = right_templates[index]
            else:
                data = distractor_template(index, seed=seed).to_bytes()
                quality = 60
            templates = [(INDEX_FINGER, data, quality)]
            if two_fingers:
                templates.append(left_template(index))
            records.upsert_person(
                person_id=seeded_person_id(index),
                source=SEED_SOURCE,
                actor="demo",
                templates=templates,
                **details,  # type: ignore[arg-type]
            )
            if progress is not None:
                progress(done, len(missing))
        return SeedSummary(
            people=people, wanted=wanted, added=len(missing), upgraded=len(one_finger)
        )
    finally:
        store.close()


def _one_finger_people(records: RecordStore, person_ids: list[str]) -> list[int]:
    """Indexes of the seeded people among ``person_ids`` that have no left-index template."""
    with_left = {
        pid for pid, finger, _ in records.templates_of(person_ids) if finger == LEFT_INDEX_FINGER
    }
    return sorted(
        int(pid.removeprefix("SEED-"))
        for pid in person_ids
        if pid not in with_left and re.fullmatch(r"SEED-[0-9]{6}", pid)
    )


def _extract(
    pool: ProcessPoolExecutor, indexes: list[int], finger_ids: list[int], seed: int
) -> dict[int, tuple[bytes, int]]:
    """Person index -> (template bytes, quality) extracted from synthetic ``finger_ids``."""
    return dict(
        zip(indexes, pool.map(_wanted_template, finger_ids, [seed] * len(finger_ids)), strict=True)
    )


def write_records_file(folder: Path, *, people: int = 50, wanted: int = 5, seed: int = 0) -> Path:
    """Write the seeded people as a records office's import file for ``khidmat records import``.

    ``folder`` gets ``people.csv`` (the columns of :mod:`hub.records_import`) and one
    compact template file per finger under ``fingers/``; the same people, ids and
    fingers as :func:`seed_records`. Returns the CSV's path. Cost: as ``seed_records``
    for the templates, single process.
    """
    import csv

    from matcher_cy.distractors import distractor_template

    fingers_dir = folder / "fingers"
    fingers_dir.mkdir(parents=True, exist_ok=True)
    path = folder / "people.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ("person_id", "name", "father_name", "cnic", "offences", "status", "fingers")
        )
        for index in range(1, people + 1):
            details = person_details(index, wanted=wanted, seed=seed)
            files = []
            for position, finger in (
                (INDEX_FINGER, index),
                (LEFT_INDEX_FINGER, index + LEFT_FINGER_OFFSET),
            ):
                if index <= wanted:
                    data = _wanted_template(finger, seed)[0]
                else:
                    data = distractor_template(finger, seed=seed).to_bytes()
                name = f"fingers/{index:06d}-{position}.tpl"
                (folder / name).write_bytes(data)
                files.append(f"{position}={name}")
            writer.writerow(
                (
                    seeded_person_id(index),
                    details["name"],
                    details["father_name"],
                    details["cnic"],
                    ";".join(details["offences"]),  # type: ignore[arg-type]
                    details["status"],
                    ";".join(files),
                )
            )
    return path
