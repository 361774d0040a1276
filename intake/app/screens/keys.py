"""Keys: this vault's identity as hex and as words, saving it to a file, its recipients (adding
one after its words are confirmed, removing one), linking a GPG key."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Header, Input, Select, Static

from intake.text import grouped_hex, printable
from intake.errors import IntakeError
from intake.recipients import (
    RecipientFile,
    add_recipient,
    check_not_self,
    link_gpg_key,
    read_identity_file,
    remove_recipient,
    write_public_identity,
)
from intake.keys.identity import PublicIdentity
from intake.keys.keystore import Keyring
from intake.app.errors import show_error
from intake.app.messages import SessionChanged
from intake.app.session import Session
from intake.app.screens.confirm import ConfirmScreen
from intake.app.screens.section import BACK, Section
from intake.app.pasted import absolute
from intake.app.widgets.fields import Field, PathField
from intake.app.widgets.nav import NavBar


def safe_file_name(name: str) -> str:
    """A pseudonym as a file name: letters, digits, dot, dash and underscore only."""
    kept = "".join(c if c.isalnum() or c in "._-" else "-" for c in name).strip(".-")
    return kept or "identity"


INDENT = " " * 15  # under the values, past the field names


def in_two_lines(parts: list[str]) -> str:
    """Hex groups or words in two even lines, so they never wrap at 80 columns."""
    half = (len(parts) + 1) // 2
    return f"{' '.join(parts[:half])}\n{INDENT}{' '.join(parts[half:])}"


def shortened(value: str, full: bool) -> str:
    return value if full or len(value) <= 40 else f"{value[:20]}…{value[-12:]}"


def identity_text(label: str, identity: PublicIdentity) -> Text:
    text = Text()
    text.append(f"{label}  ", style="bold")
    text.append(f"{printable(identity.name)}\n")
    text.append(f"  fingerprint  {in_two_lines(grouped_hex(identity.fingerprint_hex).split())}\n")
    text.append("  words        ")
    text.append(f"{in_two_lines(identity.words.split())}\n", style="bold")
    return text


def keyring_text(keyring: Keyring, origin: str, full: bool = False) -> Text:
    """`full`: the signing key and age recipient in full, else their start and end (f toggles)."""
    text = identity_text("identity (self)" if keyring.can_open_sealed else "identity (not a recipient)",
                         keyring.public)
    text.append(f"  ed25519      {shortened(keyring.public.signing_key.hex(), full)}\n", style="dim")
    text.append(f"  age          {shortened(keyring.public.age_recipient, full)}\n", style="dim")
    if not full:
        text.append(f"{INDENT}(f shows these two in full)\n", style="dim")
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
    MAIN = "#keys-body"
    MAIN = "#keys-body"
    BINDINGS = [
        Binding("p", "focus('#save-target')", "Export id", tooltip="Save this vault's public identity to a file"),
        Binding("a", "focus('#recipient-file')", "Add", tooltip="Add a recipient (words confirmed first)"),
        Binding("d", "focus('#remove-choice')", "Remove", tooltip="Remove a recipient (after confirmation)"),
        Binding("g", "focus('#gpg-fingerprint')", "GPG", tooltip="Link a GPG secret key"),
        Binding("f", "toggle_full", "Full keys", show=False, tooltip="Show the signing key and age recipient in full"),
        BACK,
    ]

    class Removed(Message):
        def __init__(self, session: Session | None, name: str, error: BaseException | None = None) -> None:
            super().__init__()
            self.session = session
            self.name = name
            self.error = error

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

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.full_keys = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar(self.SECTION)
        with VerticalScroll(id="keys-body"):
            yield Static("", id="identity")
            yield Static("Save this vault's public identity, to give to people who seal to it (p)", classes="label")
            with Horizontal(classes="row"):
                yield Field(value=f"{safe_file_name(self.session.keyring.public.name)}.pub", id="save-target")
                yield Button("Save", id="save", compact=True)
            yield Static("Add a recipient: an editor's public identity file (a)", classes="label")
            with Horizontal(classes="row"):
                yield PathField(placeholder="path to editor.pub", id="recipient-file")
                yield Button("Add…", id="add", compact=True)
            yield Static("Remove a recipient: nothing more is sealed to them (d)", classes="label")
            with Horizontal(classes="row"):
                yield Select[int]([], id="remove-choice", prompt="choose a recipient", compact=True)
                yield Button("Remove…", id="remove", compact=True)
            yield Static("Link a GPG secret key, so bundles are also signed with it (g)", classes="label")
            with Horizontal(classes="row"):
                yield Field(placeholder="40 hex characters, e.g. from `gpg -K`", id="gpg-fingerprint")
                yield Button("Link", id="link", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_identity()
        self.query_one("#keys-body").focus()

    def refresh_identity(self) -> None:
        keyring = self.session.keyring
        self.query_one("#identity", Static).update(keyring_text(keyring, self.session.vault.config.origin,
                                                                self.full_keys))
        self.query_one("#remove-choice", Select).set_options(
            (f"{printable(r.name)}  {' '.join(r.words.split()[:3])}…", index)
            for index, r in enumerate(keyring.policy.recipients))

    def action_toggle_full(self) -> None:
        self.full_keys = not self.full_keys
        self.refresh_identity()

    def changed(self, session: Session) -> None:
        self.session = session
        self.post_message(SessionChanged(session))
        self.refresh_identity()

    def action_focus(self, selector: str) -> None:
        self.query_one(selector).focus()

    # --- saving the public identity -------------------------------------------------------

    @on(Input.Submitted, "#save-target")
    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        typed = self.query_one("#save-target", Input).value.strip()
        if not typed:
            return
        target = absolute(typed)
        try:
            write_public_identity(self.session.keyring, target)
        except IntakeError as error:
            show_error(self, error)
            return
        self.leave_field()
        self.notify(f"Saved this vault's public identity to {target}. Read its words to whoever you give it to: "
                    f"{self.session.keyring.public.words}", timeout=20, markup=False)

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
            show_error(self, error)
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
            f"words        {identity.words}\n\nEverything sealed from now on will also open with this key. "
            "This cannot be undone for what is sealed while they are a recipient: removing them later "
            "only leaves them out of what is sealed after that.",
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
        self.post_message(self.Added(session.with_keyring(outcome.keyring), outcome.added, name))

    @on(Added)
    def added(self, event: Added) -> None:
        self.end()
        if event.session is None:
            show_error(self, event.error)
            return
        self.changed(event.session)
        self.query_one("#recipient-file", Input).value = ""
        self.leave_field()
        if event.added:
            self.app.notify(f"Added recipient {event.name}: everything sealed from now on also opens with their key.")
        else:
            self.app.notify(f"{event.name} is already a recipient; nothing changed.")

    # --- removing a recipient ------------------------------------------------------------------

    @on(Button.Pressed, "#remove")
    def remove_pressed(self) -> None:
        choice = self.query_one("#remove-choice", Select).value
        recipients = self.session.keyring.policy.recipients
        if not isinstance(choice, int) or choice >= len(recipients) or self.busy:
            self.notify("Choose the recipient to remove first.", severity="warning")
            return
        recipient = recipients[choice]

        def answered(yes: bool | None) -> None:
            if yes:
                self.begin()
                self.remove(recipient)

        self.app.push_screen(ConfirmScreen(
            f"Stop sealing to {printable(recipient.name)}?",
            f"words        {recipient.words}\n\nNothing sealed from now on will open with their key. What was "
            "already sealed to them (taken in, submitted) stays readable by them: that cannot be undone.",
            yes="Remove"), answered)

    @on(Select.Changed, "#remove-choice")
    def remove_chosen(self) -> None:
        self.query_one("#remove", Button).focus()

    @work(thread=True, exclusive=True, group="keys")
    def remove(self, recipient: PublicIdentity) -> None:
        session = self.session
        name = printable(recipient.name)
        try:
            outcome = remove_recipient(session.vault, session.keyring, recipient.fingerprint)
        except Exception as error:
            self.post_message(self.Removed(None, name, error))
            return
        self.post_message(self.Removed(session.with_keyring(outcome.keyring), name))

    @on(Removed)
    def removed(self, event: Removed) -> None:
        self.end()
        if event.session is None:
            show_error(self, event.error)
            return
        self.changed(event.session)
        self.query_one("#keys-body").focus()
        self.notify(f"Removed recipient {event.name}: nothing sealed from now on opens with their key.")

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
        self.post_message(self.Linked(session.with_keyring(linked.keyring), f"Linked GPG key {linked.fingerprint}: "
                                      "exports now also carry OpenPGP signatures by it."))

    @on(Linked)
    def linked(self, event: Linked) -> None:
        self.end()
        if event.session is None:
            show_error(self, event.error)
            return
        self.changed(event.session)
        self.query_one("#gpg-fingerprint", Input).value = ""
        self.leave_field()
        self.app.notify(event.text)
