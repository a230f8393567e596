"""The tracking page's driving-licence lookup over HTTP (aiohttp's test server, a real
socket): the status and the branch's notes for the right token and CNIC, the same answer
for a wrong CNIC and an unknown token, a limit on failed tries per token, hostile input."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.licence_import import import_licences
from hub.licences import LicenceOffice
from hub.store import HubStore
from hub.tracking_web.lookup import TrackingLookup
from hub.tracking_web.server import build_app
from hub.tracking_web.settings import TrackingSettings

BRANCH = (
    "token,cnic,name,mobile,licence_class,status,status_at,note,language\n"
    "QTA-2026004512,54400-1234567-1,Gul Khan,0300-1234567,LTV,applied,2026-12-01 10:00,,en\n"
    "QTA-2026004512,54400-1234567-1,Gul Khan,0300-1234567,LTV,ready,2026-12-05 12:30,"
    "<b>Window 3</b> & bring your CNIC,en\n"
)


@pytest.fixture
def store(tmp_path: Path, hub_database):
    store = HubStore(hub_database)
    (tmp_path / "branch.csv").write_text(BRANCH, encoding="utf-8")
    import_licences(LicenceOffice(store), tmp_path / "branch.csv")
    try:
        yield store
    finally:
        store.close()


def run(
    store: HubStore, check: Callable[[TestClient], Awaitable[None]], **settings: object
) -> None:
    app = build_app(TrackingLookup(store), TrackingSettings(**settings), LicenceOffice(store))  # type: ignore[arg-type]

    async def go() -> None:
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            await check(client)
        finally:
            await client.close()

    asyncio.run(go())


async def ask(client: TestClient, token: str, cnic: str, lang: str = "en"):  # type: ignore[no-untyped-def]
    response = await client.post("/licence", data={"token": token, "cnic": cnic, "lang": lang})
    return response.status, await response.text()


def test_the_applicant_sees_the_status_and_the_notes(store: HubStore) -> None:
    async def check(client: TestClient) -> None:
        status, page = await ask(client, "qta 2026004512", "5440012345671")
        assert status == 200 and 'id="status">Ready for collection<' in page
        assert "&lt;b&gt;Window 3&lt;/b&gt; &amp; bring your CNIC" in page
        assert "Application received" in page and "LTV" in page
        for private in ("Gul Khan", "54400-1234567-1", "0300-1234567"):
            assert private not in page
        status, page = await ask(client, "QTA-۲۰۲۶۰۰۴۵۱۲", "۵۴۴۰۰-۱۲۳۴۵۶۷-۱", lang="ur")
        assert status == 200 and 'dir="rtl"' in page and "وصولی کے لیے تیار" in page
        form = await client.get("/licence?lang=ur")
        assert form.status == 200 and 'action="/licence"' in await form.text()

    run(store, check)


def test_a_wrong_cnic_reads_like_an_unknown_token_and_tries_are_limited(store: HubStore) -> None:
    async def check(client: TestClient) -> None:
        wrong = await ask(client, "QTA-2026004512", "54400-1234567-2")
        unknown = await ask(client, "QTA-2026009999", "54400-1234567-1")
        assert wrong[0] == unknown[0] == 404
        strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 the typed token
        assert strip(wrong[1]) == strip(unknown[1])
        assert "No application with this token and CNIC" in wrong[1]
        assert (await ask(client, "QTA-2026004512", "54400-1234567-3"))[0] == 404  # 2nd fail
        status, page = await ask(client, "QTA-2026004512", "54400-1234567-4")
        assert status == 429 and "Too many tries for this token" in page
        # the right CNIC waits too: the limit is on the token
        assert (await ask(client, "QTA-2026004512", "54400-1234567-1"))[0] == 429
        # a malformed token or CNIC is explained, and does not count against a token
        assert (await ask(client, "2026004512", "54400-1234567-1"))[0] == 400
        status, page = await ask(client, "QTA-2026009999", "5440012")
        assert status == 400 and "13 numbers" in page

    run(store, check, number_limit=2)


def test_hostile_input_gets_a_page_not_a_traceback(store: HubStore) -> None:
    async def check(client: TestClient) -> None:
        status, page = await ask(client, "<script>alert(1)</script>", "' OR 1=1 --")
        assert status == 400 and "<script>alert" not in page
        response = await client.post(
            "/licence",
            data=b"\xff\xfe",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status == 400
        response = await client.post(
            "/licence", data=b"{}", headers={"Content-Type": "application/json"}
        )
        assert response.status == 415
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]

    run(store, check)
