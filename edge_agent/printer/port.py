"""The byte pipe to a receipt printer: a serial port (pyserial) or a character device.

``SerialPipe`` opens a UART or USB-serial printer (``/dev/ttyUSB0``, ``/dev/serial0``, or
the simulator's pty); ``DevicePipe`` opens a USB printer-class device (``/dev/usb/lp0``,
the kernel's usblp driver, which also passes the printer's status answers back) with plain
``os.open``. Both give the same four calls; every failure is :class:`PipeError` (the
device went away, or a write did not drain in time). Not thread-safe: the printer object
that owns a pipe serialises its use.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import termios
import time
from typing import Protocol


class PipeError(OSError):
    """The port cannot be opened, written or read (``gone``: it disappeared)."""

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


class Pipe(Protocol):
    def write(self, data: bytes, timeout_s: float) -> None: ...
    def read_byte(self, timeout_s: float) -> int | None: ...
    def discard_input(self) -> None: ...
    def close(self) -> None: ...


_GONE = {errno.EIO, errno.ENODEV, errno.ENXIO, errno.EBADF, errno.EPIPE, errno.ENOENT}


class DevicePipe:
    """A character device opened read-write, non-blocking (``/dev/usb/lp0``, a pty)."""

    def __init__(self, path: str) -> None:
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError as error:
            raise PipeError(f"cannot open {path}: {error.strerror}", gone=True) from None

    def write(self, data: bytes, timeout_s: float) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + timeout_s
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PipeError("the printer did not take the data in time")
            _, ready, _ = select.select([], [self._fd], [], left)
            if not ready:
                continue
            try:
                sent = os.write(self._fd, view)
            except BlockingIOError:
                continue
            except OSError as error:
                raise PipeError(
                    f"write failed: {error.strerror}", gone=error.errno in _GONE
                ) from None
            view = view[sent:]

    def read_byte(self, timeout_s: float) -> int | None:
        ready, _, _ = select.select([self._fd], [], [], max(0.0, timeout_s))
        if not ready:
            return None
        try:
            data = os.read(self._fd, 1)
        except BlockingIOError:
            return None
        except OSError as error:
            raise PipeError(f"read failed: {error.strerror}", gone=error.errno in _GONE) from None
        if not data:
            raise PipeError("the device closed", gone=True)
        return data[0]

    def discard_input(self) -> None:
        with contextlib.suppress(OSError):
            while select.select([self._fd], [], [], 0)[0] and os.read(self._fd, 256):
                pass

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


class SerialPipe:
    """A serial port at ``baud`` (8N1, RTS/CTS off) through pyserial."""

    def __init__(self, path: str, baud: int) -> None:
        import serial

        # pyserial lets termios.error through when the port vanishes under a setting change
        self._error = (serial.SerialException, termios.error, OSError)
        try:
            self._serial = serial.Serial(path, baud, timeout=0, write_timeout=5.0)
        except (*self._error, ValueError) as error:
            raise PipeError(f"cannot open {path}: {error}", gone=True) from None

    def write(self, data: bytes, timeout_s: float) -> None:
        import serial

        try:
            self._serial.write_timeout = timeout_s
            self._serial.write(data)
        except serial.SerialTimeoutException:
            raise PipeError("the printer did not take the data in time") from None
        except self._error as error:
            raise PipeError(f"write failed: {error}", gone=True) from None

    def read_byte(self, timeout_s: float) -> int | None:
        try:
            self._serial.timeout = max(0.0, timeout_s)
            data = self._serial.read(1)
        except self._error as error:
            raise PipeError(f"read failed: {error}", gone=True) from None
        return data[0] if data else None

    def discard_input(self) -> None:
        with contextlib.suppress(*self._error):
            self._serial.reset_input_buffer()

    def close(self) -> None:
        with contextlib.suppress(*self._error):
            self._serial.close()
