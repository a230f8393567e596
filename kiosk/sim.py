"""``khidmat kiosk --sim MODE``: a whole unit on this machine, no hub needed.

A throwaway data directory with a unit configuration (simulated R307 at 115200 baud in
this process, gpiozero's MockFactory), a small synthetic watchlist for the gate built
from synthetic fingers, and one officer (badge ``demo``, PIN ``123456``). Records wait in
the outbox (no agent runs). Cost: building the watchlist extracts one template per
person (~0.5 s each).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from edge_agent.config import UnitConfig, parse_unit_config
from edge_agent.store import LocalStore
from kiosk.officers import PREFIX, hash_pin

SIM_SEED = 7
SIM_STATION = "QTA01"
SIM_OFFICER = "demo"
SIM_PIN = "123456"
SIM_WATCHLIST_VERSION = 1


@dataclass(frozen=True, slots=True)
class SimPerson:
    """A synthetic person: ``finger_id`` names their synthetic finger."""

    person_id: str
    name: str
    status: str
    finger_id: int


#: The synthetic watchlist; finger ids >= 100 belong to no one on it.
SIM_PEOPLE: tuple[SimPerson, ...] = (
    SimPerson("BAL-000101", "Gul Khan", "wanted", 1),
    SimPerson("BAL-000102", "Sher Ali", "proclaimed-offender", 2),
    SimPerson("BAL-000103", "Akbar Baloch", "wanted", 3),
)
SIM_STRANGER_FINGER = 101


def sim_config_text(mode: str, data_dir: Path, *, printer: bool = False) -> str:
    """``printer``: a desk gets a simulated receipt printer in this process, its receipts
    drawn to ``data_dir/receipts`` (edge_agent.sim.printer)."""
    extra = '\n[printer]\nbackend = "sim"\n' if printer and mode == "desk" else ""
    return f"""
[device]
id = "sim-{mode}-0001"
role = "{mode}"
station = "{SIM_STATION}"
name = "simulated {mode} unit"
data_dir = "{data_dir}"

[sensor]
backend = "sim"
model = "r307"
baud = 115200
packet_size = 256

[gpio]
backend = "mock"
{extra}"""


def sim_config(mode: str, directory: Path, *, printer: bool = False) -> UnitConfig:
    """A unit configuration for a simulated ``mode`` unit with its data in ``directory``
    (``printer``: with a simulated receipt printer, desk only)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "unit.toml"
    text = sim_config_text(mode, directory / "data", printer=printer)
    path.write_text(text, encoding="utf-8")
    return parse_unit_config(text, path)


def sim_finger_image(finger_id: int, impression: int):  # -> np.ndarray
    """A synthetic impression as the simulated sensor would see it."""
    from edge_agent.sim.fingers import impression_image

    return impression_image(finger_id, impression, seed=SIM_SEED)


def watchlist_entries(
    people: Sequence[SimPerson] = SIM_PEOPLE,
) -> list[tuple[str, int, str, str, str]]:
    """Store rows (person_id, finger, name, status, template b64) from impression 0."""
    from matcher_cy import extract

    rows = []
    for person in people:
        template = extract(sim_finger_image(person.finger_id, 0), dpi=500)
        rows.append(
            (
                person.person_id,
                1,
                person.name,
                person.status,
                base64.b64encode(template.to_bytes()).decode(),
            )
        )
    return rows


def seed_store(
    store: LocalStore,
    *,
    entries: Sequence[tuple[str, int, str, str, str]] | None,
    issued_at_ms: int,
    pin_memory_kib: int = 1024,
) -> None:
    """Install the officer and (when given) the watchlist in a simulated unit's store.

    The PIN hash is argon2id at ``pin_memory_kib`` (cheap: a throwaway simulated unit;
    the hub's hashes use :data:`kiosk.officers.MEMORY_KIB`).
    """
    store.put_setting(
        PREFIX + SIM_OFFICER, hash_pin(SIM_PIN, memory_kib=pin_memory_kib, time_cost=1)
    )
    if entries is not None:
        store.replace_watchlist(SIM_WATCHLIST_VERSION, issued_at_ms, entries)
