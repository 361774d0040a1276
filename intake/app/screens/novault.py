"""When there is no vault at the path: say so, and create one there only when asked to.

A mistyped --vault must not look like a first start: the user is told which
path holds no vault before any passphrase is asked for.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from intake.app.messages import CreateWanted
from intake.text import printable


def can_hold_a_new_vault(path: Path) -> bool:
    """A vault is made only where nothing is yet: a new folder, or an empty one."""
    if not path.exists():
        return True
    return path.is_dir() and not any(path.iterdir())


class NoVaultScreen(Screen):
    BINDINGS = [Binding("c", "create", "Create a vault here")]

    def __init__(self, vault_path: Path) -> None:
        super().__init__()
        self.vault_path = vault_path
        self.creatable = can_hold_a_new_vault(vault_path)

    def compose(self) -> ComposeResult:
        where = printable(str(self.vault_path))
        yield Header()
        with Center():
            with Vertical(id="no-vault", classes="dialog"):
                yield Static(f"No vault at {where}", classes="title")
                if self.creatable:
                    yield Static("If you meant to open an existing vault, quit (Ctrl+Q) and start intake on the "
                                 "folder that holds it. Otherwise create a new, empty vault here.", classes="muted")
                    yield Button("Create a new vault here (c)", id="create-here", variant="primary", compact=True)
                else:
                    yield Static("That folder holds other files, so no vault is made there. Quit (Ctrl+Q) and "
                                 "start intake on the folder that holds your vault, or on a new folder.",
                                 classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        if self.creatable:
            self.query_one("#create-here", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.creatable if action == "create" else True

    @on(Button.Pressed, "#create-here")
    def action_create(self) -> None:
        self.post_message(CreateWanted())
