"""systemd notification (``Type=notify``, ``WatchdogSec=``) without extra dependencies.

Sends datagrams to ``$NOTIFY_SOCKET`` as sd_notify(3) does; a no-op when the process is
not run by systemd. Thread-safe (one datagram per call); a few microseconds per call.
"""

from __future__ import annotations

import os
import socket


def notify(state: str) -> bool:
    """Send e.g. ``READY=1``, ``WATCHDOG=1``, ``STOPPING=1``; False when not under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            sock.sendall(state.encode("utf-8"))
        except OSError:
            return False
    return True


def watchdog_interval_s() -> float | None:
    """Half of ``WATCHDOG_USEC`` in seconds (how often to ping), or None when unset."""
    usec = os.environ.get("WATCHDOG_USEC")
    if not usec or not usec.isdigit():
        return None
    pid = os.environ.get("WATCHDOG_PID")
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 2_000_000
