"""``khidmat demo --headless --scenario station``: the station's other systems in one run.

The demo deployment runs as in the smoke day (Mosquitto with TLS and ACLs, the hub, the
desk, gate and enrolment units' agents) plus a hotel's unit (``khidmat provision device
--role hotel`` for the Serena hotel, with its own agent). Through the public command line and the real apps:

1. the records office's file (50 people, 5 wanted) goes in with ``khidmat records import``;
2. **Hotel Eye**: two hotels are registered with ``khidmat hotel add`` (the Serena reports
   through its unit, which the hub tells its hotel, the Grand through its own software);
   the Serena's clerk records each guest at the hotel unit's kiosk (the real app in its
   hotel mode, driven by Pilot: ``hotel-guest`` records in its outbox, delivered by the
   agent); the Grand's register is imported with ``khidmat hotel import`` (two of its rows
   are wrong on purpose and must be refused by line). Among the guests are the wanted
   people under other spellings (``Mohammad`` for ``Muhammad``, Urdu script), CNICs
   written without dashes or in Urdu digits, and one wanted man under someone else's
   CNIC (found by name only);
3. **driving licences**: the licensing branch's file goes in with ``khidmat licence
   import``; each applicant tracks their application at the desk kiosk (the real app,
   driven by Textual's Pilot: token and CNIC); a second file moves them on, which queues
   a text to each applicant;
4. **the station diary**: a citizen files a complaint at the desk kiosk, which the hub
   writes in the station's diary itself (as it does units going offline, gate detentions,
   enrolments); officers add theirs with ``khidmat diary add`` (arrival, a visitor, a report, a
   prisoner brought in, property, departure) and correct one (``--corrects``);
5. then it waits for every unit's outbox to drain, counts at the hub, and checks the
   day's chain with ``khidmat diary verify``.

Figures: diary_entries (entries in the station's diary today), diary_day, diary_chain_ok
(``khidmat diary verify`` passed), hotel_guests (guests accepted, unit and file), hotel_hits (wanted guests whose
alert names the right person), hotel_missed (wanted guests with no such alert),
hotel_false_hits (alerts on guests who are not wanted, or naming someone else),
hotel_rows_refused, licence_tracked (applications whose status the kiosk showed as the
branch set it), licence_texts (texts queued for the second file's changes), lost (records
the hotel unit and the desk filed that the hub lacks). Not thread-safe; one run per process.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge_agent.store import LocalStore
from hub.store import HubStore
from khidmat.demo import STATION, DemoSystem, _spawn_khidmat, _stop

PEOPLE = 50
WANTED = 5
HOTEL_UNIT_NAME = "hotel desk QTA-SERENA"
PKT = timedelta(hours=5)

#: The seeded first names (khidmat.demo_seed.FIRST_NAMES) as an Urdu hotel register writes them.
URDU_NAMES = {
    "Abdul Rehman": "عبدالرحمان", "Muhammad Akram": "محمد اکرم", "Ghulam Nabi": "غلام نبی",
    "Naseebullah": "نصیب اللہ", "Abdul Wahid": "عبدالواحد", "Sher Ali": "شیر علی",
    "Habibullah": "حبیب اللہ", "Shah Wali": "شاہ ولی", "Noor Ahmed": "نور احمد",
    "Mir Hazar": "میر ہزار", "Faiz Muhammad": "فیض محمد", "Allah Bakhsh": "اللہ بخش",
    "Zahid Hussain": "زاہد حسین", "Bilal Ahmed": "بلال احمد", "Jan Muhammad": "جان محمد",
    "Gul Khan": "گل خان", "Dost Muhammad": "دوست محمد", "Rahim Dad": "رحیم داد",
}  # fmt: skip
#: Other spellings a hotel clerk uses for the same names.
SPELLED = (("Muhammad", "Mohammad"), ("Ahmed", "Ahmad"), ("Hussain", "Husain"),
           ("Rehman", "Rahman"), ("ullah", " Ullah"), ("Bakhsh", "Bakhash"))  # fmt: skip
#: Guests nobody is looking for (names not among the seeded people's).
INNOCENT = (
    ("Ayesha Bibi", "PK", "42101-1234567-1", ""), ("Farzana Baloch", "PK", "54400-2223334-2", ""),
    ("Wang Lei", "CN", "", "E12345678"), ("John Smith", "GB", "", "533380106"),
    ("Karim Jan Achakzai", "AF", "", "P01234567"), ("Saima Kakar", "PK", "54401-3456789-0", ""),
)  # fmt: skip
#: The licensing branch's applicants: (token, cnic, class, first status, second status).
APPLICANTS = (
    ("QTA-2026004512", "54400-1234567-1", "LTV", "test-scheduled", "ready"),
    ("QTA-2026004513", "54401-7654321-3", "M/CYCLE", "documents-verified", "test-passed"),
    ("QTA-2026004514", "54402-1112223-5", "HTV", "applied", "refused"),
)  # fmt: skip


@dataclass
class StationResult:
    diary_entries: int = 0
    diary_day: str = ""
    diary_chain_ok: bool = False
    hotel_guests: int = 0
    hotel_hits: int = 0
    hotel_missed: int = 0
    hotel_false_hits: int = 0
    hotel_rows_refused: int = 0
    licence_tracked: int = 0
    licence_texts: int = 0
    lost: int = 0
    elapsed_s: float = 0.0


class StationError(RuntimeError):
    """A step did not happen in time or a command failed; the message says which."""


def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise StationError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.2)


def _khidmat(*args: str, ok: tuple[int, ...] = (0,)) -> str:
    """Run a ``khidmat`` command as an officer would; its output, or StationError."""
    done = subprocess.run(
        [sys.executable, "-m", "khidmat", *args], capture_output=True, text=True, timeout=300
    )
    if done.returncode not in ok:
        raise StationError(f"khidmat {' '.join(args[:2])} failed: {done.stderr.strip()[:300]}")
    return done.stdout


def _spelled(name: str, index: int) -> str:
    """Another way to write ``name``: every other wanted person in Urdu, else respelled."""
    if index % 2 == 0 and name in URDU_NAMES:
        return URDU_NAMES[name]
    for source, other in SPELLED:
        if source in name:
            return name.replace(source, other).strip()
    return name.upper()


def _urdu_digits(cnic: str) -> str:
    return cnic.replace("-", "").translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def _pkt(ms: int) -> str:
    return (datetime.fromtimestamp(ms / 1000, tz=UTC) + PKT).strftime("%Y-%m-%d %H:%M")


def _hotel_code(store_path: Path) -> str:
    from khidmat_wire.unit_settings import HOTEL_CODE_SETTING

    if not store_path.exists():
        return ""
    with LocalStore(store_path) as store:
        return store.settings().get(HOTEL_CODE_SETTING, "")


async def _check_in(unit_toml: Path, guests: list[tuple[str, ...]]) -> dict[str, str]:
    """The Serena's clerk records each guest at the hotel unit's kiosk (the real app);
    returns room -> the hotel-guest record id in the unit's outbox."""
    from edge_agent.config import load_unit_config
    from khidmat.scenario import _until
    from kiosk.app import build_app
    from kiosk.screens.hotel import HotelScreen

    app = build_app("hotel", load_unit_config(unit_toml))
    async with app.run_test(size=(110, 50)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, HotelScreen), 30, "the hotel screen")
        screen = app.screen
        for count, (name, cnic, nationality, passport, room, _) in enumerate(guests, start=1):
            for field, value in (("name", name), ("cnic", cnic), ("nationality", nationality),
                                 ("passport", passport), ("room", room)):  # fmt: skip
                screen.query_one(f"#{field}").value = value
            await pilot.pause()
            await pilot.click("#record")
            await _until(pilot, lambda c=count: screen.count == c or bool(screen.error), 10,
                         f"room {room} recorded")  # fmt: skip
            if screen.error:
                raise StationError(f"the hotel desk refused room {room}: {screen.error}")
        return dict(screen.records)


def _hotel_unit(system: DemoSystem) -> str:
    """The Serena's unit: a hotel unit provisioned for the hotel (once per directory)."""
    from provisioning.deployment import Deployment
    from provisioning.operations import list_devices, provision_device

    deployment = Deployment(system.deployment_dir)
    for device in list_devices(deployment, include_retired=False):
        if device.name == HOTEL_UNIT_NAME:
            return device.device_id
    made = provision_device(
        deployment, role="hotel", station=STATION, name=HOTEL_UNIT_NAME, hardware="sim"
    )
    return made.device.device_id


async def _track_licences(system: DemoSystem, wanted: dict[str, str]) -> int:
    """Each applicant tracks their application at the desk kiosk; how many saw ``wanted``."""
    from edge_agent.config import load_unit_config
    from khidmat.scenario import _fill, _until
    from khidmat_wire.vocabulary import LICENCE_STATUS_NAMES
    from kiosk.app import build_app
    from kiosk.screens.licence import LicenceScreen

    seen = 0
    app = build_app("desk", load_unit_config(system.unit_config("desk")), poll_interval_s=0.2)
    async with app.run_test(size=(110, 50)) as pilot:
        for token, cnic, *_ in APPLICANTS:
            await pilot.press("f12")
            await pilot.pause()
            await pilot.press("l")
            await _until(pilot, lambda: isinstance(app.screen, LicenceScreen), 10, "the screen")
            await _fill(pilot, "#token", token.lower().replace("-", " "))
            await _fill(pilot, "#cnic", cnic.replace("-", ""))
            await pilot.click("#check")
            name = LICENCE_STATUS_NAMES[wanted[token]]

            def shows(name: str = name) -> bool:
                found = app.screen.query("#status")
                return bool(found) and name in str(found.first().render())

            await _until(pilot, shows, 60, f"the status of {token} at the desk")
            seen += 1
    return seen


def _licence_file(path: Path, second: bool, now_ms: int) -> Path:
    lines = ["token,cnic,name,mobile,licence_class,status,status_at,note,language"]
    for number, (token, cnic, kind, first, then) in enumerate(APPLICANTS):
        status, at = (then, now_ms - 60_000) if second else (first, now_ms - 86_400_000)
        note = "Bring your CNIC to window 3." if status == "ready" else ""
        language = "ur" if number == 1 else "en"
        lines.append(f"{token},{cnic},Applicant {number + 1},0300-555000{number},{kind},"
                     f"{status},{_pkt(at)},{note},{language}")  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_station(workdir: Path, *, log: Callable[[str], None] = lambda _: None) -> StationResult:
    """Run the station scenario in ``workdir``; every process it starts is stopped."""
    import csv

    from hub.alerts import AlertBoard
    from hub.hotel_import import guest_from_row
    from hub.hotels import HotelEye
    from hub.sms.outbox import SmsOutbox
    from khidmat.demo_seed import write_records_file

    started = time.monotonic()
    result = StationResult()
    system = DemoSystem(workdir, sensor_wire_delay=False)
    hotel_agent: subprocess.Popen[bytes] | None = None
    try:
        for line in system.prepare():
            log(line)
        hotel_unit = _hotel_unit(system)
        system.start(log=log)
        config = str(system.hub_config)
        hotel_agent = _spawn_khidmat(
            ["agent", "--config", str(system.deployment_dir / "units" / hotel_unit / "unit.toml"),
             "--log-level", "WARNING"],
            workdir / "logs" / "agent-hotel.log",
        )  # fmt: skip
        log(f"unit     hotel {hotel_unit}  (the Serena hotel's unit)")
        people = write_records_file(workdir / "records-office", people=PEOPLE, wanted=WANTED)
        _khidmat("records", "import", str(people), "--config", config, "--officer", "CRO-QTA")
        with open(people, newline="", encoding="utf-8") as handle:
            wanted = [r for r in csv.DictReader(handle) if r["status"] in ("wanted", "proclaimed-offender")]  # fmt: skip
        log(f"{PEOPLE} people on record, {len(wanted)} wanted")

        # ------------------------------------------------------------ Hotel Eye
        _khidmat("hotel", "add", "QTA-SERENA", "--name", "Serena Hotel", "--station", STATION,
                 "--unit", hotel_unit, "--config", config)  # fmt: skip
        _khidmat("hotel", "add", "QTA-GRAND", "--name", "Grand Hotel", "--station", STATION,
                 "--config", config)  # fmt: skip
        now_ms = int(time.time() * 1000)
        expected: dict[str, str] = {}  # stay id -> the wanted person's id ("" for the innocent)
        store_path = system.deployment_dir / "units" / hotel_unit / "data" / "unit.db"
        _wait(lambda: _hotel_code(store_path) == "QTA-SERENA", 60, "the Serena unit's hotel")
        desk_guests: list[tuple[str, str, str, str, str, str]] = []  # + the wanted person id
        for number, person in enumerate(wanted[:3]):
            desk_guests.append((_spelled(person["name"], number), person["cnic"], "PK", "",
                                str(101 + number), person["person_id"]))  # fmt: skip
        for number, (name, nat, cnic, passport) in enumerate(INNOCENT):
            desk_guests.append((name, cnic.replace("-", ""), nat, passport, str(111 + number), ""))
        unit_toml = system.deployment_dir / "units" / hotel_unit / "unit.toml"
        rooms = asyncio.run(_check_in(unit_toml, desk_guests))
        for *_, room, person_id in desk_guests:
            if room not in rooms:
                raise StationError(f"the Serena's desk did not record room {room}")
            expected[rooms[room]] = person_id
        log(f"the Serena reported {len(expected)} guests through its unit")
        register = workdir / "grand-register.csv"
        rows = ["name,cnic,nationality,passport,room,check_in"]
        file_guests: list[tuple[str, str, str, str, str, str]] = []
        fourth, fifth = wanted[3], wanted[4]
        file_guests.append((_spelled(fourth["name"], 0), _urdu_digits(fourth["cnic"]), "PK", "",
                            "7", fourth["person_id"]))  # fmt: skip
        # the fifth wanted man under someone else's CNIC: found by his name only
        file_guests.append((_spelled(fifth["name"], 1), "54499-0000000-9", "PK", "", "8",
                            fifth["person_id"]))  # fmt: skip
        for name, nat, cnic, passport in INNOCENT:
            file_guests.append((name, cnic.replace("-", " "), nat.lower(), passport, "9", ""))
        check_in = _pkt(now_ms - 3_600_000)
        for name, cnic, nat, passport, room, _ in file_guests:
            rows.append(f"{name},{cnic},{nat},{passport},{room},{check_in}")
        rows.append(f"Hamid Raza,4210112345,PK,,10,{check_in}")  # a short CNIC: refused
        rows.append(f"Peter Brown,,GB,,11,{check_in}")  # a foreigner without passport: refused
        register.write_text("\n".join(rows) + "\n", encoding="utf-8")
        out = _khidmat("hotel", "import", str(register), "--hotel", "QTA-GRAND", "--config",
                       config, ok=(0, 1))  # fmt: skip
        log(out.strip())

        # ----------------------------------------------------------- licences
        _khidmat("licence", "import", str(_licence_file(workdir / "branch-1.csv", False, now_ms)),
                 "--config", config)  # fmt: skip
        first = {token: status for token, _, _, status, _ in APPLICANTS}
        result.licence_tracked = asyncio.run(_track_licences(system, first))
        log(f"{result.licence_tracked} applicants saw their licence status at the desk")
        _khidmat("licence", "import", str(_licence_file(workdir / "branch-2.csv", True, now_ms)),
                 "--config", config)  # fmt: skip

        # --------------------------------------------------------------- diary
        from hub.diary.book import station_day
        from khidmat.scenario import file_complaints

        numbers = asyncio.run(file_complaints(system, 1))  # the hub writes it in the diary
        log(f"a citizen filed complaint {numbers[0]} at the desk")

        day = station_day(int(time.time() * 1000))
        result.diary_day = day
        officer_entries = (
            ("arrival", "ASI Nadia Baloch", "took over the duty officer's desk", ""),
            ("visitor", "ASI Nadia Baloch", "Haji Karim, to ask about his son's complaint", ""),
            ("report", "SI Rashid", "Hotel Eye: party sent to the Grand Hotel, room 7", ""),
            ("prisoner-in", "SI Rashid", "one man from the Grand Hotel, room 7", "FIR 112/26"),
            ("property", "SI Rashid", "one mobile phone, sealed", "FIR 112/26"),
        )
        for kind, officer, text, ref in officer_entries:
            _khidmat("diary", "add", "--config", config, "--station", STATION, "--kind", kind,
                     "--officer", officer, "--text", text, "--ref", ref)  # fmt: skip
        listed = _khidmat("diary", "list", "--config", config, "--station", STATION,
                          "--date", day, "--kind", "property")  # fmt: skip
        wrong = re.search(rf"{STATION}/{day}/[0-9]+", listed)
        if wrong is None:
            raise StationError("the property entry is not in the diary's list")
        _khidmat("diary", "add", "--config", config, "--station", STATION, "--kind",
                 "correction", "--officer", "SI Rashid", "--corrects", wrong.group(0),
                 "--text", "two mobile phones, sealed")  # fmt: skip
        _khidmat("diary", "add", "--config", config, "--station", STATION, "--kind",
                 "departure", "--officer", "ASI Nadia Baloch")  # fmt: skip
        log(f"diary {STATION} {day}: officers' entries added, one corrected")

        # ------------------------------------------------------------- counting
        def pending() -> int:
            total = 0
            for path in (store_path, system.store_path("desk")):
                with LocalStore(path) as unit_store:
                    total += unit_store.outbox_depth()
            return total

        _wait(lambda: pending() == 0, 60, "the hotel unit's and the desk's outboxes to drain")
        with HubStore(system.hub_db) as hub:
            eye = HotelEye(hub, AlertBoard(hub))
            stays = {s.stay_id: s for s in eye.stays(limit=100_000)}
            for name, cnic, nat, passport, room, person_id in file_guests:
                guest = guest_from_row("QTA-GRAND", {
                    "name": name, "cnic": cnic, "nationality": nat, "passport": passport,
                    "room": room, "check_in": check_in})  # fmt: skip
                key = eye.import_key("QTA-GRAND", guest.cnic, guest.passport, guest.check_in_ms, room)  # fmt: skip
                expected[key] = person_id
            hits: dict[str, set[str]] = {}
            for hit in eye.hits(limit=100_000):
                hits.setdefault(hit.stay_id, set()).add(hit.person_id)
            result.hotel_guests = sum(1 for stay_id in expected if stay_id in stays)
            for stay_id, person_id in expected.items():
                named = hits.get(stay_id, set())
                if person_id and person_id in named:
                    result.hotel_hits += 1
                elif person_id:
                    result.hotel_missed += 1
                result.hotel_false_hits += len(named - {person_id})
            refused = re.search(r"([0-9]+) refused", out)
            result.hotel_rows_refused = int(refused.group(1)) if refused else -1
            seconds = {token: then for token, _, _, _, then in APPLICANTS}
            result.licence_texts = sum(
                1
                for t in SmsOutbox(hub).texts()
                if t["created_ms"] >= now_ms and t["tracking_no"] in seconds
                and _names_status(t["text"], seconds[t["tracking_no"]])
            )  # fmt: skip
            stored = set(hub.record_ids())
        filed: set[str] = set()
        for path in (store_path, system.store_path("desk")):
            with LocalStore(path) as unit_store:
                filed |= unit_store.acknowledged_ids()  # filed since: pending, not lost
        result.lost = len(filed - stored)
        verified = subprocess.run(
            [sys.executable, "-m", "khidmat", "diary", "verify", "--config", config,
             "--station", STATION, "--date", day],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        result.diary_chain_ok = verified.returncode == 0
        with HubStore(system.hub_db) as hub:
            from hub.diary.book import Diary

            result.diary_entries = Diary(hub).count(STATION, day)
    finally:
        if hotel_agent is not None:
            _stop(hotel_agent)
        system.stop()
    result.elapsed_s = round(time.monotonic() - started, 1)
    return result


def _names_status(text: str, status: str) -> bool:
    """Whether an applicant's text names ``status`` (in English or Urdu)."""
    from hub.sms.texts import URDU_LICENCE_STATUS_NAMES
    from khidmat_wire.vocabulary import LICENCE_STATUS_NAMES

    name = LICENCE_STATUS_NAMES[status]
    return name in text or URDU_LICENCE_STATUS_NAMES[name] in text


def main(workdir: Path, *, as_json: bool) -> int:
    result = run_station(workdir, log=(lambda _: None) if as_json else print)
    data = asdict(result)
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        for key, value in data.items():
            print(f"{key:>20}: {value}")
    ok = result.diary_chain_ok and result.hotel_missed == 0 and result.lost == 0
    return 0 if ok else 1
