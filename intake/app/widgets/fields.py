"""A one-line text field whose cursor blinks unless the app asks for a still screen."""

from __future__ import annotations

from textual.widgets import Input


class Field(Input):
    """An Input for forms; snapshot tests turn the blinking off through the app."""

    def on_mount(self) -> None:
        self.cursor_blink = getattr(self.app, "blink", True)
