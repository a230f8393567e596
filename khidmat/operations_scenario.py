"""``khidmat demo --headless --scenario operations``: a deployment run as a technician and
an operator would, through the public command line and the console's backend.

Every step is a ``khidmat`` command run as a separate process, or the console's backend.
``khidmat provision init`` and ``khidmat provision device`` (desk, gate, enrolment unit)
provision the deployment; the demo edits the files as a technician would (quick hub
timers, the simulated sensors' links) and starts it (Mosquitto with TLS and ACLs, the hub,
three agents). The records office's file (50 people, 5 of them wanted, synthetic fingers
as template files) goes in with ``khidmat records import``. Then:

1. ``khidmat officer add`` puts an officer on the roster (PIN on standard input);
2. ``khidmat unit set`` gives the desk its unit number and the gate its thresholds;
3. ``khidmat provision device --reload`` installs a new gate while the hub runs, and its
   agent starts (``khidmat agent``): the time until its signed watchlist is installed is
   ``new_gate_watchlist_s``;
4. the officer signs in at the new gate's kiosk (the real app, driven by Textual's Pilot,
   its simulated sensor in process) and scans wanted people and a stranger, confirming
   every red or yellow;
5. the operator's console backend lists the alerts; ``khidmat report fleet --csv`` runs.

Figures: officers_pushed (units that installed an officer list holding the officer),
settings_acked (units that applied their settings version), new_gate_watchlist_s, scans,
confirmed_red_alerts, report_rows, lost (records the new gate filed that the hub lacks)
and duplicated (an officer decision the control room was alerted to twice). Not thread-safe; one run per process.
"""

from __future__ import annotations

import asyncio
import csv
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from edge_agent.store import LocalStore
from hub.store import HubStore
from khidmat.demo import (
    MOSQUITTO_MISSING,
    ROLES,
    STATION,
    DemoError,
    DemoSystem,
    _spawn_khidmat,
    _stop,
)
from khidmat_base.mosquitto import find_mosquitto, free_port

OFFICER = "OPS-0412"
OFFICER_PIN = "482913"
WANTED = 5
PEOPLE = 50
OPERATOR = "Insp. Karim"


@dataclass
class OperationsResult:
    officers_pushed: int = 0
    settings_acked: int = 0
    new_gate: str = ""
    new_gate_watchlist_s: float = -1.0
    scans: int = 0
    red: int = 0
    confirmed_red_alerts: int = 0
    report_rows: int = 0
    lost: int = 0
    duplicated: int = 0
    elapsed_s: float = 0.0


class OperationsError(RuntimeError):
    """A step did not happen in time or a command failed; the message says which."""


def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise OperationsError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _khidmat(*args: str, stdin: str = "") -> str:
    """Run a ``khidmat`` command as an operator would; its output, or OperationsError."""
    done = subprocess.run(
        [sys.executable, "-m", "khidmat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise OperationsError(f"khidmat {' '.join(args[:3])} failed: {done.stderr.strip()[:300]}")
    return done.stdout


async def _scan_at(unit_config: Path, fingers: list[int]) -> list[tuple[str, str]]:
    """Sign in at the gate kiosk and scan each finger; returns (verdict, scan id) each."""
    from edge_agent.config import load_unit_config
    from edge_agent.sim.fingers import impression_image
    from khidmat.scenario import _until, shown_text
    from kiosk.app import build_app

    results: list[tuple[str, str]] = []
    app = build_app("gate", load_unit_config(unit_config))
    async with app.run_test(size=(120, 45)) as pilot:
        await _until(pilot, lambda: bool(app.screen.query("#badge")), 30, "the sign-in screen")
        app.screen.query_one("#badge").value = OFFICER
        app.screen.query_one("#pin").value = OFFICER_PIN
        await pilot.click("#sign-in")
        await _until(
            pilot, lambda: app.screen.__class__.__name__ == "GateScreen", 60, "the gate screen"
        )
        screen = app.screen
        simulator = app.context.sensor.simulator  # type: ignore[union-attr]
        for number, finger in enumerate(fingers):
            await _until(pilot, lambda: "Place" in shown_text(screen, "#prompt"), 30, "Place")
            simulator.place(impression_image(finger, 1 + number % 5))
            await _until(pilot, lambda: screen.outcome is not None, 60, f"verdict {finger}")
            simulator.lift()
            verdict = screen.outcome.identification.verdict
            results.append((verdict, screen.outcome.record_id))
            if verdict in ("red", "yellow"):
                screen.query_one("#reason").value = "identity checked against the record"
                screen.query_one("#confirm").scroll_visible(animate=False)
                await pilot.pause()
                await pilot.click("#confirm")
                await _until(pilot, lambda: screen.decided, 10, "the officer's decision")
            await pilot.press("f5")
            await _until(pilot, lambda: screen.outcome is None, 10, "the next scan")
    return results


def _provisioned(out: str) -> str:
    """The device id ``khidmat provision device`` printed ("provisioned <id> ...")."""
    if "provisioned " not in out:
        raise OperationsError(f"khidmat provision device said: {out.strip()[:200]}")
    return out.split("provisioned ", 1)[1].split()[0].strip(" ;:,")


def _provision(system: DemoSystem, log: Callable[[str], None]) -> None:
    """``khidmat provision init`` and ``provision device`` for the desk, gate and enrolment unit."""
    if find_mosquitto() is None:
        raise DemoError(MOSQUITTO_MISSING)
    if system.deployment_dir.exists():
        raise OperationsError(
            f"{system.deployment_dir} holds an earlier deployment; the operations scenario "
            "provisions its own: give a new --dir"
        )
    system.workdir.mkdir(parents=True, exist_ok=True)
    deployment = str(system.deployment_dir)
    _khidmat(
        "provision", "init", "--dir", deployment, "--host", "localhost",
        "--bind", "127.0.0.1", "--port", str(free_port()),
    )  # fmt: skip
    log(f"provisioned a deployment in {deployment}")
    units: dict[str, str] = {}
    for role in ROLES:
        out = _khidmat(
            "provision", "device", "--dir", deployment, "--role", role, "--station", STATION,
            "--name", f"demo {role}", "--hardware", "sim",
        )  # fmt: skip
        units[role] = _provisioned(out)
        log(f"provisioned the {role} unit {units[role]}")
    system.adopt(units)


def run_operations(
    workdir: Path, *, log: Callable[[str], None] = lambda _: None
) -> OperationsResult:
    """Run the operations scenario in ``workdir``; every process it starts is stopped."""
    from hub.config import load_hub_config
    from hub.console.backend import ConsoleBackend, Operator
    from khidmat.demo_seed import write_records_file

    started = time.monotonic()
    result = OperationsResult()
    system = DemoSystem(workdir, sensor_wire_delay=False)
    new_agent: subprocess.Popen[bytes] | None = None
    config = ""
    try:
        _provision(system, log)
        system.start(log=log)
        config = str(system.hub_config)
        people = write_records_file(workdir / "records-office", people=PEOPLE, wanted=WANTED)
        out = _khidmat("records", "import", str(people), "--config", config, "--officer", "CRO-QTA")
        log(out.strip().splitlines()[-1] if out.strip() else f"imported {people}")

        _khidmat(
            "officer", "add", OFFICER, "--name", "Nadia Baloch", "--rank", "ASI",
            "--station", STATION, "--roles", "gate,enrolment,desk-supervisor",
            "--by", OPERATOR, "--config", config, stdin=OFFICER_PIN + "\n",
        )  # fmt: skip
        log(f"officer {OFFICER} added")
        _khidmat(
            "unit", "set", system.units["desk"], "kiosk.unit_no=2", "kiosk.idle_timeout_s=120",
            "--by", OPERATOR, "--config", config,
        )  # fmt: skip
        _khidmat(
            "unit", "set", system.units["gate"], "kiosk.default_language=ur",
            "--by", OPERATOR, "--config", config,
        )  # fmt: skip
        log("settings pushed to the desk and the gate")

        out = _khidmat(
            "provision", "device", "--dir", str(system.deployment_dir), "--role", "gate",
            "--station", STATION, "--name", "new gate", "--hardware", "sim", "--reload",
        )  # fmt: skip
        new_gate = _provisioned(out)
        result.new_gate = new_gate
        unit_toml = system.deployment_dir / "units" / new_gate / "unit.toml"
        store_path = unit_toml.parent / "data" / "unit.db"
        installed_at = time.monotonic()
        new_agent = _spawn_khidmat(
            ["agent", "--config", str(unit_toml), "--log-level", "WARNING"],
            workdir / "logs" / f"agent-{new_gate}.log",
        )

        def has_watchlist() -> bool:
            if not store_path.exists():
                return False
            with LocalStore(store_path) as store:
                info = store.watchlist_info()
            return info is not None and info.entries > 0

        _wait(has_watchlist, 120, f"the new gate {new_gate}'s watchlist")
        result.new_gate_watchlist_s = round(time.monotonic() - installed_at, 1)
        log(f"new gate {new_gate}: watchlist in {result.new_gate_watchlist_s} s")

        def officer_units() -> int:
            listed = json.loads(_khidmat("officer", "list", "--json", "--config", config))
            return sum(
                1
                for u in listed["units"]
                if u["officers"] >= 1 and u["installed_version"] == u["version"]
            )

        _wait(lambda: officer_units() >= 4, 60, "the officer list on every unit")
        result.officers_pushed = officer_units()

        def acked() -> int:
            count = 0
            for role in ("desk", "gate"):
                shown = json.loads(
                    _khidmat("unit", "settings", system.units[role], "--json", "--config", config)
                )
                count += int(shown["version"] > 0 and shown["applied_version"] == shown["version"])
            return count

        _wait(lambda: acked() == 2, 60, "the units' acknowledgement of their settings")
        result.settings_acked = acked()

        scans = asyncio.run(_scan_at(unit_toml, [1, 2, 5001]))
        result.scans = len(scans)
        result.red = sum(1 for verdict, _ in scans if verdict == "red")
        scan_ids = {scan_id for _, scan_id in scans}

        def pending() -> int:
            with LocalStore(store_path) as store:
                return store.outbox_depth()

        _wait(lambda: pending() == 0, 60, "the new gate's outbox to drain")
        backend = ConsoleBackend(load_hub_config(config), Operator(OPERATOR))
        try:
            _wait(
                lambda: (
                    sum(
                        1
                        for a in backend.alerts()
                        if a.kind == "confirmed" and a.severity == "critical"
                    )
                    >= result.red
                ),
                30,
                "the control room's confirmed-red alerts",
            )
            result.confirmed_red_alerts = sum(
                1 for a in backend.alerts() if a.kind == "confirmed" and a.severity == "critical"
            )
            # a decision handled twice would bump its alert (times 2) or open a second one
            decisions = [a for a in backend.alerts() if a.kind == "confirmed"]
            keys = [a.key for a in decisions]
            result.duplicated = sum(a.times - 1 for a in decisions) + len(keys) - len(set(keys))
        finally:
            backend.close()
        report = workdir / "fleet.csv"
        _khidmat("report", "fleet", "--config", config, "--csv", str(report))
        with open(report, newline="", encoding="utf-8") as handle:
            result.report_rows = sum(1 for _ in csv.DictReader(handle))
        with LocalStore(store_path) as store:
            filed = store.acknowledged_ids()  # a record filed since is pending, not lost
        with HubStore(system.hub_db) as hub:
            stored = set(hub.record_ids())
        if not scan_ids <= filed:
            raise OperationsError(
                "a scan the kiosk showed is not acknowledged in the gate's outbox"
            )
        result.lost = len(filed - stored)
    finally:
        if new_agent is not None:
            _stop(new_agent)
        system.stop()
    result.elapsed_s = round(time.monotonic() - started, 1)
    return result


def main(workdir: Path, *, as_json: bool) -> int:
    result = run_operations(workdir, log=(lambda _: None) if as_json else print)
    data = asdict(result)
    if as_json:
        print(json.dumps(data))
    else:
        for key, value in data.items():
            print(f"{key:>22}: {value}")
    ok = result.new_gate_watchlist_s <= 60 and result.lost == 0 and result.duplicated == 0
    return 0 if ok else 1
