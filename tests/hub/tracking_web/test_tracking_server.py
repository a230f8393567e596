"""The tracking page over HTTP (aiohttp's test server, a real socket): lookups, languages,
rate limits, hostile input, headers. What a browser does with the page: test_browser.py."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from hub.tracking_web.lookup import TrackingLookup
from hub.tracking_web.server import FORM_MAX_BYTES, build_app
from hub.tracking_web.settings import TrackingSettings

FORM = "application/x-www-form-urlencoded"


def run(filed, check: Callable[[TestClient], Awaitable[None]], **settings: object) -> None:  # type: ignore[no-untyped-def]
    app = build_app(TrackingLookup(filed.store), TrackingSettings(**settings))  # type: ignore[arg-type]

    async def go() -> None:
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            await check(client)
        finally:
            await client.close()

    asyncio.run(go())


async def track(client: TestClient, number: str, digits: str, lang: str = "en"):  # type: ignore[no-untyped-def]
    response = await client.post("/track", data={"number": number, "digits": digits, "lang": lang})
    return response.status, await response.text()


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_the_status_due_time_and_message_are_shown_never_the_reason(filed) -> None:
    async def check(client: TestClient) -> None:
        status, page = await track(client, filed.general.lower().replace("-", " "), "4567")
        assert status == 200
        assert 'id="status">Resolved<' in page and filed.general in page
        # the officer's message, escaped; the internal reason and names never
        assert "Your phone was found. &lt;b&gt;Collect&lt;/b&gt; it &amp; sign" in page
        for private in ("FIR 12/26 internal", "recovered from a suspect", "SI Rashid",
                        "ASI Karim", "Abdul Rehman", "54400-1234567-1", "0300-1234567",
                        "1234567", "motorcycle was taken", "theft", "Jinnah"):  # fmt: skip
            assert private not in page, private
        status, page = await track(client, filed.fresh, "2223")
        assert status == 200 and 'id="due">' in page and "Received" in page

    run(filed, check)


def test_urdu_is_right_to_left_with_urdu_status_names(filed) -> None:
    async def check(client: TestClient) -> None:
        status, page = await track(client, filed.general, "۴۵۶۷", lang="ur")
        assert status == 200
        assert '<html lang="ur" dir="rtl">' in page and "حل ہو گئی" in page
        assert f'<bdi dir="ltr">{filed.general}</bdi>' in page
        form = await (await client.get("/?lang=ur")).text()
        assert 'dir="rtl"' in form and "ٹریکنگ نمبر" in form and 'href="/?lang=en"' in form
        english = await (
            await client.get("/", headers={"Accept-Language": "ur-PK,en;q=0.5"})
        ).text()
        assert 'lang="ur"' in english  # the browser's language, when none is chosen
        assert 'lang="en"' in await (await client.get("/?lang=xx")).text()

    run(filed, check)


def test_the_receipts_qr_code_opens_the_form_with_the_number(filed) -> None:
    """The printed receipt's QR code is ``track_url?n=NUMBER`` (kiosk.receipt_print)."""
    from kiosk.receipt_print import track_target

    async def check(client: TestClient) -> None:
        target = track_target(filed.general, "http://127.0.0.1/")
        response = await client.get(target.removeprefix("http://127.0.0.1"))
        page = await response.text()
        assert response.status == 200 and f'value="{filed.general}"' in page

    run(filed, check)


def test_a_womens_desk_complaint_says_only_that(filed) -> None:
    async def check(client: TestClient) -> None:
        status, page = await track(client, filed.women, "4321")
        assert status == 200 and 'id="women-desk"' in page
        assert 'id="status"' not in page and 'id="history"' not in page and 'id="due"' not in page
        for private in ("Harassment", "harassment", "Rabia", "Received", "0333"):
            assert private not in page, private

    run(filed, check)


def test_wrong_digits_and_unknown_numbers_read_alike_and_bad_input_is_explained(filed) -> None:
    async def check(client: TestClient) -> None:
        wrong = await track(client, filed.general, "1111")
        payload = "QTA01-261130-999999"
        from khidmat_wire.vocabulary import check_char

        unknown = await track(client, f"{payload}-{check_char(payload)}", "4567")
        assert wrong[0] == unknown[0] == 404
        assert "No complaint matches" in wrong[1] and "No complaint matches" in unknown[1]
        status, page = await track(client, "hello", "4567")
        assert status == 400 and "not a tracking number" in page
        typo = filed.general[:-1] + ("0" if filed.general[-1] != "0" else "1")
        status, page = await track(client, typo, "4567")
        assert status == 400 and "mistake" in page
        status, page = await track(client, filed.general, "45")
        assert status == 400 and "last 4 digits" in page
        assert f'value="{filed.general}"' in page  # kept for the next try

    run(filed, check, client_limit=100)


def test_markup_and_script_in_the_fields_are_shown_as_text(filed) -> None:
    attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>'

    async def check(client: TestClient) -> None:
        status, page = await track(client, attack, attack)
        assert status == 400
        assert "<script>" not in page and "<img" not in page
        assert "&lt;script&gt;" in page and "&quot;&gt;" in page
        response = await client.get("/", params={"number": attack, "lang": "ur"})
        page = await response.text()
        assert "<script>" not in page and "&lt;script&gt;" in page

    run(filed, check)


def test_huge_bodies_other_encodings_and_other_types_are_refused_clearly(filed) -> None:
    async def check(client: TestClient) -> None:
        big = b"number=" + b"A" * (FORM_MAX_BYTES * 4)
        response = await client.post("/track", data=big, headers={"Content-Type": FORM})
        assert response.status == 413 and "too large" in await response.text()

        async def chunks():  # no Content-Length: the size is found while reading
            for _ in range(64):
                yield b"A" * 1024

        response = await client.post("/track", data=chunks(), headers={"Content-Type": FORM})
        assert response.status == 413 and "too large" in await response.text()
        declared = (  # a huge declared length, a few bytes sent: answered without waiting
            b"POST /track HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\nnumber=1"
        )
        status, page = await raw(client, declared)
        assert status == 413 and "too large" in page
        for body in (b"number=%FF%FE&digits=4567", "number=ĀĀ".encode("utf-16"),
                     b"number=\xff\xfe"):  # fmt: skip
            response = await client.post("/track", data=body, headers={"Content-Type": FORM})
            assert response.status == 400 and "could not be read" in await response.text()
        many = "&".join(f"f{i}=1" for i in range(50))
        response = await client.post("/track", data=many, headers={"Content-Type": FORM})
        assert response.status == 400
        form = aiohttp.FormData()
        form.add_field("number", b"x", filename="a.txt")
        response = await client.post("/track", data=form)
        assert response.status == 415 and "could not be read" in await response.text()
        response = await client.post(
            "/track", data="number=\x00\x1b[2J&digits=\x00", headers={"Content-Type": FORM}
        )
        assert response.status == 400 and "\x00" not in await response.text()

    run(filed, check)


async def raw(client: TestClient, request: bytes) -> tuple[int, str]:
    """Send ``request`` as bytes on a socket (no client normalises its path); (status, body)."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        length = re.search(rb"Content-Length: ([0-9]+)", head, re.IGNORECASE)
        body = (
            await asyncio.wait_for(reader.readexactly(int(length.group(1))), 10) if length else b""
        )
    finally:
        writer.close()
    return int(head.split(b" ", 2)[1]), body.decode("utf-8", "replace")


def test_paths_outside_the_three_routes_and_other_methods_get_a_page(filed) -> None:
    async def check(client: TestClient) -> None:
        for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/static/../hub.db",
                     "/track/../../hub.toml", "//etc/passwd", "/style.css/..%2f..%2fhub.db",
                     "/..\\..\\hub.db", "/%00", "/?lang=<script>"):  # fmt: skip
            request = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            status, text = await raw(client, request.encode())
            assert status in (200, 400, 404), path
            assert "root:" not in text and "SQLite" not in text and "[hub]" not in text
            assert "<script>" not in text and "Traceback" not in text
            if status == 200:
                assert path == "/?lang=<script>" and 'id="intro"' in text  # the form
        response = await client.get("/nowhere")
        assert response.status == 404 and "no such page" in await response.text()
        response = await client.put("/track", data="x")
        assert response.status == 405 and "does not answer" in await response.text()
        response = await client.get("/track")
        assert response.status == 405

    run(filed, check)


def test_every_answer_allows_no_script_and_is_not_cached(filed) -> None:
    async def check(client: TestClient) -> None:
        for response in (await client.get("/"), await client.get("/nowhere"),
                         await client.post("/track", data={"number": "x", "digits": "1"})):  # fmt: skip
            csp = response.headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "script-src" not in csp
            assert response.headers["Cache-Control"] == "no-store"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        css = await client.get("/style.css")
        assert css.status == 200 and css.content_type == "text/css"

    run(filed, check)


def test_lookups_are_limited_per_client_with_a_clear_message(filed) -> None:
    async def check(client: TestClient) -> None:
        for _ in range(3):
            assert (await track(client, filed.general, "4567"))[0] == 200
        status, page = await track(client, filed.general, "4567")
        assert status == 429 and "Too many tries from this connection" in page
        assert "wait 1 minutes" in page or "wait 1 minute" in page
        response = await client.post("/track", data={"number": filed.general, "digits": "4567"})
        assert int(response.headers["Retry-After"]) >= 1

    run(filed, check, client_limit=3, client_window_s=30)


def test_wrong_digits_lock_the_number_not_the_others(filed) -> None:
    async def check(client: TestClient) -> None:
        for digits in ("0000", "0001"):
            assert (await track(client, filed.general, digits))[0] == 404
        status, page = await track(client, filed.general, "4567")  # right, but locked now
        assert status == 429 and "Too many wrong tries for this tracking number" in page
        assert "<" not in visible(page)
        assert (await track(client, filed.fresh, "2223"))[0] == 200  # another number is fine
        status, page = await track(client, filed.general, "4567", lang="ur")
        assert status == 429 and "بہت زیادہ غلط کوششیں" in page

    run(filed, check, client_limit=100, number_limit=2, number_window_s=600)


def test_a_failing_lookup_is_a_page_and_its_log_holds_nothing_typed(filed, caplog) -> None:
    """The database gone (closed here): a 500 page; the log names the path, not the fields."""
    import logging

    caplog.set_level(logging.DEBUG)

    async def check(client: TestClient) -> None:
        filed.store.close()
        status, page = await track(client, filed.general, "4567")
        assert status == 500 and "went wrong on our side" in page and "Traceback" not in page
        assert (await client.get("/")).status == 200  # the page is still served

    run(filed, check)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/track failed" in logged
    assert filed.general not in caplog.text and "4567" not in caplog.text


def test_behind_a_trusted_proxy_each_citizen_has_their_own_limit(filed) -> None:
    """The test client connects from 127.0.0.1: as a trusted proxy, its X-Forwarded-For
    names the client; a header added by the client itself (left of the proxy's) is not."""

    async def lookup(client: TestClient, forwarded: str) -> int:
        response = await client.post(
            "/track",
            data={"number": filed.general, "digits": "4567"},
            headers={"X-Forwarded-For": forwarded},
        )
        return response.status

    async def check(client: TestClient) -> None:
        assert [await lookup(client, "203.0.113.7") for _ in range(3)] == [200, 200, 429]
        assert await lookup(client, "198.51.100.9") == 200  # another citizen
        # the client forges a left-hand address; the proxy appended the real one
        assert await lookup(client, "192.0.2.1, 203.0.113.7") == 429
        assert await lookup(client, "not-an-address") == 200  # counted as the proxy

    run(filed, check, client_limit=2, trusted_proxies=("127.0.0.1",))


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(filed) -> None:
    async def check(client: TestClient) -> None:
        codes = []
        for n in range(3):  # a new forged address each time does not escape the limit
            response = await client.post(
                "/track",
                data={"number": filed.general, "digits": "4567"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
            codes.append(response.status)
        assert codes == [200, 200, 429]

    run(filed, check, client_limit=2)
