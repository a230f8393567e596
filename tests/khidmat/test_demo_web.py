"""``khidmat demo --web``: the page lists every screen, and a screen really runs over its websocket."""

from __future__ import annotations

import asyncio
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from khidmat.demo_web import DemoWeb, page_html, screen_commands
from khidmat_base.mosquitto import free_port

pytestmark = pytest.mark.slow


def _processes_mentioning(marker: str) -> list[str]:
    listing = subprocess.run(
        ["ps", "-ww", "-eo", "args"], capture_output=True, text=True, check=True
    )
    return [line for line in listing.stdout.splitlines() if marker in line and "ps -eo" not in line]


async def _screen_output(url: str, wanted: bytes, timeout_s: float = 30.0) -> bytes:
    """Connect like the browser's xterm.js does and collect output until ``wanted`` appears."""
    received = b""
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(
            url.replace("http:", "ws:") + "/ws?width=100&height=32"
        ) as ws:
            await ws.send_json(["resize", {"width": 100, "height": 32}])
            deadline = time.monotonic() + timeout_s
            while wanted not in received and time.monotonic() < deadline:
                try:
                    message = await ws.receive(timeout=deadline - time.monotonic())
                except TimeoutError:
                    break
                if message.type == aiohttp.WSMsgType.BINARY:
                    received += message.data
                elif message.type == aiohttp.WSMsgType.TEXT:
                    received += message.data.encode()
                else:
                    break
    return received


def test_the_page_shows_each_screen_and_a_screen_runs_in_the_browser(tmp_path: Path) -> None:
    marker = str(tmp_path / "web-marker")
    khidmat = f"{shlex.quote(sys.executable)} -m khidmat"
    commands = {"desk": f"{khidmat} kiosk --sim desk --dir {shlex.quote(marker)}"}
    web = DemoWeb(commands, port=free_port()).start()
    try:
        with urllib.request.urlopen(web.page_url, timeout=10) as response:
            page = response.read().decode()
        assert f'<iframe src="{web.urls["desk"]}"' in page
        with urllib.request.urlopen(web.urls["desk"], timeout=10) as response:
            assert "/ws" in response.read().decode()  # textual-serve's page with its websocket
        output = asyncio.run(_screen_output(web.urls["desk"], b"complaint"))
        assert b"complaint" in output.lower() and len(output) > 2000, output[-300:]
    finally:
        web.stop()
    deadline = time.monotonic() + 10
    while _processes_mentioning(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_mentioning(marker) == []


def test_a_taken_port_is_reported(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            DemoWeb({"desk": "true"}, port=port - 1).start()


def test_screen_names_and_urls_are_escaped_in_the_page(tmp_path: Path) -> None:
    page = page_html({"<desk>": "http://127.0.0.1:1/?a=1&b=2"}, "demo & co")
    assert "&lt;desk&gt;" in page and "a=1&amp;b=2" in page and "demo &amp; co" in page
    commands = screen_commands(tmp_path / "my demo", tmp_path / "hub.toml")
    assert set(commands) == {"desk", "gate", "enrol", "console"}
    assert shlex.split(commands["gate"])[-3:] == ["gate", "--dir", str(tmp_path / "my demo")]
