"""The one-command demo: it provisions, starts, seeds and stops cleanly; the smoke day loses nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from khidmat.demo import run_demo
from khidmat.scenario import run_smoke
from khidmat_base.mosquitto import MOSQUITTO_MISSING

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def _our_processes(workdir: Path) -> list[str]:
    """Command lines that mention ``workdir`` (-ww: never cut to the terminal's width)."""
    listing = subprocess.run(
        ["ps", "-ww", "-eo", "args"], capture_output=True, text=True, check=True
    ).stdout
    return [line for line in listing.splitlines() if str(workdir) in line]


def _run_briefly(workdir: Path, *, duration_s: float) -> str:
    """Run the demo without its console for ``duration_s``; returns what it printed."""
    lines: list[str] = []
    assert run_demo(workdir, duration_s=duration_s, console=False, people=30, wanted=3, out=lines.append) == 0  # fmt: skip
    return "\n".join(lines)


def test_demo_runs_and_leaves_no_process_behind(tmp_path: Path) -> None:
    text = _run_briefly(tmp_path / "demo", duration_s=3)
    assert "broker   Mosquitto" in text and "provisioned the gate unit" in text
    assert "desk online" in text and "gate online" in text and "enrol online" in text
    assert "tracking http://127.0.0.1:" in text and f"modem    {tmp_path / 'demo'}" in text
    assert _our_processes(tmp_path) == []
    # a re-run reuses the deployment: nothing is provisioned again
    again = _run_briefly(tmp_path / "demo", duration_s=2)
    assert not any(line.startswith("provisioned") for line in again.splitlines())
    assert _our_processes(tmp_path) == []


def test_smoke_day_loses_nothing_and_finds_the_wanted(tmp_path: Path) -> None:
    result = run_smoke(
        tmp_path / "smoke", people=40, wanted=4, complaints=2, wanted_scans=2, stranger_scans=1
    )
    assert (result.complaints_filed, result.complaints_acked) == (2, 2)
    assert result.status_updates_seen == 2 and result.feedback == 2
    assert result.scans == 3 and result.enrolments == 1
    assert result.lost == 0 and result.duplicated == 0
    assert result.missed_hits == 0 and result.true_hits == 2
    assert result.false_hits == 0 and result.wrong_identity_hits == 0
    assert result.broker.startswith("Mosquitto 2.")
    assert _our_processes(tmp_path) == []


def test_without_mosquitto_the_demo_stops_with_one_line_saying_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A machine without Mosquitto: nothing provisioned or started, one line, exit 1."""
    from khidmat.cli import main

    monkeypatch.setattr("khidmat.demo.find_mosquitto", lambda: None)
    lines: list[str] = []
    assert run_demo(tmp_path / "demo", duration_s=1, console=False, out=lines.append) == 1
    assert lines == [f"khidmat demo: {MOSQUITTO_MISSING}"]
    assert "apt-get install mosquitto" in lines[0]
    assert main(["demo", "--headless", "--json", "--dir", str(tmp_path / "headless")]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"khidmat demo: {MOSQUITTO_MISSING}"] and not captured.out
    assert not (tmp_path / "demo" / "deployment").exists()
    assert _our_processes(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_ctrl_c_or_a_closed_terminal_stops_every_process(tmp_path: Path, signum: int) -> None:
    """``khidmat demo --no-console`` as a user runs it, stopped by Ctrl-C, SIGTERM or SIGHUP."""
    demo = subprocess.Popen(
        [sys.executable, "-m", "khidmat", "demo", "--no-console", "--dir", str(tmp_path / "demo"),
         "--people", "20", "--wanted", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )  # fmt: skip
    assert demo.stdout is not None
    seen: list[str] = []
    for line in demo.stdout:
        seen.append(line)
        if "desk online" in line:
            break
    assert any("desk online" in line for line in seen), "".join(seen)[-2000:]
    assert len(_our_processes(tmp_path)) >= 5  # the demo, broker, hub and three agents
    demo.send_signal(signum)
    rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0 and "stopping" in rest
    assert _our_processes(tmp_path) == []


def test_a_demo_seeded_with_one_finger_is_upgraded_and_its_gate_finds_the_wanted(
    tmp_path: Path,
) -> None:
    """A demo directory seeded before the gate asked for the left index (the right index
    only): the smoke day's re-run says it upgrades the seed, and the two-finger gate scans."""
    from khidmat.demo import DemoSystem
    from khidmat.demo_seed import seed_records

    workdir = tmp_path / "old"
    DemoSystem(workdir).prepare()
    seed_records(DemoSystem(workdir).hub_db, people=40, wanted=4, two_fingers=False)
    notices: list[str] = []
    result = run_smoke(
        workdir, people=40, wanted=4, complaints=1, wanted_scans=2, stranger_scans=1,
        notice=notices.append,
    )  # fmt: skip
    assert notices == [
        "records  40 seeded people had the right index only (seeded before the gate asked "
        "for the left index): added their left-index templates"
    ]
    assert result.scans == 3 and result.missed_hits == 0 and result.true_hits == 2
    assert result.false_hits == 0 and result.wrong_identity_hits == 0 and result.lost == 0
    assert _our_processes(tmp_path) == []


def test_the_demo_prints_each_text_that_arrives_at_the_simulated_modem(tmp_path: Path) -> None:
    """What ``khidmat demo`` prints every 2 s: the texts the hub's modem driver sent since
    the last report (sent here through the real driver to the demo's simulated modem)."""
    from hub.sms.modem import GsmModem
    from hub.sms.sim_modem import SimulatedModem
    from khidmat.demo import DemoSystem

    system = DemoSystem(tmp_path / "demo")
    system.modem_link.parent.mkdir(parents=True)
    with SimulatedModem(link=system.modem_link, report_delay_s=0.05):
        modem = GsmModem(str(system.modem_link), register_s=5)
        try:
            modem.prepare()
            assert system.new_texts() == []
            modem.send("0300-1234567", "Khidmat: complaint DEMO-261206-720001-O received.")
            modem.send("0333-7654321", "خدمت: شکایت DEMO-261206-720002-M: درج۔")
        finally:
            modem.close()
    assert system.new_texts() == [
        "sms      to ...4567: Khidmat: complaint DEMO-261206-720001-O received.",
        "sms      to ...4321: خدمت: شکایت DEMO-261206-720002-M: درج۔",
    ]
    assert system.new_texts() == []  # each text is shown once


def test_the_console_of_the_demo_shows_each_text_as_a_notification(tmp_path: Path) -> None:
    """``khidmat demo`` with its console: the texts arrive as notifications, literally."""
    import asyncio

    from hub.config import load_hub_config
    from hub.console.app import build_app
    from hub.console.backend import ConsoleBackend, Operator
    from hub.sms.modem import GsmModem
    from hub.sms.sim_modem import SimulatedModem
    from khidmat.demo import DemoSystem, TextsToConsole

    (tmp_path / "hub.password").write_text("pw\n")
    config = tmp_path / "hub.toml"
    config.write_text(
        '[hub]\ndatabase = "hub.db"\n[broker]\nhost = "127.0.0.1"\nport = 1883\n'
        'username = "hub"\npassword_file = "hub.password"\n'
    )
    system = DemoSystem(tmp_path / "demo")
    system.modem_link.parent.mkdir(parents=True)
    text = "Khidmat: complaint DEMO-261206-720001-O is now: [b]Registered[/b]."

    async def walk() -> list[tuple[str, bool]]:
        app = build_app(ConsoleBackend(load_hub_config(config), Operator("Insp. Nadia")))
        async with app.run_test(size=(160, 50)) as pilot:
            texts = TextsToConsole(system, app, interval_s=0.1).start()
            try:
                with SimulatedModem(link=system.modem_link, report_delay_s=0.05):
                    modem = GsmModem(str(system.modem_link), register_s=5)
                    try:
                        modem.prepare()
                        modem.send("0300-1234567", text)
                    finally:
                        modem.close()
                for _ in range(100):
                    await pilot.pause(0.1)
                    shown = [(n.message, n.markup) for n in app._notifications]
                    if shown:
                        return shown
            finally:
                texts.stop()
        return []

    assert asyncio.run(walk()) == [(f"to ...4567: {text}", False)]  # never read as markup
