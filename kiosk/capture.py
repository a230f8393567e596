"""One fingerprint capture with live prompts: place, hold, lift; used by gate and enrol.

:func:`capture_template` runs on a worker thread (it blocks on the sensor): it polls for a
finger in short slices holding ``lock`` (so a hub command can use the sensor between
slices), uploads the image, tells the person to lift, extracts the template and reports
each stage through ``prompt``. ``cancelled()`` is checked between slices. Cost: the image
upload (3.2 s at 115200 baud on an R307, see docs/performance.md) plus extraction
(~0.2 s on the bench machine).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from edge_agent.sensor import FingerprintSensor
    from matcher_cy import Template

#: Length of one finger poll while holding the sensor lock, seconds.
POLL_SLICE_S = 0.3
#: Pause between polls with the lock released, so a hub command can take the sensor
#: (threading.Lock is not fair: a thread that re-acquires at once starves the others), s.
POLL_GAP_S = 0.03
#: How long to wait for the finger to be lifted before giving up quietly, seconds.
LIFT_TIMEOUT_S = 10.0

Prompt = Callable[[str, str], None]
"""``prompt(stage, detail)``; stages: place, hold, lift, extract."""


@dataclass(frozen=True, slots=True)
class Capture:
    template: Template
    image: np.ndarray
    upload_s: float
    extract_s: float


class Cancelled(Exception):
    """The capture was cancelled (screen left, officer signed out)."""


def capture_template(
    sensor: FingerprintSensor,
    lock: threading.Lock,
    prompt: Prompt,
    cancelled: Callable[[], bool],
    *,
    dpi: int = 500,
    wait_lift: bool = True,
) -> Capture:
    """Wait for a finger, capture, extract; raises Cancelled or the sensor's SensorError."""
    from matcher_cy import extract

    prompt("place", "")
    while True:
        if cancelled():
            raise Cancelled()
        with lock:
            present = sensor.wait_for_finger(POLL_SLICE_S)
        if present:
            break
        time.sleep(POLL_GAP_S)
    prompt("hold", "")
    start = time.perf_counter()
    with lock:
        image = sensor.capture_image()
    upload_s = time.perf_counter() - start
    prompt("lift", "")
    start = time.perf_counter()
    template = extract(image, dpi=dpi)
    extract_s = time.perf_counter() - start
    if wait_lift:
        wait_for_lift(sensor, lock, cancelled)
    return Capture(template, image, upload_s, extract_s)


def wait_for_lift(
    sensor: FingerprintSensor, lock: threading.Lock, cancelled: Callable[[], bool]
) -> bool:
    """Poll until the window is empty (True) or LIFT_TIMEOUT_S / cancellation (False)."""
    deadline = time.monotonic() + LIFT_TIMEOUT_S
    while time.monotonic() < deadline and not cancelled():
        with lock:
            if sensor.wait_for_lift(POLL_SLICE_S):
                return True
        time.sleep(POLL_GAP_S)
    return False
