"""The intake app: unlock (or create) a vault, then Intake, Ledger, Verify, Export and Keys.

    create_app(vault_path) ──▶ UnlockScreen  (or NoVaultScreen ──c──▶ CreateScreen)
                                  └─ Unlocked ──▶ HomeScreen ──OpenSection──▶ a section screen
    Ctrl+L, or no key for `lock_after` seconds ──▶ the session is dropped ──▶ UnlockScreen

The app holds the open vault and its keyring for the session, and nothing
else. Screens never import this module: they are given a Session (or the
Settings) and post messages (intake.app.messages) that the app handles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from intake.app.errors import UNEXPECTED, show_error
from intake.app.messages import CreateWanted, OpenSection, SessionChanged, Unlocked
from intake.app.screens.confirm import ConfirmScreen
from intake.app.screens.create import CreateScreen
from intake.app.screens.export import ExportScreen
from intake.app.screens.help import HelpScreen, KeyGroups
from intake.app.screens.home import HomeScreen
from intake.app.screens.intake import IntakeScreen
from intake.app.screens.keys import KeysScreen
from intake.app.screens.ledger import LedgerScreen
from intake.app.screens.novault import NoVaultScreen
from intake.app.screens.section import Section
from intake.app.screens.unlock import UnlockScreen
from intake.app.screens.verify import VerifyScreen
from intake.app.session import DEFAULT_LOCK_AFTER, Clock, Session, Settings, utc_clock
from intake.support.process import forbid_core_dumps

PassphraseSource = Callable[[], str | None]

SECTIONS: dict[str, type[Section]] = {"intake": IntakeScreen, "ledger": LedgerScreen, "verify": VerifyScreen,
                                      "export": ExportScreen, "keys": KeysScreen}
IDLE_CHECK_SECONDS = 5.0
ACTIVITY = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)


class IntakeApp(App[int]):
    CSS_PATH = "intake.tcss"
    TITLE = "intake"
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # intake.tcss stacks panes when narrow
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+l", "lock", "Lock", priority=True, tooltip="Lock: back to the passphrase, the keys dropped"),
        Binding("f1,question_mark", "help", "Help"),
        Binding("i", "section('intake')", "Intake", show=False),
        Binding("l", "section('ledger')", "Ledger", show=False),
        Binding("v", "section('verify')", "Verify", show=False),
        Binding("e", "section('export')", "Export", show=False),
        Binding("k", "section('keys')", "Keys", show=False),
    ]

    def __init__(self, vault_path: Path, settings: Settings, *, passphrase_source: PassphraseSource | None = None,
                 hint: str | None = None, blink: bool = True) -> None:
        super().__init__()
        self.vault_path = vault_path
        self.settings = settings
        self.passphrase_source = passphrase_source
        self.hint = hint
        self.blink = blink  # read by every Field
        self.session: Session | None = None
        self.unexpected: BaseException | None = None  # kept for `intake --debug tui`
        self.last_activity = time.monotonic()

    def on_mount(self) -> None:
        self.sub_title = str(self.vault_path)
        if self.settings.lock_after is not None:
            self.set_interval(min(IDLE_CHECK_SECONDS, self.settings.lock_after / 2), self.lock_if_idle)
        if (self.vault_path / "vault.json").is_file():
            given = self.passphrase_source() if self.passphrase_source is not None else None
            self.push_screen(UnlockScreen(self.vault_path, self.hint, given))
        else:
            self.push_screen(NoVaultScreen(self.vault_path))

    # --- what the screens ask for ------------------------------------------------------------

    @on(CreateWanted)
    def create_wanted(self) -> None:
        self.switch_screen(CreateScreen(self.vault_path))

    @on(Unlocked)
    def unlocked(self, event: Unlocked) -> None:
        # the library's "waiting for another command" line would garble the screen: a notice instead
        vault = replace(event.vault, on_wait=self.waiting_for_lock)
        self.session = Session(vault, event.keyring, self.settings)
        self.clear_notifications()  # a "wrong passphrase" from a try before is no longer news
        if event.created:
            self.notify("Vault created. Keep the passphrase safe: without it nothing here can be recovered.",
                        timeout=10)
        self.last_activity = time.monotonic()
        self.switch_screen(HomeScreen(self.session))

    @on(SessionChanged)
    def session_changed(self, event: SessionChanged) -> None:
        if self.session is not None:
            self.session = event.session

    @on(OpenSection)
    def open_section(self, event: OpenSection) -> None:
        self.action_section(event.name)

    def waiting_for_lock(self) -> None:
        """Called from a worker thread; notify() only posts a message, which is thread-safe."""
        self.notify("Waiting for another intake command on this vault to finish…", timeout=8)

    def show_error(self, error: BaseException) -> None:
        show_error(self, error)

    # --- sections and help -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "section":
            screen = self.screen
            if self.session is None or not isinstance(screen, (HomeScreen, Section)):
                return False
            return not (isinstance(screen, Section) and screen.busy)
        if action == "lock":
            return self.session is not None
        return True

    def action_section(self, name: str) -> None:
        if self.session is None:
            return
        screen = SECTIONS[name](self.session)
        if isinstance(self.screen, Section):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(key_groups()))

    # --- locking -----------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, ACTIVITY):
            self.last_activity = time.monotonic()
        await super().on_event(event)

    def lock_if_idle(self) -> None:
        lock_after = self.settings.lock_after
        if lock_after is not None and self.session is not None \
                and time.monotonic() - self.last_activity >= lock_after:
            self.action_lock()
            self.notify("Locked after a while without a key press.", timeout=30)

    def action_lock(self) -> None:
        """Drop the keyring with every screen that holds it; running work stops at its next safe point."""
        if self.session is None:
            return
        for worker in self.workers:
            if isinstance(worker.node, Screen):
                worker.cancel()
        self.session = None
        self.clear_notifications()
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(UnlockScreen(self.vault_path, self.hint))

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


def key_groups() -> KeyGroups:
    """Every screen whose keys the help lists, in the order a user meets them."""
    return [("Everywhere", IntakeApp), ("In every section", Section), ("Intake", IntakeScreen),
            ("Ledger", LedgerScreen), ("Verify", VerifyScreen), ("Export", ExportScreen), ("Keys", KeysScreen),
            ("Questions", ConfirmScreen)]


def create_app(vault_path: Path, *, passphrase_source: PassphraseSource | None = None,
               clock: Clock = utc_clock, start_dir: Path | None = None, hint: str | None = None,
               blink: bool = True, lock_after: float | None = DEFAULT_LOCK_AFTER) -> IntakeApp:
    """The app on one vault. Tests pass a fixed clock and blink=False for stable screenshots;
    `passphrase_source` (for scripts) unlocks without asking when it gives a passphrase;
    `lock_after` is the idle time in seconds before the app locks itself (None: never)."""
    forbid_core_dumps()
    settings = Settings(clock=clock, start_dir=start_dir or Path.cwd(), lock_after=lock_after)
    return IntakeApp(vault_path, settings, passphrase_source=passphrase_source, hint=hint, blink=blink)
