"""Pure parts of the kiosk: tracking numbers, validation, text safety, catalogs, QR, PINs."""

from __future__ import annotations

import gettext
import io
import math
from datetime import datetime

import pytest

from khidmat_wire.vocabulary import TRACKING_ALPHABET as ALPHABET
from khidmat_wire.vocabulary import check_char
from kiosk import validation
from kiosk.i18n import (
    LANGUAGES,
    Translator,
    citizen_strings,
    compile_po,
    parse_po,
    po_path,
)
from kiosk.officers import check, hash_pin
from kiosk.text import clean_input, display, has_arabic, literal, shown
from kiosk.tracking import TrackingError, make_tracking_no, parse_tracking_no, unit_number
from kiosk.widgets import qr_text


def test_tracking_number_shape_and_check() -> None:
    number = make_tracking_no("QTA01", datetime(2026, 11, 30), 12, 7)
    assert number.startswith("QTA01-261130-120007-")
    assert parse_tracking_no(number.lower().replace("-", "- ")) == number


def test_check_character_catches_every_single_change_and_adjacent_swap() -> None:
    payload = "QTA01-261130-120007"
    good = payload + "-" + check_char(payload)
    chars = [i for i, c in enumerate(payload) if c != "-"]
    for i in chars:
        for replacement in ALPHABET:
            if replacement != payload[i]:
                changed = payload[:i] + replacement + payload[i + 1 :]
                with pytest.raises(TrackingError):
                    parse_tracking_no(changed + good[-2:])
    for a, b in zip(chars, chars[1:], strict=False):
        if b == a + 1 and payload[a] != payload[b]:
            swapped = payload[:a] + payload[b] + payload[a] + payload[b + 1 :]
            with pytest.raises(TrackingError):
                parse_tracking_no(swapped + good[-2:])


def test_unit_number_from_setting_or_device_id() -> None:
    assert unit_number("qta01-desk-1", "7") == 7
    assert 0 <= unit_number("qta01-desk-1", None) < 100
    with pytest.raises(TrackingError):
        unit_number("x", "123")


@pytest.mark.parametrize(
    ("typed", "value"),
    [("42101-1234567-1", "42101-1234567-1"), ("4210112345671", "42101-1234567-1"),
     (" 42101 1234567 1 ", "42101-1234567-1")],
)  # fmt: skip
def test_cnic_accepted_forms(typed: str, value: str) -> None:
    assert validation.check_cnic(typed) == (value, None)


@pytest.mark.parametrize("typed", ["4210", "42101-1234567-12", "ABCDE-1234567-1", ""])
def test_cnic_rejected_with_reason(typed: str) -> None:
    value, reason = validation.check_cnic(typed)
    assert value is None and reason


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("0300-1234567", "0300-1234567"),
        ("03001234567", "0300-1234567"),
        ("+92 300 1234567", "0300-1234567"),
    ],
)
def test_mobile_accepted_forms(typed: str, value: str) -> None:
    assert validation.check_mobile(typed) == (value, None)


@pytest.mark.parametrize("typed", ["0412-3456789", "0300-12345", "03OO-1234567"])
def test_mobile_rejected_with_reason(typed: str) -> None:
    assert validation.check_mobile(typed)[0] is None


def test_hostile_text_is_literal_and_controls_visible() -> None:
    for hostile in ("[@click=app.quit]x[/]", "[/b]", "[b]bold"):
        assert literal(hostile).plain == hostile
        assert shown(hostile).plain == hostile
    assert display("a\x1bb\x07") == "a␛b␇"
    assert clean_input(" a\x1b[31mb\x00 ") == "a[31mb"


def test_urdu_is_shaped_and_reordered() -> None:
    assert has_arabic("شکایت")
    shaped = display("شکایت")
    assert shaped != "شکایت" and not has_arabic("abc")
    assert all(0xFB50 <= ord(c) <= 0xFEFF for c in shaped)


def test_every_citizen_string_has_an_urdu_translation() -> None:
    entries = parse_po(po_path("ur").read_text(encoding="utf-8"))
    missing = {k: v for k, v in citizen_strings().items() if k not in entries}
    assert not missing, f"add to kiosk/locale/ur/LC_MESSAGES/kiosk.po: {missing}"
    assert len(entries) > 80


def test_compiled_catalog_is_read_by_gettext() -> None:
    catalog = gettext.GNUTranslations(io.BytesIO(compile_po({"Back": "واپس", "Next": "آگے"})))
    assert catalog.gettext("Back") == "واپس"
    assert catalog.gettext("Unknown") == "Unknown"
    assert Translator("ur")("Back") == "واپس"  # logical order; widgets shape it
    assert Translator("en")("Back") == "Back"
    assert set(LANGUAGES) == {"en", "ur"}


def test_qr_code_decodes_to_the_number() -> None:
    import segno

    number = "QTA01-261130-120007-K"
    art = qr_text(number, border=0).splitlines()
    matrix = [list(row) for row in segno.make(number, error="m", micro=False).matrix]
    top_row = "".join(
        "█" if a and b else "▀" if a else "▄" if b else " "
        for a, b in zip(matrix[0], matrix[1], strict=True)
    )
    assert art[0] == top_row


def test_officer_pin() -> None:
    settings = {"officer.qta-101": hash_pin("432100", memory_kib=1024, time_cost=1)}
    assert settings["officer.qta-101"].startswith("$argon2id$")
    assert check(settings, "QTA-101", "432100") == ("QTA-101", "")
    assert check(settings, "QTA-101", "111111")[0] is None
    assert check(settings, "QTA-101", "432100\n")[0] is None
    assert check(settings, "[x]", "432100")[0] is None
    assert "6 to 8 digits" in check(settings, "QTA-101", "4321")[1]
    assert "no officer list" in check({}, "QTA-101", "432100")[1]
    with pytest.raises(ValueError):
        hash_pin("1234")
    # a PBKDF2 value from before argon2id is refused, not trusted
    assert check({"officer.qta-101": "pbkdf2-sha256$1000$00$00"}, "QTA-101", "432100")[0] is None


def test_numbers_stay_left_to_right_inside_urdu() -> None:
    from kiosk.text import shape

    assert "42101-1234567-1" in shape("جیسے 42101-1234567-1۔")
    assert "0300-1234567" in shape("جیسے 0300-1234567")
    assert "2026-11-30 10:00" in shape("وقت 2026-11-30 10:00 تک")


def test_verdict_thresholds_and_hub_overrides() -> None:
    from kiosk.identify import (
        RED_THRESHOLD,
        YELLOW_THRESHOLD,
        Thresholds,
        thresholds_from,
        verdict_for,
    )

    assert verdict_for(None) == "green"
    assert verdict_for(YELLOW_THRESHOLD - 1e-6) == "green"
    assert verdict_for(YELLOW_THRESHOLD) == "yellow"
    assert verdict_for(RED_THRESHOLD) == "red"
    strict, problem = thresholds_from(
        {"gate.red_threshold": "0.05", "gate.yellow_threshold": "0.04"}
    )
    assert (strict, problem) == (Thresholds(0.05, 0.04), "")
    assert verdict_for(RED_THRESHOLD, strict) == "green"
    assert verdict_for(0.045, strict) == "yellow"
    default, problem = thresholds_from({"gate.red_threshold": str(YELLOW_THRESHOLD / 2)})
    assert default == Thresholds.for_gallery(1) and "yellow <= red" in problem
    assert thresholds_from({"gate.red_threshold": "high"})[1]
    # without hub settings, a bigger watchlist needs a higher score (one comparison per person)
    small, _ = thresholds_from({}, 3)
    large, _ = thresholds_from({}, 10_000, fingers=2)
    assert small.red < large.red and small.yellow < large.yellow
    assert large.yellow < large.red
    # one finger against a large list: no red and no yellow, whatever the hub sets
    one, _ = thresholds_from({}, 10_000, fingers=1)
    assert one == Thresholds(math.inf, math.inf)
    hub, problem = thresholds_from(
        {"gate.red_threshold": "0.05", "gate.yellow_threshold": "0.04"}, 10_000, fingers=1
    )
    assert (hub, problem) == (Thresholds(math.inf, 0.04), "")


def test_big_text_draws_every_tracking_character() -> None:
    from kiosk.widgets import FONT_3X5, big_text

    alphabet = ALPHABET + "-"
    art = big_text(alphabet).split("\n")
    assert len(art) == 3 and {len(line) for line in art} == {4 * len(alphabet) - 1}
    glyphs = {c: big_text(c) for c in alphabet}
    assert len(set(glyphs.values())) == len(alphabet)  # no two characters look the same
    assert set(FONT_3X5) >= set(alphabet)


def test_example_tracking_numbers_shown_to_citizens_are_valid() -> None:
    import re

    examples = {
        number
        for message in citizen_strings()
        for number in re.findall(r"[A-Z0-9]{2,8}-[0-9]{6}-[0-9]{4,6}-[0-9A-Z]", message)
    }
    assert examples
    for number in examples:
        assert parse_tracking_no(number) == number


def test_five_wrong_pins_lock_that_badge_across_restarts(tmp_path) -> None:
    from edge_agent.store import LocalStore
    from kiosk.officers import LOCKOUT_S, MAX_FAILURES, PREFIX, sign_in

    now = 1_796_032_800_000
    with LocalStore(tmp_path / "unit.db") as store:
        for badge in ("qta-101", "qta-102"):
            store.put_setting(PREFIX + badge, hash_pin("432100", memory_kib=1024, time_cost=1))
        for _ in range(MAX_FAILURES - 1):
            assert sign_in(store, "QTA-101", "000000", now_ms=now)[0] is None
        assert sign_in(store, "QTA-101", "432100", now_ms=now) == ("QTA-101", "")  # resets
        for _ in range(MAX_FAILURES):
            officer, reason = sign_in(store, "QTA-101", "000000", now_ms=now)
            assert officer is None
        assert "locked" in reason
    with LocalStore(tmp_path / "unit.db") as store:  # the kiosk restarted
        officer, reason = sign_in(store, "QTA-101", "432100", now_ms=now + 60_000)
        assert officer is None and "locked" in reason  # the right PIN waits too
        assert sign_in(store, "QTA-102", "432100", now_ms=now) == ("QTA-102", "")  # others not
        later = now + int(LOCKOUT_S * 1000) + 1
        assert sign_in(store, "QTA-101", "432100", now_ms=later) == ("QTA-101", "")
        assert any(a[2] == "officer locked out" for a in store.audit_log())
