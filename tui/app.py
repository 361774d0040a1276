"""The intake app: unlock (or create) a vault, then Intake, Ledger, Verify, Export and Keys.

    create_app(vault_path) ──▶ UnlockScreen  (or CreateScreen when there is no vault)
                                  └─ unlocked ──▶ HomeScreen ──key──▶ a section screen

The app holds the open vault and its keyring for the session, and nothing
else: every action calls intake/ or keys/, in a worker thread when it may
take time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from rich.text import Text
from textual.app import App
from textual.binding import Binding

from intake.support.process import forbid_core_dumps
from intake.vault import Vault
from intake.keys.keystore import Keyring
from tui.errors import UNEXPECTED, explain

PassphraseSource = Callable[[], str | None]
Clock = Callable[[], datetime]

SECTIONS = ("intake", "ledger", "verify", "export", "keys")


@dataclass(frozen=True)
class Session:
    """The unlocked vault: what every section works on."""

    vault: Vault
    keyring: Keyring


def utc_clock() -> datetime:
    return datetime.now(timezone.utc)


class IntakeApp(App[int]):
    CSS_PATH = "intake.tcss"
    TITLE = "intake"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f1,question_mark", "help", "Help"),
        Binding("i", "section('intake')", "Intake", show=False),
        Binding("l", "section('ledger')", "Ledger", show=False),
        Binding("v", "section('verify')", "Verify", show=False),
        Binding("e", "section('export')", "Export", show=False),
        Binding("k", "section('keys')", "Keys", show=False),
    ]

    def __init__(self, vault_path: Path, *, passphrase_source: PassphraseSource | None = None,
                 clock: Clock = utc_clock, start_dir: Path | None = None, hint: str | None = None,
                 blink: bool = True) -> None:
        super().__init__()
        self.vault_path = vault_path
        self.passphrase_source = passphrase_source
        self.clock = clock
        self.start_dir = start_dir or Path.cwd()
        self.hint = hint
        self.blink = blink
        self.session: Session | None = None
        self.unexpected: BaseException | None = None  # kept for `intake --debug tui`

    def on_mount(self) -> None:
        from tui.screens.create import CreateScreen
        from tui.screens.unlock import UnlockScreen

        self.sub_title = str(self.vault_path)
        if (self.vault_path / "vault.json").is_file():
            given = self.passphrase_source() if self.passphrase_source is not None else None
            self.push_screen(UnlockScreen(self.vault_path, self.hint, given))
        else:
            self.push_screen(CreateScreen(self.vault_path))

    def unlocked(self, session: Session) -> None:
        from tui.screens.home import HomeScreen

        # the library's "waiting for another command" line would garble the screen: a notice instead
        self.session = Session(replace(session.vault, on_wait=self.waiting_for_lock), session.keyring)
        self.clear_notifications()  # a "wrong passphrase" from a try before is no longer news
        self.switch_screen(HomeScreen())

    def waiting_for_lock(self) -> None:
        """Called from a worker thread; notify() only posts a message, which is thread-safe."""
        self.notify("Waiting for another intake command on this vault to finish…", timeout=8)

    def show_error(self, error: BaseException) -> None:
        self.notify(explain(error), title="Not done", severity="error", timeout=12)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "section":
            from tui.screens.section import Section
            from tui.screens.home import HomeScreen

            screen = self.screen
            if self.session is None or not isinstance(screen, (HomeScreen, Section)):
                return False
            return not (isinstance(screen, Section) and screen.busy)
        return True

    def action_section(self, name: str) -> None:
        from tui.screens.section import Section, section_screen

        if isinstance(self.screen, Section):
            self.switch_screen(section_screen(name))
        else:
            self.push_screen(section_screen(name))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error closes the app with one plain sentence, never a traceback:
        Textual's own report shows local variables, which may hold a passphrase."""
        self.unexpected = error
        self._return_code = 2
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._exit_renderables.append(Text(f"intake: error: {UNEXPECTED}"))
        self._close_messages_no_wait()


def create_app(vault_path: Path, *, passphrase_source: PassphraseSource | None = None,
               clock: Clock = utc_clock, start_dir: Path | None = None, hint: str | None = None,
               blink: bool = True) -> IntakeApp:
    """The app on one vault. Tests pass a fixed clock and blink=False for stable screenshots;
    `passphrase_source` (for scripts) unlocks without asking when it gives a passphrase."""
    forbid_core_dumps()
    return IntakeApp(vault_path, passphrase_source=passphrase_source, clock=clock, start_dir=start_dir,
                     hint=hint, blink=blink)
