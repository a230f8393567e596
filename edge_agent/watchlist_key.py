"""The gate's watchlist key: delivered by the hub, held in RAM, used to seal the list at rest.

The hub sends each gate a key of its own (``config`` settings :data:`KEY_SETTING`, 32
random bytes in base64, and :data:`GRACE_SETTING`, how long the key may be used without
hearing from the hub again, seconds) on every connection and again well before the grace
period ends. The agent never writes the key to the SD card: it keeps it in a file in the
unit's runtime directory (``[device] runtime_dir``, a tmpfs: ``/dev/shm`` by default),
mode 0600 in a 0700 directory, with its expiry, where the kiosk process reads it. A power
cut or a stolen card leaves no key behind; a gate offline longer than the grace period
cannot open its list until the hub is back (the officer checks identity by hand).

Each entry's name and template are sealed with AES-256-GCM (a fresh 12-byte nonce per
value, the person id, finger and field as associated data, so a sealed value cannot be
moved to another entry). Sealed values read ``v1:<base64 nonce+ciphertext>``.
Cost: a few microseconds per value. Thread-safe (no shared state; file writes are atomic
renames).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from khidmat_wire.watchlist_key import GRACE_SETTING, KEY_BYTES, KEY_SETTING, SECRET_SETTINGS

__all__ = [
    "GRACE_SETTING", "KEY_BYTES", "KEY_SETTING", "SECRET_SETTINGS", "KeyFile",
    "WatchlistLocked", "default_runtime_dir", "is_sealed", "new_key", "open_sealed", "seal",
]  # fmt: skip

PREFIX = "v1:"
KEY_FILE = "watchlist.key"


class WatchlistLocked(RuntimeError):
    """The watchlist is sealed and no valid key is held (never delivered, or expired)."""


def new_key() -> bytes:
    """A fresh watchlist key (what the hub makes for each gate)."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _aad(person_id: str, finger: int, field: str) -> bytes:
    return f"{person_id}/{finger}/{field}".encode()


def seal(key: bytes, person_id: str, finger: int, field: str, value: str) -> str:
    """``value`` sealed for entry ``person_id``/``finger`` (``field``: name or template)."""
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), _aad(person_id, finger, field))
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def open_sealed(key: bytes, person_id: str, finger: int, field: str, value: str) -> str:
    """The clear value of :func:`seal`'s output. WatchlistLocked: wrong key or tampered."""
    try:
        raw = base64.b64decode(value[len(PREFIX) :], validate=True)
        clear = AESGCM(key).decrypt(raw[:12], raw[12:], _aad(person_id, finger, field))
    except (binascii.Error, ValueError, InvalidTag):
        raise WatchlistLocked(
            f"watchlist entry {person_id}/{finger} does not open with the key held"
        ) from None
    return clear.decode()


def default_runtime_dir(device_id: str) -> Path:
    """Where a unit keeps RAM-only files when ``[device] runtime_dir`` is not set."""
    return Path("/dev/shm") / f"khidmat-{device_id}"


class KeyFile:
    """The key and its expiry in ``directory`` (a tmpfs); one writer (the agent)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / KEY_FILE

    def put(self, key: bytes, expires_ms: int) -> None:
        """Keep ``key`` until ``expires_ms`` (Unix ms); replaces the one held."""
        if len(key) != KEY_BYTES:
            raise ValueError(f"a watchlist key has {KEY_BYTES} bytes")
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        temporary = self.path.with_name(KEY_FILE + ".new")
        text = json.dumps({"key": base64.b64encode(key).decode(), "expires_ms": int(expires_ms)})
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, self.path)

    def get(self, now_ms: int) -> bytes | None:
        """The key when one is held and not expired at ``now_ms``; else None."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            key = base64.b64decode(data["key"], validate=True)
            expires_ms = int(data["expires_ms"])
        except (OSError, ValueError, KeyError, TypeError, binascii.Error):
            return None
        if now_ms >= expires_ms or len(key) != KEY_BYTES:
            return None
        return key

    def forget(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
