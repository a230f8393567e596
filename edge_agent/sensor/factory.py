"""Build the configured sensor backend from ``[sensor]`` config.

``backend = "serial"``: the module on ``port`` (a real UART, or the link of a running
``khidmat sim sensor``). ``backend = "sim"``: a simulated module of ``model`` started in
this process at its power-on defaults, driven through the same serial code over its pty;
the returned sensor's ``simulator`` attribute places and lifts fingers and is closed with
it. ``backend = "none"``: SensorError (the unit has no sensor).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from edge_agent.config import SensorSection
from edge_agent.sensor.models import get_model
from edge_agent.sensor.port import SensorError
from edge_agent.sensor.serial_sensor import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_S,
    SerialFingerprintSensor,
)


def open_sensor(
    section: SensorSection,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    retries: int = DEFAULT_RETRIES,
    probe_bauds: Iterable[int] | None = None,
    quality_gate: bool = True,
    sim_wire_delay: bool = True,
    sim_link: str | Path | None = None,
) -> SerialFingerprintSensor:
    """Open the sensor ``section`` describes (see the module docstring); the caller closes it.

    For the "sim" backend only: ``sim_wire_delay`` False sends without wire time (tests);
    ``sim_link`` makes a symlink to the pty and a control socket beside it, so that
    ``khidmat sim sensor place --link PATH ...`` works from another terminal.
    """
    try:
        model = get_model(section.model)
    except ValueError as error:
        raise SensorError(f"[sensor] model: {error}") from None
    if section.backend == "none":
        raise SensorError('[sensor] backend = "none": this unit has no fingerprint sensor')

    def connect(port: str) -> SerialFingerprintSensor:
        return SerialFingerprintSensor.connect(
            port,
            model=model,
            baud=section.baud,
            packet_size=section.packet_size,
            password=section.password,
            timeout_s=timeout_s,
            retries=retries,
            probe_bauds=probe_bauds,
            quality_gate=quality_gate,
        )

    if section.backend == "serial":
        return connect(section.port)
    if section.backend == "sim":
        from edge_agent.sim.sensor import SimulatedSensor

        simulator = SimulatedSensor(
            model, password=section.password, wire_delay=sim_wire_delay, link=sim_link
        ).start()
        try:
            sensor = connect(simulator.port_path)
        except BaseException:
            simulator.close()
            raise
        sensor.simulator = simulator
        sensor.add_close_hook(simulator.close)
        return sensor
    raise SensorError(f"[sensor] backend {section.backend!r}: must be serial, sim or none")
