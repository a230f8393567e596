"""``khidmat demo --web``: every screen of the running demo in one browser page.

The desk, gate and enrolment kiosks and the operator console each run under their own
textual-serve server (ports ``port + 1`` to ``port + 4``); the page on ``port`` shows
them side by side. Each browser connection to a screen starts its own process of it
(textual-serve's model), stopped when the tab closes or the demo stops; open each
screen in one tab only (two gate kiosks would share one sensor).

textual-serve has no authentication, so everything listens on 127.0.0.1 only.
:class:`DemoWeb` runs its servers on an asyncio loop in a background thread;
``start`` and ``stop`` are called from one (any) thread.
"""

from __future__ import annotations

import asyncio
import html
import shlex
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

START_TIMEOUT_S = 10.0
CHILD_EXIT_GRACE_S = 0.3
DEMO_OPERATOR = "demo-operator"

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Khidmat demo</title>
<style>
body {{ margin: 0; font-family: sans-serif; background: #1e1e1e; color: #ddd; }}
header {{ padding: 6px 12px; font-size: 14px; }}
main {{ display: grid; grid-template-columns: 1fr 1fr; grid-auto-rows: calc(50vh - 24px); gap: 4px; }}
section {{ display: flex; flex-direction: column; }}
h2 {{ margin: 0; padding: 2px 8px; font-size: 13px; font-weight: normal; }}
iframe {{ flex: 1; border: 0; background: #000; }}
</style></head>
<body><header>Khidmat demo: {summary}</header><main>
{frames}
</main></body></html>
"""


def screen_commands(workdir: Path, hub_config: Path) -> dict[str, str]:
    """The shell command of each screen, by name (desk, gate, enrol, console)."""
    khidmat = f"{shlex.quote(sys.executable)} -m khidmat"
    where = shlex.quote(str(workdir))
    commands = {role: f"{khidmat} kiosk --demo {role} --dir {where}" for role in ("desk", "gate", "enrol")}  # fmt: skip
    commands["console"] = (
        f"{khidmat} console --config {shlex.quote(str(hub_config))} --officer {DEMO_OPERATOR}"
    )
    return commands


def page_html(urls: Mapping[str, str], summary: str) -> str:
    frames = "\n".join(
        f'<section><h2>{html.escape(name)} <a href="{html.escape(url)}" target="_blank">{html.escape(url)}</a></h2>'
        f'<iframe src="{html.escape(url)}" title="{html.escape(name)}"></iframe></section>'
        for name, url in urls.items()
    )
    return PAGE.format(summary=html.escape(summary), frames=frames)


class DemoWeb:
    """The page on ``port`` and one textual-serve server per screen on the ports after it."""

    def __init__(
        self,
        commands: Mapping[str, str],
        *,
        port: int = 8000,
        host: str = "127.0.0.1",
        summary: str = "every screen of the running system",
    ) -> None:
        self.commands = dict(commands)
        self.host = host
        self.port = port
        self.summary = summary
        self.urls = {
            name: f"http://{host}:{port + offset}"
            for offset, name in enumerate(self.commands, start=1)
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def page_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> DemoWeb:
        """Listen on every port; raises OSError when one is taken."""
        self._thread = threading.Thread(target=self._run, name="demo-web", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise OSError(f"the web page did not start within {START_TIMEOUT_S} s")
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def stop(self) -> None:
        """Close every server and stop the screens' processes. Idempotent."""
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(15)
        self._thread = None

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to start(); the thread then ends
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        from aiohttp import web

        from kiosk.served import server as kiosk_server

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runners: list[web.AppRunner] = []
        try:
            for offset, (name, command) in enumerate(self.commands.items(), start=1):
                server = kiosk_server(command, host=self.host, port=self.port + offset, title=f"Khidmat {name}")  # fmt: skip
                app = await server._make_app()
                app.on_startup.remove(server.on_startup)  # it prints a banner to our terminal
                runners.append(await _listen(app, self.host, self.port + offset))
            page = page_html(self.urls, self.summary)

            async def index(request: web.Request) -> web.Response:
                return web.Response(text=page, content_type="text/html")

            front = web.Application()
            front.add_routes([web.get("/", index)])
            runners.append(await _listen(front, self.host, self.port))
            self._ready.set()
            await self._stop.wait()
        finally:
            for runner in reversed(runners):
                await runner.cleanup()
            # Let the screens' processes finish stopping before the loop closes under them.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if others:
                await asyncio.wait(others, timeout=10)
            # A screen's process exits right after its output ends; asyncio's child watcher
            # reports the exit on this loop, which must still be open to take it.
            await asyncio.sleep(CHILD_EXIT_GRACE_S)


async def _listen(app, host: str, port: int):  # type: ignore[no-untyped-def]
    from aiohttp import web

    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        raise
    return runner
