"""The first screen on an existing vault: the passphrase, and nothing else."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Static

from intake.app.errors import show_error
from intake.app.messages import Unlocked
from intake.app.widgets.fields import Field
from intake.vault import Vault


class UnlockScreen(Screen):
    """Asks for the passphrase; unlocking (Argon2id) runs in a worker so the screen stays alive."""

    def __init__(self, vault_path: Path, hint: str | None = None, given: str | None = None) -> None:
        super().__init__()
        self.vault_path = vault_path
        self.hint = hint
        self._given = given  # from --passphrase-file; dropped once used

    def compose(self) -> ComposeResult:
        yield Header()
        with Center():
            with Vertical(id="unlock", classes="dialog"):
                yield Static("Unlock the vault", classes="title")
                yield Static(f"at {self.vault_path}", classes="muted")
                yield Field(placeholder="passphrase", password=True, id="passphrase")
                yield Button("Unlock", id="unlock-button", variant="primary", compact=True)
                yield Static(self.hint or "", id="hint", classes="muted")
                yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        if self._given is not None:
            given, self._given = self._given, None
            self._start(given)
        else:
            self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted, "#passphrase")
    @on(Button.Pressed, "#unlock-button")
    def submit(self) -> None:
        field = self.query_one("#passphrase", Input)
        passphrase, field.value = field.value, ""
        if passphrase:
            self._start(passphrase)

    def _start(self, passphrase: str) -> None:
        self.query_one("#status", Static).update("unlocking…")
        self.query_one("#passphrase", Input).disabled = True
        self.unlock(passphrase)

    @work(thread=True, exclusive=True)
    def unlock(self, passphrase: str) -> None:
        try:
            vault = Vault.open(self.vault_path)
            keyring = vault.unlock(passphrase)
        except Exception as error:  # shown in plain words; the passphrase is in no message
            self.app.call_from_thread(self._failed, error)
            return
        self.post_message(Unlocked(vault, keyring))

    def _failed(self, error: BaseException) -> None:
        show_error(self, error)
        self.query_one("#status", Static).update("")
        field = self.query_one("#passphrase", Input)
        field.disabled = False
        field.focus()
