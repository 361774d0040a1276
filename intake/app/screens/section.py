"""What every section screen shares: the navigation line, Escape, and its workers."""

from __future__ import annotations


from textual import on
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Input
from textual.worker import Worker, get_current_worker

from intake.support.progress import Progress
from intake.errors import Stopped
from intake.app.session import Session
from intake.app.widgets.progress import ProgressPanel, Progressed


BACK = Binding("escape", "back", "Back", tooltip="Back home; in a text field, leave it; while working, stop")


class Section(Screen):
    """`begin()` before starting work, `end()` when its last message arrives: a cancelled
    thread worker keeps running until its current file is done, and until then the
    screen stays busy (no second run, no leaving the screen)."""

    SECTION = ""
    STOPPING = "stopping…"  # what Esc during work does, in the progress panel
    BINDINGS = [BACK]

    MAIN = ""  # the selector of the widget that has the focus when no text field has it

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.pending = 0

    def begin(self) -> None:
        self.pending += 1

    def end(self) -> None:
        self.pending = max(0, self.pending - 1)

    def running(self) -> list[Worker]:
        return [worker for worker in self.app.workers if worker.node is self and worker.is_running]

    @property
    def busy(self) -> bool:
        return self.pending > 0 or bool(self.running())

    def action_back(self) -> None:
        """Esc: stop work; else leave a text field (keeping what was typed); else go home."""
        if self.busy:
            self.cancel_work()
        elif isinstance(self.focused, Input):
            self.leave_field()
        else:
            self.app.pop_screen()

    def leave_field(self) -> None:
        """Focus the screen's main widget, so the section keys work again."""
        main: Widget | None = self.query_one(self.MAIN) if self.MAIN else None
        self.set_focus(main)

    def stoppable_progress(self, step: str) -> Progress:
        """A progress callback for a library call that is all or nothing: once Esc cancelled the
        worker, the next call raises Stopped and the library removes what it had written. Call
        it in the worker; the callback may run on the library's own threads."""
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled:
                raise Stopped()
            percent = 100 * done // total if total else 100
            self.post_message(Progressed(f"{step}: {percent}%", done, total, done))

        return progress

    @on(Progressed)
    def progressed(self, event: Progressed) -> None:
        self.query_one(ProgressPanel).advance(event)

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.cancel_work()

    def cancel_work(self) -> None:
        """Workers stop at their next safe point, never halfway through a file."""
        for worker in self.running():
            worker.cancel()
        for panel in self.query(ProgressPanel):
            panel.cancelling(self.STOPPING)
        self.app.notify("Stopping at the next safe point…")
