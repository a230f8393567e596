"""The public tracking page's HTML, in English or Urdu (right to left); everything escaped.

Pure functions building whole pages as strings: every value that came from a person (the
typed number, an officer's message for the citizen) goes through :func:`html.escape` and
sits in a ``<bdi>`` so its direction does not disturb the sentence around it. The browser
shapes Urdu (the page names Noto Naskh Arabic, which the hub's setup installs). No script;
the style sheet is served from ``/style.css`` (the page's Content-Security-Policy allows
nothing else). Times are Pakistan time (UTC+5). Thread-safe.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import urlencode

from hub.sms.texts import PKT, URDU_STATUS_NAMES
from hub.tracking_web.lookup import TrackingAnswer
from khidmat_wire.vocabulary import EMERGENCY_NUMBER, STATUS_NAMES

LANGUAGES = ("en", "ur")

#: Every sentence of the page, by key, in English and Urdu. ``{n}``, ``{minutes}`` and
#: ``{kb}`` are filled in before escaping.
TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Track your complaint", "ur": "اپنی شکایت کی صورتحال دیکھیں"},
    "intro": {
        "en": "Enter the tracking number from your receipt and the last {n} digits of the "
        "mobile number you gave at the desk.",
        "ur": "اپنی رسید پر لکھا ٹریکنگ نمبر اور ڈیسک پر دیے گئے موبائل نمبر کے آخری {n} ہندسے درج کریں۔",
    },
    "number": {"en": "Tracking number", "ur": "ٹریکنگ نمبر"},
    "digits": {
        "en": "Last {n} digits of your mobile number",
        "ur": "موبائل نمبر کے آخری {n} ہندسے",
    },
    "submit": {"en": "Show status", "ur": "صورتحال دکھائیں"},
    "other": {"en": "اردو", "ur": "English"},
    "status": {"en": "Status", "ur": "صورتحال"},
    "due": {"en": "Due by", "ur": "مقررہ وقت"},
    "history": {"en": "What has happened", "ur": "اب تک کیا ہوا"},
    "complaint": {"en": "Complaint", "ur": "شکایت"},
    "women": {
        "en": "Your complaint is being handled by the women's desk. For news of it, visit "
        "or call the women's desk of your police station.",
        "ur": "آپ کی شکایت پر خواتین ڈیسک کارروائی کر رہا ہے۔ اس کی معلومات کے لیے اپنے تھانے "
        "کے خواتین ڈیسک پر آئیں یا فون کریں۔",
    },
    "emergency": {
        "en": "In danger now? Call {emergency}.",
        "ur": "ابھی خطرے میں ہیں؟ {emergency} پر فون کریں۔",
    },
    "again": {"en": "Track another complaint", "ur": "کوئی اور شکایت دیکھیں"},
    "format": {
        "en": "That is not a tracking number. Type it as printed on your receipt "
        "(spaces and dashes do not matter).",
        "ur": "یہ ٹریکنگ نمبر نہیں ہے۔ اسے ویسے ہی لکھیں جیسے رسید پر چھپا ہے (خالی جگہ اور ڈیش سے فرق نہیں پڑتا)۔",
    },
    "check": {
        "en": "This tracking number has a mistake in it (its last character does not fit). "
        "Check it against your receipt.",
        "ur": "اس ٹریکنگ نمبر میں غلطی ہے (آخری حرف درست نہیں)۔ اسے اپنی رسید سے ملا کر دیکھیں۔",
    },
    "digits-bad": {
        "en": "Enter exactly the last {n} digits of the mobile number you gave at the desk.",
        "ur": "ڈیسک پر دیے گئے موبائل نمبر کے بالکل آخری {n} ہندسے درج کریں۔",
    },
    "not-found": {
        "en": "No complaint matches this tracking number and these digits. Check both, or ask "
        "at any Khidmat desk.",
        "ur": "اس ٹریکنگ نمبر اور ان ہندسوں سے کوئی شکایت نہیں ملی۔ دونوں دوبارہ دیکھیں یا کسی بھی خدمت ڈیسک پر پوچھیں۔",
    },
    "client-limit": {
        "en": "Too many tries from this connection. Please wait {minutes} minutes and try again.",
        "ur": "اس کنکشن سے بہت زیادہ کوششیں ہو چکی ہیں۔ براہِ کرم {minutes} منٹ انتظار کر کے دوبارہ کوشش کریں۔",
    },
    "number-limit": {
        "en": "Too many wrong tries for this tracking number: it can be looked up again in "
        "{minutes} minutes. You can also ask at any Khidmat desk.",
        "ur": "اس ٹریکنگ نمبر کے لیے بہت زیادہ غلط کوششیں ہوئیں: اسے {minutes} منٹ بعد دوبارہ دیکھا جا سکے گا۔ "
        "آپ کسی بھی خدمت ڈیسک پر بھی پوچھ سکتے ہیں۔",
    },
    "too-large": {
        "en": "What was sent is too large (at most {kb} KB). Please use the form on this page.",
        "ur": "بھیجا گیا مواد بہت بڑا ہے (زیادہ سے زیادہ {kb} کلو بائٹ)۔ براہِ کرم اسی صفحے کا فارم استعمال کریں۔",
    },
    "bad-form": {
        "en": "The form could not be read (it must be sent as UTF-8 text from this page's "
        "form). Please use the form on this page.",
        "ur": "فارم پڑھا نہیں جا سکا (اسے اسی صفحے کے فارم سے UTF-8 متن کی صورت میں بھیجیں)۔ "
        "براہِ کرم اسی صفحے کا فارم استعمال کریں۔",
    },
    "no-page": {
        "en": "There is no such page here.",
        "ur": "یہاں ایسا کوئی صفحہ نہیں ہے۔",
    },
    "method": {
        "en": "This page does not answer that kind of request.",
        "ur": "یہ صفحہ اس قسم کی درخواست کا جواب نہیں دیتا۔",
    },
    "failed": {
        "en": "Something went wrong on our side. Please try again in a few minutes.",
        "ur": "ہماری طرف کوئی خرابی ہو گئی۔ براہِ کرم چند منٹ بعد دوبارہ کوشش کریں۔",
    },
}

STYLE = """
body { font-family: "Noto Sans", "DejaVu Sans", sans-serif; margin: 0; background: #f4f6f4;
       color: #1b1b1b; font-size: 18px; line-height: 1.5; }
html[lang="ur"] body { font-family: "Noto Naskh Arabic", "Noto Sans Arabic", sans-serif;
       font-size: 20px; line-height: 1.9; }
header { background: #0b5d3b; color: #fff; padding: 0.6em 1em; display: flex;
         justify-content: space-between; align-items: center; }
header h1 { font-size: 1.3em; margin: 0; }
header a { color: #fff; }
main { max-width: 40em; margin: 1em auto; padding: 0 1em; }
label { display: block; margin-top: 0.8em; font-weight: bold; }
input[type=text] { font-size: 1.1em; width: 100%; box-sizing: border-box; padding: 0.3em;
                   direction: ltr; }
button { margin-top: 1em; font-size: 1.1em; padding: 0.4em 1.2em; }
.error { background: #fde8e8; border: 1px solid #b00020; padding: 0.6em; }
.status { font-size: 1.3em; font-weight: bold; }
.number { font-family: "DejaVu Sans Mono", monospace; }
ol { padding-inline-start: 1.2em; }
"""


def choose_language(requested: str | None, accept_language: str = "") -> str:
    """``requested`` when it is a language of the page, else Urdu when the browser asks
    for it before English, else English."""
    if requested in LANGUAGES:
        return requested  # type: ignore[return-value]
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("ur"):
            return "ur"
        if tag.startswith("en"):
            return "en"
    return "en"


def say(key: str, language: str, **values: object) -> str:
    """The sentence ``key`` in ``language`` with ``values`` filled in (not escaped)."""
    return TEXT[key][language].format(**values)


def status_name(status: str, language: str) -> str:
    name = STATUS_NAMES[status]
    return URDU_STATUS_NAMES[name] if language == "ur" else name


def local_time(ms: int) -> str:
    """``2026-12-05 14:30`` in Pakistan time (digits read the same in both languages)."""
    return (datetime.fromtimestamp(ms / 1000, tz=UTC) + PKT).strftime("%Y-%m-%d %H:%M")


_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _e(text: str) -> str:
    """``text`` escaped for HTML, control characters shown as U+FFFD."""
    return html.escape(_CONTROLS.sub("\ufffd", text), quote=True)


def _ltr(text: str) -> str:
    """A number or time inside a sentence, kept left to right in Urdu."""
    return f'<bdi dir="ltr">{_e(text)}</bdi>'


def _document(language: str, body: str, *, switch_to: str) -> str:
    other = "ur" if language == "en" else "en"
    direction = "rtl" if language == "ur" else "ltr"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language}" dir="{direction}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>Khidmat · {_e(say('title', language))}</title>\n"
        '<link rel="stylesheet" href="/style.css">\n</head>\n<body>\n<header>\n'
        f"<h1>{_e(say('title', language))}</h1>\n"
        f'<a id="language" lang="{other}" href="{_e(switch_to)}">{_e(say("other", language))}</a>\n'
        f"</header>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )


def form_page(
    language: str, *, mobile_digits: int, number: str = "", error: str = "", **values: object
) -> str:
    """The lookup form; ``error`` (a TEXT key) is shown above it, ``number`` pre-filled."""
    n = mobile_digits
    parts = []
    if error:
        sentence = say(error, language, n=n, **values)
        parts.append(f'<p class="error" id="error" role="alert">{_e(sentence)}</p>\n')
    parts.append(f'<p id="intro">{_e(say("intro", language, n=n))}</p>\n')
    parts.append(
        '<form method="post" action="/track" accept-charset="utf-8">\n'
        f'<input type="hidden" name="lang" value="{language}">\n'
        f'<label for="number">{_e(say("number", language))}</label>\n'
        f'<input type="text" id="number" name="number" value="{_e(number)}" maxlength="40" '
        'autocomplete="off" autocapitalize="characters" spellcheck="false" required>\n'
        f'<label for="digits">{_e(say("digits", language, n=n))}</label>\n'
        f'<input type="text" id="digits" name="digits" inputmode="numeric" maxlength="{n + 4}" '
        'autocomplete="off" required>\n'
        f'<button type="submit" id="submit">{_e(say("submit", language))}</button>\n</form>\n'
    )
    other = "ur" if language == "en" else "en"
    query = {"lang": other, **({"number": number} if number else {})}
    return _document(language, "".join(parts), switch_to="/?" + urlencode(query))


def answer_page(language: str, answer: TrackingAnswer) -> str:
    """The status of one complaint (or only the women's desk, for a gender-desk one)."""
    parts = [f'<p>{_e(say("complaint", language))} <span class="number" id="tracking-no">'
             f"{_ltr(answer.tracking_no)}</span></p>\n"]  # fmt: skip
    if answer.women_desk:
        parts.append(f'<p class="status" id="women-desk">{_e(say("women", language))}</p>\n')
        parts.append(
            f'<p id="emergency">{_e(say("emergency", language, emergency=EMERGENCY_NUMBER))}</p>\n'
        )
    else:
        parts.append(
            f'<p>{_e(say("status", language))}: <span class="status" id="status">'
            f"{_e(status_name(answer.status, language))}</span></p>\n"
        )
        if answer.open and answer.due_at_ms:
            parts.append(
                f'<p>{_e(say("due", language))}: <span id="due">'
                f"{_ltr(local_time(answer.due_at_ms))}</span></p>\n"
            )
        parts.append(f'<h2>{_e(say("history", language))}</h2>\n<ol id="history">\n')
        for entry in answer.history:
            line = f"{_ltr(local_time(entry.at_ms))} · {_e(status_name(entry.status, language))}"
            if entry.message:
                line += f' · <bdi class="message">{_e(entry.message)}</bdi>'
            parts.append(f"<li>{line}</li>\n")
        parts.append("</ol>\n")
    parts.append(
        f'<p><a id="again" href="/?lang={language}">{_e(say("again", language))}</a></p>\n'
    )
    other = "ur" if language == "en" else "en"
    return _document(language, "".join(parts), switch_to=f"/?lang={other}")


def error_page(language: str, key: str, **values: object) -> str:
    """A page that says only what went wrong (a TEXT key) and links back to the form."""
    body = (
        f'<p class="error" id="error" role="alert">{_e(say(key, language, **values))}</p>\n'
        f'<p><a id="again" href="/?lang={language}">{_e(say("again", language))}</a></p>\n'
    )
    other = "ur" if language == "en" else "en"
    return _document(language, body, switch_to=f"/?lang={other}")
