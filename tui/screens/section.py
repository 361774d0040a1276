"""What every section screen shares: the navigation line, Escape, and its workers."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker

from tui.app import Session


class Section(Screen):
    """`begin()` before starting work, `end()` when its last message arrives: a cancelled
    thread worker keeps running until its current file is done, and until then the
    screen stays busy (no second run, no leaving the screen)."""

    SECTION = ""
    BINDINGS = [Binding("escape", "back", "Back / Cancel")]

    def __init__(self) -> None:
        super().__init__()
        self.pending = 0

    def begin(self) -> None:
        self.pending += 1

    def end(self) -> None:
        self.pending = max(0, self.pending - 1)

    @property
    def session(self) -> Session:
        assert self.app.session is not None, "sections open only after unlocking"
        return self.app.session

    def running(self) -> list[Worker]:
        return [worker for worker in self.app.workers if worker.node is self and worker.is_running]

    @property
    def busy(self) -> bool:
        return self.pending > 0 or bool(self.running())

    def action_back(self) -> None:
        if self.busy:
            self.cancel_work()
        else:
            self.app.pop_screen()

    def cancel_work(self) -> None:
        """Workers stop at their next safe point (between files), never halfway through one."""
        for worker in self.running():
            worker.cancel()
        self.app.notify("Stopping after the current step; what is done stays recorded.")


def section_screen(name: str) -> Section:
    from tui.screens.export import ExportScreen
    from tui.screens.intake import IntakeScreen
    from tui.screens.keys import KeysScreen
    from tui.screens.ledger import LedgerScreen
    from tui.screens.verify import VerifyScreen

    screens: dict[str, type[Section]] = {"intake": IntakeScreen, "ledger": LedgerScreen, "verify": VerifyScreen,
                                         "export": ExportScreen, "keys": KeysScreen}
    return screens[name]()
