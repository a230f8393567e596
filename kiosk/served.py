"""The kiosk served to a browser: textual-serve with the kiosk's own page.

The unit's desk screen is Chromium under cage showing ``khidmat kiosk ... --serve
127.0.0.1:PORT`` (deploy/kiosk-session). textual-serve's page asks for fonts it fetches
from the internet, which a unit cannot reach, and falls back to whatever the browser
finds; its xterm.js clips each glyph to its cell, so a fallback with a short ascent cut
the madda off a tall alef. ``templates/app_index.html`` is textual-serve's page with the
terminal's font family defined from the unit's installed fonts (DejaVu Sans Mono with
room for every Arabic-script mark, Noto Naskh Arabic for the Urdu letters DejaVu lacks)
and the terminal started once they are loaded. Nothing here runs per request.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual_serve.server import Server

#: The folder holding the kiosk's ``app_index.html`` (textual-serve's template name).
TEMPLATES = Path(__file__).parent / "templates"


def server(command: str, *, host: str, port: int, title: str = "Khidmat") -> Server:
    """A textual-serve server running ``command`` per connection, with the kiosk's page.

    Binds nothing until served. textual-serve has no authentication: callers keep
    ``host`` on loopback.
    """
    from textual_serve.server import Server

    return Server(command, host=host, port=port, title=title, templates_path=TEMPLATES)
