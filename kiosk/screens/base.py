"""What every kiosk screen shares: translation, live relabelling, safe labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from kiosk.i18n import Translator
from kiosk.text import literal, shown

if TYPE_CHECKING:
    from kiosk.app import KioskApp


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

    def relabel(self) -> None:
        self.call_later(self.recompose)  # type: ignore[attr-defined]


class KioskScreen(KioskScreenMixin, Screen[object]):
    """A full kiosk screen (the mixin gives it translation, idle handling and recompose)."""


class KioskModal(KioskScreenMixin, ModalScreen[object]):
    """A kiosk dialog over the current screen."""


def text(value: str, *, classes: str = "", id: str | None = None) -> Static:
    """A Static showing ``value`` literally (already translated or from a person/device)."""
    return Static(literal(value), classes=classes, id=id)


def button(label: str, *, id: str, variant: str = "default", classes: str = "") -> Button:
    """A large button whose label is never parsed as markup."""
    return Button(literal(label), id=id, variant=variant, classes=classes)  # type: ignore[arg-type]


def said(value: str, *, classes: str = "", id: str | None = None) -> Static:
    """A Static showing text from a person or a device: literal, controls visible, shaped."""
    return Static(shown(value), classes=classes, id=id)
