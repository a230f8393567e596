"""What a kiosk process holds: the unit's identity, local store, sensor and GPIO board.

:func:`open_context` builds one from the unit configuration, opening only what is not
injected (``store=``, ``sensor=``, ``board=``), and :meth:`KioskContext.close` closes only
what it opened (idempotent). The sensor is a single UART conversation: every use goes
through ``sensor_lock``, so a hub command (self-test) can run between scan polls.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from edge_agent.config import SensorSection, UnitConfig
from edge_agent.store import LocalStore, StoreFault
from khidmat_base.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from edge_agent.gpio import GpioBoard
    from edge_agent.printer import ReceiptPrinter
    from edge_agent.sensor import FingerprintSensor
    from edge_agent.sim.sensor import SimulatedSensor

MODES = ("desk", "gate", "enrol", "hotel")


@dataclass
class KioskContext:
    """The unit as the UI sees it. ``clock`` tells the time (a SettableClock in tests)."""

    device_id: str
    station: str
    store: LocalStore
    sensor: FingerprintSensor | None = None
    board: GpioBoard | None = None
    sensor_error: str = ""
    #: Why the store could only be opened read-only ("" when it opened for writing).
    store_fault: str = ""
    clock: Clock = SYSTEM_CLOCK
    #: The unit's RAM-only directory: the hub's watchlist key, the prepared watchlist.
    runtime_dir: Path | None = None
    sensor_lock: threading.Lock = field(default_factory=threading.Lock)
    #: The desk's receipt printer (None: the unit has none, or not a desk).
    printer: ReceiptPrinter | None = None
    #: The hub's public tracking page, printed on receipts ([printer] track_url).
    track_url: str = ""
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def simulator(self) -> SimulatedSensor | None:
        """The in-process simulated sensor behind ``sensor`` (``--sim``), else None."""
        return getattr(self.sensor, "simulator", None)

    def now_ms(self) -> int:
        """The unit's time in milliseconds since the Unix epoch (the context's clock)."""
        return self.clock.now_ms()

    def close(self) -> None:
        """Close what :func:`open_context` opened (not what was injected); idempotent."""
        closers, self._closers = self._closers, []
        for close in reversed(closers):
            close()


def open_context(
    mode: str,
    config: UnitConfig,
    *,
    store: LocalStore | None = None,
    sensor: FingerprintSensor | None = None,
    board: GpioBoard | None = None,
    printer: ReceiptPrinter | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> KioskContext:
    """Open the unit for ``mode``: the store always; sensor for gate and enrol; GPIO for
    gate; the receipt printer for a desk (``[printer]``; opening touches no device).

    A sensor that cannot be opened does not stop the kiosk: ``sensor_error`` says why and
    the gate screens show it (the officer calls a technician). A GPIO board that cannot be
    built raises (a gate must not run with its relay in an unknown state).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    closers: list[Callable[[], None]] = []
    store_fault = ""
    try:
        if store is None:
            config.device.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                store = LocalStore(config.store_path, clock=clock)
            except StoreFault as fault:
                # a read-only or full card: show what the store holds; each write then
                # raises StoreFault and the screen says so in the person's language
                store = LocalStore(config.store_path, clock=clock, read_only=True)
                store_fault = fault.kind
            closers.append(store.close)
        sensor_error = ""
        if sensor is None and mode in ("gate", "enrol") and config.sensor.backend != "none":
            from edge_agent.sensor import SensorError, open_sensor

            try:
                sensor = open_sensor(_with_hub_baud(config.sensor, store))
            except SensorError as error:
                sensor_error = str(error)
            else:
                closers.append(sensor.close)
        elif sensor is None and mode in ("gate", "enrol"):
            sensor_error = 'this unit has no fingerprint sensor ([sensor] backend = "none")'
        if board is None and mode == "gate":
            from edge_agent.gpio import GpioBoard

            board = GpioBoard.from_config(config.gpio)
            closers.append(board.close)
        if printer is None and mode == "desk":
            from edge_agent.printer import open_printer

            printer = open_printer(config.printer, sim_out_dir=config.device.data_dir / "receipts")
            if printer is not None:
                closers.append(printer.close)
        if mode in ("gate", "enrol"):
            health = (
                "ok"
                if sensor is not None
                else "fault"
                if sensor_error and config.sensor.backend != "none"
                else "absent"
            )
            with contextlib.suppress(StoreFault):  # the sensor's state is shown all the same
                store.put_health("sensor", health)
                if sensor is not None:
                    store.put_health("sensor_baud", str(sensor.info().baud))
    except BaseException:
        for close in reversed(closers):
            close()
        raise
    context = KioskContext(
        device_id=config.device.id,
        station=config.device.station,
        store=store,
        sensor=sensor,
        board=board,
        sensor_error=sensor_error,
        clock=clock,
        store_fault=store_fault,
        runtime_dir=config.runtime_dir,
        printer=printer,
        track_url=config.printer.track_url,
    )
    context._closers = closers
    return context


def _with_hub_baud(section: SensorSection, store: LocalStore) -> SensorSection:
    """``section`` with the hub's ``sensor.baud`` setting, when the hub set a valid one."""
    from khidmat_wire.unit_settings import check

    value = store.settings().get("sensor.baud", "")
    if value and not check("sensor.baud", value, "gate"):
        return dataclasses.replace(section, baud=int(value))
    return section
