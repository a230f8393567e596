"""A citizen's walk through the desk kiosk to the review step, shared by kiosk and attack tests."""

from __future__ import annotations

from kiosk.screens.complaint import ComplaintScreen

NAME = "Zarghuna Khan Achakzai"
CNIC = "54400-7654321-9"
MOBILE = "0333-7654321"


DESCRIPTION = "My bag was taken near the bus stop."


async def to_review(
    pilot,
    *,
    name: str = NAME,
    cnic: str = CNIC,
    mobile: str = MOBILE,
    description: str = DESCRIPTION,
) -> ComplaintScreen:
    """From the welcome screen: file a theft complaint up to the review step."""
    app = pilot.app
    await pilot.click("#file")
    await pilot.click("#cat-theft")
    await pilot.pause()
    for selector, value in (("#q-when", "today"), ("#q-where", "bazaar"), ("#q-items", "bag")):
        widget = app.screen.query_one(selector)
        widget.value = value
    await pilot.pause()
    await pilot.click("#next")
    await pilot.pause()
    for selector, value in (("#name", name), ("#cnic", cnic), ("#mobile", mobile)):
        app.screen.query_one(selector).value = value
    await pilot.pause()
    await pilot.click("#next")
    await pilot.pause()
    app.screen.query_one("#description").text = description
    await pilot.pause()
    await pilot.click("#next")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ComplaintScreen) and screen.step_name == "review"
    return screen
