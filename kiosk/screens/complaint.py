"""Desk: filing a complaint, step by step.

category -> the category's questions (with cognizable guidance and the gender-desk
choice) -> person details (name, CNIC, mobile, each checked with the reason in plain
words) -> description -> review -> submit. The draft lives in this screen only; leaving
(Back on the first step, F12, the idle timeout) drops it.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal
from textual.widgets import Button, Checkbox, Input, TextArea

from edge_agent.store import StoreFault
from khidmat_wire import WireError
from khidmat_wire.vocabulary import urgency
from kiosk import validation
from kiosk.categories import (
    BY_KEY,
    CATEGORIES,
    COGNIZABLE_GUIDANCE,
    GENDER_DESK_HINT,
    GENDER_DESK_TEXT,
    NON_COGNIZABLE_GUIDANCE,
)
from kiosk.desk import STORE_FAULT_MESSAGE, Draft, file_complaint
from kiosk.i18n import N_
from kiosk.receipt_print import filing_receipt
from kiosk.rtl_widgets import KioskFooter, KioskInput, LimitedTextArea, Paragraph
from kiosk.screens.base import KioskScreen, Page, button, said, text

SMS_TEXT = N_("Send me text messages about this complaint")

STEPS = ("category", "questions", "person", "description", "review")


class ComplaintScreen(KioskScreen):
    BINDINGS = [
        Binding("f12", "app.quick_exit", N_("Clear"), priority=True),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.draft = Draft()
        self.step = 0
        self.errors: dict[str, str] = {}
        self.submit_error = ""

    @property
    def step_name(self) -> str:
        return STEPS[self.step]

    @property
    def AUTO_FOCUS(self) -> str:  # type: ignore[override]
        """The first category, the first field of the step, or Submit on the review."""
        if self.step_name == "category":
            return f"#cat-{CATEGORIES[0].key}"
        if self.step_name == "review":
            return "#submit"
        return "KioskInput, LimitedTextArea"

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        t = self.t
        with Page(classes=f"page {self.rtl_class}", id="complaint"):
            yield text(t("Step {n} of {total}", n=self.step + 1, total=len(STEPS)), classes="step")
            yield from getattr(self, f"_compose_{self.step_name}")()
            with Horizontal(classes="nav"):
                nav = [button(t("Back"), id="back", classes="big")]
                if self.step_name == "review":
                    nav.append(
                        button(t("Submit complaint"), id="submit", variant="success", classes="big")
                    )
                elif self.step_name != "category":
                    nav.append(button(t("Next"), id="next", variant="primary", classes="big"))
                yield from self.mirrored(nav)
        yield KioskFooter()

    def _error(self, key: str) -> ComposeResult:
        message = self.errors.get(key)
        if message:
            yield text(self.t(message), classes="error", id=f"error-{key}")

    def _counter(self, key: str, value: str, limit: int) -> Paragraph:
        """``n / limit`` letters under a long field, updated as the citizen types."""
        return Paragraph(self._count(value, limit), id=f"count-{key}", classes="counter")

    def _count(self, value: str, limit: int) -> str:
        return self.t("{n} of {limit} letters", n=len(value), limit=limit)

    def _update_live(self, key: str, value: str, limit: int) -> None:
        for counter in self.query(f"#count-{key}").results(Paragraph):
            counter.update(self._count(value, limit))

    def _compose_category(self) -> ComposeResult:
        yield text(self.t("What is your complaint about?"), classes="title")
        with Grid(classes="categories"):
            # two to a row; for Urdu each row reads from the right
            for row in range(0, len(CATEGORIES), 2):
                yield from self.mirrored(
                    button(self.t(c.title), id=f"cat-{c.key}", classes="big")
                    for c in CATEGORIES[row : row + 2]
                )

    def _compose_questions(self) -> ComposeResult:
        t = self.t
        category = BY_KEY[self.draft.category]
        yield text(t(category.title), classes="title")
        guidance = COGNIZABLE_GUIDANCE if category.cognizable else NON_COGNIZABLE_GUIDANCE
        yield text(t(guidance), classes="guidance", id="guidance")
        for question in category.questions:
            yield text(t(question.text), classes="label")
            answer = self.draft.answers.get(question.key, "")
            yield KioskInput(
                answer,
                placeholder=t(question.hint) if question.hint else "",
                id=f"q-{question.key}",
                max_length=validation.ANSWER_MAX,
            )
            yield from self._error(f"q-{question.key}")
            yield self._counter(f"q-{question.key}", answer, validation.ANSWER_MAX)
        yield self.checkbox(t(GENDER_DESK_TEXT), self.draft.gender_desk, id="gender-desk")
        yield text(t(GENDER_DESK_HINT), classes="hint")

    def _compose_person(self) -> ComposeResult:
        t = self.t
        yield text(t("About you"), classes="title")
        yield text(t("Your name"), classes="label")
        yield KioskInput(self.draft.name, id="name", max_length=validation.NAME_MAX)
        yield from self._error("name")
        yield self._counter("name", self.draft.name, validation.NAME_MAX)
        yield text(t("Your CNIC number (13 numbers, on your identity card)"), classes="label")
        yield KioskInput(self.draft.cnic, placeholder="42101-1234567-1", id="cnic", max_length=20)
        yield from self._error("cnic")
        yield text(t("Your mobile number (we send updates to it)"), classes="label")
        yield KioskInput(self.draft.mobile, placeholder="0300-1234567", id="mobile", max_length=20)
        yield from self._error("mobile")
        yield self.checkbox(t(SMS_TEXT), self.draft.sms, id="sms")

    def _compose_description(self) -> ComposeResult:
        yield text(self.t("What happened? Write it in your own words."), classes="title")
        yield LimitedTextArea(
            self.draft.description,
            id="description",
            soft_wrap=True,
            max_length=validation.DESCRIPTION_MAX,
        )
        yield from self._error("description")
        yield self._counter("description", self.draft.description, validation.DESCRIPTION_MAX)

    def _compose_review(self) -> ComposeResult:
        t = self.t
        draft = self.draft
        category = BY_KEY[draft.category]
        yield text(t("Please check your complaint"), classes="title")
        yield text(t("Complaint about"), classes="label")
        yield text(t(category.title), classes="value")
        for question in category.questions:
            yield text(t(question.text), classes="label")
            yield said(draft.answers.get(question.key, "") or "-", classes="value")
        yield text(t("Your name"), classes="label")
        yield said(draft.name, classes="value", id="review-name")
        yield text(t("CNIC"), classes="label")
        yield said(draft.cnic, classes="value")
        yield text(t("Mobile"), classes="label")
        yield said(draft.mobile, classes="value")
        yield text(t("What happened"), classes="label")
        yield said(draft.description, classes="value", id="review-description")
        guidance = COGNIZABLE_GUIDANCE if category.cognizable else NON_COGNIZABLE_GUIDANCE
        yield text(t(guidance), classes="guidance")
        if draft.gender_desk:
            yield text(t("Your complaint goes to the women officers' desk."), classes="guidance")
        if self.submit_error:
            yield text(self.submit_error, classes="error", id="submit-error")

    # ------------------------------------------------------------------ input
    @on(Input.Changed)
    def remember(self, event: Input.Changed) -> None:
        self.dirty = True
        key = event.input.id or ""
        if key.startswith("q-"):
            self.draft.answers[key[2:]] = event.value
        elif key in ("name", "cnic", "mobile"):
            setattr(self.draft, key, event.value)
        self._update_live(key, event.value, event.input.max_length or 0)

    @on(Input.Submitted)
    def enter_moves_on(self) -> None:
        """Enter in a field goes to the next control, as Tab does (the last one: Next)."""
        self.focus_next()

    @on(TextArea.Changed)
    def remember_text(self, event: TextArea.Changed) -> None:
        self.dirty = True
        self.draft.description = event.text_area.text
        self._update_live("description", self.draft.description, validation.DESCRIPTION_MAX)

    @on(Checkbox.Changed, "#sms")
    def sms_choice(self, event: Checkbox.Changed) -> None:
        self.draft.sms = event.value

    @on(Checkbox.Changed, "#gender-desk")
    def gender_desk(self, event: Checkbox.Changed) -> None:
        self.draft.gender_desk = event.value
        self.draft.gender_desk_chosen = True

    @on(Button.Pressed)
    async def pressed(self, event: Button.Pressed) -> None:
        key = event.button.id or ""
        if key.startswith("cat-"):
            self.dirty = True
            self.draft.category = key[4:]
            if not self.draft.gender_desk_chosen:
                self.draft.gender_desk = BY_KEY[self.draft.category].gender_desk
            await self.go(1)
        elif key == "back":
            await self.action_back()
        elif key == "next":
            if self.validate_step():
                await self.go(1)
            else:
                await self.rebuild(self.first_error())
        elif key == "submit":
            await self.submit()

    async def action_back(self) -> None:
        if self.step == 0:
            self.dismiss()
        else:
            await self.go(-1)

    async def go(self, delta: int) -> None:
        self.errors = {}
        self.submit_error = ""
        self.step = max(0, min(len(STEPS) - 1, self.step + delta))
        await self.rebuild(self.AUTO_FOCUS)

    def first_error(self) -> str | None:
        """The field of the first error, to focus (None: no error)."""
        return f"#{next(iter(self.errors))}" if self.errors else None

    def validate_step(self) -> bool:
        """Check the current step; errors hold message ids by field."""
        draft = self.draft
        errors: dict[str, str] = {}
        if self.step_name == "questions":
            for question in BY_KEY[draft.category].questions:
                value, error = validation.check_answer(draft.answers.get(question.key, ""))
                if error:
                    errors[f"q-{question.key}"] = error
                else:
                    draft.answers[question.key] = value or ""
        elif self.step_name == "person":
            for key, check in (
                ("name", validation.check_name),
                ("cnic", validation.check_cnic),
                ("mobile", validation.check_mobile),
            ):
                value, error = check(getattr(draft, key))
                if error:
                    errors[key] = error
                else:
                    setattr(draft, key, value)
        elif self.step_name == "description":
            value, error = validation.check_description(draft.description)
            if error:
                errors["description"] = error
            else:
                draft.description = value or ""
        self.errors = errors
        return not errors

    async def submit(self) -> None:
        from kiosk.screens.receipt import ReceiptScreen

        try:
            tracking_no = file_complaint(self.kiosk.context, self.draft, self.kiosk.language)
        except WireError as error:
            # the form stays as it is; the message names the field
            self.submit_error = self.t("This could not be filed: {reason}", reason=str(error))
            await self.rebuild("#submit")
            return
        except StoreFault as fault:
            # the draft stays on screen; the message never repeats what was typed
            self.kiosk.report_store_fault(fault)
            self.submit_error = self.t(STORE_FAULT_MESSAGE)
            await self.rebuild("#submit")
            return
        urgent = urgency(self.draft.category, self.draft.answers)
        receipt = filing_receipt(
            tracking_no,
            self.kiosk.context.station,
            self.kiosk.language,
            category=self.draft.category,
            gender_desk=self.draft.gender_desk,
            urgent=urgent,
            filed_at_ms=self.kiosk.context.now_ms(),
        )
        self.app.switch_screen(ReceiptScreen(tracking_no, urgent, receipt))
