"""``khidmat demo``: the whole system on this machine, provisioned like a real deployment.

:class:`DemoSystem` keeps everything under one working directory that re-runs reuse:

- ``deployment/``: a deployment made by ``khidmat provision init`` (CA, broker TLS
  certificate, watchlist signing key, hub config and database, Mosquitto files) and three
  units made by ``khidmat provision device --hardware sim`` (desk, gate, enrol);
- ``sensors/<role>``: the pty links of the gate's and the enrolment unit's simulated
  fingerprint sensors (place a finger from another terminal with
  ``khidmat sim sensor place --link <workdir>/sensors/gate --finger 3``);
- the desk's receipt printer: simulated in the kiosk's process (``[printer] backend =
  "sim"``), each receipt drawn into the desk's ``data/receipts/`` (PNG and
  ``receipts.jsonl``), its QR code pointing at the tracking page;
- ``modem/gsm``: the pty link of the hub's simulated GSM modem (:mod:`hub.sms.sim_modem`,
  run in this process); every text the hub sends lands in ``modem/gsm.inbox``
  (``khidmat sim modem inbox --link <workdir>/modem/gsm``), and the demo shows each one
  (a notification on the operator console; a printed line without the console);
- the processes: Mosquitto (from the deployment's files: TLS, passwords, per-unit ACLs,
  persistence), ``khidmat hub``, one ``khidmat agent`` per unit and the public tracking
  page (``khidmat tracking``, on 127.0.0.1).

Not thread-safe; one instance per process. :meth:`DemoSystem.stop` ends every process it
started (also on Ctrl-C).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from khidmat_base.mosquitto import (
    MOSQUITTO_MISSING,
    BrokerError,
    find_mosquitto,
    free_port,
    mosquitto_command,
    mosquitto_version,
)

ROLES = ("desk", "gate", "enrol")
STATION = "DEMO"
SENSOR_BAUD = 115200
DEMO_OFFICER = "demo"
DEMO_PIN = "123456"
DEMO_HUB_TIMERS = {"watchlist_check_s": 3.0, "escalation_check_s": 5.0, "fleet_check_s": 5.0}
DUTY_OFFICER_MOBILE = "0300-0001515"
"""The demo duty officer's (synthetic) mobile: texted about each urgent complaint."""
MODEM_REGISTRATION_S = 1.0
MODEM_REPORT_DELAY_S = 0.3


class DemoError(RuntimeError):
    """The demo cannot start; the message says what to do."""


@dataclass
class DemoSystem:
    """A demo deployment in ``workdir``: provisioned once, started and stopped as a whole."""

    workdir: Path
    sensor_wire_delay: bool = True  # False: images cross the pty at once (headless runs)
    units: dict[str, str] = field(default_factory=dict)  # role -> device id
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    sensors: dict[str, object] = field(default_factory=dict)
    modem: object | None = None  # the simulated GSM modem (hub.sms.sim_modem) once started
    broker: str = ""  # "Mosquitto 2.0.18" once started
    _texts_seen: int = 0

    @property
    def deployment_dir(self) -> Path:
        return self.workdir / "deployment"

    @property
    def hub_config(self) -> Path:
        return self.deployment_dir / "hub.toml"

    @property
    def hub_db(self) -> Path:
        return self.deployment_dir / "hub.db"

    def unit_config(self, role: str) -> Path:
        return self.deployment_dir / "units" / self.units[role] / "unit.toml"

    def sensor_link(self, role: str) -> Path:
        return self.workdir / "sensors" / role

    def store_path(self, role: str) -> Path:
        return self.deployment_dir / "units" / self.units[role] / "data" / "unit.db"

    @property
    def modem_link(self) -> Path:
        return (self.workdir / "modem" / "gsm").absolute()

    @property
    def tracking_url(self) -> str:
        """The public tracking page's address (``[tracking]`` in the demo's hub.toml)."""
        from hub.config import load_hub_config

        tracking = load_hub_config(self.hub_config).tracking
        return f"http://{tracking.host}:{tracking.port}/"

    # ----------------------------------------------------------- provisioning

    def prepare(self) -> list[str]:
        """Provision the deployment and the three units unless a previous run did; returns what it did.

        Raises DemoError (one line saying how to install it) where Mosquitto is missing.
        """
        from provisioning.deployment import BrokerSettings, Deployment
        from provisioning.operations import init_deployment, list_devices, provision_device

        if find_mosquitto() is None:
            raise DemoError(MOSQUITTO_MISSING)
        done: list[str] = []
        self.workdir.mkdir(parents=True, exist_ok=True)
        deployment = Deployment(self.deployment_dir)
        if not deployment.initialised:
            settings = BrokerSettings(host="localhost", bind="127.0.0.1", port=free_port())
            init_deployment(self.deployment_dir, settings)
            done.append(f"provisioned a deployment in {self.deployment_dir}")
        active = {
            d.role: d.device_id
            for d in list_devices(deployment, include_retired=False)
            if d.name == f"demo {d.role}"  # not another unit a scenario added (a hotel's)
        }
        for role in ROLES:
            if role not in active:
                made = provision_device(
                    deployment, role=role, station=STATION, name=f"demo {role}", hardware="sim"
                )
                active[role] = made.device.device_id
                done.append(f"provisioned the {role} unit {made.device.device_id}")
        self.adopt({role: active[role] for role in ROLES})
        return done

    def adopt(self, units: dict[str, str]) -> None:
        """Run the provisioned ``units`` (role -> device id) as the demo's units.

        The edits a technician makes to the files ``provision`` wrote: quick hub timers,
        and the gate's and enrolment unit's sensor on the demo's pty link.
        """
        self.units = {role: units[role] for role in ROLES}
        self._tune_hub()
        for role in ("gate", "enrol"):
            self._use_sensor_link(role)
        self._use_receipt_printer()
        (self.workdir / "units.json").write_text(json.dumps(self.units, indent=2) + "\n")

    def _tune_hub(self) -> None:
        """A demo wants quick reactions: watchlists and fleet checks every few seconds;
        texts through the demo's simulated modem at once (no quiet hours, a duty officer);
        the tracking page on a free loopback port."""
        text = self.hub_config.read_text(encoding="utf-8")
        if "watchlist_check_s" not in text:
            text = text.replace(
                "[hub]\n",
                "[hub]\n" + "".join(f"{key} = {value}\n" for key, value in DEMO_HUB_TIMERS.items()),
                1,
            )
        if "\n[sms]" not in text:
            text += (
                f'\n[sms]\nport = "{self.modem_link}"\nquiet_from_h = 0\nquiet_to_h = 0\n'
                f"check_s = 0.5\nretry_base_s = 2\nregister_s = 15\n"
                f'duty_officer = "{DUTY_OFFICER_MOBILE}"\n'
            )
        if "\n[tracking]" not in text:
            text += f'\n[tracking]\nhost = "127.0.0.1"\nport = {free_port()}\n'
        self.hub_config.write_text(text, encoding="utf-8")

    @property
    def receipts_dir(self) -> Path:
        """Where the desk's simulated receipt printer draws receipts (PNG and receipts.jsonl)."""
        return self.store_path("desk").parent / "receipts"

    def _use_receipt_printer(self) -> None:
        """The desk prints receipts on a simulated printer in the kiosk's process, the QR
        code pointing at the demo's tracking page."""
        path = self.unit_config("desk")
        text = path.read_text(encoding="utf-8")
        if "\n[printer]" not in text and not text.startswith("[printer]"):
            text += f'\n[printer]\nbackend = "sim"\ntrack_url = "{self.tracking_url}"\n'
            path.write_text(text, encoding="utf-8")

    def _use_sensor_link(self, role: str) -> None:
        """Point the unit at the demo's simulated sensor (a pty link) instead of an in-process one."""
        path = self.unit_config(role)
        text = path.read_text(encoding="utf-8")
        section = (
            f'[sensor]\nbackend = "serial"\nport = "{self.sensor_link(role)}"\nmodel = "r307"\n'
            f"baud = {SENSOR_BAUD}\npacket_size = 256\npassword = 0\n"
        )
        text = re.sub(r"\[sensor\]\n(?:[^\[\n][^\n]*\n|\n)*?(?=\n\[|\Z)", section, text, count=1)
        path.write_text(text, encoding="utf-8")

    # -------------------------------------------------------------- processes

    def start(self, *, log=print) -> None:
        """Start the broker, the sensors, the hub and the agents."""
        from provisioning.deployment import Deployment

        settings = Deployment(self.deployment_dir).load_settings()
        if not _port_free(settings.port):
            raise DemoError(
                f"port {settings.port} is busy: is another demo running from {self.workdir}?"
            )
        try:
            command = mosquitto_command(self.deployment_dir / "mosquitto.conf")
        except BrokerError as error:
            raise DemoError(str(error)) from None
        self.broker = f"Mosquitto {mosquitto_version()}".rstrip()
        self.processes["broker"] = _spawn(command, self.workdir / "logs" / "broker.out")
        _wait_port(settings.port, self.processes["broker"], self.broker)
        log(
            f"broker   {self.broker} on localhost:{settings.port} (TLS, per-unit passwords and ACLs)"
        )
        self._start_sensors()
        self._start_modem()
        self.processes["hub"] = _spawn_khidmat(
            ["hub", "--config", str(self.hub_config), "--log-level", "WARNING"],
            self.workdir / "logs" / "hub.log",
        )
        log(f"hub      {self.hub_db}")
        for role in ROLES:
            self.processes[f"agent-{role}"] = _spawn_khidmat(
                ["agent", "--config", str(self.unit_config(role)), "--log-level", "WARNING"],
                self.workdir / "logs" / f"agent-{role}.log",
            )
            log(f"unit     {role:<5} {self.units[role]}  (kiosk: khidmat kiosk --demo {role})")
        self._start_tracking(log)

    def _start_modem(self) -> None:
        from hub.sms.sim_modem import SimulatedModem, read_inbox

        self.modem_link.parent.mkdir(parents=True, exist_ok=True)
        self._texts_seen = len(read_inbox(self.modem_link))  # earlier runs' texts
        self.modem = SimulatedModem(
            link=self.modem_link,
            registration_delay_s=MODEM_REGISTRATION_S,
            report_delay_s=MODEM_REPORT_DELAY_S,
        ).start()

    def _start_tracking(self, log) -> None:  # type: ignore[no-untyped-def]
        from hub.config import load_hub_config

        tracking = load_hub_config(self.hub_config).tracking
        if not _port_free(tracking.port, reuse=True):  # connections of a last run may linger
            raise DemoError(
                f"port {tracking.port} ([tracking] in {self.hub_config}) is busy: is another "
                f"demo running from {self.workdir}?"
            )
        self.processes["tracking"] = _spawn_khidmat(
            ["tracking", "--config", str(self.hub_config)], self.workdir / "logs" / "tracking.log"
        )
        _wait_port(tracking.port, self.processes["tracking"], "the tracking page")
        log(f"tracking {self.tracking_url}  (citizens: tracking number + last 4 mobile digits)")
        log(
            f"modem    {self.modem_link}  (texts: khidmat sim modem inbox --link {self.modem_link})"
        )
        log(f"printer  desk receipts drawn to {self.receipts_dir} (simulated, in the kiosk)")

    def new_texts(self) -> list[str]:
        """One line per text the simulated modem received since the last call (the
        citizen's number shown by its last 4 digits)."""
        from hub.sms.sim_modem import read_inbox

        inbox = read_inbox(self.modem_link)
        fresh, self._texts_seen = inbox[self._texts_seen :], len(inbox)
        return [f"sms      to ...{m.number[-4:]}: {m.text}" for m in fresh]

    def _start_sensors(self) -> None:
        from edge_agent.sim.sensor import SimulatedSensor

        for role in ("gate", "enrol"):
            link = self.sensor_link(role)
            link.parent.mkdir(parents=True, exist_ok=True)
            self.sensors[role] = SimulatedSensor(
                "r307", link=link, wire_delay=self.sensor_wire_delay
            ).start()

    def allow_officer(self, badge: str, pin: str) -> None:
        """Put the officer on the hub's roster (every role, every demo unit); the running hub
        sends each unit its signed officer list (:mod:`hub.roster`).

        Gate and enrolment officers sign in with it; at the desk it opens the technician
        mode (Ctrl-T). ``pin``: 6 to 8 digits. A second call sets the PIN again.
        """
        from hub.alerts import AlertBoard
        from hub.roster import OFFICER_ROLES, Roster, RosterError
        from hub.store import HubStore
        from khidmat_wire.pins import hash_pin

        store = HubStore(self.hub_db)
        try:
            roster = Roster(store, AlertBoard(store))
            pin_hash = hash_pin(pin)
            try:
                roster.add(
                    badge, name="Demo officer", rank="ASI", station=STATION, roles=OFFICER_ROLES,
                    pin_hash=pin_hash, actor="khidmat demo",
                )  # fmt: skip
            except RosterError:  # already on the roster
                roster.reset_pin(badge, pin_hash, actor="khidmat demo")
        finally:
            store.close()

    def check(self) -> list[str]:
        """Names of started processes that have died."""
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def stop(self) -> None:
        """Stop everything this object started, agents first (idempotent)."""
        order = [n for n in self.processes if n.startswith("agent")]
        order += ["tracking", "hub", "broker"]
        for name in order:
            process = self.processes.pop(name, None)
            if process is not None:
                _stop(process)
        for sensor in self.sensors.values():
            sensor.close()  # type: ignore[attr-defined]
        self.sensors.clear()
        if self.modem is not None:
            self.modem.close()  # type: ignore[attr-defined]
            self.modem = None


class TextsToConsole:
    """Each text the demo's simulated modem receives, shown as a notification on the
    operator console (the console's own screen has no place for them; the demo without a
    console prints them instead). A daemon thread polls :meth:`DemoSystem.new_texts`
    every ``interval_s`` while the app runs and hands each line to the app's thread
    (``call_from_thread``); the text is shown literally (``markup=False``)."""

    def __init__(self, system: DemoSystem, app, *, interval_s: float = 1.0) -> None:  # type: ignore[no-untyped-def]
        self.system = system
        self.app = app
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-texts", daemon=True)

    def start(self) -> TextsToConsole:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            if not self.app.is_running:
                continue  # read them once the console can show them
            for line in self.system.new_texts():
                try:
                    self.app.call_from_thread(
                        self.app.notify, line.removeprefix("sms").strip(),
                        title="SMS at the simulated modem", timeout=10, markup=False,
                    )  # fmt: skip
                except RuntimeError:  # the console closed meanwhile
                    return


def _spawn(command: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip


def _spawn_khidmat(arguments: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    return _spawn([sys.executable, "-m", "khidmat", *arguments], log_path)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _port_free(port: int, *, reuse: bool = False) -> bool:
    """True when nothing listens on 127.0.0.1:``port`` (``reuse``: as a server that sets
    SO_REUSEADDR sees it, so closed connections in TIME_WAIT do not count)."""
    import socket

    with socket.socket() as probe:
        if reuse:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_port(
    port: int, process: subprocess.Popen[bytes], what: str, timeout_s: float = 10.0
) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"{what} exited with code {process.returncode}; see its log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise DemoError(f"{what} did not listen on port {port} within {timeout_s} s")


def status_line(system: DemoSystem) -> str:
    """One line: each unit's state and backlog, and what the hub holds."""
    import sqlite3

    from edge_agent.store import LocalStore
    from hub.store import HubStore

    parts = []
    states: dict[str, str] = {}
    kinds: dict[str, int] = {}
    if system.hub_db.exists():  # read through the owner; never create a database here
        try:
            with HubStore(system.hub_db) as hub:
                states = {device: state for device, (state, _) in hub.device_states().items()}
                kinds = hub.record_counts()
        except sqlite3.Error:
            pass
    for role in ROLES:
        waiting: int | str = "?"
        if system.store_path(role).exists():
            try:
                with LocalStore(system.store_path(role)) as store:
                    waiting = store.outbox_depth()
            except sqlite3.Error:
                pass
        parts.append(f"{role} {states.get(system.units[role], 'unknown')} ({waiting} waiting)")
    held = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())) or "nothing yet"
    return " | ".join(parts) + f" | hub: {held}"


def run_demo(
    workdir: Path,
    *,
    duration_s: float | None = None,
    console: bool = True,
    people: int = 1000,
    wanted: int = 50,
    web_port: int | None = None,
    out=print,
) -> int:
    """Prepare, start and seed the system, then open the operator console (or report every 2 s).

    With ``web_port`` every screen (three kiosks and the console) is served to a browser
    page on 127.0.0.1:``web_port`` instead, and the terminal reports every 2 s.
    Returns when the console is closed, on Ctrl-C, or after ``duration_s``; everything
    started is stopped then.
    """
    with _signals_stop_the_demo():
        return _run_demo(workdir, duration_s, console, people, wanted, web_port, out)


class _Stop(KeyboardInterrupt):
    """SIGTERM or SIGHUP (the terminal closed): stop like Ctrl-C does."""


@contextlib.contextmanager
def _signals_stop_the_demo() -> Iterator[None]:
    """In the main thread, SIGTERM and SIGHUP raise :class:`_Stop`, so every process is stopped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise _Stop(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_demo(
    workdir: Path,
    duration_s: float | None,
    console: bool,
    people: int,
    wanted: int,
    web_port: int | None,
    out,  # type: ignore[no-untyped-def]
) -> int:
    from khidmat.demo_seed import seed_records

    system = DemoSystem(workdir)
    web = None
    try:
        for line in system.prepare():
            out(line)
        system.start(log=out)
        out(
            f"records  seeding {people} synthetic people ({wanted} wanted) into the hub's record store ..."
        )
        summary = seed_records(system.hub_db, people=people, wanted=wanted)
        if summary.upgraded:
            out(summary.upgrade_note())
        out(
            f"records  {summary.people} people on record ({summary.added} added now); finger ids 1-{wanted} are wanted, above {people} strangers"
        )
        system.allow_officer(DEMO_OFFICER, DEMO_PIN)
        out(
            f"Open a kiosk in another terminal: khidmat kiosk --demo desk|gate|enrol (officer {DEMO_OFFICER} / PIN {DEMO_PIN}).\n"
            f"Put a finger on the gate's sensor: khidmat sim sensor place --link {system.sensor_link('gate')} --finger 3"
        )
        if web_port is not None:
            from khidmat.demo_web import DemoWeb, screen_commands

            try:
                web = DemoWeb(screen_commands(workdir, system.hub_config), port=web_port).start()
            except OSError as error:
                raise DemoError(
                    f"cannot serve the web page on ports {web_port}-{web_port + 4}: {error} (try --web-port)"
                ) from None
            out(f"Open {web.page_url} in a browser: the desk, gate and enrolment kiosks and the operator console.")  # fmt: skip
            console = False
        if console and duration_s is None:
            from hub.config import load_hub_config
            from hub.console.app import build_app
            from hub.console.backend import ConsoleBackend, Operator

            out("Opening the operator console; quit it (ctrl+q) to stop everything.")
            app = build_app(
                ConsoleBackend(
                    load_hub_config(system.hub_config), Operator("demo-operator", "general")
                )
            )
            app.sub_title = f"{app.sub_title} | broker: {system.broker}"
            texts = TextsToConsole(system, app).start()
            try:
                app.run()
            finally:
                texts.stop()
            return 0
        started = time.monotonic()
        while duration_s is None or time.monotonic() - started < duration_s:
            time.sleep(2.0)
            dead = system.check()
            if dead:
                out(f"stopped unexpectedly: {', '.join(dead)} (logs in {workdir / 'logs'})")
                return 1
            for line in system.new_texts():
                out(line)
            out(status_line(system))
    except KeyboardInterrupt:
        out("stopping")
    except DemoError as error:
        out(f"khidmat demo: {error}")
        return 1
    finally:
        if web is not None:
            web.stop()
        system.stop()
    return 0


def demo_unit_config(workdir: Path, role: str) -> Path:
    """The config file of the demo's ``role`` unit (for ``khidmat kiosk --demo ROLE``)."""
    units_file = workdir / "units.json"
    try:
        units = json.loads(units_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise DemoError(
            f"no demo in {workdir}: start `khidmat demo` first (in another terminal)"
        ) from None
    if role not in units:
        raise DemoError(f"the demo in {workdir} has no {role} unit")
    return workdir / "deployment" / "units" / units[role] / "unit.toml"
