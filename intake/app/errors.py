"""What the user is told when something fails: plain words, never a traceback.

An IntakeError's message is written for users (it names no secret and no
file content). Any other exception may carry data from a file or a key in
its text, so only a fixed sentence is shown.
"""

from __future__ import annotations

from intake.display import printable
from intake.errors import IntakeError

UNEXPECTED = ("Something unexpected went wrong, so that step was stopped. "
              "The vault holds only what was reported as done.")


def explain(error: BaseException) -> str:
    if isinstance(error, IntakeError):
        return printable(" ".join(str(error).split()))
    return UNEXPECTED
