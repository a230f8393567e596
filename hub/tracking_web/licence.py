"""The tracking page's driving-licence lookup: ``GET /licence`` (form), ``POST /licence``.

A citizen types the token on their licence receipt and their CNIC; the page shows the
application's status and steps (with the licensing branch's notes), as the desk kiosk does
(:meth:`hub.licences.LicenceOffice.public_status`). An unknown token and a CNIC that is not
the application's get the same answer, and each token may fail ``number_limit`` times per
``number_window_s`` (the complaint lookup's limits; the per-client limit is shared), so the
page does not tell which tokens exist. The form is read by the server's own reader (size,
type, encoding, field count); nothing typed is logged. Pages are built here with the
complaint page's escaping and style; English or Urdu (right to left). Thread-safety: as
the server (one event loop; short SQLite reads inline).
"""

from __future__ import annotations

import re

from aiohttp import web

from hub.licences import LicenceOffice, PublicLicence
from hub.names import cnic_digits, format_cnic
from hub.sms.texts import URDU_LICENCE_STATUS_NAMES
from hub.tracking_web import page
from hub.tracking_web.limits import RateLimit, minutes
from khidmat_wire.vocabulary import LICENCE_STATUS_NAMES, LICENCE_TOKEN, ascii_digits

OFFICE_KEY = web.AppKey("licences", LicenceOffice)
TOKENS_KEY = web.AppKey("licence-tokens", RateLimit)
TOKEN_EXAMPLE = "QTA-2026004512"
_TOKEN_PARTS = re.compile(r"([A-Z]+)[\s\-_./]*([0-9]+)")

TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Track your driving licence", "ur": "اپنے ڈرائیونگ لائسنس کی صورتحال دیکھیں"},
    "intro": {
        "en": "Enter the token on your licence receipt and your CNIC.",
        "ur": "لائسنس کی رسید پر لکھا ٹوکن اور اپنا شناختی کارڈ نمبر لکھیں۔",
    },
    "token": {"en": f"Token (like {TOKEN_EXAMPLE})", "ur": f"ٹوکن (جیسے {TOKEN_EXAMPLE})"},
    "cnic": {"en": "CNIC", "ur": "شناختی کارڈ نمبر"},
    "submit": {"en": "Check", "ur": "دیکھیں"},
    "token-bad": {
        "en": f"A licence token looks like {TOKEN_EXAMPLE}. Please check it.",
        "ur": f"لائسنس کا ٹوکن {TOKEN_EXAMPLE} جیسا ہوتا ہے۔ براہِ کرم دوبارہ دیکھیں۔",
    },
    "cnic-bad": {
        "en": "The CNIC has 13 numbers, like 42101-1234567-1.",
        "ur": "شناختی کارڈ نمبر میں 13 ہندسے ہوتے ہیں، جیسے 42101-1234567-1۔",
    },
    "not-found": {
        "en": "No application with this token and CNIC. Please check both.",
        "ur": "اس ٹوکن اور شناختی کارڈ کے ساتھ کوئی درخواست نہیں ملی۔ براہِ کرم دونوں دوبارہ دیکھیں۔",
    },
    "token-limit": {
        "en": "Too many tries for this token. Please try again in {minutes} minutes.",
        "ur": "اس ٹوکن کے لیے بہت زیادہ کوششیں ہو گئیں۔ براہِ کرم {minutes} منٹ بعد دوبارہ کوشش کریں۔",
    },
    "application": {"en": "Application", "ur": "درخواست"},
    "class": {"en": "Licence class", "ur": "لائسنس کی قسم"},
    "status": {"en": "Status", "ur": "صورتحال"},
    "history": {"en": "What has happened so far", "ur": "اب تک کیا ہوا"},
    "again": {"en": "Check another application", "ur": "کوئی اور درخواست دیکھیں"},
    "other": {"en": "اردو", "ur": "English"},
}


def say(key: str, language: str, **values: object) -> str:
    text = TEXT.get(key) or page.TEXT[key]
    return text[language].format(**values)


def register(app: web.Application, office: LicenceOffice) -> None:
    """Add the licence routes to the tracking page's application."""
    settings = app[_settings_key()]
    app[OFFICE_KEY] = office
    app[TOKENS_KEY] = RateLimit(settings.number_limit, settings.number_window_s)
    app.router.add_get("/licence", _form)
    app.router.add_post("/licence", _lookup)


def _settings_key():  # the server's key, imported late: server imports this module
    from hub.tracking_web.server import SETTINGS_KEY

    return SETTINGS_KEY


def parse_token(typed: str) -> str:
    """The token as printed (``qta 2026004512`` -> ``QTA-2026004512``), or ``""``."""
    parts = _TOKEN_PARTS.fullmatch(ascii_digits(typed[:40]).strip().upper())
    token = f"{parts.group(1)}-{parts.group(2)}" if parts else ""
    return token if re.fullmatch(LICENCE_TOKEN, token) else ""


def form_page(language: str, *, token: str = "", error: str = "", **values: object) -> str:
    parts = []
    if error:
        parts.append(
            f'<p class="error" id="error" role="alert">{page._e(say(error, language, **values))}</p>\n'
        )
    parts.append(f'<p id="intro">{page._e(say("intro", language))}</p>\n')
    parts.append(
        '<form method="post" action="/licence" accept-charset="utf-8">\n'
        f'<input type="hidden" name="lang" value="{language}">\n'
        f'<label for="token">{page._e(say("token", language))}</label>\n'
        f'<input type="text" id="token" name="token" value="{page._e(token)}" maxlength="40" '
        'autocomplete="off" autocapitalize="characters" spellcheck="false" required>\n'
        f'<label for="cnic">{page._e(say("cnic", language))}</label>\n'
        '<input type="text" id="cnic" name="cnic" inputmode="numeric" maxlength="20" '
        'autocomplete="off" required>\n'
        f'<button type="submit" id="submit">{page._e(say("submit", language))}</button>\n'
        "</form>\n"
    )
    return _document(language, "".join(parts))


def status_name(status: str, language: str) -> str:
    name = LICENCE_STATUS_NAMES[status]
    return URDU_LICENCE_STATUS_NAMES[name] if language == "ur" else name


def answer_page(language: str, answer: PublicLicence) -> str:
    e = page._e
    parts = [
        f'<p>{e(say("application", language))} <span class="number" id="token">'
        f"{page._ltr(answer.token)}</span></p>\n",
        f'<p>{e(say("class", language))}: <span id="class">{page._ltr(answer.licence_class)}'
        "</span></p>\n",
        f'<p>{e(say("status", language))}: <span class="status" id="status">'
        f"{e(status_name(answer.status, language))}</span></p>\n",
        f'<h2>{e(say("history", language))}</h2>\n<ol id="history">\n',
    ]
    for step in answer.history:
        line = f"{page._ltr(page.local_time(step.at_ms))} · {e(status_name(step.status, language))}"
        if step.note:
            line += f' · <bdi class="message">{e(step.note)}</bdi>'
        parts.append(f"<li>{line}</li>\n")
    parts.append("</ol>\n")
    parts.append(
        f'<p><a id="again" href="/licence?lang={language}">{e(say("again", language))}</a></p>\n'
    )
    return _document(language, "".join(parts))


def _document(language: str, body: str) -> str:
    other = "ur" if language == "en" else "en"
    direction = "rtl" if language == "ur" else "ltr"
    title = page._e(say("title", language))
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language}" dir="{direction}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>Khidmat · {title}</title>\n"
        '<link rel="stylesheet" href="/style.css">\n</head>\n<body>\n<header>\n'
        f"<h1>{title}</h1>\n"
        f'<a id="language" lang="{other}" href="/licence?lang={other}">'
        f"{page._e(say('other', language))}</a>\n"
        f"</header>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )


def _html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=headers
    )


async def _form(request: web.Request) -> web.Response:
    language = page.choose_language(
        request.query.get("lang"), request.headers.get("Accept-Language", "")
    )
    return _html(form_page(language))


async def _lookup(request: web.Request) -> web.Response:
    from hub.tracking_web import server

    form = await server._read_form(request)
    if isinstance(form, str):
        status = {"too-large": 413, "bad-form": 400}[form]
        if form == "bad-form" and request.content_type != "application/x-www-form-urlencoded":
            status = 415
        language = page.choose_language(None, request.headers.get("Accept-Language", ""))
        return _html(page.error_page(language, form, kb=server.FORM_MAX_BYTES // 1024), status)
    language = page.choose_language(form.get("lang"), request.headers.get("Accept-Language", ""))
    settings = request.app[server.SETTINGS_KEY]
    clients, tokens = request.app[server.CLIENTS_KEY], request.app[TOKENS_KEY]
    typed = form.get("token", "")[:40]

    def refuse(key: str, status: int, **values: object) -> web.Response:
        server._count(request, "refused" if status != 429 else "limited")
        retry = values.get("retry")
        headers = {"Retry-After": str(int(retry) + 1)} if retry is not None else None
        return _html(form_page(language, token=typed, error=key, **values), status, headers)

    client = server.client_address(request, settings.trusted_proxies)
    wait_s = clients.retry_after_s(client)
    if wait_s > 0:
        return refuse("client-limit", 429, minutes=minutes(wait_s), retry=wait_s)
    clients.record(client)
    token = parse_token(typed)
    if not token:
        return refuse("token-bad", 400)
    digits = cnic_digits(form.get("cnic", "")[:30])
    if not digits:
        return refuse("cnic-bad", 400)
    wait_s = tokens.retry_after_s(token)
    if wait_s > 0:
        return refuse("token-limit", 429, minutes=minutes(wait_s), retry=wait_s)
    answer = request.app[OFFICE_KEY].public_status(token, format_cnic(digits))
    if answer is None:
        tokens.record(token)
        return refuse("not-found", 404)
    server._count(request, "shown")
    return _html(answer_page(language, answer))
