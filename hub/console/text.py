"""Rendering helpers: untrusted text as plain Text (never markup), times and countdowns."""

from __future__ import annotations

import time

from rich.text import Text


def plain(value: object, style: str = "") -> Text:
    """``value`` as literal text: ``[@click=app.quit]x[/]`` stays exactly that on screen."""
    return Text(str(value), style=style, no_wrap=True, overflow="ellipsis")


def when(ms: int | None) -> str:
    """A Unix-ms time as ``YYYY-MM-DD HH:MM`` (UTC), or an empty string."""
    if not ms:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ms / 1000))


def duration(ms: int) -> str:
    """A short human duration: ``3d 4h``, ``5h 20m``, ``12m``."""
    minutes = abs(ms) // 60_000
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def countdown(due_ms: int, now_ms: int, *, running: bool) -> Text:
    """``due in 5h 20m`` (yellow under 2 h) or ``OVERDUE 3h`` (bold red); dim when stopped."""
    if not running:
        return Text("-", style="dim")
    left = due_ms - now_ms
    if left < 0:
        return Text(f"OVERDUE {duration(-left)}", style="bold red")
    return Text(f"due in {duration(left)}", style="yellow" if left < 2 * 3_600_000 else "")
