"""A simulated thermal receipt printer on a pty: the real ESC/POS stream in, PNG receipts out.

``khidmat sim printer --link PATH`` runs one; a :class:`SimulatedPrinter` in a test does
the same in-process. The kiosk's printer driver opens ``PATH`` as it would
``/dev/ttyUSB0`` (serial backend) or ``/dev/usb/lp0`` (device backend); the bytes go
through :class:`edge_agent.sim.printer_escpos.EscPosReader`, which draws the paper and
answers ``DLE EOT`` status queries.

Every receipt (a cut) becomes ``receipt-NNNN.png`` in the output folder
(``PATH.receipts/`` unless given) and one JSON line in ``receipts.jsonl`` there:
``{"n", "file", "complete", "text", "qr", "images", "commands", "bytes", "at_s"}``.
:func:`read_receipts` reads them back from another process (the demo counts
``complete`` ones as receipts printed).

Faults, at start or any time (:meth:`set_state`, :meth:`power_off`, :meth:`unplug`):
``paper-out``, ``paper-low``, ``cover-open``, ``error`` (answered in the status bytes; a
stopped printer takes print data and prints none of it), ``paper_out_after_bytes`` (the
roll ends mid-receipt: what was printed is saved with ``"complete": false``), powered off
(``online = False``: reads and answers nothing), and ``vanish_after_bytes`` (the USB cable
is pulled mid-receipt: the pty closes and the link disappears until :meth:`plug_in`).
With a link, a control socket ``LINK.ctl`` beside it takes the same faults from another
process (``khidmat sim printer set|off|on|unplug|plug|status --link PATH``; the socket
stays while the printer is unplugged). Thread-safety: the fault setters and
:meth:`receipts` may be used from any thread.
"""

from __future__ import annotations

import json
import os
import select
import threading
import time
from pathlib import Path
from typing import Any

from edge_agent.printer.status import STATES
from edge_agent.sim.printer_escpos import EscPosReader, Page
from edge_agent.sim.sensor_control import ControlServer, control_path_for
from khidmat_base.pty_link import close_pty, open_pty

RECEIPTS_FILE = "receipts.jsonl"


def out_dir_for(link: str | Path) -> Path:
    return Path(f"{link}.receipts")


def read_receipts(out_dir: str | Path) -> list[dict]:
    """The receipts a simulator wrote to ``out_dir`` (one dict per cut, oldest first)."""
    path = Path(out_dir) / RECEIPTS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


class SimulatedPrinter:
    """One simulated printer; :meth:`start` opens the pty (``link`` symlinked to it)."""

    def __init__(
        self,
        *,
        link: str | Path | None = None,
        out_dir: str | Path | None = None,
        width_px: int = 576,
        state: str = "ok",
        online: bool = True,
        vanish_after_bytes: int | None = None,
        paper_out_after_bytes: int | None = None,
    ) -> None:
        self.link_path = Path(link) if link is not None else None
        if out_dir is None:
            if self.link_path is None:
                raise ValueError("a simulated printer needs link or out_dir")
            out_dir = out_dir_for(self.link_path)
        self.out_dir = Path(out_dir)
        self.width_px = width_px
        self.online = online
        self.vanish_after_bytes = vanish_after_bytes
        self.paper_out_after_bytes = paper_out_after_bytes
        self._lock = threading.Lock()
        self._pages: list[dict] = []
        self._reader = EscPosReader(width_px, on_page=self._save, reply=self._reply)
        self._reader.state = state
        self._job_bytes = 0
        self.bytes_in = 0
        self._master = self._slave = -1
        self._port_path = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._control: ControlServer | None = None

    # ------------------------------------------------------------- life cycle
    def start(self) -> SimulatedPrinter:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._pages = read_receipts(self.out_dir)
        self.plug_in()
        if self.link_path is not None:
            self._control = ControlServer(control_path_for(self.link_path), self._on_control)
            try:
                self._control.start()
            except BaseException:
                self.unplug()
                raise
        return self

    def plug_in(self) -> None:
        """Open a fresh pty at the link and serve it (after :meth:`unplug` or a vanish)."""
        with self._lock:
            if self._master >= 0:
                return
            self._master, self._slave, self._port_path = open_pty(self.link_path)
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._master, self._stop), name="sim-printer", daemon=True
            )
            self._thread.start()

    def unplug(self) -> None:
        """The cable is pulled: the pty closes, the link goes (idempotent)."""
        with self._lock:
            master, slave, port = self._master, self._slave, self._port_path
            self._master = self._slave = -1
            stop, thread = self._stop, self._thread
        stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)
        if master >= 0:
            close_pty(self.link_path, master, slave, port)

    def close(self) -> None:
        """Unplug and stop the control socket (idempotent)."""
        self.unplug()
        if self._control is not None:
            self._control.close()
            self._control = None

    def __enter__(self) -> SimulatedPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port_path(self) -> str:
        """The path to open: the link when there is one, else the pty itself."""
        return str(self.link_path) if self.link_path is not None else self._port_path

    # ----------------------------------------------------------------- faults
    @property
    def state(self) -> str:
        return self._reader.state

    def set_state(self, state: str) -> None:
        """ok, paper-low, paper-out, cover-open or error (the paper is refilled with ok)."""
        if state not in STATES or state == "offline":
            raise ValueError(f"no printer state {state!r} (power_off() switches it off)")
        with self._lock:
            self._reader.state = state

    def power_off(self) -> None:
        with self._lock:
            self.online = False

    def power_on(self) -> None:
        with self._lock:
            self.online = True

    def receipts(self) -> list[dict]:
        """Every receipt written so far (complete or not), as in ``receipts.jsonl``."""
        with self._lock:
            return list(self._pages)

    def printed(self) -> int:
        """Complete receipts (cut after a whole job)."""
        return sum(1 for page in self.receipts() if page["complete"])

    @property
    def discarded_bytes(self) -> int:
        return self._reader.discarded

    def status(self) -> dict[str, Any]:
        """What ``khidmat sim printer status`` prints."""
        with self._lock:
            plugged = self._master >= 0
        return {
            "state": self.state,
            "online": self.online,
            "plugged": plugged,
            "printed": self.printed(),
            "incomplete": len(self.receipts()) - self.printed(),
            "out_dir": str(self.out_dir),
        }

    def _on_control(self, request: dict[str, Any], payload: bytes) -> dict[str, Any]:
        action = request.get("action")
        if action == "set":
            self.set_state(str(request.get("state")))
        elif action == "off":
            self.power_off()
        elif action == "on":
            self.power_on()
        elif action == "unplug":
            self.unplug()
        elif action == "plug":
            self.plug_in()
        elif action != "status":
            raise ValueError(f"unknown action {action!r}")
        return self.status()

    # ------------------------------------------------------------------ wire
    def _reply(self, data: bytes) -> None:
        master = self._master
        if master >= 0:
            try:
                os.write(master, data)
            except OSError:
                pass  # nobody is reading: a real printer's answer is lost the same way

    def _save(self, page: Page) -> None:
        n = len(self._pages) + 1
        name = f"receipt-{n:04d}.png"
        page.image.save(self.out_dir / name)
        record = {
            "n": n,
            "file": name,
            "complete": page.complete,
            "text": page.text,
            "qr": page.qr,
            "images": page.images,
            "commands": page.commands,
            "bytes": page.bytes,
            "at_s": round(time.time(), 3),
        }
        with (self.out_dir / RECEIPTS_FILE).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._pages.append(record)
        self._job_bytes = 0

    def _run(self, master: int, stop: threading.Event) -> None:
        while not stop.is_set():
            if not self.online:
                time.sleep(0.05)  # switched off: nothing is read, nothing answered
                continue
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(master, 4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                return
            if not data:
                continue
            vanish = False
            with self._lock:
                if self.vanish_after_bytes is not None:
                    room = self.vanish_after_bytes - self._job_bytes
                    if len(data) >= room:
                        data, vanish = data[: max(0, room)], True
                self._feed(data)
            if vanish:
                with self._lock:
                    self.vanish_after_bytes = None
                    self._reader.tear_off(reset=True)
                self.unplug()  # from this thread: done before anyone can plug it in again
                return

    def _feed(self, data: bytes) -> None:
        self.bytes_in += len(data)
        limit = self.paper_out_after_bytes
        if limit is not None and self._reader.state in ("ok", "paper-low"):
            room = limit - self._job_bytes
            if len(data) >= room:
                self._job_bytes += max(0, room)
                self._reader.feed(data[: max(0, room)])
                self._reader.state = "paper-out"
                self.paper_out_after_bytes = None
                self._reader.tear_off()
                self._reader.feed(data[max(0, room) :])
                return
        self._job_bytes += len(data)
        self._reader.feed(data)
