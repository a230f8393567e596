"""The ``unit_keys`` table of the hub database: each gate's watchlist key and when it was sent.

The schema, its migration and every query on it; :mod:`hub.unit_keys` decides when a key
goes out. The keys never leave the hub except on the gate's own downlink (TLS, ACL).
Thread-safety: as :class:`khidmat_base.sqlite.Database`. Cost: one statement per call.
"""

from __future__ import annotations

from collections.abc import Callable

from khidmat_base.sqlite import Database

COMPONENT = "hub.unit_keys"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE unit_keys (
        device_id TEXT PRIMARY KEY,
        key BLOB NOT NULL,
        created_ms INTEGER NOT NULL,
        sent_ms INTEGER
    )
    """,
)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


def key_for(db: Database, device_id: str, make: Callable[[], bytes], now_ms: int) -> bytes:
    """The unit's key, made (and kept) on first use."""
    with db.write() as conn:
        conn.execute(
            "INSERT INTO unit_keys (device_id, key, created_ms) VALUES (?, ?, ?) "
            "ON CONFLICT(device_id) DO NOTHING",
            (device_id, make(), now_ms),
        )
        return bytes(
            conn.execute("SELECT key FROM unit_keys WHERE device_id = ?", (device_id,)).fetchone()[
                0
            ]
        )


def sent_ms(db: Database, device_id: str) -> int | None:
    value = db.scalar("SELECT sent_ms FROM unit_keys WHERE device_id = ?", (device_id,))
    return None if value is None else int(value)  # type: ignore[arg-type]


def mark_sent(conn: object, device_id: str, now_ms: int) -> None:
    conn.execute(  # type: ignore[attr-defined]
        "UPDATE unit_keys SET sent_ms = ? WHERE device_id = ?", (now_ms, device_id)
    )
