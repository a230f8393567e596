"""Helpers for the provisioning tests: a fresh deployment, and Mosquitto run from its files."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

from khidmat_base.mosquitto import free_port, mosquitto_command
from provisioning.deployment import BrokerSettings, Deployment
from provisioning.operations import init_deployment

BROKER_START_TIMEOUT_S = 10.0


def make_deployment(root: Path, *, require_client_cert: bool = False) -> Deployment:
    """A deployment on free loopback ports (TLS and plain)."""
    return init_deployment(
        root,
        BrokerSettings(
            port=free_port(),
            bind="127.0.0.1",
            loopback_port=free_port(),
            require_client_cert=require_client_cert,
        ),
    )


class DeploymentBroker:
    """``mosquitto -c DIR/mosquitto.conf``: exactly the files provisioning wrote."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.settings = deployment.load_settings()
        self.process = subprocess.Popen(
            mosquitto_command(deployment.mosquitto_conf),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + BROKER_START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                log = deployment.log_file.read_text() if deployment.log_file.exists() else ""
                raise RuntimeError(f"mosquitto exited {self.process.returncode}: {log[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.settings.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("mosquitto did not listen") from None
                time.sleep(0.02)
        while not deployment.pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.01)

    def log(self) -> str:
        return self.deployment.log_file.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
