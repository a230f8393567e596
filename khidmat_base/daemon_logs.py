"""Logging for the long-running processes (hub, agent, tracking page): tracebacks without values.

A traceback's frames name our code and its source lines; its exception *messages* can hold
whatever the failing code was handed: a CNIC in a ``ValueError``, a citizen's words in a
decode error, a template in a ``struct.error``. The journal of a hub or a unit is read by
technicians who must not see those, so every traceback these processes write (through
``logging``, an uncaught exception, or an uncaught exception in a thread) keeps the frames
and each exception's type and withholds its message, saying how long it was.

:func:`configure` is called once at a process's start; it replaces the root logger's
handlers, ``sys.excepthook`` and ``threading.excepthook``. Formatting a traceback costs what
:mod:`traceback` costs (tens of microseconds a frame); the formatter is thread-safe.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
"""One line per record: time, level, logger name, the message."""


_DIRECT_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def withheld_traceback(
    exc_type: type[BaseException],
    value: BaseException | None,
    tb: TracebackType | None,
) -> str:
    """The traceback of ``value`` and the exceptions chained to it, without their messages.

    Returns the text that :func:`traceback.format_exception` would, except that each
    exception line reads ``module.Type (message withheld: N characters)``.
    """
    chain: list[tuple[type[BaseException], BaseException | None, TracebackType | None, str]]
    chain = [(exc_type, value, tb, "")]
    seen = {id(value)}
    current = value
    while current is not None:
        if current.__cause__ is not None:
            link, why = current.__cause__, "direct cause"
        elif current.__context__ is not None and not current.__suppress_context__:
            link, why = current.__context__, "context"
        else:
            break
        if id(link) in seen:
            break
        seen.add(id(link))
        chain.append((type(link), link, link.__traceback__, why))
        current = link
    lines: list[str] = []
    for position, (kind, exception, frames, _) in enumerate(reversed(chain)):
        if position:  # how the exception printed next led to the one printed before it
            how = chain[len(chain) - position][3]
            lines.append(_DIRECT_CAUSE if how == "direct cause" else _CONTEXT)
        if frames is not None:
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_tb(frames))
        lines.append(f"{_name(kind)} {_withheld(exception)}\n")
    return "".join(lines)


def _name(kind: type[BaseException]) -> str:
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _withheld(exception: BaseException | None) -> str:
    try:
        length = len(str(exception)) if exception is not None else 0
    except Exception:  # a message that cannot even be made is withheld as well
        return "(message withheld)"
    return f"(message withheld: {length} characters)"


class WithheldTracebackFormatter(logging.Formatter):
    """A :class:`logging.Formatter` whose tracebacks carry no exception messages."""

    def formatException(self, ei: tuple) -> str:
        """``ei``: ``sys.exc_info()``; the text has no trailing newline, as logging expects."""
        return withheld_traceback(*ei).rstrip("\n")


def _uncaught(
    exc_type: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    sys.stderr.write("Uncaught exception:\n" + withheld_traceback(exc_type, value, tb))


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "unknown"
    sys.stderr.write(
        f"Uncaught exception in thread {name}:\n"
        + withheld_traceback(args.exc_type, args.exc_value, args.exc_traceback)
    )


def configure(level: str | int = "INFO") -> None:
    """Root logging to stderr at ``level`` with :class:`WithheldTracebackFormatter`.

    Also routes uncaught exceptions (main thread and other threads) through the same
    withholding. Call once, at the start of the process, before its threads start.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(WithheldTracebackFormatter(LOG_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    sys.excepthook = _uncaught
    threading.excepthook = _uncaught_in_thread
