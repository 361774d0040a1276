"""When there is no vault yet: a pseudonym, the passphrase twice, and optionally an editor's key."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Header, Input, Static

from intake.text import grouped_hex, printable
from intake.errors import IntakeError
from intake.recipients import RecipientFile, read_identity_file
from intake.vault import check_passphrase, create_vault
from intake.app.errors import show_error
from intake.app.messages import Unlocked
from intake.app.screens.confirm import ConfirmScreen
from intake.app.widgets.fields import Field
from intake.app.widgets.toggles import TickBox


class CreateScreen(Screen):
    def __init__(self, vault_path: Path) -> None:
        super().__init__()
        self.vault_path = vault_path

    def compose(self) -> ComposeResult:
        yield Header()
        with Center():
            with VerticalScroll(id="create", classes="dialog"):
                yield Static(f"Create a vault at {printable(str(self.vault_path))}", classes="title")
                yield Static("Pseudonym (never your real name)", classes="label")
                yield Field(value="custodian", id="name")
                yield Static("Passphrase (at least 8 characters)", classes="label")
                yield Field(password=True, id="passphrase")
                yield Static("Repeat the passphrase", classes="label")
                yield Field(password=True, id="repeat")
                yield Static("Editor's public identity file (optional)", classes="label")
                yield Field(placeholder="path to editor.pub", id="recipient")
                yield TickBox("Write-only field vault (needs the editor's file)", id="write-only")
                yield Static("It seals only to the editor: this device cannot open what it takes in.",
                             classes="muted")
                yield Button("Create", id="create-button", variant="primary", compact=True)
                yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "recipient":
            self.submit()
        else:
            self.focus_next()

    @on(Button.Pressed, "#create-button")
    def submit(self) -> None:
        values = {id_: self.query_one(f"#{id_}", Input).value for id_ in ("name", "passphrase", "repeat", "recipient")}
        write_only = self.query_one("#write-only", Checkbox).value
        try:
            check_passphrase(values["passphrase"])
            if values["passphrase"] != values["repeat"]:
                raise IntakeError("the two passphrases differ; nothing was created")
            recipient = read_identity_file(Path(values["recipient"])) if values["recipient"].strip() else None
            if write_only and recipient is None:
                raise IntakeError("a write-only vault needs an editor's public identity file")
        except IntakeError as error:
            show_error(self, error)
            return
        for id_ in ("passphrase", "repeat"):
            self.query_one(f"#{id_}", Input).value = ""
        passphrase = values["passphrase"]
        if recipient is None:
            self._create(values["name"], passphrase, write_only, None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._create(values["name"], passphrase, write_only, recipient)
            else:
                self.app.notify("Nothing was created. Type the passphrase again to retry.")

        identity = recipient.identity
        self.app.push_screen(ConfirmScreen(
            "Do these words match the ones the editor read to you?",
            f"editor       {identity.name}\nfingerprint  {grouped_hex(identity.fingerprint_hex)}\n"
            f"words        {identity.words}", yes="They match, create"), answered)

    def _create(self, name: str, passphrase: str, write_only: bool, recipient: RecipientFile | None) -> None:
        self.query_one("#status", Static).update("creating the vault and its keys…")
        self.query_one("#create-button", Button).disabled = True
        self.create(name, passphrase, write_only, recipient)

    @work(thread=True, exclusive=True)
    def create(self, name: str, passphrase: str, write_only: bool, recipient: RecipientFile | None) -> None:
        try:
            recipients = (recipient.text,) if recipient is not None else ()
            vault = create_vault(self.vault_path, name, passphrase, write_only, recipients)
            keyring = vault.unlock(passphrase)
        except Exception as error:
            self.app.call_from_thread(self._failed, error)
            return
        self.post_message(Unlocked(vault, keyring, created=True))

    def _failed(self, error: BaseException) -> None:
        show_error(self, error)
        self.query_one("#status", Static).update("")
        self.query_one("#create-button", Button).disabled = False
