"""Every key binding of the app, read from the screens themselves so the list stays true."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KeyGroups = list[tuple[str, type]]


def _bindings(owner: type) -> list[Binding]:
    return [b for b in getattr(owner, "BINDINGS", []) if isinstance(b, Binding) and b.description]


def _describe_keys(keys: str) -> str:
    names = {"question_mark": "?", "escape": "Esc", "ctrl+q": "Ctrl+Q", "ctrl+l": "Ctrl+L", "f1": "F1",
             "enter": "Enter", "space": "Space"}
    return " / ".join(names.get(key.strip(), key.strip()) for key in keys.split(","))


def help_text(groups: KeyGroups) -> str:
    """`groups`: (title, screen or app class) in the order a user meets them; the first two are shared."""
    shared_owners = {owner for _, owner in groups[:2]}
    section_keys = _bindings(groups[1][1])
    lines = []
    for title, owner in groups:
        shared = [] if owner in shared_owners else section_keys
        own = [b for b in _bindings(owner) if b not in shared]
        if not own:
            continue
        lines.append(title)
        lines.extend(f"  {_describe_keys(b.key):<16} {b.tooltip or b.description}" for b in own)
        lines.append("")
    lines.append("Tab / Shift+Tab move between fields and buttons; Enter presses a button or opens a file.")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,f1,q", "close", "Close")]

    def __init__(self, groups: KeyGroups) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog modal", id="help"):
            yield Static("Keys", classes="title")
            with VerticalScroll():
                yield Static(help_text(self.groups), markup=False, id="help-text")
            yield Static("Esc closes this list.", classes="muted")

    def action_close(self) -> None:
        self.dismiss(None)
