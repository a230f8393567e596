"""Writing key material and generated files: atomically, with the right mode from the start.

A secret is never visible with a wider mode, not even for a moment: the temporary file is
created 0600 with ``O_EXCL`` and renamed over the target. Cost: one fsync per file.
Thread-safe for distinct paths.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644
SECRET_DIR_MODE = 0o700


def write_file(path: Path, data: bytes | str, *, mode: int) -> Path:
    """Atomically replace ``path`` with ``data`` created with ``mode``; returns ``path``."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)  # the umask may have narrowed it
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def write_secret(path: Path, data: bytes | str) -> Path:
    """Write a private key, password or password file (mode 0600)."""
    return write_file(path, data, mode=SECRET_MODE)


def write_public(path: Path, data: bytes | str) -> Path:
    """Write a certificate, public key or config file (mode 0644)."""
    return write_file(path, data, mode=PUBLIC_MODE)


def secret_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(SECRET_DIR_MODE)
    return path
