"""What every kiosk screen shares: translation, live relabelling, safe labels, mirroring."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from textual.binding import ActiveBinding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox

from kiosk.i18n import Translator
from kiosk.rtl_widgets import Paragraph
from kiosk.text import shape, shown

if TYPE_CHECKING:
    from kiosk.app import KioskApp


T = TypeVar("T")


class KioskScreenMixin:
    """``t`` translates for the app's language; ``relabel`` recomposes after a switch.

    Screens keep what the person typed in attributes (updated as they type), so a
    recompose after a language switch loses nothing.
    """

    #: True once the person has entered something (the idle timeout then clears it).
    dirty: bool = False

    @property
    def kiosk(self) -> KioskApp:
        return self.app  # type: ignore[attr-defined, return-value]

    @property
    def t(self) -> Translator:
        return self.kiosk.t

    @property
    def rtl_class(self) -> str:
        return "rtl" if self.t.rtl else "ltr"

    #: What has focus when the screen opens or is rebuilt (a selector; first focusable
    #: match). Textual applies it when the screen is shown; :meth:`rebuild` after that.
    AUTO_FOCUS: str | None = "*"

    def relabel(self) -> None:
        """Recompose in the new language; focus stays on the same widget."""
        self.call_later(self.rebuild)  # type: ignore[attr-defined]

    async def rebuild(self, focus: str | None = None) -> None:
        """Recompose the screen, then focus ``focus``, else the widget that had focus
        (by id), else :attr:`AUTO_FOCUS`, so no key goes to a widget that is gone."""
        screen: Screen[object] = self  # type: ignore[assignment]
        previous = screen.focused.id if screen.focused is not None else None
        await screen.recompose()
        self.refocus(focus or (f"#{previous}" if previous else None))

    def refocus(self, selector: str | None = None) -> None:
        """Focus the first focusable match of ``selector``, else of :attr:`AUTO_FOCUS`;
        then redraw the footer's keys (a recompose leaves them blank until a key)."""
        screen: Screen[object] = self  # type: ignore[assignment]
        for candidate in (selector, self.AUTO_FOCUS):
            if not candidate:
                continue
            found = [w for w in screen.query(candidate) if w.focusable]
            if found:
                # scrolled into view without animation: the screen is still, at once
                found[0].focus(scroll_visible=False)
                screen.call_after_refresh(found[0].scroll_visible, animate=False)
                break
        screen.refresh_bindings()

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The screen's key bindings with their footer labels in the citizen's language."""
        bindings = super().active_bindings  # type: ignore[misc]
        t = self.t
        return {
            key: active._replace(
                binding=replace(active.binding, description=shape(t(active.binding.description)))
            )
            if active.binding.description
            else active
            for key, active in bindings.items()
        }

    def checkbox(self, label: str, value: bool, *, id: str) -> Checkbox:
        """A tick box whose label (translated) is never parsed as markup; in a
        right-to-left language the box is right of its label."""
        return Checkbox(shown(label), value, id=id, button_first=not self.t.rtl)

    def mirrored(self, items: Iterable[T]) -> list[T]:
        """``items`` in reading order: reversed for Urdu, so a row reads from the right."""
        ordered = list(items)
        return ordered[::-1] if self.t.rtl else ordered


class KioskScreen(KioskScreenMixin, Screen[object]):
    """A full kiosk screen (the mixin gives it translation, idle handling and recompose)."""


class KioskModal(KioskScreenMixin, ModalScreen[object]):
    """A kiosk dialog over the current screen."""


class Page(VerticalScroll):
    """A screen's scrolling body. Not a focus stop itself: Tab goes from one control to
    the next, never to an invisible container that would swallow typing."""

    can_focus = False


def text(value: str, *, classes: str = "", id: str | None = None) -> Paragraph:
    """A paragraph showing ``value`` literally (a translation, logical order): wrapped at
    its width, then shaped and reordered line by line."""
    return Paragraph(value, classes=classes, id=id)


def button(label: str, *, id: str, variant: str = "default", classes: str = "") -> Button:
    """A large button whose label is never parsed as markup (shaped for Urdu)."""
    return Button(shown(label), id=id, variant=variant, classes=classes)  # type: ignore[arg-type]


def row(*buttons: Button) -> Horizontal:
    """Buttons on a row of their own (class ``nav``): right-aligned in a right-to-left
    language (kiosk.tcss), as a lone button on the page cannot be."""
    return Horizontal(*buttons, classes="nav")


def said(value: str, *, classes: str = "", id: str | None = None) -> Paragraph:
    """A paragraph showing text from a person or a device: literal, controls visible."""
    return Paragraph(value, classes=classes, id=id)
