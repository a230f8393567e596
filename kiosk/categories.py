"""Complaint categories as the desk shows them, and the guidance texts around them.

The categories themselves (keys, English titles, cognizable, women's desk, questions and
their keys) are the wire vocabulary's (:mod:`khidmat_wire.vocabulary`): the desk offers
exactly what the hub handles. A category is cognizable when its offence lets the police
register an FIR and act without a magistrate's order (Code of Criminal Procedure,
Schedule II); the citizen is told what that means for them. ``gender_desk`` categories
suggest the women officers' desk (the citizen can still choose). Titles and questions are
English source strings, translated where they are shown. Pure data; thread-safe.
"""

from __future__ import annotations

from khidmat_wire.vocabulary import BY_KEY, CATEGORIES, Category, Question
from kiosk.i18n import N_

__all__ = [
    "BY_KEY",
    "CATEGORIES",
    "COGNIZABLE_GUIDANCE",
    "GENDER_DESK_HINT",
    "GENDER_DESK_TEXT",
    "NON_COGNIZABLE_GUIDANCE",
    "Category",
    "Question",
]

COGNIZABLE_GUIDANCE = N_(
    "This is a cognizable offence: the police must register an FIR and can act at once. "
    "You will be called to confirm your statement."
)
NON_COGNIZABLE_GUIDANCE = N_(
    "This is a non-cognizable matter: the police record it and may refer it to a "
    "magistrate or settle it by mediation. No FIR is registered."
)
GENDER_DESK_TEXT = N_("Send my complaint to the women officers' desk")
GENDER_DESK_HINT = N_("Only women officers will see your details.")
