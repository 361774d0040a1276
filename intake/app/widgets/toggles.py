"""Tick boxes and radio buttons that read the same without colour (NO_COLOR, a monochrome terminal).

Textual draws a ticked and an unticked box with the same glyph in two
colours; these draw [x] / [ ] and (•) / ( ) instead.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, RadioButton, SelectionList

TICKED, UNTICKED = "[x]", "[ ]"
CHOSEN, NOT_CHOSEN = "(•)", "( )"


class TickBox(Checkbox):
    @property
    def _button(self) -> Content:
        return Content.styled(TICKED if self.value else UNTICKED, self.get_visual_style("toggle--button"))


class Radio(RadioButton):
    @property
    def _button(self) -> Content:
        return Content.styled(CHOSEN if self.value else NOT_CHOSEN, self.get_visual_style("toggle--button"))


class TickList(SelectionList[str]):
    """A SelectionList whose boxes are [x] / [ ]: its own three-cell box is redrawn as text."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        index = self.scroll_offset.y + y
        if len(segments) < 4 or index >= self.option_count:
            return strip
        ticked = self.get_option_at_index(index).value in self._selected
        box = TICKED if ticked else UNTICKED
        glyphs = [Segment(char, segment.style) for char, segment in zip(box, segments[:3])]
        return Strip([*glyphs, *segments[3:]], strip.cell_length)
