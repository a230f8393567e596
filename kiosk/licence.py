"""Desk: ask the hub about a driving-licence application (token and CNIC).

:func:`ask_licence` queues a ``licence-lookup`` record through the unit's outbox (the
agent delivers it; the kiosk never talks MQTT) and returns its record id; the hub's
``licence-status`` answer names that id and the agent keeps it in the store
(:meth:`edge_agent.store.LocalStore.licence_answer`). :func:`parse_token` reads a token as
a citizen types it. Called on the UI thread (one short SQLite transaction).
"""

from __future__ import annotations

import re

from khidmat_wire import make_envelope
from khidmat_wire.messages import LicenceLookup
from khidmat_wire.vocabulary import is_licence_token
from kiosk.context import KioskContext
from kiosk.text import ascii_digits

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_./]+")
_PARTS = re.compile(r"([A-Z]+)([0-9]+)")


def parse_token(text: str) -> str:
    """A typed token as the branch prints it (``qta 2026004512`` -> ``QTA-2026004512``),
    or ``""`` when it cannot be one."""
    compact = _SEPARATORS.sub("", ascii_digits(text).upper())
    parts = _PARTS.fullmatch(compact)
    token = f"{parts.group(1)}-{parts.group(2)}" if parts else ""
    return token if is_licence_token(token) else ""


def ask_licence(context: KioskContext, token: str, cnic: str) -> str:
    """Queue the lookup; returns its record id (WireError: nothing was queued)."""
    envelope = make_envelope(
        "licence-lookup", context.device_id, LicenceLookup(token, cnic), now_ms=context.now_ms()
    )
    context.store.enqueue(envelope, audit=f"licence lookup {token}")
    return envelope.record_id
