"""Complaint categories offered at the desk, with their questions and guidance.

A category is cognizable when its offence lets the police register an FIR and act
without a magistrate's order (Code of Criminal Procedure, Schedule II); the citizen is
told what that means for them. ``gender_desk`` categories suggest the women officers'
desk (the citizen can still choose). Keys and question keys are the wire's
(``Complaint.category``, ``Answer.question``). Pure data; thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.i18n import N_


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    text: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    title: str
    cognizable: bool
    gender_desk: bool
    questions: tuple[Question, ...]


WHEN = Question("when", N_("When did it happen?"), N_("Date and time, as well as you remember"))
WHERE = Question("where", N_("Where did it happen?"), N_("Area, street or landmark"))

CATEGORIES: tuple[Category, ...] = (
    Category(
        "theft",
        N_("Theft"),
        True,
        False,
        (
            WHEN,
            WHERE,
            Question("items", N_("What was taken?"), N_("For example: phone, motorcycle, cash")),
        ),
    ),
    Category(
        "robbery",
        N_("Robbery or snatching"),
        True,
        False,
        (
            WHEN,
            WHERE,
            Question("weapon", N_("Was a weapon shown?"), N_("Yes or no; what kind")),
            Question("items", N_("What was taken?"), N_("For example: phone, motorcycle, cash")),
        ),
    ),
    Category(
        "harassment",
        N_("Harassment"),
        True,
        True,
        (
            WHEN,
            WHERE,
            Question(
                "accused_known", N_("Do you know the person?"), N_("Name or description, if known")
            ),
        ),
    ),
    Category(
        "domestic-violence",
        N_("Violence at home"),
        True,
        True,
        (
            WHEN,
            Question("danger_now", N_("Are you in danger now?"), N_("Yes or no")),
            Question("injured", N_("Was anyone hurt?"), N_("Yes or no; who")),
        ),
    ),
    Category(
        "missing-person",
        N_("Missing person"),
        True,
        False,
        (
            Question("missing_name", N_("Name and age of the missing person")),
            Question("last_seen", N_("Where and when were they last seen?")),
        ),
    ),
    Category(
        "fraud",
        N_("Fraud or cheating"),
        True,
        False,
        (
            WHEN,
            Question("amount", N_("How much money was lost?"), N_("In rupees")),
        ),
    ),
    Category(
        "lost-document",
        N_("Lost document or item"),
        False,
        False,
        (
            Question("document", N_("What was lost?"), N_("For example: CNIC, licence, phone")),
            WHERE,
        ),
    ),
    Category(
        "nuisance",
        N_("Nuisance or dispute"),
        False,
        False,
        (WHERE, Question("who", N_("Who is causing it?"), N_("Neighbour, shop, unknown"))),
    ),
)

BY_KEY: dict[str, Category] = {c.key: c for c in CATEGORIES}

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
