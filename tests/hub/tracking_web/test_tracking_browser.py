"""The tracking page in a real headless Chromium: ``khidmat tracking`` as its own process.

The browser types a tracking number as a citizen might (lower case, spaces), submits the
form, reads the status and the officer's message from the DOM, switches to Urdu (the
page is laid out right to left, the browser shapes the Urdu), looks up with Urdu digits,
sees a women's desk complaint, and gets markup typed into the number field back as text
(no script ran). Skipped without Chromium unless ``KHIDMAT_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from khidmat_base.mosquitto import free_port
from tests.hub.tracking_web.filed import MESSAGE
from tests.kiosk.test_kiosk_browser import CHROMIUM, REQUIRED, Page, wait_http

needs_browser = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRED, reason="chromium is not installed"
)
WIDTH, HEIGHT = 1000, 900
ATTACK = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


class Tab(Page):
    async def js(self, expression: str) -> object:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def loaded(self, timeout_s: float = 30.0) -> None:
        """Until a new document (without our marker) has loaded."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if await self.js("window.khidmatMarker === undefined && document.readyState === 'complete'"):  # fmt: skip
                await self.js("window.khidmatMarker = 1")
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the page did not load")

    async def type_into(self, element_id: str, text: str) -> None:
        await self.js(f"document.getElementById({json.dumps(element_id)}).focus()")
        await self.call("Input.insertText", text=text)

    async def click(self, element_id: str) -> None:
        await self.js(f"document.getElementById({json.dumps(element_id)}).click()")
        await self.loaded()

    async def text(self, element_id: str) -> str | None:
        return await self.js(  # type: ignore[return-value]
            f"(e => e ? e.textContent : null)(document.getElementById({json.dumps(element_id)}))"
        )


async def walk(url: str, debug_port: int, filed) -> dict[str, object]:  # type: ignore[no-untyped-def]
    import aiohttp

    targets = json.loads(wait_http(f"http://127.0.0.1:{debug_port}/json"))
    target = next(t for t in targets if t["type"] == "page")
    seen: dict[str, object] = {}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=64 << 20) as ws,
    ):
        tab = Tab(ws)
        await tab.call("Page.enable")
        await tab.call("Page.navigate", url=url + "?lang=en")
        await tab.loaded()
        station, day, sequence, check = filed.general.split("-")
        await tab.type_into("number", f"{station} {day} {sequence} {check}".lower())
        await tab.type_into("digits", "4567")
        await tab.click("submit")
        seen["en-status"] = await tab.text("status")
        seen["en-message"] = await tab.js("document.querySelector('#history .message').textContent")
        seen["en-bold"] = await tab.js("document.querySelectorAll('#history b').length")
        seen["en-direction"] = await tab.js("getComputedStyle(document.body).direction")
        seen["en-shot"] = await tab.shot()

        await tab.click("language")  # to the Urdu form
        seen["ur-direction"] = await tab.js("getComputedStyle(document.body).direction")
        seen["ur-title-box"] = await tab.js(
            "(r => [r.left, r.right])(document.querySelector('h1').getBoundingClientRect())"
        )
        await tab.type_into("number", filed.general)
        await tab.type_into("digits", "۴۵۶۷")  # an Urdu keyboard's digits
        await tab.click("submit")
        seen["ur-status"] = await tab.text("status")
        seen["ur-number-direction"] = await tab.js(
            "getComputedStyle(document.querySelector('#tracking-no bdi')).direction"
        )
        seen["ur-shot"] = await tab.shot()

        await tab.click("again")
        await tab.type_into("number", filed.women)
        await tab.type_into("digits", "4321")
        await tab.click("submit")
        seen["women"] = await tab.text("women-desk")
        seen["women-status"] = await tab.text("status")
        seen["women-body"] = await tab.js("document.body.innerText")

        await tab.click("again")
        await tab.type_into("number", ATTACK)
        await tab.type_into("digits", ATTACK)
        await tab.click("submit")
        seen["attack-error"] = await tab.text("error")
        seen["attack-value"] = await tab.js("document.getElementById('number').value")
        seen["attack-ran"] = await tab.js("window.pwned === undefined ? 0 : window.pwned")
        seen["attack-images"] = await tab.js("document.images.length")
    return seen


@pytest.fixture
def browser_walk(filed, hub_toml, tmp_path: Path) -> dict[str, object]:  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        pytest.fail("KHIDMAT_REQUIRE_BROWSER=1 but chromium is not installed (scripts/setup.sh)")
    port, debug_port = free_port(), free_port()
    config = hub_toml(extra="", directory=tmp_path)
    khidmat = str(Path(sys.executable).with_name("khidmat"))
    server = subprocess.Popen(
        [khidmat, "tracking", "--config", str(config), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--remote-debugging-port={debug_port}", f"--user-data-dir={tmp_path / 'chromium'}",
         f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        seen = asyncio.run(walk(f"http://127.0.0.1:{port}/", debug_port, filed))
    finally:
        browser.terminate()
        server.terminate()
        browser.wait(timeout=10)
        out, _ = server.communicate(timeout=10)
    assert b"Traceback" not in out
    keep = os.environ.get("KHIDMAT_SCREENSHOT_DIR")
    if keep:
        for name in ("en-shot", "ur-shot"):
            (Path(keep) / f"tracking-{name}.png").write_bytes(seen[name])  # type: ignore[arg-type]
    return seen


@needs_browser
def test_a_citizen_tracks_in_english_and_urdu_in_a_real_browser(browser_walk) -> None:
    """One walk (a browser start is seconds): English, Urdu, women's desk, hostile input."""
    seen = browser_walk
    assert seen["en-status"] == "Resolved" and seen["en-direction"] == "ltr"
    assert seen["en-message"] == MESSAGE and seen["en-bold"] == 0  # the markup is text
    assert seen["ur-direction"] == "rtl" and seen["ur-status"] == "حل ہو گئی"
    left, right = seen["ur-title-box"]  # type: ignore[misc]
    assert right > WIDTH * 0.8 and left > WIDTH * 0.2  # the Urdu title starts at the right
    assert seen["ur-number-direction"] == "ltr"  # the number reads left to right inside
    # the page stays in Urdu: a women's desk complaint, and hostile input shown back as text
    assert "خواتین ڈیسک" in str(seen["women"]) and seen["women-status"] is None
    assert "Harassment" not in str(seen["women-body"]) and "Received" not in str(seen["women-body"])
    assert "یہ ٹریکنگ نمبر نہیں ہے" in str(seen["attack-error"])
    assert seen["attack-value"] == ATTACK[:40]  # shown back exactly, as text
    assert seen["attack-ran"] == 0 and seen["attack-images"] == 0
