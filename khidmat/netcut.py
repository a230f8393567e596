"""A TCP relay between one unit and the broker that can cut the link, for chaos tests.

:class:`LinkRelay` listens on a loopback port and forwards each connection to the
broker. :meth:`LinkRelay.cut` simulates a network cut: with ``silent=True`` (a cable
pulled, a dead mobile link) it keeps the sockets open but stops forwarding, so only MQTT
keepalive can notice; with ``silent=False`` it resets every connection at once. New
connections during a cut are refused. :meth:`LinkRelay.restore` brings the link back.
Thread-safe; two threads per forwarded connection; loopback only.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from khidmat_base.mosquitto import free_port


class LinkRelay:
    """Forward ``127.0.0.1:<port>`` to ``target``; cut and restore on demand."""

    def __init__(self, target: tuple[str, int], *, port: int | None = None) -> None:
        self.target = target
        self.port = port or free_port()
        self._cut = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._closed = False
        self.cuts = 0
        self._thread = threading.Thread(target=self._accept, name=f"relay-{self.port}", daemon=True)
        self._thread.start()

    @property
    def is_cut(self) -> bool:
        return self._cut.is_set()

    def cut(self, *, silent: bool = True) -> None:
        """Stop forwarding; ``silent=False`` also resets every open connection."""
        self.cuts += 1
        self._cut.set()
        if not silent:
            self._close_all()

    def restore(self) -> None:
        """Forward again; connections frozen by a silent cut are dropped (their peers gave up)."""
        self._close_all()
        self._cut.clear()

    def close(self) -> None:
        """Stop listening and drop every connection (idempotent)."""
        self._closed = True
        self._cut.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self._cut.is_set():
                    continue  # a dead link: the bytes go nowhere, the peers time out
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
