"""The Urdu desk served by textual-serve and drawn by headless Chromium (xterm.js).

This is how a kiosk looks in a browser (the textual-serve route in docs/kiosk.md): the
real ``khidmat kiosk --sim desk --language ur`` process behind textual-serve, a real
Chromium driven over the DevTools protocol. Checks that Urdu text is drawn on the right
of the screen; set ``KHIDMAT_SCREENSHOT_DIR`` to keep the PNG. Skipped without chromium.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Time for textual-serve to start the app and xterm.js to draw it, seconds.
DRAW_WAIT_S = 6.0

SERVE = """
import sys
from textual_serve.server import Server
Server(sys.argv[1], host="127.0.0.1", port=int(sys.argv[2]), title="Khidmat").serve()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout_s: float = 15.0) -> bytes:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


async def screenshot(url: str, debug_port: int, wait_s: float) -> bytes:
    import aiohttp

    targets = json.loads(wait_http(f"http://127.0.0.1:{debug_port}/json"))
    page = next(t for t in targets if t["type"] == "page")
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=64 << 20) as ws,
    ):
        counter = 0

        async def call(method: str, **params: object) -> dict:
            nonlocal counter
            counter += 1
            await ws.send_str(json.dumps({"id": counter, "method": method, "params": params}))
            while True:
                message = json.loads((await ws.receive()).data)
                if message.get("id") == counter:
                    return message.get("result", {})

        await call("Page.enable")
        await call("Page.navigate", url=url)
        await asyncio.sleep(wait_s)
        shot = await call("Page.captureScreenshot", format="png")
        return base64.b64decode(shot["data"])


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_urdu_desk_in_a_browser(tmp_path: Path) -> None:
    image_module = pytest.importorskip("PIL.Image")
    khidmat = str(Path(sys.executable).with_name("khidmat"))
    port, debug_port = free_port(), free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, f"{khidmat} kiosk --sim desk --language ur", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    browser = subprocess.Popen(
        [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--hide-scrollbars", f"--remote-debugging-port={debug_port}",
         "--window-size=1300,900", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        png = asyncio.run(screenshot(f"http://127.0.0.1:{port}/", debug_port, DRAW_WAIT_S))
    finally:
        browser.terminate()
        server.terminate()
        browser.wait(timeout=10)
        server.wait(timeout=10)
    keep = os.environ.get("KHIDMAT_SCREENSHOT_DIR")
    target = Path(keep) if keep else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    (target / "browser-desk-ur.png").write_bytes(png)
    with image_module.open(target / "browser-desk-ur.png") as image:
        grey = image.convert("L")
        width, height = grey.size
        band = grey.crop((0, 0, width, int(height * 0.1)))  # the title row
        pixels = band.load()
        xs = [
            x
            for y in range(band.size[1])
            for x in range(band.size[0])
            if pixels[x, y] > 150  # type: ignore[index]
        ]
    assert xs, "nothing drawn: the app did not start behind textual-serve"
    assert min(xs) > width * 0.6, "the Urdu title is not on the right"
