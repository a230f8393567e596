"""The unit store's file: private modes, and what a storage error means (disk full,
read-only, failing). Pure functions over the filesystem; thread-safe."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
from pathlib import Path


class StoreFault(RuntimeError):
    """The store cannot be written or opened: disk full, read-only or failing storage.

    ``kind`` is ``disk-full``, ``read-only``, ``io-error``, ``busy`` or ``unopenable``. The
    message names the kind and SQLite's own words, never the data being written, so it
    is safe to log, show to an officer and send to the hub.
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"the unit's local store cannot be written ({kind}: {detail})")
        self.kind = kind


#: Below this many free bytes an I/O error is taken for a full disk.
NEARLY_FULL_BYTES = 65_536


def fault_kind(error: sqlite3.Error | OSError, directory: Path | None = None) -> str:
    """What an error says about the storage under the store (see :class:`StoreFault`).

    SQLite reports a full disk met while creating its WAL or shared-memory file as a
    plain I/O error; the free space of ``directory`` tells the two apart.
    """
    text = str(error).lower()
    if isinstance(error, OSError) and error.errno == errno.EROFS:
        return "read-only"
    if "full" in text or (isinstance(error, OSError) and error.errno == errno.ENOSPC):
        return "disk-full"
    if directory is not None and ("i/o" in text or "unable to open" in text):
        with contextlib.suppress(OSError):
            if shutil.disk_usage(directory).free < NEARLY_FULL_BYTES:
                return "disk-full"
    if "readonly" in text or "read-only" in text:
        return "read-only"
    if "locked" in text or "busy" in text:
        return "busy"
    if "unable to open" in text:
        return "unopenable"
    return "io-error"


FILE_MODE = 0o600
DIR_MODE = 0o700


def private_files(path: Path) -> None:
    """Create the store's directory (0700) and file (0600); tighten them if they exist.

    SQLite gives the ``-wal`` and ``-shm`` files the database file's mode.
    """
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path.parent, DIR_MODE)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, FILE_MODE))
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if name.exists():
            os.chmod(name, FILE_MODE)
