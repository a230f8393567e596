"""Widgets that show Urdu right on a character grid: a wrapping paragraph and an input box.

:class:`Paragraph` wraps its text in logical order at the width it is given and only then
shapes and reorders each line (:func:`kiosk.rtl.lines`), so an Urdu paragraph reads top to
bottom. :class:`KioskInput` is Textual's ``Input`` drawn through the same bidi map: typed
Urdu shows joined and right to left, with the cursor on the letter it stands before, and
the arrow keys move the way the text reads. :class:`LimitedTextArea` is a ``TextArea``
that refuses text past its limit while the citizen types or pastes.

Nothing here is parsed as markup. Widgets run on the app's thread (Textual's rule).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.content import Content
from textual.geometry import Size
from textual.strip import Strip
from textual.widgets import Input, Static, TextArea

from kiosk import rtl
from kiosk.text import visible_controls


class Paragraph(Static):
    """Text shown literally (controls visible), wrapped then shaped at its own width.

    ``value`` is logical (typing-order) text: a translation, or what a person typed.
    """

    def __init__(self, value: str = "", *, id: str | None = None, classes: str = "") -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.value = visible_controls(value)

    def update(self, value: str = "", *, layout: bool = True) -> None:  # type: ignore[override]
        self.value = visible_controls(str(value))
        self.refresh(layout=layout)

    def shown_lines(self, width: int) -> list[str]:
        """The lines as drawn at ``width`` cells (visual order)."""
        return rtl.lines(self.value, width) if self.value else [""]

    def render(self) -> Content:
        return Content("\n".join(self.shown_lines(self.content_region.width or 80)))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max((cell_len(line) for line in rtl.shape(self.value).split("\n")), default=0)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.shown_lines(width))


class KioskInput(Input):
    """A one-line input box that shows Urdu joined and right to left.

    Text without Arabic letters is drawn by Textual's ``Input`` unchanged. Text with them
    is drawn through :func:`kiosk.rtl.visual`: each cell shows the joined form of one typed
    letter, and the cursor block sits on the letter after the insertion point (or, at the
    end of right-to-left text, on the blank cell to its left). Left and Right follow the
    reading direction. The value (what is filed) is always the logical text.
    """

    def __init__(self, value: str = "", *, placeholder: str = "", **options: object) -> None:
        # Focus puts the cursor at the end; selecting all on focus would let the next
        # key replace what the citizen typed before a screen was rebuilt.
        options.setdefault("select_on_focus", False)
        super().__init__(value, placeholder=rtl.shape(placeholder), **options)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        # Headless (tests, snapshots) nobody watches a blink; a steady cursor makes the
        # drawn screen the same whatever the timing.
        if self.app.is_headless:
            self.cursor_blink = False

    @property
    def right_to_left(self) -> bool:
        return rtl.is_rtl(self.value)

    def _layout(self, width: int) -> tuple[str, list[int]]:
        """The visible cells (``width`` of them) and, for each, the typed index it shows
        (``len(value)`` for the end-of-text cell, -1 for padding)."""
        value = self.value
        line = rtl.visual(value, rtl=self.right_to_left)
        cells, order = line.text, list(line.order)
        end = len(value)
        if self.right_to_left:
            cells, order = " " + cells, [end, *order]
        else:
            cells, order = cells + " ", [*order, end]
        cursor = order.index(self.cursor_position) if self.cursor_position in order else 0
        if len(cells) <= width:
            pad = width - len(cells)
            if self.right_to_left:
                return " " * pad + cells, [-1] * pad + order
            return cells + " " * pad, order + [-1] * pad
        start = max(0, min(len(cells) - width, cursor - width // 2))
        return cells[start : start + width], order[start : start + width]

    def render_line(self, y: int) -> Strip:
        if y != 0 or not rtl.has_arabic(self.value) or self.password:
            return super().render_line(y)
        width = self.scrollable_content_region.width
        cells, order = self._layout(width)
        text = Text(cells, no_wrap=True, overflow="ignore", end="")
        if self.has_focus:
            low, high = sorted(self.selection)
            if low != high:
                style = self.get_component_rich_style("input--selection")
                for x, index in enumerate(order):
                    if low <= index < high:
                        text.stylize(style, x, x + 1)
            if self._cursor_visible and self.cursor_position in order:
                x = order.index(self.cursor_position)
                text.stylize(self.get_component_rich_style("input--cursor"), x, x + 1)
        console = self.app.console
        strip = Strip(console.render(text, self.app.console_options.update_width(width + 1)))
        return strip.extend_cell_length(width + 1).apply_style(self.rich_style)

    def action_cursor_left(self, select: bool = False) -> None:
        if self.right_to_left and rtl.has_arabic(self.value):
            super().action_cursor_right(select)
        else:
            super().action_cursor_left(select)

    def action_cursor_right(self, select: bool = False) -> None:
        if self.right_to_left and rtl.has_arabic(self.value):
            super().action_cursor_left(select)
        else:
            super().action_cursor_right(select)

    def _cell_offset_to_index(self, offset: int) -> int:
        """The typed index under cell ``offset`` of the box (a click or touch)."""
        if not rtl.has_arabic(self.value):
            return super()._cell_offset_to_index(offset)
        _, order = self._layout(self.scrollable_content_region.width)
        index = order[offset] if 0 <= offset < len(order) else -1
        if index < 0:
            return len(self.value) if self.right_to_left else 0
        return index


class LimitedTextArea(TextArea):
    """A TextArea holding at most ``max_length`` characters: typing or pasting past the
    limit inserts only what fits (nothing is silently dropped later)."""

    def __init__(self, text: str = "", *, max_length: int, **options: object) -> None:
        super().__init__(text[:max_length], **options)  # type: ignore[arg-type]
        self.max_length = max_length

    def on_mount(self) -> None:
        # a box built with text (a draft brought back) can be wrapped before its width is
        # known, leaving one letter on the first line: wrap again once it is laid out
        self.call_after_refresh(self._rewrap_and_refresh_virtual_size)

    def _replace_via_keyboard(self, insert, start, end):  # type: ignore[no-untyped-def]
        removed = len(self.get_text_range(*sorted((start, end))))
        room = self.max_length - (len(self.text) - removed)
        if len(insert) > room:
            insert = insert[: max(0, room)]
            if not insert and start == end:
                self.app.bell()
                return None
        return super()._replace_via_keyboard(insert, start, end)
