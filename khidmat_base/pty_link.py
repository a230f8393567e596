"""A raw pseudo-terminal with a symlink to it: the serial port a simulated device offers.

The simulated fingerprint sensor (edge_agent.sim) and the simulated GSM modem (hub.sms)
each open one, and a driver opens the link as it would /dev/ttyUSB0. Plain functions;
thread-safe (each call works on its own descriptors and path).
"""

from __future__ import annotations

import contextlib
import os
import tty
from pathlib import Path


def open_pty(link: Path | None) -> tuple[int, int, str]:
    """A raw pty (master non-blocking) and ``link`` made to point at it (a stale symlink is
    replaced; FileExistsError when ``link`` is something else). (master, slave, pty path)."""
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    port_path = os.ttyname(slave)
    try:
        if link is not None:
            if link.is_symlink():
                link.unlink()
            elif link.exists():
                raise FileExistsError(f"{link} exists and is not a symlink")
            link.symlink_to(port_path)
    except BaseException:
        close_pty(None, master, slave, port_path)
        raise
    return master, slave, port_path


def close_pty(link: Path | None, master: int, slave: int, port_path: str | None) -> None:
    """Remove ``link`` if it still points at ``port_path``; close both ends (idempotent:
    a closed descriptor, -1, or a link already gone is no error)."""
    if link is not None and port_path is not None:
        with contextlib.suppress(OSError):
            if os.readlink(link) == port_path:
                link.unlink()
    for fd in (master, slave):
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
