"""The Khidmat wire protocol, defined once for both ends.

Topics (:mod:`khidmat_wire.topics`), message bodies as frozen dataclasses
(:mod:`khidmat_wire.messages`), the JSON codec with validation that names the offending
field (:mod:`khidmat_wire.codec`) and UUIDv7 record ids (:mod:`khidmat_wire.ids`).
docs/protocol.md documents all of it; tests/khidmat_wire/test_docs.py keeps them equal.
"""

from khidmat_wire.codec import Envelope, decode, encode, make_envelope
from khidmat_wire.errors import WireError
from khidmat_wire.ids import new_record_id
from khidmat_wire.topics import Direction, Topic, build_topic, parse_topic

__all__ = [
    "Direction",
    "Envelope",
    "Topic",
    "WireError",
    "build_topic",
    "decode",
    "encode",
    "make_envelope",
    "new_record_id",
    "parse_topic",
]
