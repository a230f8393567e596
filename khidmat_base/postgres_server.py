"""Run a throwaway PostgreSQL cluster: initdb in a temporary folder, start, databases, stop.

Used by the test fixtures (one cluster per test session, a fresh database per test made
from a template) and ``khidmat bench``: the server is the distribution's own
(``apt-get install postgresql``: /usr/lib/postgresql/<version>/bin), started on a free
loopback port with durability switched off (``fsync=off``: a throwaway cluster's data
does not outlive it). PostgreSQL refuses to run as root; as root the server runs as the
``postgres`` system user the package creates (``runuser``), in a folder that user owns.
Where the server is missing, :class:`PostgresServer` raises :class:`ServerError` with
:data:`POSTGRES_MISSING`. Not thread-safe (drive it from one thread); start-up (initdb
and start) takes about 1-3 s.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from khidmat_base.mosquitto import free_port

POSTGRES_MISSING = (
    "PostgreSQL is not installed: install it with `sudo apt-get install postgresql` "
    "(Debian, Raspberry Pi OS)"
)
"""The one line shown where the PostgreSQL server is needed and missing."""
SUPERUSER = "khidmat"
"""The cluster's superuser (trust authentication on loopback only)."""
START_TIMEOUT_S = 30.0


class ServerError(RuntimeError):
    """PostgreSQL is missing, would not start, or refused a command."""


def server_bin_dir() -> Path:
    """The folder of ``initdb`` and ``postgres`` (the newest installed major version)."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not versions:
        raise ServerError(POSTGRES_MISSING)
    return versions[-1].parent


def _run_as() -> list[str]:
    """The command prefix that runs the server as an unprivileged user ([] when not root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ServerError(
            "PostgreSQL refuses to run as root and there is no `postgres` user: "
            "install the server with `sudo apt-get install postgresql`"
        ) from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ServerError("running PostgreSQL as root needs `runuser` (util-linux)")
    return [runuser, "-u", "postgres", "--"]


class PostgresServer:
    """One throwaway cluster on 127.0.0.1:``port``; ``close()`` stops it and deletes it."""

    def __init__(
        self, *, port: int | None = None, max_connections: int = 300, durable: bool = False
    ) -> None:
        """``durable``: keep PostgreSQL's own durability (fsync, synchronous commit), for a
        test that crashes the server and counts what survived."""
        self.bin_dir = server_bin_dir()
        self.durable = durable
        self.port = port or free_port()
        self.max_connections = max_connections
        self.directory = Path(tempfile.mkdtemp(prefix="khidmat-pg-"))
        self.data = self.directory / "data"
        self._prefix = _run_as()
        if self._prefix:
            record = pwd.getpwnam("postgres")
            os.chown(self.directory, record.pw_uid, record.pw_gid)
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres") -> str:
        """The connection URL of ``database`` on this cluster."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        """initdb (first time) and start the server; returns when it accepts connections."""
        if not self.data.exists():
            self._check(
                [
                    str(self.bin_dir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    SUPERUSER,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            )
        log = open(self.directory / "server.log", "ab")
        self.process = subprocess.Popen(
            [
                *self._prefix,
                str(self.bin_dir / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.directory}",
                "-c",
                f"max_connections={self.max_connections}",
                *(
                    []
                    if self.durable
                    else ["-c", "fsync=off", "-c", "synchronous_commit=off"]
                    + ["-c", "full_page_writes=off"]
                ),
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise ServerError(f"PostgreSQL exited at start: {self._log_tail()}")
            try:
                psycopg.connect(self.url(), connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise ServerError(f"PostgreSQL did not start: {self._log_tail()}") from None
                time.sleep(0.05)

    def _log_tail(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def _check(self, command: list[str]) -> None:
        done = subprocess.run([*self._prefix, *command], capture_output=True, check=False)
        if done.returncode != 0:
            raise ServerError(
                f"{Path(command[0]).name} failed: {done.stderr.decode(errors='replace')[-2000:]}"
            )

    def execute(self, sql: str) -> None:
        """Run one statement as the superuser outside a transaction (CREATE DATABASE)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.encode())

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create database ``name`` (a copy of ``template`` when given); returns its URL."""
        copy = f' TEMPLATE "{template}" STRATEGY = WAL_LOG' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server at once (as a crash would; the cluster stays for :meth:`start`)."""
        if self.process is not None and self.process.poll() is None:
            # the whole group: runuser does not pass signals on to the server it runs
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        """Stop the server and delete the cluster (idempotent)."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
