"""Enrolment: consolidate several impressions of one finger into the template filed.

Policy (docs/decisions/kiosk-enrolment-consolidation.md): every impression is matched
against the best-quality one; the finger is accepted when at least ``MIN_AGREEING`` other
impressions score at or above the red threshold with it (they are the same finger, placed
well), and the best-quality template is kept. Merging minutiae across impressions would
need their registration, which matcher_cy does not expose; keeping the best one is what
the gate's search was measured with. Pure; thread-safe. Cost: n-1 ``match_score`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.identify import RED_THRESHOLD
from matcher_cy.fusion import GATE_FINGERS

if TYPE_CHECKING:
    from matcher_cy import Template

#: Fingers every enrolment holds, or records as missing or injured (ISO: right index,
#: left index): the gate searches with both.
INDEX_FINGERS = GATE_FINGERS
#: Impressions taken of each finger.
IMPRESSIONS_PER_FINGER = 3
#: Other impressions that must agree with the best one.
MIN_AGREEING = 1
#: A finger whose best impression is below this quality is not accepted.
MIN_ENROL_QUALITY = 50

FINGER_NAMES = {
    1: "right thumb",
    2: "right index",
    3: "right middle",
    4: "right ring",
    5: "right little",
    6: "left thumb",
    7: "left index",
    8: "left middle",
    9: "left ring",
    10: "left little",
}


@dataclass(frozen=True, slots=True)
class Consolidated:
    template: Template
    quality: int
    agreement: tuple[float, ...]
    problem: str

    @property
    def ok(self) -> bool:
        return not self.problem


def consolidate(templates: list[Template]) -> Consolidated:
    """Pick the best impression and check the others agree with it."""
    from matcher_cy import match_score

    if not templates:
        raise ValueError("no impressions to consolidate")
    best_index = max(range(len(templates)), key=lambda i: (templates[i].quality, len(templates[i])))
    best = templates[best_index]
    scores = tuple(match_score(best, other) for i, other in enumerate(templates) if i != best_index)
    agreeing = sum(score >= RED_THRESHOLD for score in scores)
    problem = ""
    if best.quality < MIN_ENROL_QUALITY:
        problem = f"best impression quality {best.quality} is below {MIN_ENROL_QUALITY}"
    elif len(templates) > 1 and agreeing < MIN_AGREEING:
        problem = (
            "the impressions do not match each other: the same finger must be placed each time"
        )
    return Consolidated(best, best.quality, scores, problem)
