"""``--sim`` only: a panel that plays the person at the sensor (places and lifts fingers).

It drives the in-process simulated sensor (:class:`edge_agent.sim.sensor.SimulatedSensor`)
with synthetic impressions: a person on the watchlist (another impression of their
finger), a stranger, and a poor partial print that the quality check rejects. The finger
is lifted by itself when the screen says "Lift".
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from kiosk.screens.base import button
from kiosk.text import literal

#: The synthetic finger of the person being enrolled in --sim enrol.
ENROLEE_FINGER = 201
#: Rows blanked at the top of a partial print: enough to fail the quality check (quality
#: 27 of the 40 needed), not so many that the chip refuses it (9 minutiae, 8 needed).
PARTIAL_BLANK_ROWS = 200


def sim_image(kind: str):  # -> np.ndarray
    from kiosk.sim import SIM_PEOPLE, SIM_STRANGER_FINGER, sim_finger_image

    if kind == "wanted":
        return sim_finger_image(SIM_PEOPLE[0].finger_id, 2)
    if kind == "offender":
        return sim_finger_image(SIM_PEOPLE[1].finger_id, 1)
    if kind == "stranger":
        return sim_finger_image(SIM_STRANGER_FINGER, 1)
    if kind.startswith("enrolee-"):
        return sim_finger_image(ENROLEE_FINGER, int(kind[8:]))
    if kind == "partial":
        image = sim_finger_image(SIM_STRANGER_FINGER, 1).copy()
        image[:PARTIAL_BLANK_ROWS, :] = 255
        return image
    raise ValueError(f"unknown simulated finger {kind!r}")


class SimPanel(Horizontal):
    """Buttons that put a synthetic finger on the simulated sensor."""

    enrolee_impression = 0

    def compose(self) -> ComposeResult:
        yield Static(literal("Simulated person:"), classes="label")
        yield button("Wanted", id="sim-wanted")
        yield button("Offender", id="sim-offender")
        yield button("Stranger", id="sim-stranger")
        yield button("Poor print", id="sim-partial")
        yield button("Enrolee", id="sim-enrolee")
        yield button("Lift", id="sim-lift")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        simulator = self.app.context.simulator  # type: ignore[attr-defined]
        key = (event.button.id or "")[4:]
        if key == "lift":
            simulator.lift()
        elif key == "enrolee":
            simulator.place(sim_image(f"enrolee-{self.enrolee_impression % 3}"))
            self.enrolee_impression += 1
        else:
            simulator.place(sim_image(key))

    def finger_should_lift(self) -> None:
        simulator = self.app.context.simulator  # type: ignore[attr-defined]
        self.set_timer(0.3, simulator.lift)
