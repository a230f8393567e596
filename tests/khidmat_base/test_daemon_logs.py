"""Tracebacks from the hub, the agents and the tracking page keep their frames, not their values."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import textwrap

from khidmat_base.daemon_logs import WithheldTracebackFormatter, withheld_traceback

CNIC = "54400-1234567-1"
WORDS = "my brother took the motorcycle"


def _refuse(cnic: str) -> None:
    raise ValueError(f"not a valid CNIC: {cnic}")


def _file(words: str) -> None:
    try:
        _refuse(CNIC)
    except ValueError as error:
        raise RuntimeError(f"complaint {words!r} not filed") from error


def test_chained_traceback_names_frames_and_types_but_not_messages() -> None:
    try:
        try:
            _file(WORDS)
        except RuntimeError:
            {}["cnic " + CNIC]  # a KeyError while handling: the implicit context
    except KeyError:
        text = withheld_traceback(*sys.exc_info())
    assert CNIC not in text and "1234567" not in text and WORDS not in text
    for frame in ("_refuse", "_file", "test_chained_traceback"):
        assert frame in text
    assert f"ValueError (message withheld: {len('not a valid CNIC: ' + CNIC)} characters)" in text
    assert "RuntimeError (message withheld" in text
    assert "KeyError (message withheld" in text
    assert "The above exception was the direct cause" in text
    assert "During handling of the above exception" in text
    # innermost first, as Python prints it
    assert text.index("ValueError") < text.index("RuntimeError") < text.index("KeyError")


def test_log_exception_through_the_formatter_withholds_the_message() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(WithheldTracebackFormatter("%(levelname)s %(message)s"))
    log = logging.getLogger("khidmat.test.daemon_logs")
    log.addHandler(handler)
    log.propagate = False
    try:
        _refuse(CNIC)
    except ValueError:
        log.exception("ingest of a batch failed")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert text.startswith("ERROR ingest of a batch failed\nTraceback")
    assert "_refuse" in text and CNIC not in text


def test_a_message_that_cannot_be_made_is_withheld_too() -> None:
    class Hostile(Exception):
        def __str__(self) -> str:
            raise RuntimeError(CNIC)

    try:
        raise Hostile()
    except Hostile:
        text = withheld_traceback(*sys.exc_info())
    assert "Hostile (message withheld)" in text and CNIC not in text


def test_uncaught_exceptions_in_the_process_and_its_threads_are_withheld() -> None:
    script = textwrap.dedent(
        f"""
        import threading
        from khidmat_base import daemon_logs
        daemon_logs.configure("INFO")
        def work():
            raise ValueError("cnic {CNIC}")
        thread = threading.Thread(target=work, name="delivery")
        thread.start(); thread.join()
        raise LookupError("person {CNIC}")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert CNIC not in done.stderr and "1234567" not in done.stderr
    assert "Uncaught exception in thread delivery:" in done.stderr
    assert "ValueError (message withheld: 20 characters)" in done.stderr
    assert "LookupError (message withheld" in done.stderr
