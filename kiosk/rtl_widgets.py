"""Widgets that show Urdu right on a character grid: a wrapping paragraph and an input box.

:class:`Paragraph` wraps its text in logical order at the width it is given and only then
shapes and reorders each line (:func:`kiosk.rtl.lines`), so an Urdu paragraph reads top to
bottom. :class:`KioskInput` is Textual's ``Input`` drawn through the same bidi map: typed
Urdu shows joined and right to left, with the cursor on the letter it stands before, and
the arrow keys move the way the text reads. :class:`LimitedTextArea` is a ``TextArea``
drawn the same way line by line (wrapped in logical order first, as ``TextArea`` does),
which refuses text past its limit while the citizen types or pastes. :class:`KioskFooter`
is the footer of keys, mirrored in Urdu.

Nothing here is parsed as markup. Widgets run on the app's thread (Textual's rule).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.events import MouseEvent
from textual.geometry import Size
from textual.strip import Strip
from textual.widgets import Footer, Input, Static, TextArea
from textual.widgets._footer import FooterKey
from textual.widgets.text_area import Location

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
        if y == 0 and not self.value and rtl.is_rtl(self.placeholder):
            return self._render_rtl_placeholder()
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

    def _render_rtl_placeholder(self) -> Strip:
        """An empty box with an Urdu hint: the hint right-aligned, the cursor in the
        right-most cell, where the first typed letter will be."""
        width = self.scrollable_content_region.width
        hint = self.placeholder[: max(0, width - 1)]
        text = Text(hint.rjust(width - 1) + " ", no_wrap=True, overflow="ignore", end="")
        text.stylize(self.get_component_rich_style("input--placeholder"))
        if self.has_focus and self._cursor_visible:
            text.stylize(self.get_component_rich_style("input--cursor"), width - 1, width)
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
    """A multi-line box that shows Urdu joined and right to left and keeps a limit.

    **Limit**: at most ``max_length`` characters; typing or pasting past it inserts only
    what fits (nothing is silently dropped later).

    **Right to left**: Textual's ``TextArea`` wraps each paragraph (document line) in
    logical order at its width; a paragraph with Arabic letters then has each of its
    wrapped lines shaped and reordered through :func:`kiosk.rtl.visual` (one cell per
    typed letter) and, when the paragraph reads right to left (its first strong letter),
    drawn right-aligned. The cursor block sits on the letter after the insertion point,
    or at the end of a right-to-left paragraph on the blank cell left of its last line;
    the selection covers the cells of the selected letters. Left and Right follow the
    reading direction of the cursor's paragraph; Up and Down keep the distance from the
    edge the paragraph starts at; a click or touch lands on the letter under it. The
    text (what is filed) is always logical. Paragraphs without Arabic letters are drawn
    by Textual unchanged. Cost: one :func:`kiosk.rtl.visual` per drawn line (~0.1 ms).
    """

    def __init__(self, text: str = "", *, max_length: int, **options: object) -> None:
        super().__init__(text[:max_length], **options)  # type: ignore[arg-type]
        self.max_length = max_length

    def on_mount(self) -> None:
        # a box built with text (a draft brought back) can be wrapped before its width is
        # known, leaving one letter on the first line: wrap again once it is laid out
        self.call_after_refresh(self._rewrap_and_refresh_virtual_size)
        if self.app.is_headless:  # a steady cursor: the same drawing whatever the timing
            self.cursor_blink = False

    def _replace_via_keyboard(self, insert, start, end):  # type: ignore[no-untyped-def]
        removed = len(self.get_text_range(*sorted((start, end))))
        room = self.max_length - (len(self.text) - removed)
        if len(insert) > room:
            insert = insert[: max(0, room)]
            if not insert and start == end:
                self.app.bell()
                return None
        return super()._replace_via_keyboard(insert, start, end)

    # ------------------------------------------------------------ right to left
    def paragraph_is_rtl(self, line_index: int) -> bool:
        """True when document line ``line_index`` has Arabic letters and reads right to
        left (its first strong letter)."""
        line = self.document.get_line(line_index)
        return rtl.has_arabic(line) and rtl.is_rtl(line)

    def _section(self, y_offset: int) -> tuple[int, int, int] | None:
        """(document line, start, end) of the wrapped line at row ``y_offset`` of the
        document (not of the screen), or None past the end."""
        info = self.wrapped_document._offset_to_line_info
        if not 0 <= y_offset < len(info):
            return None
        line_index, section = info[y_offset]
        line = self.document.get_line(line_index)
        bounds = [0, *self.wrapped_document.get_offsets(line_index), len(line)]
        return line_index, bounds[section], bounds[section + 1]

    def visual_row(self, y_offset: int) -> tuple[str, list[int]] | None:
        """Row ``y_offset`` of the document as drawn when its paragraph has Arabic
        letters: the cells (``width`` of them) and, for each, the column in its document
        line of the letter it shows (-1: padding; the line's length: its end cell).
        None for a row drawn by Textual (no Arabic letters) or past the end."""
        found = self._section(y_offset)
        if found is None:
            return None
        line_index, start, end = found
        line = self.document.get_line(line_index)
        if not rtl.has_arabic(line):
            return None
        right_to_left = rtl.is_rtl(line)
        # tabs are one cell here, so each typed letter keeps exactly one cell
        drawn = rtl.visual(line[start:end].replace("\t", " "), rtl=right_to_left)
        cells, order = drawn.text, [start + i for i in drawn.order]
        if end == len(line):  # the paragraph's last row has the end-of-line cell
            if right_to_left:
                cells, order = " " + cells, [end, *order]
            else:
                cells, order = cells + " ", [*order, end]
        width = max(self.scrollable_content_region.width, len(cells))
        pad = width - len(cells)
        if right_to_left:
            return " " * pad + cells, [-1] * pad + order
        return cells + " " * pad, order + [-1] * pad

    def _render_line(self, y: int) -> Strip:
        y_offset = y + self.scroll_offset.y
        row = self.visual_row(y_offset)
        if row is None:
            return super()._render_line(y)
        cells, order = row
        line_index = self.wrapped_document._offset_to_line_info[y_offset][0]
        theme = self._theme
        base_style = theme.base_style if theme and theme.base_style else self.rich_style
        text = Text(cells, no_wrap=True, overflow="ignore", end="")
        (top_row, top_column), (bottom_row, bottom_column) = sorted(self.selection)
        cursor_row, cursor_column = self.selection.end
        selection_style = theme.selection_style if theme else None
        if selection_style and self.selection.start != self.selection.end:
            for x, column in enumerate(order):
                if column < 0:
                    continue
                after_top = (line_index, column) >= (top_row, top_column)
                before_bottom = (line_index, column) < (bottom_row, bottom_column)
                if after_top and before_bottom:
                    text.stylize(selection_style, x, x + 1)
        line_style = None
        if self.highlight_cursor_line and self._has_cursor and cursor_row == line_index:
            line_style = theme.cursor_line_style if theme else None
        if line_style:
            text.stylize_before(line_style)
        cursor_style = theme.cursor_style if theme else None
        if cursor_row == line_index and self._draw_cursor and cursor_style:
            if cursor_column in order:
                x = order.index(cursor_column)
                text.stylize(cursor_style, x, x + 1)
        strip = Strip(text.render(self.app.console), cell_length=text.cell_len)
        width = self.scrollable_content_region.width
        return strip.extend_cell_length(width, line_style).apply_style(base_style)

    def get_target_document_location(self, event: MouseEvent) -> Location:
        y_offset = event.y + self.scroll_offset.y - self.gutter.top
        row = self.visual_row(y_offset)
        if row is None:
            return super().get_target_document_location(event)
        _, order = row
        x = event.x - self.gutter.left
        found = self._section(y_offset)
        assert found is not None  # a row that was drawn is a section
        line_index, start, end = found
        column = order[x] if 0 <= x < len(order) else -1
        if column < 0:  # padding: the end of the line on its side, else its start
            right_to_left = self.paragraph_is_rtl(line_index)
            if (x < len(order) // 2) != right_to_left:
                column = start
            elif end == len(self.document.get_line(line_index)):
                column = end
            else:  # a wrapped row's end is the next row's start: stay on this row
                column = max(start, end - 1)
        return line_index, column

    def _reading_rtl(self) -> bool:
        return self.paragraph_is_rtl(self.cursor_location[0])

    def action_cursor_left(self, select: bool = False) -> None:
        if self._reading_rtl():
            super().action_cursor_right(select)
        else:
            super().action_cursor_left(select)

    def action_cursor_right(self, select: bool = False) -> None:
        if self._reading_rtl():
            super().action_cursor_left(select)
        else:
            super().action_cursor_right(select)

    def action_cursor_word_left(self, select: bool = False) -> None:
        if self._reading_rtl():
            super().action_cursor_word_right(select)
        else:
            super().action_cursor_word_left(select)

    def action_cursor_word_right(self, select: bool = False) -> None:
        if self._reading_rtl():
            super().action_cursor_word_left(select)
        else:
            super().action_cursor_word_right(select)


class MirroredFooterKey(FooterKey):
    """A footer key for right-to-left reading: the key on the right, its label left of it."""

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        key_padding = self.get_component_styles("footer-key--key").padding
        description_padding = self.get_component_styles("footer-key--description").padding
        key = " " * key_padding.left + self.key_display + " " * key_padding.right
        if not self.description:
            label = Text(key, style=key_style)
        else:
            description = (
                " " * description_padding.right + self.description + " " * description_padding.left
            )
            label = Text.assemble((description, description_style), (key, key_style))
        label.stylize_before(self.rich_style)
        return label


class KioskFooter(Footer):
    """The footer of key bindings, mirrored while the kiosk shows a right-to-left language:
    keys right-aligned, the first binding at the right, each key right of its label.

    Labels come translated and shaped from the screen's ``active_bindings``
    (kiosk.screens.base). Runs on the app's thread.
    """

    DEFAULT_CSS = """
    KioskFooter.-rtl {
        align-horizontal: right;
    }
    KioskFooter.-rtl MirroredFooterKey {
        margin: 0 0 0 1;
    }
    """

    @property
    def right_to_left(self) -> bool:
        t = getattr(self.app, "t", None)
        return bool(getattr(t, "rtl", False))

    def compose(self) -> ComposeResult:
        self.set_class(self.right_to_left, "-rtl")
        if not self.right_to_left:
            yield from super().compose()
            return
        if not self._bindings_ready:
            return
        shown: dict[str, tuple[Binding, bool, str]] = {}
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in shown:
                shown[binding.action] = (binding, enabled, tooltip)
        for binding, enabled, tooltip in reversed(list(shown.values())):
            yield MirroredFooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
