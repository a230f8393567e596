"""The public tracking page over aiohttp: ``GET /`` (the form), ``POST /track`` (a lookup).

:func:`build_app` makes the :class:`aiohttp.web.Application`; :func:`serve` runs it
(``khidmat tracking``). Rules for what comes in:

- a lookup is an ``application/x-www-form-urlencoded`` body of at most
  :data:`FORM_MAX_BYTES`, UTF-8, at most :data:`FORM_MAX_FIELDS` fields; anything else
  (larger, multipart, another encoding, broken percent-escapes) gets a page saying so
  (413, 415 or 400), never a traceback;
- each client address (the peer, or the ``X-Forwarded-For`` of a trusted proxy:
  :func:`client_address`) may make ``client_limit`` lookups per ``client_window_s``; each
  tracking number may fail its second factor ``number_limit`` times per
  ``number_window_s``; past either, 429 with ``Retry-After`` and a page saying how long
  to wait (the two messages differ);
- there are three routes (``/``, ``/track``, ``/style.css``), and ``/licence`` (GET the
  form, POST a lookup) for driving-licence applications (:mod:`hub.tracking_web.licence`,
  the same rules), and no files are served from disk, so no path reaches the filesystem; any other path is a 404 page, any other
  method a 405 page;
- every answer carries a Content-Security-Policy that allows no script, ``no-store``
  caching, ``nosniff``, ``no-referrer`` and ``frame-ancestors 'none'``.

Nothing a citizen typed is logged (only outcomes). Behind a reverse proxy, name it in
``[tracking] trusted_proxies`` or every citizen counts as the proxy (docs/tracking-web.md).

Thread-safety: one event loop; the lookups are short SQLite reads run inline (well under
a millisecond each).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from aiohttp import web

from hub.licences import LicenceOffice
from hub.tracking_web import licence, page
from hub.tracking_web.limits import RateLimit, minutes
from hub.tracking_web.lookup import LookupRefused, TrackingLookup
from hub.tracking_web.settings import TrackingSettings

log = logging.getLogger(__name__)

FORM_MAX_BYTES = 4096
FORM_MAX_FIELDS = 8
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
LOOKUP_KEY = web.AppKey("lookup", TrackingLookup)
SETTINGS_KEY = web.AppKey("settings", TrackingSettings)
CLIENTS_KEY = web.AppKey("clients", RateLimit)
NUMBERS_KEY = web.AppKey("numbers", RateLimit)
ANSWERS_KEY = web.AppKey("answers", dict)
"""Outcome -> count since start (shown, refused, limited): what ``khidmat tracking`` logs."""


def build_app(
    lookup: TrackingLookup, settings: TrackingSettings, licences: LicenceOffice | None = None
) -> web.Application:
    """The page's application over ``lookup`` (which owns the database reads); with
    ``licences``, also the driving-licence lookup (``/licence``, :mod:`hub.tracking_web.licence`)."""
    app = web.Application(client_max_size=FORM_MAX_BYTES, middlewares=[_headers_and_errors])
    app[LOOKUP_KEY] = lookup
    app[SETTINGS_KEY] = settings
    app[CLIENTS_KEY] = RateLimit(settings.client_limit, settings.client_window_s)
    app[NUMBERS_KEY] = RateLimit(settings.number_limit, settings.number_window_s)
    app[ANSWERS_KEY] = {}
    app.router.add_get("/", _form)
    app.router.add_get("/style.css", _style)
    app.router.add_post("/track", _track)
    if licences is not None:
        licence.register(app, licences)
    return app


def _html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=headers
    )


def _language(request: web.Request, requested: str | None = None) -> str:
    return page.choose_language(
        requested or request.query.get("lang"), request.headers.get("Accept-Language", "")
    )


def _count(request: web.Request, outcome: str) -> None:
    answers = request.app[ANSWERS_KEY]
    answers[outcome] = answers.get(outcome, 0) + 1


@web.middleware
async def _headers_and_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Our own page for every HTTP error, the security headers on every answer."""
    language = _language(request)
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = _html(page.error_page(language, "no-page"), 404)
    except web.HTTPMethodNotAllowed as error:
        response = _html(page.error_page(language, "method"), 405, {"Allow": ", ".join(sorted(error.allowed_methods))})  # fmt: skip
    except web.HTTPRequestEntityTooLarge:
        response = _html(page.error_page(language, "too-large", kb=FORM_MAX_BYTES // 1024), 413)
    except web.HTTPException as error:
        response = _html(page.error_page(language, "bad-form"), error.status)
    except Exception:
        # no request data in the log: it may hold what a citizen typed
        log.exception("tracking page: %s %s failed", request.method, request.path[:80])
        response = _html(page.error_page(language, "failed"), 500)
    response.headers.update(SECURITY_HEADERS)
    return response


async def _style(request: web.Request) -> web.Response:
    return web.Response(text=page.STYLE, content_type="text/css", charset="utf-8")


async def _form(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    # ``n``: the receipt's QR code (kiosk.receipt_print.track_target) carries the number
    number = (request.query.get("number") or request.query.get("n") or "")[:40]
    return _html(page.form_page(_language(request), mobile_digits=settings.mobile_digits, number=number))  # fmt: skip


async def _read_form(request: web.Request) -> dict[str, str] | str:
    """The form's fields (first value of each), or the TEXT key of why it cannot be read."""
    if request.content_length is not None and request.content_length > FORM_MAX_BYTES:
        return "too-large"
    if request.content_type != "application/x-www-form-urlencoded":
        return "bad-form"
    try:
        body = await request.read()  # aiohttp refuses more than client_max_size
    except web.HTTPRequestEntityTooLarge:
        return "too-large"
    try:
        fields = parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=FORM_MAX_FIELDS,
            encoding="utf-8",
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        return "bad-form"
    return {key: values[0] for key, values in fields.items()}


def client_address(request: web.Request, trusted_proxies: tuple[str, ...]) -> str:
    """Who the per-client limit counts: the peer, or, when the peer is a trusted proxy,
    the right-most address of ``X-Forwarded-For`` that is not one (a client can put any
    addresses at the left of the header; the proxies append theirs at the right)."""
    peer = request.remote or "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = request.headers.getall("X-Forwarded-For", [])
    hops = [h.strip() for line in forwarded for h in line.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return peer  # a malformed header: count the proxy, not a guess
        if address not in trusted_proxies:
            return address
    return peer


async def _track(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    lookup = request.app[LOOKUP_KEY]
    form = await _read_form(request)
    if isinstance(form, str):
        _count(request, "refused")
        status = {"too-large": 413, "bad-form": 400}[form]
        if form == "bad-form" and request.content_type != "application/x-www-form-urlencoded":
            status = 415
        response = _html(page.error_page(_language(request), form, kb=FORM_MAX_BYTES // 1024), status)  # fmt: skip
        if form == "too-large":
            response.force_close()  # the rest of the body is not read
        return response
    language = _language(request, form.get("lang"))
    typed = form.get("number", "")
    n = settings.mobile_digits

    def refuse(key: str, status: int, number: str = "", **values: object) -> web.Response:
        _count(request, "refused" if status != 429 else "limited")
        retry = values.get("retry")
        headers = {"Retry-After": str(int(retry) + 1)} if retry is not None else None
        text = page.form_page(language, mobile_digits=n, number=number, error=key, **values)
        return _html(text, status, headers)

    client = client_address(request, settings.trusted_proxies)
    clients, numbers = request.app[CLIENTS_KEY], request.app[NUMBERS_KEY]
    wait_s = clients.retry_after_s(client)
    if wait_s > 0:
        return refuse("client-limit", 429, minutes=minutes(wait_s), retry=wait_s)
    clients.record(client)
    try:
        number = lookup.number(typed)
    except LookupRefused as refused:
        return refuse(refused.reason, 400, typed[:40])
    wait_s = numbers.retry_after_s(number)
    if wait_s > 0:
        return refuse("number-limit", 429, number, minutes=minutes(wait_s), retry=wait_s)
    try:
        digits = lookup.digits(form.get("digits", ""))
        answer = lookup.find(number, digits)
    except LookupRefused as refused:
        if refused.reason == "not-found":
            numbers.record(number)
            return refuse("not-found", 404, number)
        return refuse("digits-bad", 400, number)
    _count(request, "shown")
    return _html(page.answer_page(language, answer))


async def serve(config_path: str, *, host: str | None = None, port: int | None = None) -> None:
    """Run the page for the hub at ``config_path`` until cancelled (``khidmat tracking``)."""
    import asyncio

    from hub.config import load_hub_config
    from hub.store import HubStore

    config = load_hub_config(config_path)
    settings = config.tracking
    store = HubStore(config.hub.database)
    lookup = TrackingLookup(store, mobile_digits=settings.mobile_digits)
    app = build_app(lookup, settings, LicenceOffice(store))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        bind_host = host or settings.host
        bind_port = settings.port if port is None else port
        await web.TCPSite(runner, bind_host, bind_port).start()
        print(f"tracking page on http://{bind_host}:{bind_port}/", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        store.close()
