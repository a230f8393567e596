"""The complaint lifecycle's rules: allowed transitions, due times, escalation levels.

Pure data and functions; thread-safe. :class:`DuePolicy` is built from ``[complaints]``
in hub.toml (see :mod:`hub.config`) or from the defaults below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

HOUR_MS = 3_600_000

#: status -> statuses it may change to. "assigned" -> "assigned" is a reassignment.
TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"registered", "rejected", "transferred"}),
    "registered": frozenset({"assigned", "rejected", "transferred"}),
    "assigned": frozenset({"assigned", "under-investigation", "rejected", "transferred"}),
    "under-investigation": frozenset({"assigned", "resolved", "transferred"}),
    "resolved": frozenset({"closed", "reopened"}),
    "closed": frozenset({"reopened"}),
    "rejected": frozenset({"reopened"}),
    "transferred": frozenset({"registered", "assigned"}),
    "reopened": frozenset({"registered", "assigned", "under-investigation"}),
}

#: Statuses in which the turnaround clock no longer runs (nothing to escalate).
STOPPED_STATUSES = frozenset({"resolved", "closed", "rejected"})
#: Statuses in which the citizen may rate the service (and ask to reopen).
RATEABLE_STATUSES = frozenset({"resolved", "closed"})

#: Default turnaround guarantee per category, hours. Property crime 24 h, crimes against
#: the person 72 h, money and land 7 days; the rest by how much fieldwork they take.
DEFAULT_DUE_HOURS: dict[str, float] = {
    # property crime
    "theft": 24,
    "burglary": 24,
    "robbery": 24,
    "snatching": 24,
    "vehicle-theft": 24,
    # crimes against the person
    "assault": 72,
    "harassment": 72,
    "domestic-violence": 72,
    "kidnapping": 72,
    "threat": 72,
    "missing-person": 72,
    # money and land
    "fraud": 168,
    "land-dispute": 168,
    "cheque-dishonour": 168,
    "financial": 168,
    # others
    "cyber-crime": 120,
    "police-misconduct": 72,
    "traffic": 48,
    "lost-document": 48,
    "other": 96,
}
#: Due time for a category not in the table, hours.
DEFAULT_OTHER_DUE_HOURS = 96.0

#: Who a complaint is escalated to at each level (level 0: the station).
ESCALATION_LEVELS: tuple[str, ...] = ("station", "SHO", "SDPO", "SP", "DIG")


@dataclass(frozen=True, slots=True)
class DuePolicy:
    """Due hours per category; ``escalation_step_h`` is the wait between escalation levels."""

    due_hours: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DUE_HOURS))
    other_due_hours: float = DEFAULT_OTHER_DUE_HOURS
    escalation_step_h: float | None = None
    """Hours between levels after the first lapse; None: the category's own due period."""

    def due_ms(self, category: str) -> int:
        """The turnaround period of ``category`` in milliseconds."""
        return int(self.due_hours.get(category, self.other_due_hours) * HOUR_MS)

    def step_ms(self, category: str) -> int:
        """Milliseconds from one escalation level to the next."""
        if self.escalation_step_h is not None:
            return int(self.escalation_step_h * HOUR_MS)
        return self.due_ms(category)


class TransitionError(ValueError):
    """A status change the lifecycle does not allow, or one missing its reason/officer."""


def check_transition(current: str, new: str) -> None:
    """Raise TransitionError unless ``current`` -> ``new`` is allowed."""
    allowed = TRANSITIONS.get(current, frozenset())
    if new not in allowed:
        choices = ", ".join(sorted(allowed)) or "nothing"
        raise TransitionError(f"a {current} complaint cannot become {new} (allowed: {choices})")


def escalation_name(level: int) -> str:
    """Who holds a complaint at escalation ``level`` (the top level repeats)."""
    return ESCALATION_LEVELS[min(level, len(ESCALATION_LEVELS) - 1)]
