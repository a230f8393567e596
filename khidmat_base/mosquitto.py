"""Run Mosquitto from a config: config files, password hashes, start, restart, stop.

Used by the test fixtures, the benchmarks and ``khidmat demo``; provisioning writes the
same files for a deployment. The broker is always Mosquitto (docs/decisions/
no-embedded-broker.md); where it is missing, :func:`mosquitto_command` raises
:class:`BrokerError` with :data:`MOSQUITTO_MISSING`, one line saying how to install it.
One :class:`MosquittoBroker` owns one child process; it is not thread-safe (drive it from
one thread). Start-up takes about 50-150 ms.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

MOSQUITTO_MISSING = (
    "Mosquitto is not installed: install it with "
    "`sudo apt-get install mosquitto mosquitto-clients` (Debian, Raspberry Pi OS)"
)
"""The one line shown where Mosquitto is needed and missing."""

PBKDF2_ITERATIONS = 101
"""Mosquitto 2.x's own iteration count for ``$7$`` (PBKDF2-HMAC-SHA512) hashes."""


class BrokerError(RuntimeError):
    """Mosquitto is missing, would not start, or died."""


def password_hash(password: str, *, salt: bytes | None = None) -> str:
    """A ``mosquitto_passwd``-compatible hash: ``$7$101$<salt b64>$<sha512 b64>``."""
    salt = os.urandom(12) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    return f"$7${PBKDF2_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def password_file_text(users: dict[str, str]) -> str:
    """Password file contents for ``{username: password}``."""
    for name in users:
        if ":" in name or "\n" in name or not name:
            raise ValueError(f"unusable MQTT username {name!r}")
    return "".join(
        f"{name}:{password_hash(password)}\n" for name, password in sorted(users.items())
    )


EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
"""Where Linux keeps the range it takes outgoing connections' local ports from."""

LISTEN_PORTS_FROM = 20000
"""The lowest port :func:`free_port` picks: above the ports services commonly register."""


def ephemeral_range(path: Path = EPHEMERAL_RANGE_FILE) -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (Linux default 32768-60999).

    Falls back to the IANA dynamic range 49152-65535 where the file is missing or unreadable.
    """
    try:
        low, high = (int(part) for part in path.read_text().split())
    except (OSError, ValueError):
        return (49152, 65535)
    return (low, high)


def free_port(host: str = "127.0.0.1", *, attempts: int = 64) -> int:
    """A TCP port that is free on ``host`` right now, outside the ephemeral range.

    A port the OS hands out for binding to port 0 comes from the ephemeral range, which
    every outgoing connection on the machine also draws from: a port chosen now and
    listened on later (the demo writes it into a deployment; fixtures start a broker on
    it) can meanwhile become some client's local port. So ports are drawn at random below
    that range (from :data:`LISTEN_PORTS_FROM`), checked by binding; only where no such
    port is free in ``attempts`` tries does the OS pick. Cost: one bind per try.
    """
    low, _ = ephemeral_range()
    candidates = range(LISTEN_PORTS_FROM, low) if low - LISTEN_PORTS_FROM >= 1000 else range(0)
    for port in random.sample(candidates, min(attempts, len(candidates))):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def find_mosquitto() -> str | None:
    """Path of the mosquitto binary (PATH, then Debian's /usr/sbin), or None."""
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.access(p, os.X_OK)),
        None,
    )


def mosquitto_command(conf: Path) -> list[str]:
    """The argv that runs Mosquitto from ``conf``; BrokerError(MOSQUITTO_MISSING) without it."""
    binary = find_mosquitto()
    if binary is None:
        raise BrokerError(MOSQUITTO_MISSING)
    return [binary, "-c", str(conf)]


def mosquitto_version() -> str:
    """Mosquitto's version string (``2.0.18``), or "" when it cannot be asked."""
    binary = find_mosquitto()
    if binary is None:
        return ""
    try:
        out = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    for word_before, word in zip(out.split(), out.split()[1:], strict=False):
        if word_before == "version":
            return word
    return ""


@dataclass
class BrokerFiles:
    """What a broker config refers to. ``acl`` is the ACL file text (None: no ACL)."""

    users: dict[str, str] = field(default_factory=dict)
    acl: str | None = None
    persistence: bool = True
    tls: tuple[Path, Path, Path] | None = None  # (cafile, certfile, keyfile)
    extra: str = ""


class MosquittoBroker:
    """A broker child process on a loopback port, configured from :class:`BrokerFiles`.

    ``workdir`` holds mosquitto.conf, the password and ACL files, persistence and the log.
    Anonymous access is allowed only when ``files.users`` is empty. Without Mosquitto
    installed, construction raises :class:`BrokerError` (:data:`MOSQUITTO_MISSING`).
    """

    def __init__(
        self,
        workdir: Path,
        files: BrokerFiles | None = None,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.workdir = Path(workdir)
        self.files = files or BrokerFiles()
        self.host = host
        self.port = port or free_port(host)
        self._process: subprocess.Popen[bytes] | None = None
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.conf_path = self.write_config()
        self.command = mosquitto_command(self.conf_path)

    @property
    def log_path(self) -> Path:
        return self.workdir / "mosquitto.log"

    def write_config(self) -> Path:
        """(Re)write mosquitto.conf and the files it names; returns the conf path."""
        lines = [
            "per_listener_settings false",
            f"listener {self.port} {self.host}",
            f"log_dest file {self.workdir / 'mosquitto.log'}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "max_queued_messages 100000",
            "max_inflight_messages 100",
            "persistent_client_expiration 7d",
        ]
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to 'mosquitto' and cannot read 0600 files
        if self.files.persistence:
            (self.workdir / "persistence").mkdir(exist_ok=True)
            lines += [
                "persistence true",
                f"persistence_location {self.workdir / 'persistence'}/",
                "autosave_interval 1",
            ]
        if self.files.users:
            password_path = self.workdir / "passwords"
            password_path.write_text(password_file_text(self.files.users))
            password_path.chmod(0o600)
            lines += ["allow_anonymous false", f"password_file {password_path}"]
        else:
            lines.append("allow_anonymous true")
        if self.files.acl is not None:
            acl_path = self.workdir / "acl"
            acl_path.write_text(self.files.acl)
            acl_path.chmod(0o600)
            lines.append(f"acl_file {acl_path}")
        if self.files.tls is not None:
            cafile, certfile, keyfile = self.files.tls
            lines += [f"cafile {cafile}", f"certfile {certfile}", f"keyfile {keyfile}"]
        if self.files.extra:
            lines.append(self.files.extra)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout_s: float = 10.0) -> MosquittoBroker:
        """Start the broker and wait until its port accepts connections."""
        if self.running:
            return self
        self._process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                stderr = (
                    self._process.stderr.read().decode(errors="replace")
                    if self._process.stderr
                    else ""
                )
                log = (
                    self.log_path.read_text(errors="replace")[-2000:]
                    if self.log_path.exists()
                    else ""
                )
                raise BrokerError(
                    f"mosquitto exited with {self._process.returncode}: {stderr.strip()} {log.strip()}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise BrokerError(
            f"mosquitto did not listen on {self.host}:{self.port} within {timeout_s} s"
        )

    def stop(self, *, kill: bool = False, timeout_s: float = 10.0) -> None:
        """Stop the broker: SIGTERM (persistence is saved) or SIGKILL. Idempotent."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()

    def restart(self, *, kill: bool = False, down_s: float = 0.0) -> None:
        """Stop, optionally stay down for ``down_s`` seconds, and start again on the same port."""
        self.stop(kill=kill)
        if down_s:
            time.sleep(down_s)
        self.start()

    def reload(self) -> None:
        """Re-read the password and ACL files (SIGHUP), as provisioning does."""
        if self._process is not None and self.running:
            self._process.send_signal(signal.SIGHUP)

    def __enter__(self) -> MosquittoBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
