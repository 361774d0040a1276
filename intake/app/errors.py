"""The app's presentation of errors: one line in plain words, never a traceback.

An IntakeError's message is written for users (it names no secret and no
file content). Any other exception may carry data from a file or a key in
its text, so only a fixed sentence is shown.
"""

from __future__ import annotations

from textual.widget import Widget

from intake.text import printable
from intake.errors import IntakeError

UNEXPECTED = ("Something unexpected went wrong, so that step was stopped. "
              "The vault holds only what was reported as done.")


def explain(error: BaseException) -> str:
    """The one line the app shows for an error."""
    if isinstance(error, IntakeError):
        return printable(error.one_line())
    return UNEXPECTED


def show_error(node: Widget, error: BaseException | None) -> None:
    """A notice that stays long enough to be read; safe to call from any screen or widget."""
    node.notify(explain(error) if error is not None else UNEXPECTED, title="Not done", severity="error", markup=False,
                timeout=12)
