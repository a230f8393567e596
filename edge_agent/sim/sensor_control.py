"""The simulator's control channel: a unix socket beside the link for place, lift, inject, status.

One request per connection: a JSON line, then ``payload_bytes`` raw bytes if the request
says so (the finger image, row-major uint8); the answer is one JSON line with ``ok`` and
either results or ``error``. Used by ``khidmat sim sensor place|lift|inject|status`` from
another terminal and by tests that drive a simulator running in another process.
The server runs one thread; requests are handled one at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Largest request accepted (a 1024 x 1024 image plus its header), bytes.
MAX_REQUEST_BYTES = 1024 * 1024 + 4096
#: How long a client waits for the simulator to answer (seconds).
CLIENT_TIMEOUT_S = 10.0

Handler = Callable[[dict[str, Any], bytes], dict[str, Any]]


class ControlError(RuntimeError):
    """The simulator could not be reached or refused a request; the message says why."""


def control_path_for(link: str | Path) -> Path:
    """The control socket that belongs to a simulator's link (``<link>.ctl``)."""
    return Path(f"{link}.ctl")


def _read_line(sock: socket.socket, limit: int) -> tuple[bytes, bytes]:
    buf = bytearray()
    while b"\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ControlError("connection closed before a full line arrived")
        buf += chunk
        if len(buf) > limit:
            raise ControlError("request line too long")
    line, _, rest = bytes(buf).partition(b"\n")
    return line, rest


def _read_exact(sock: socket.socket, n: int, already: bytes) -> bytes:
    buf = bytearray(already)
    while len(buf) < n:
        chunk = sock.recv(min(1 << 20, n - len(buf)))
        if not chunk:
            raise ControlError(f"connection closed after {len(buf)} of {n} payload bytes")
        buf += chunk
    return bytes(buf[:n])


class ControlServer:
    """Serves control requests at ``path`` with ``handler(request, payload) -> result``."""

    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        self._handler = handler
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        """Bind the socket (replacing a stale one nobody answers on) and start serving."""
        if self.path.exists() or self.path.is_symlink():
            if _answers(self.path):
                raise ControlError(f"{self.path}: another simulator is serving here")
            self.path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.path))
        sock.listen(4)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="sim-sensor-ctl", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            ready, _, _ = select.select([self._sock], [], [], 0.2)
            if not ready:
                continue
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(CLIENT_TIMEOUT_S)
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        try:
            line, rest = _read_line(conn, 65536)
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ControlError("request must be a JSON object")
            size = int(request.get("payload_bytes", 0))
            if not 0 <= size <= MAX_REQUEST_BYTES:
                raise ControlError(f"payload of {size} bytes refused")
            payload = _read_exact(conn, size, rest) if size else b""
            answer = {"ok": True, **self._handler(request, payload)}
        except (ControlError, ValueError, KeyError, TypeError) as error:
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        except OSError as error:
            answer = {"ok": False, "error": f"I/O error: {error}"}
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps(answer).encode() + b"\n")

    def close(self) -> None:
        """Stop serving and remove the socket file (idempotent)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


def control_request(
    path: str | Path,
    request: dict[str, Any],
    payload: bytes = b"",
    *,
    command: str = "khidmat sim sensor",
) -> dict[str, Any]:
    """Send one request to the simulator at ``path``; its answer, or ControlError
    (``command``: the one that runs that simulator, named when none answers)."""
    path = Path(path)
    body = dict(request)
    if payload:
        body["payload_bytes"] = len(payload)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(CLIENT_TIMEOUT_S)
        try:
            sock.connect(os.fspath(path))
        except OSError as error:
            raise ControlError(
                f"no simulator answers at {path} ({error.strerror or error}); "
                f"is `{command} --link ...` running?"
            ) from None
        sock.sendall(json.dumps(body).encode() + b"\n" + payload)
        line, _ = _read_line(sock, MAX_REQUEST_BYTES)
    answer = json.loads(line)
    if not answer.get("ok"):
        raise ControlError(str(answer.get("error", "request refused")))
    return answer
