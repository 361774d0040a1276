"""Keys: this vault's identity as hex and as words, its recipients, adding one, linking a GPG key."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Header, Input, Static

from intake.display import printable
from intake.errors import IntakeError
from intake.recipients import RecipientFile, add_recipient, check_not_self, link_gpg_key, read_identity_file
from intake.text import grouped_hex
from intake.keys.identity import PublicIdentity
from intake.keys.keystore import Keyring
from tui.app import Session
from tui.screens.confirm import ConfirmScreen
from tui.screens.section import Section
from tui.widgets.fields import Field
from tui.widgets.nav import NavBar


def identity_text(label: str, identity: PublicIdentity) -> Text:
    text = Text()
    text.append(f"{label}  ", style="bold")
    text.append(f"{printable(identity.name)}\n")
    text.append(f"  fingerprint  {grouped_hex(identity.fingerprint_hex)}\n")
    text.append("  words        ")
    text.append(f"{identity.words}\n", style="bold")
    return text


def keyring_text(keyring: Keyring, origin: str) -> Text:
    text = identity_text("identity (self)" if keyring.can_open_sealed else "identity (not a recipient)",
                         keyring.public)
    text.append(f"  ed25519      {keyring.public.signing_key.hex()}\n", style="dim")
    text.append(f"  age          {keyring.public.age_recipient}\n", style="dim")
    text.append(f"  ledger       {origin}\n", style="dim")
    mode = ("normal: seals to itself and its recipients" if keyring.can_open_sealed
            else "write-only: seals to its recipients only; cannot open what it takes in")
    text.append(f"  vault mode   {mode}\n")
    gpg = grouped_hex(keyring.policy.openpgp) if keyring.policy.openpgp else "none linked (exports carry no .asc)"
    text.append(f"  GPG key      {gpg}\n\n")
    for recipient in keyring.policy.recipients:
        text.append_text(identity_text("recipient", recipient))
    if not keyring.policy.recipients:
        text.append("no other recipients: only this vault can open what it seals\n", style="yellow")
    return text


class KeysScreen(Section):
    SECTION = "keys"
    BINDINGS = [
        Binding("a", "focus_add", "Add a recipient"),
        Binding("g", "focus_gpg", "Link a GPG key"),
        Binding("escape", "back", "Back / Cancel"),
    ]

    class Added(Message):
        def __init__(self, session: Session | None, added: bool, name: str, error: BaseException | None = None):
            super().__init__()
            self.session = session
            self.added = added
            self.name = name
            self.error = error

    class Linked(Message):
        def __init__(self, session: Session | None, text: str | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.session = session
            self.text = text
            self.error = error

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar(self.SECTION)
        with VerticalScroll(id="keys-body"):
            yield Static("", id="identity")
        yield Static("Add a recipient: an editor's public identity file (from `intake keys export`)", classes="label")
        with Horizontal(classes="row"):
            yield Field(placeholder="path to editor.pub", id="recipient-file")
            yield Button("Add…", id="add", compact=True)
        yield Static("Link a GPG secret key, so bundles are also signed with it (its fingerprint)", classes="label")
        with Horizontal(classes="row"):
            yield Field(placeholder="40 hex characters, e.g. from `gpg -K`", id="gpg-fingerprint")
            yield Button("Link", id="link", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_identity()
        self.query_one("#keys-body").focus()

    def refresh_identity(self) -> None:
        self.query_one("#identity", Static).update(keyring_text(self.session.keyring,
                                                                self.session.vault.config.origin))

    def action_focus_add(self) -> None:
        self.query_one("#recipient-file", Input).focus()

    def action_focus_gpg(self) -> None:
        self.query_one("#gpg-fingerprint", Input).focus()

    # --- adding a recipient -------------------------------------------------------------

    @on(Input.Submitted, "#recipient-file")
    @on(Button.Pressed, "#add")
    def add_pressed(self) -> None:
        text = self.query_one("#recipient-file", Input).value.strip()
        if not text or self.busy:
            return
        try:
            recipient = read_identity_file(Path(text).expanduser())
            check_not_self(self.session.keyring, recipient.identity)
        except IntakeError as error:
            self.app.show_error(error)
            return
        identity = recipient.identity

        def answered(yes: bool | None) -> None:
            if yes:
                self.begin()
                self.add(recipient)
            else:
                self.app.notify("Not added: the words were not confirmed.", severity="warning")

        self.app.push_screen(ConfirmScreen(
            "Do these words match the ones the editor read to you?",
            f"editor       {printable(identity.name)}\nfingerprint  {grouped_hex(identity.fingerprint_hex)}\n"
            f"words        {identity.words}\n\nEverything sealed from now on will also open with this key.",
            yes="They match, add"), answered)

    @work(thread=True, exclusive=True, group="keys")
    def add(self, recipient: RecipientFile) -> None:
        session = self.session
        name = printable(recipient.identity.name)
        try:
            outcome = add_recipient(session.vault, session.keyring, recipient)
        except Exception as error:
            self.post_message(self.Added(None, False, name, error))
            return
        self.post_message(self.Added(Session(session.vault, outcome.keyring), outcome.added, name))

    @on(Added)
    def added(self, event: Added) -> None:
        self.end()
        if event.session is None:
            self.app.show_error(event.error)
            return
        self.app.session = event.session
        self.query_one("#recipient-file", Input).value = ""
        self.refresh_identity()
        if event.added:
            self.app.notify(f"Added recipient {event.name}: everything sealed from now on also opens with their key.")
        else:
            self.app.notify(f"{event.name} is already a recipient; nothing changed.")

    # --- linking a GPG key (the OpenPGP bridge) ------------------------------------------------

    @on(Input.Submitted, "#gpg-fingerprint")
    @on(Button.Pressed, "#link")
    def link_pressed(self) -> None:
        fingerprint = self.query_one("#gpg-fingerprint", Input).value.strip().replace(" ", "")
        if fingerprint and not self.busy:
            self.begin()
            self.link(fingerprint)

    @work(thread=True, exclusive=True, group="keys")
    def link(self, fingerprint: str) -> None:
        session = self.session
        try:
            linked = link_gpg_key(session.vault, session.keyring, fingerprint)
        except Exception as error:
            self.post_message(self.Linked(None, None, error))
            return
        self.post_message(self.Linked(Session(session.vault, linked.keyring), f"Linked GPG key {linked.fingerprint}: "
                                      "exports now also carry OpenPGP signatures by it."))

    @on(Linked)
    def linked(self, event: Linked) -> None:
        self.end()
        if event.session is None:
            self.app.show_error(event.error)
            return
        self.app.session = event.session
        self.refresh_identity()
        self.query_one("#gpg-fingerprint", Input).value = ""
        self.app.notify(event.text)
