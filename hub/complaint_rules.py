"""The hub's complaint rules over the wire vocabulary: transition checks and due times.

Statuses, transitions, categories with their due hours and the escalation ladder are
defined once, in :mod:`khidmat_wire.vocabulary`; this module applies them. Pure data and
functions; thread-safe. :class:`DuePolicy` is built from ``[complaints]`` in hub.toml
(see :mod:`hub.config`) or from the categories' own due hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from khidmat_wire.vocabulary import CATEGORIES, TRANSITIONS, URGENT_BY_KEY

HOUR_MS = 3_600_000


def default_due_hours() -> dict[str, float]:
    """category -> turnaround guarantee in hours, as the vocabulary defines them."""
    return {c.key: c.due_hours for c in CATEGORIES}


@dataclass(frozen=True, slots=True)
class DuePolicy:
    """Due hours per category; ``escalation_step_h`` is the wait between escalation levels.

    Every category of the vocabulary has a due time and no other category has one: the
    codec refuses a complaint with an unknown category, so :meth:`due_ms` of one is a bug
    and raises ``KeyError`` rather than inventing a promise.
    """

    due_hours: Mapping[str, float] = field(default_factory=default_due_hours)
    escalation_step_h: float | None = None
    """Hours between levels after the first lapse; None: the category's own due period."""

    def due_ms(self, category: str, urgent: str = "") -> int:
        """The turnaround period of ``category`` in milliseconds (KeyError: not a category);
        of an urgent complaint (``urgent``: its urgent answer's key), that answer's hours
        when they are shorter than the category's."""
        if urgent:
            hours = URGENT_BY_KEY[urgent].due_hours
            return min(int(hours * HOUR_MS), self.due_ms(category))
        try:
            hours = self.due_hours[category]
        except KeyError:
            raise KeyError(f"no due time for complaint category {category[:40]!r}") from None
        return int(hours * HOUR_MS)

    def step_ms(self, category: str, urgent: str = "") -> int:
        """Milliseconds from one escalation level to the next (an urgent complaint's own
        short period when that is shorter than the configured step)."""
        if self.escalation_step_h is not None:
            step = int(self.escalation_step_h * HOUR_MS)
            return min(step, self.due_ms(category, urgent)) if urgent else step
        return self.due_ms(category, urgent)


class TransitionError(ValueError):
    """A status change the lifecycle does not allow, or one missing its reason/officer."""


def check_transition(current: str, new: str) -> None:
    """Raise TransitionError unless ``current`` -> ``new`` is allowed."""
    allowed = TRANSITIONS.get(current, frozenset())
    if new not in allowed:
        choices = ", ".join(sorted(allowed)) or "nothing"
        raise TransitionError(f"a {current} complaint cannot become {new} (allowed: {choices})")
