"""One-line text fields whose cursor blinks unless the app asks for a still screen."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input


class Field(Input):
    """An Input for forms; snapshot tests turn the blinking off through the app."""

    def on_mount(self) -> None:
        self.cursor_blink = getattr(self.app, "blink", True)


class PathField(Field):
    """A field for paths: a paste of several lines (files dropped from a file manager) is posted
    whole as `Pasted`, where a plain Input would keep only its first line."""

    class Pasted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def _on_paste(self, event: events.Paste) -> None:
        if "\n" in event.text.strip():
            event.stop()
            self.post_message(self.Pasted(event.text))
            return
        super()._on_paste(event)
