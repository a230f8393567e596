"""Keep the broker's state across restarts: retained messages, persistent sessions, queues.

Like Mosquitto's ``autosave_interval``, the whole state is written as one SQLite
transaction every few seconds when it changed, and at a clean stop; a SIGKILL loses at
most the changes since the last save (the units resend until the hub acknowledges, so
records are not lost; a downlink queued in that window may be). The file is
``<persistence_location>/khidmat-broker.db``.

Cost: linear in the state (a few ms per thousand queued messages), on the event loop.
Not thread-safe; one :class:`StateFile` per broker.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from khidmat.broker import packets as p
from khidmat.broker.core import BrokerCore
from khidmat.broker.session import Message, Outgoing, Session, Subscription

STATE_FILE_NAME = "khidmat-broker.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, payload BLOB NOT NULL,
    qos INTEGER NOT NULL, properties BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (client_id TEXT PRIMARY KEY, username TEXT,
    expiry_s REAL NOT NULL, subscriptions TEXT NOT NULL, next_packet_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (client_id TEXT NOT NULL, position INTEGER NOT NULL,
    packet_id INTEGER, topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL,
    retain INTEGER NOT NULL, deliver_qos INTEGER NOT NULL, deliver_retain INTEGER NOT NULL,
    properties BLOB NOT NULL, PRIMARY KEY (client_id, position));
"""


def _properties_blob(message: Message) -> bytes:
    return p.encode_properties(message.properties)


def _properties_from(blob: bytes) -> tuple[p.Property, ...]:
    return tuple(p.Cursor(blob).properties("stored message"))


class StateFile:
    """The SQLite file holding one broker's persistent state."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / STATE_FILE_NAME
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(SCHEMA)
        self.saved_changes = -1

    def close(self) -> None:
        self.conn.close()

    def save(self, core: BrokerCore) -> bool:
        """Write the state if it changed since the last save; True when written."""
        if core.changes == self.saved_changes:
            return False
        persistent = [s for s in core.sessions.values() if s.expiry_s > 0]
        retained = [
            (m.topic, m.payload, m.qos, _properties_blob(m)) for m in core.retained.values()
        ]
        sessions, messages = [], []
        for session in persistent:
            subscriptions = {
                key: [s.topic_filter, s.qos, s.group, s.no_local, s.retain_as_published]
                for key, s in session.subscriptions.items()
            }
            sessions.append(
                (session.client_id, session.username, session.expiry_s,
                 json.dumps(subscriptions), session.next_packet_id)
            )  # fmt: skip
            pending: list[tuple[int | None, Outgoing]] = sorted(session.inflight.items())
            pending += [(None, outgoing) for outgoing in session.queue]
            for position, (packet_id, outgoing) in enumerate(pending):
                m = outgoing.message
                messages.append(
                    (session.client_id, position, packet_id, m.topic, m.payload, m.qos,
                     int(m.retain), outgoing.qos, int(outgoing.retain), _properties_blob(m))
                )  # fmt: skip
        changes = core.changes
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in ("retained", "sessions", "messages"):
                conn.execute(f"DELETE FROM {table}")  # fixed table names
            conn.executemany("INSERT INTO retained VALUES (?, ?, ?, ?)", retained)
            conn.executemany("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", sessions)
            conn.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", messages)  # fmt: skip
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.saved_changes = changes
        return True

    def load(self, core: BrokerCore) -> tuple[int, int, int]:
        """Restore a saved state into an empty core; returns (retained, sessions, messages)."""
        now = core.clock()
        for topic, payload, qos, properties in self.conn.execute("SELECT * FROM retained"):
            core.retained[topic] = Message(topic, payload, qos, True, _properties_from(properties))
        for client_id, username, expiry_s, subscriptions, next_id in self.conn.execute(
            "SELECT * FROM sessions"
        ):
            session = Session(client_id, username, expiry_s, next_packet_id=next_id)
            for key, (topic_filter, qos, group, no_local, rap) in json.loads(subscriptions).items():
                session.subscriptions[key] = Subscription(topic_filter, qos, group, no_local, rap)
            session.disconnected_at = now
            core.sessions[client_id] = session
        count = 0
        for row in self.conn.execute("SELECT * FROM messages ORDER BY client_id, position"):
            client_id, _, packet_id, topic, payload, qos, retain, dqos, dretain, properties = row
            session = core.sessions.get(client_id)
            if session is None:
                continue
            message = Message(topic, payload, qos, bool(retain), _properties_from(properties))
            outgoing = Outgoing(message, dqos, bool(dretain))
            if packet_id is None:
                session.queue.append(outgoing)
            else:
                session.inflight[packet_id] = outgoing
            count += 1
        self.saved_changes = core.changes
        return len(core.retained), len(core.sessions), count
