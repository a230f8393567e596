"""A thermal receipt printer: ask its state, print one job, say plainly what went wrong.

:class:`ReceiptPrinter` opens its pipe when first used and again after the printer was
unplugged or switched off (a USB printer comes back as a new device). Before a job it asks
the printer's real-time status (``DLE EOT 1, 2, 4``, :mod:`edge_agent.printer.status`) and
prints only in a printable state; after the job it asks again, so paper that ran out or
a printer that vanished mid-receipt is reported as an incomplete receipt
(``PrinterFault.partial``) rather than taken as printed. Faults never carry the job's
content. Thread-safe (one lock; a job holds it for as long as the printer takes the data,
about 0.1 s over USB, a few seconds over a 19200-baud serial line). A printer that does
not answer costs ``3 x reply_timeout_s`` before a job (1.5 s by default), and up to
``settle_timeout_s`` more after one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from edge_agent.printer import escpos
from edge_agent.printer.port import DevicePipe, Pipe, PipeError, SerialPipe
from edge_agent.printer.status import PRINTABLE, is_status_byte, state_of

CHUNK_BYTES = 4096
"""A job is written in chunks this size; each must drain within ``chunk_timeout_s``."""


class PrinterFault(Exception):
    """No complete receipt: ``kind`` is a state (offline, paper-out, cover-open, error);
    ``partial``: part of the receipt may have come out (the job was interrupted)."""

    def __init__(self, kind: str, *, partial: bool = False) -> None:
        super().__init__(f"printer {kind}" + (" (receipt incomplete)" if partial else ""))
        self.kind = kind
        self.partial = partial


@dataclass(frozen=True, slots=True)
class Printed:
    """A job the printer took in full, in ``state`` after it (ok or paper-low)."""

    state: str
    bytes_sent: int
    seconds: float


class ReceiptPrinter:
    """One printer behind ``open_pipe`` (called when a pipe is needed; raises PipeError)."""

    def __init__(
        self,
        open_pipe: Callable[[], Pipe],
        *,
        width_px: int = 576,
        reply_timeout_s: float = 0.5,
        chunk_timeout_s: float = 5.0,
        settle_timeout_s: float = 5.0,
        name: str = "",
    ) -> None:
        self._open_pipe = open_pipe
        self.width_px = width_px
        self.reply_timeout_s = reply_timeout_s
        self.chunk_timeout_s = chunk_timeout_s
        self.settle_timeout_s = settle_timeout_s
        """How long the first status answer after a job may take: the query waits behind
        what is still in the line's buffer (4 KB is about 2 s at 19200 baud)."""
        self.name = name
        self._pipe: Pipe | None = None
        self._lock = threading.Lock()
        self.last_state = "offline"
        """The state the last status query or job found (read from any thread)."""

    @classmethod
    def serial(cls, path: str, baud: int, **options: object) -> ReceiptPrinter:
        return cls(lambda: SerialPipe(path, baud), name=path, **options)  # type: ignore[arg-type]

    @classmethod
    def device(cls, path: str, **options: object) -> ReceiptPrinter:
        return cls(lambda: DevicePipe(path), name=path, **options)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ public
    def status(self) -> str:
        """The printer's state now (never raises). Cost: 3 queries, up to 3 reply timeouts
        when the printer does not answer."""
        with self._lock:
            return self._status()

    def print_job(self, job: bytes) -> Printed:
        """Send one whole job (ESC/POS bytes). Raises :class:`PrinterFault`."""
        with self._lock:
            started = time.monotonic()
            before = self._status()
            if before not in PRINTABLE:
                raise PrinterFault(before)
            pipe = self._pipe
            assert pipe is not None
            try:
                for at in range(0, len(job), CHUNK_BYTES):
                    pipe.write(job[at : at + CHUNK_BYTES], self.chunk_timeout_s)
            except PipeError:
                self._drop()
                self.last_state = "offline"
                raise PrinterFault("offline", partial=True) from None
            after = self._status(self.settle_timeout_s)
            if after not in PRINTABLE:
                raise PrinterFault(after, partial=True)
            return Printed(after, len(job), time.monotonic() - started)

    def close(self) -> None:
        """Close the pipe (idempotent; the next use opens it again)."""
        with self._lock:
            self._drop()

    def __enter__(self) -> ReceiptPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- private
    def _status(self, first_timeout_s: float | None = None) -> str:
        try:
            if self._pipe is None:
                self._pipe = self._open_pipe()
            pipe = self._pipe
            pipe.discard_input()
            answers = [self._ask(pipe, 1, first_timeout_s or self.reply_timeout_s)]
            answers += [self._ask(pipe, n, self.reply_timeout_s) for n in (2, 4)]
        except PipeError:
            self._drop()
            answers = [None, None, None]
        self.last_state = state_of(*answers)
        return self.last_state

    def _ask(self, pipe: Pipe, n: int, timeout_s: float) -> int | None:
        pipe.write(escpos.status_query(n), timeout_s)
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            value = pipe.read_byte(left)
            if value is None:
                return None
            if is_status_byte(value):
                return value
        return None

    def _drop(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
