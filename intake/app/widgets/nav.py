"""The line under the header that names every section and its key, on every screen."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

SECTION_KEYS = (("intake", "i", "Intake"), ("ledger", "l", "Ledger"), ("verify", "v", "Verify"),
                ("export", "e", "Export"), ("keys", "k", "Keys"))


class NavBar(Static):
    def __init__(self, current: str | None = None) -> None:
        super().__init__(id="nav")
        self.current = current

    def on_mount(self) -> None:
        line = Text()
        for name, key, label in SECTION_KEYS:
            style = "reverse bold" if name == self.current else ""
            line.append(f" {key} ", style="bold " + style)
            line.append(f"{label} ", style=style)
            line.append("  ")
        line.append(" ? ", style="bold")
        line.append("Help")
        self.update(line)
