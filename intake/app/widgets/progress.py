"""Progress of long work: the current file, the whole run, and a way to stop it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, ProgressBar, Static

from intake.text import printable


class Progressed(Message):
    """Posted from a worker thread: `done` of `total` units of the current step."""

    def __init__(self, step: str, done: int, total: int, files_done: int | None = None) -> None:
        super().__init__()
        self.step = step
        self.done = done
        self.total = total
        self.files_done = files_done


class ProgressPanel(Vertical):
    """Hidden until work starts. The Cancel button posts Button.Pressed with id `cancel`."""

    def compose(self) -> ComposeResult:
        yield Static("", id="progress-label")
        with Horizontal(classes="bars"):
            yield Static("file ", classes="bar-label")
            yield ProgressBar(id="file-bar", show_eta=False)
        with Horizontal(classes="bars"):
            yield Static("all  ", classes="bar-label")
            yield ProgressBar(id="all-bar", show_eta=False)
            yield Button("Cancel (Esc)", id="cancel", variant="error", compact=True)

    def on_mount(self) -> None:
        self.display = False

    def start(self, what: str, total: int) -> None:
        self.display = True
        self.query_one("#progress-label", Static).update(what)
        self.query_one("#file-bar", ProgressBar).update(total=None, progress=0)
        self.query_one("#all-bar", ProgressBar).update(total=max(total, 1), progress=0)
        self.query_one("#cancel", Button).display = True

    def advance(self, event: Progressed) -> None:
        self.query_one("#progress-label", Static).update(printable(event.step))
        self.query_one("#file-bar", ProgressBar).update(total=max(event.total, 1), progress=event.done)
        if event.files_done is not None:
            self.query_one("#all-bar", ProgressBar).update(progress=event.files_done)

    def cancelling(self, text: str) -> None:
        self.query_one("#progress-label", Static).update(text)
        self.query_one("#cancel", Button).display = False

    def finish(self, text: str, complete: bool = True) -> None:
        self.query_one("#progress-label", Static).update(text)
        self.query_one("#cancel", Button).display = False
        if complete:
            for bar in self.query(ProgressBar):
                bar.update(total=bar.total or 1, progress=bar.total or 1)
