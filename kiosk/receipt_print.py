"""The citizen's printed receipt: what it says, in English or Urdu, and printing it.

Two kinds, both without any personal data (no name, CNIC, mobile or description), since a
receipt can be lost and a copy can be printed by anyone who types the number:

- the **filing receipt** (:func:`filing_receipt`), printed as the complaint is queued:
  station, tracking number (large, in the printer's font), the category (a women's desk
  complaint says only "Women officers' desk"), when it was filed, the due time, for an
  urgent complaint why and the emergency number, how to track it (this desk, and the
  hub's tracking page when ``[printer] track_url`` is set) and a QR code of the number or
  of ``track_url?n=NUMBER``;
- the **status slip** (:func:`status_slip`), printed from the tracking screen: the same
  header, the status and due time the hub answered, how to track, the QR code: what the
  tracking screen already shows anyone with the number.

The due time on a filing receipt is the category's (or the urgent answer's) turnaround
from :mod:`khidmat_wire.vocabulary`, counted from the unit's clock; the hub's answer on the
tracking screen is the authority ([complaints.due_hours] may change it there).
:func:`print_receipt` encodes and prints one (blocking: run it on a worker thread).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from edge_agent.printer import Gap, Line, Printed, Qr, ReceiptPrinter, Rule, encode
from khidmat_wire.vocabulary import BY_KEY, EMERGENCY_NUMBER, UrgentAnswer
from kiosk.i18n import N_, Translator

HOUR_MS = 3_600_000

#: What the citizen and the desk officer read for each printer state (kiosk screens).
PRINTER_MESSAGES: dict[str, str] = {
    "paper-out": N_("The receipt printer is out of paper."),
    "cover-open": N_("The receipt printer's cover is open."),
    "error": N_("The receipt printer has a fault."),
    "offline": N_("The receipt printer is not answering."),
    "paper-low": N_("The receipt printer's paper is running low."),
}
NOT_PRINTED = N_(
    "Your complaint is filed and safe. Write the number down, and ask the desk officer "
    "to print the receipt again."
)
INCOMPLETE = N_("The receipt may be incomplete.")


@dataclass(frozen=True, slots=True)
class Receipt:
    """What one printed receipt says (no personal data). ``category`` is a vocabulary key
    ("" on a status slip); ``status`` a status name ("" on a filing receipt)."""

    tracking_no: str
    station: str
    language: str
    due_at_ms: int = 0
    filed_at_ms: int = 0
    category: str = ""
    gender_desk: bool = False
    urgent: UrgentAnswer | None = None
    status: str = ""


def due_at_ms(category: str, urgent: UrgentAnswer | None, filed_at_ms: int) -> int:
    """The turnaround's end the unit can tell at filing (0 for an unknown category)."""
    if urgent is not None:
        return filed_at_ms + int(urgent.due_hours * HOUR_MS)
    found = BY_KEY.get(category)
    return filed_at_ms + int(found.due_hours * HOUR_MS) if found else 0


def filing_receipt(
    tracking_no: str,
    station: str,
    language: str,
    *,
    category: str,
    gender_desk: bool,
    urgent: UrgentAnswer | None,
    filed_at_ms: int,
) -> Receipt:
    return Receipt(
        tracking_no,
        station,
        language,
        due_at_ms=due_at_ms(category, urgent, filed_at_ms),
        filed_at_ms=filed_at_ms,
        category=category,
        gender_desk=gender_desk,
        urgent=urgent,
    )


def status_slip(
    tracking_no: str, station: str, language: str, *, status: str, due_at_ms: int
) -> Receipt:
    return Receipt(tracking_no, station, language, due_at_ms=due_at_ms, status=status)


def when(ms: int) -> str:
    """Local time as the kiosk shows it (the unit runs in Pakistan time)."""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def track_target(tracking_no: str, track_url: str) -> str:
    """What the QR code carries: the tracking page with the number, or the number."""
    if not track_url:
        return tracking_no
    joiner = "&" if "?" in track_url else "?"
    return f"{track_url}{joiner}n={tracking_no}"


def blocks(receipt: Receipt, *, track_url: str = "", printed_at_ms: int = 0) -> list:
    """The receipt as printer blocks, every sentence in the receipt's language."""
    t = Translator(receipt.language)
    out: list = [
        Line(receipt.station, bold=True, align="centre"),
        Line(
            t("Complaint receipt") if not receipt.status else t("Complaint status"), align="centre"
        ),  # fmt: skip
        Rule(),
        Line(t("Tracking number"), align="centre"),
        Line(receipt.tracking_no, size=2, bold=True, align="centre"),
        Qr(track_target(receipt.tracking_no, track_url)),
    ]
    if receipt.category:
        title = (
            t("Women officers' desk")
            if receipt.gender_desk
            else t(BY_KEY[receipt.category].title)
            if receipt.category in BY_KEY
            else receipt.category
        )
        out.append(Line(t("Category: {category}", category=title)))
    if receipt.status:
        out.append(Line(t("Status: {status}", status=t(receipt.status))))
    if receipt.filed_at_ms:
        out.append(Line(t("Filed: {when}", when=when(receipt.filed_at_ms))))
    if receipt.due_at_ms:
        out.append(Line(t("We aim to act by {due}", due=when(receipt.due_at_ms)), bold=True))
    if receipt.urgent is not None:
        out += [
            Gap(1),
            Line(
                t("This complaint is urgent: {reason}.", reason=t(receipt.urgent.title)), bold=True
            ),  # fmt: skip
            Line(
                t("If you are in danger now, call {number}.", number=EMERGENCY_NUMBER), bold=True
            ),  # fmt: skip
        ]
    out += [Rule(), Line(t("How to track your complaint"), bold=True)]
    out.append(Line(t("At this desk: choose Track a complaint and type the number.")))
    if track_url:
        out.append(Line(t("Online: scan the code, or open {url}", url=track_url)))
    out.append(Line(t("Keep this receipt.")))
    if printed_at_ms and receipt.status:
        out.append(Line(t("Printed: {when}", when=when(printed_at_ms))))
    return out


def print_receipt(
    printer: ReceiptPrinter,
    receipt: Receipt,
    *,
    track_url: str = "",
    clock_ms: Callable[[], int] | None = None,
) -> Printed:
    """Encode and print ``receipt`` (raises :class:`edge_agent.printer.PrinterFault`).
    Blocking: about 0.1 s over USB, seconds over a slow serial line; run on a worker."""
    printed_at = clock_ms() if clock_ms is not None else 0
    job = encode(
        blocks(receipt, track_url=track_url, printed_at_ms=printed_at),
        width_px=printer.width_px,
        rtl=receipt.language == "ur",
    )
    return printer.print_job(job)
