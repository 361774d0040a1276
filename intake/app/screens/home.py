"""After unlocking: the five sections, each with its key."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from intake.app.messages import OpenSection
from intake.app.session import Session
from intake.text import printable
from intake.app.widgets.nav import NavBar

CHOICES = (
    ("intake", "i  Intake   take files or folders in: see what they give away, then seal and clean them"),
    ("ledger", "l  Ledger   the custody entries of this vault, and a check that none was altered"),
    ("verify", "v  Verify   check a bundle or a submission, with every check and each item's history"),
    ("export", "e  Export   a public bundle of clean copies, or a sealed submission to an editor"),
    ("keys", "k  Keys     this vault's fingerprint as words, its recipients, a GPG key"),
)


class HomeScreen(Screen):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        keyring = self.session.keyring
        mode = "normal vault" if keyring.can_open_sealed else "write-only field vault (cannot open what it takes in)"
        unlocked_at = self.session.settings.clock().strftime("%H:%M")
        yield Header()
        yield NavBar()
        with Vertical(id="home"):
            yield Static(f"Vault of {printable(keyring.public.name)}: {mode}, unlocked at {unlocked_at}",
                         classes="title")
            yield Static(f"words  {keyring.public.words}", classes="muted")
            yield OptionList(*(Option(text, id=name) for name, text in CHOICES), id="menu")
            yield Static("Arrows and Enter, or the letter keys. ? lists every key. Ctrl+Q quits.",
                         classes="muted")
        yield Footer()

    @on(OptionList.OptionSelected, "#menu")
    def choose(self, event: OptionList.OptionSelected) -> None:
        self.post_message(OpenSection(str(event.option.id)))
