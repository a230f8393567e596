"""Run the embedded broker: listeners (plain or TLS), signals, housekeeping, persistence.

``serve(config)`` blocks until SIGTERM or SIGINT: it then closes the listeners and every
connection (no wills: the broker, not the clients, went away), saves the state and
returns. SIGHUP re-reads the password and ACL files and disconnects clients whose
credentials no longer pass (a revoked unit), as Mosquitto 2 does.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import ssl
import sys
from pathlib import Path

from khidmat.broker.access import AccessFileError
from khidmat.broker.config import BrokerConfig, Listener
from khidmat.broker.connection import V5_NOT_AUTHORISED, V5_SHUTTING_DOWN, Connection
from khidmat.broker.core import AuthResult, BrokerCore
from khidmat.broker.persistence import StateFile

log = logging.getLogger("khidmat.broker")

HOUSEKEEPING_S = 1.0
"""How often sessions are expired and the state saved when it changed (seconds)."""
PROCESS_NAME = b"khidmat-broker"
"""What ``/proc/<pid>/comm`` says, so provisioning can find and signal this broker."""


def set_process_name() -> None:
    """Name the process ``khidmat-broker`` (Linux prctl PR_SET_NAME; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(15, ctypes.c_char_p(PROCESS_NAME), 0, 0, 0)


def tls_context(listener: Listener) -> ssl.SSLContext | None:
    if listener.tls is None:
        return None
    cafile, certfile, keyfile = listener.tls
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(certfile), str(keyfile))
    context.load_verify_locations(str(cafile))
    context.verify_mode = ssl.CERT_REQUIRED if listener.require_certificate else ssl.CERT_NONE
    return context


class EmbeddedBroker:
    """The running broker: one :class:`BrokerCore`, its listeners and its connections."""

    def __init__(self, config: BrokerConfig) -> None:
        self.config = config
        self.core = BrokerCore(config)
        self.connections: set[Connection] = set()
        self.servers: list[asyncio.Server] = []
        self.state: StateFile | None = None
        self._stop = asyncio.Event()
        self._last_save_s = 0.0

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = Connection(self.core, reader, writer)
        self.connections.add(connection)
        try:
            await connection.run()
        finally:
            self.connections.discard(connection)

    async def start(self) -> None:
        if self.config.persistence_dir is not None:
            self.state = StateFile(self.config.persistence_dir)
            retained, sessions, messages = self.state.load(self.core)
            log.info("restored %d retained messages, %d sessions, %d queued messages from %s",
                     retained, sessions, messages, self.state.path)  # fmt: skip
        for listener in self.config.listeners:
            server = await asyncio.start_server(
                self._accept, host=listener.host, port=listener.port,
                ssl=tls_context(listener), reuse_address=True,
            )  # fmt: skip
            self.servers.append(server)
            log.info("listening on %s:%d%s", listener.host or "*", listener.port,
                     " (TLS)" if listener.tls else "")  # fmt: skip
        if self.config.pid_file is not None:
            self.config.pid_file.write_text(f"{os.getpid()}\n")

    def reload(self) -> None:
        """SIGHUP: new password and ACL files; clients that no longer pass are disconnected."""
        try:
            self.core.reload_access()
        except (AccessFileError, OSError) as error:
            log.error("reload failed, keeping the old rules: %s", error)
            return
        for connection in list(self.connections):
            if connection.session is None or connection.closed:
                continue
            if self.core.authenticate(connection.credentials) != AuthResult.OK:
                log.info("client %s no longer authorised; disconnecting", connection.name)
                connection.close(publish_will=True, code=V5_NOT_AUTHORISED)
        log.info("reloaded the password and ACL files")

    def request_stop(self) -> None:
        self._stop.set()

    async def housekeeping(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), HOUSEKEEPING_S)
            self.core.expire_sessions()
            if self.state is not None and self._autosave_due():
                self._save()

    def _autosave_due(self) -> bool:
        now = asyncio.get_running_loop().time()
        if now - self._last_save_s < self.config.autosave_s:
            return False
        self._last_save_s = now
        return True

    def _save(self) -> None:
        assert self.state is not None
        try:
            self.state.save(self.core)
        except Exception:  # a full disk must not stop message delivery
            log.exception("saving the broker state to %s failed", self.state.path)

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.connections):
            connection.close(publish_will=False, code=V5_SHUTTING_DOWN)
        for server in self.servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2.0)
        if self.state is not None:
            self._save()
            self.state.close()
        if self.config.pid_file is not None:
            with contextlib.suppress(OSError):
                self.config.pid_file.unlink()
        log.info("stopped")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.request_stop)
        loop.add_signal_handler(signal.SIGINT, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        await self.start()
        try:
            await self.housekeeping()
        finally:
            await self.stop()


def configure_logging(log_file: Path | None, verbose: bool) -> None:
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("khidmat.broker")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def serve(config: BrokerConfig, *, verbose: bool = False) -> int:
    """Run until SIGTERM/SIGINT; returns the exit code."""
    set_process_name()
    configure_logging(config.log_file, verbose)
    log.info("khidmat embedded broker starting (pid %d, config %s)", os.getpid(), config.source or "built-in")  # fmt: skip
    try:
        asyncio.run(EmbeddedBroker(config).run())
    except OSError as error:
        log.error("cannot start: %s", error)
        print(f"khidmat broker: cannot start: {error}", file=sys.stderr)
        return 1
    return 0
