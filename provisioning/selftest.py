"""``khidmat provision selftest`` on the unit: is this unit ready to go into service?

Checks, in order: the config bundle loads and its secret files are private; the clock is
plausible (inside the deployment CA's validity window, NTP status when systemd knows it);
the broker accepts this unit's credentials over TLS and its downlink subscription; and the
hardware self-test (:func:`edge_agent.selftest.run_selftest`: sensor handshake, image
capture, LEDs, buzzer, relay, inputs). A failed
check does not stop the others. Cost: one TLS connection (about 50-300 ms on a LAN,
bounded by ``timeout_s``) plus the hardware test. Not thread-safe (one run at a time).
"""

from __future__ import annotations

import datetime as dt
import shutil
import ssl
import stat
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_agent.config import ConfigError, UnitConfig, load_unit_config
from khidmat_wire.topics import down_filter

BROKER_TIMEOUT_S = 10.0
"""Longest wait for the TLS handshake, CONNACK and SUBACK together."""

PASS, FAIL, WARN, SKIP = "pass", "fail", "warn", "skip"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    name: str
    status: str  # pass | fail | warn | skip
    detail: str

    @property
    def ok(self) -> bool:
        return self.status != FAIL


@dataclass(slots=True)
class SelftestReport:
    """All checks of one run; ``ok`` when none failed (warnings and skips are allowed)."""

    config_path: Path
    device_id: str | None = None
    checks: list[Check] = field(default_factory=list)
    hardware: dict[str, Any] | None = None
    hardware_text: str = ""

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": str(self.config_path),
            "device_id": self.device_id,
            "ok": self.ok,
            "checks": [
                {"name": c.name, "status": c.status, "detail": c.detail} for c in self.checks
            ],
            "hardware": self.hardware,
        }

    def to_text(self) -> str:
        width = max((len(c.name) for c in self.checks), default=0)
        lines = [f"Self-test of {self.device_id or '?'} ({self.config_path})"]
        lines += [f"  {c.status.upper():4}  {c.name:{width}}  {c.detail}" for c in self.checks]
        if self.hardware_text:
            lines.append("Hardware checks:")
            lines += [f"  {line}" for line in self.hardware_text.splitlines()[:-1]]
        lines.append("RESULT: " + ("OK, ready for service" if self.ok else "FAILED"))
        return "\n".join(lines)


def check_secret_files(config: UnitConfig) -> Check:
    """Secret files exist and are readable by their owner only."""
    problems = []
    for label, path in (
        ("password_file", config.broker.password_file),
        ("key_file", config.broker.key_file),
    ):
        if path is None:
            continue
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError as error:
            problems.append(f"{label} {path}: {error.strerror}")
            continue
        if mode & 0o077:
            problems.append(f"{label} {path.name} is {mode:04o}, must be 0600")
    for label, path in (
        ("ca_file", config.broker.ca_file),
        ("public_key_file", config.hub.public_key_file),
        ("cert_file", config.broker.cert_file),
    ):
        if path is not None and not path.is_file():
            problems.append(f"{label} {path} is missing")
    if problems:
        return Check("files", FAIL, "; ".join(problems))
    return Check("files", PASS, "present; secrets are 0600")


def _ntp_synchronised() -> str | None:
    """systemd's NTPSynchronized ("yes"/"no"), or None when it cannot be asked."""
    binary = shutil.which("timedatectl")
    if binary is None:
        return None
    try:
        result = subprocess.run(
            [binary, "show", "-p", "NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = result.stdout.strip()
    return value if result.returncode == 0 and value in ("yes", "no") else None


def check_clock(config: UnitConfig, *, now: dt.datetime | None = None) -> Check:
    """The clock lies inside the certificates' validity windows (else TLS fails); NTP status.

    The CA was made at ``provision init`` and a client certificate (when the unit has one)
    when the unit was provisioned, so a clock before their start is certainly wrong (a Pi
    without an RTC that booted offline starts at its last saved time). Both start five
    minutes early (``pki.BACKDATE_S``).
    """
    from cryptography import x509

    now = now or dt.datetime.now(dt.UTC)
    stamp = f"{now:%Y-%m-%d %H:%M:%S}Z"
    windows: list[tuple[str, dt.datetime, dt.datetime]] = []
    for label, path in (
        ("the deployment CA", config.broker.ca_file),
        ("this unit's client certificate", config.broker.cert_file),
    ):
        if path is None:
            continue
        try:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
        except (OSError, ValueError) as error:
            return Check("clock", FAIL, f"cannot read {label} ({path.name}): {error}")
        windows.append((label, cert.not_valid_before_utc, cert.not_valid_after_utc))
    if not windows:
        return Check("clock", WARN, f"{stamp}; no certificate to compare with")
    for label, start, end in windows:
        if now < start:
            behind = (start - now).total_seconds()
            return Check(
                "clock",
                FAIL,
                f"{stamp} is {behind:.0f} s before {label} was made ({start:%Y-%m-%d %H:%M}Z); "
                "set the time (NTP) or TLS will fail",
            )
        if now > end:
            return Check("clock", FAIL, f"{stamp} is after {label} expired ({end:%Y-%m-%d})")
    ntp = _ntp_synchronised()
    if ntp == "no":
        return Check(
            "clock", WARN, f"{stamp}, inside the certificate windows, but NTP is not synchronised"
        )
    ntp_text = "NTP synchronised" if ntp == "yes" else "NTP status unknown"
    return Check("clock", PASS, f"{stamp}, inside the certificate windows; {ntp_text}")


def check_broker(config: UnitConfig, *, timeout_s: float = BROKER_TIMEOUT_S) -> Check:
    """Connect with the unit's own credentials (TLS as configured) and subscribe to its downlink.

    This proves the TLS chain, host name and credentials. It cannot prove the ACL from
    the unit's side: Mosquitto grants every subscription and filters on delivery, and a
    unit may neither write its downlink nor read its uplink (no round trip is possible).

    Uses client id ``<device_id>-selftest`` with a clean, non-persistent session so the
    agent's own session (and its queued messages) is left alone.
    """
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    broker = config.broker
    v5 = broker.protocol == 5
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"{config.device.id}-selftest",
        protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
        **({} if v5 else {"clean_session": True}),
    )
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def on_connect(client: Any, userdata: Any, flags: Any, reason_code: Any, props: Any) -> None:
        outcome["connack"] = reason_code
        outcome["connected_at"] = time.monotonic()
        if reason_code.is_failure:
            done.set()
            return
        client.subscribe(down_filter(config.device.id), qos=1)

    def on_subscribe(client: Any, userdata: Any, mid: Any, reason_codes: Any, props: Any) -> None:
        outcome["suback"] = reason_codes[0]
        done.set()

    def on_disconnect(client: Any, userdata: Any, flags: Any, reason_code: Any, props: Any) -> None:
        outcome.setdefault("disconnect", reason_code)
        done.set()

    client.on_connect, client.on_subscribe, client.on_disconnect = (
        on_connect,
        on_subscribe,
        on_disconnect,
    )
    client.connect_timeout = timeout_s  # TCP connect and TLS handshake
    if broker.username:
        client.username_pw_set(broker.username, broker.password())
    where = f"{broker.host}:{broker.port}"
    started = time.monotonic()
    try:
        if broker.tls:
            client.tls_set(
                ca_certs=str(broker.ca_file) if broker.ca_file else None,
                certfile=str(broker.cert_file) if broker.cert_file else None,
                keyfile=str(broker.key_file) if broker.key_file else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        client.connect(broker.host, broker.port, keepalive=broker.keepalive_s)
    except (OSError, ssl.SSLError, ValueError) as error:
        return Check("broker", FAIL, f"{where}: cannot connect: {error}")
    client.loop_start()
    try:
        finished = done.wait(timeout_s)
    finally:
        client.disconnect()
        client.loop_stop()
    connack = outcome.get("connack")
    if not finished:
        return Check("broker", FAIL, f"{where}: no answer within {timeout_s:.0f} s")
    if connack is None:
        return Check(
            "broker",
            FAIL,
            f"{where}: connection closed before CONNACK ({outcome.get('disconnect')})",
        )
    if connack.is_failure:
        return Check("broker", FAIL, f"{where}: refused: {connack} (code {connack.value})")
    suback = outcome.get("suback")
    if suback is None or suback.is_failure:
        return Check("broker", FAIL, f"{where}: connected, but own downlink refused: {suback}")
    elapsed_ms = (outcome["connected_at"] - started) * 1000
    transport = "TLS" if broker.tls else "plain TCP (no TLS!)"
    status = PASS if broker.tls else WARN
    return Check(
        "broker",
        status,
        f"{where} over {transport} as {broker.username}: connected in {elapsed_ms:.0f} ms, "
        "subscribed to its downlink",
    )


def run_selftest(
    config_path: Path,
    *,
    hardware: bool = True,
    broker_timeout_s: float = BROKER_TIMEOUT_S,
    hardware_options: Mapping[str, Any] | None = None,
) -> SelftestReport:
    """Run every check against the unit config at ``config_path``.

    ``hardware_options`` go to :func:`edge_agent.selftest.run_selftest` (``prompt``,
    ``finger_timeout_s``, ``led_step_s``, ``relay_open_s``).
    """
    report = SelftestReport(Path(config_path))
    try:
        config = load_unit_config(config_path)
    except ConfigError as error:
        report.checks.append(Check("config", FAIL, str(error)))
        return report
    report.device_id = config.device.id
    report.checks.append(
        Check("config", PASS, f"{config.device.role} at {config.device.station}, loads cleanly")
    )
    report.checks.append(check_secret_files(config))
    report.checks.append(check_clock(config))
    report.checks.append(check_broker(config, timeout_s=broker_timeout_s))
    if hardware:
        report.checks.append(_run_hardware(config, report, dict(hardware_options or {})))
    else:
        report.checks.append(Check("hardware", SKIP, "skipped (--no-hardware)"))
    return report


def _run_hardware(config: UnitConfig, report: SelftestReport, options: dict[str, Any]) -> Check:
    """The hardware self-test of edge_agent.selftest; its table goes into the report."""
    from edge_agent.selftest import run_selftest as run_hardware_selftest

    try:
        result = run_hardware_selftest(config, **options)
    except Exception as error:  # a crash is a failed check, shown with its cause
        return Check("hardware", FAIL, f"the hardware self-test crashed: {error!r}")
    report.hardware = result.to_dict()
    report.hardware_text = result.to_text()
    return Check("hardware", PASS if result.ok else FAIL, result.summary())
