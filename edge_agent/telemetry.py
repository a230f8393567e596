"""Telemetry readings of a unit: cheap (a few file reads and two SQL counts), any thread."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from edge_agent.store import LocalStore
from khidmat_base import clock
from khidmat_wire.messages import Telemetry

THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")


def cpu_temperature_c(path: Path = THERMAL_ZONE) -> float:
    """SoC temperature in Celsius, -1 where the kernel does not expose it."""
    try:
        return round(int(path.read_text().strip()) / 1000.0, 1)
    except (OSError, ValueError):
        return -1.0


def read_telemetry(store: LocalStore, *, started_monotonic: float, data_dir: Path) -> Telemetry:
    """One telemetry body from the store and the OS."""
    now_ms = clock.now_ms()
    oldest = store.oldest_unacked_ms()
    watchlist = store.watchlist_info()
    try:
        free_mb = shutil.disk_usage(data_dir).free / 1_048_576
    except OSError:
        free_mb = 0.0
    sensor = store.health("sensor") or "unknown"
    baud = store.health("sensor_baud") or "0"  # written by the kiosk when it opens the sensor
    return Telemetry(
        uptime_s=round(time.monotonic() - started_monotonic, 1),
        cpu_temp_c=cpu_temperature_c(),
        load1=round(os.getloadavg()[0], 2),
        disk_free_mb=round(free_mb, 1),
        outbox_depth=store.outbox_depth(),
        oldest_unacked_s=0.0 if oldest is None else max(0.0, (now_ms - oldest) / 1000),
        watchlist_version=watchlist.version if watchlist else 0,
        watchlist_age_s=-1.0
        if watchlist is None
        else max(0.0, (now_ms - watchlist.issued_at_ms) / 1000),
        sensor_status=sensor if sensor in ("ok", "fault", "absent", "unknown") else "unknown",
        sensor_baud=int(baud) if baud.isdigit() and int(baud) <= 921_600 else 0,
    )
