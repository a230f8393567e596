"""Real storage faults for unit tests: a tiny tmpfs that fills up or is mounted read-only.

:func:`small_filesystem` mounts a tmpfs of ``size_kib`` on a fresh directory (the tests
run as root in CI; where mounting is impossible the test is skipped with the reason),
:func:`fill` writes a filler file until the kernel says ENOSPC, and :func:`remount`
switches the mount read-only or back (Linux refuses that while a file on it is open
for writing, so close the store first, as a unit that boots on a failed card would).
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

FILLER = ".filler"


@contextlib.contextmanager
def small_filesystem(directory: Path, size_kib: int = 1024) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` mounted on ``directory`` for the block; unmounted after."""
    directory.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def fill(directory: Path) -> int:
    """Write a filler file until the filesystem is full; returns the bytes written."""
    written = 0
    fd = os.open(directory / FILLER, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for block in (65536, 4096, 512, 1):
            while True:
                try:
                    written += os.write(fd, b"\0" * block)
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    return written


def free(directory: Path) -> None:
    """Remove the filler: the filesystem has room again."""
    (directory / FILLER).unlink()


def remount(directory: Path, *, read_only: bool) -> None:
    """Make the mount read-only (or writable again); fails while a file is open for writing."""
    subprocess.run(
        ["mount", "-o", f"remount,{'ro' if read_only else 'rw'}", str(directory)],
        check=True,
        capture_output=True,
    )
