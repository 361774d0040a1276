"""A list of checks, each passed or failed, with the reason when it failed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from intake.text import printable
from intake.errors import Check


def checklist_text(lines: list[Check], verdict: str | None = None) -> Text:
    """Failed checks first, under a summary line with their reasons; the passed ones after;
    the verdict last."""
    failed = [line for line in lines if not line.ok]
    text = Text()
    if failed:
        reasons = "; ".join(printable(line.reason or line.what) for line in failed)
        text.append(f"{len(failed)} of {len(lines)} checks FAILED: {reasons}\n\n", style="bold red")
    for line in [*failed, *(line for line in lines if line.ok)]:
        text.append(" ok  " if line.ok else "FAIL ", style="bold green" if line.ok else "bold red reverse")
        text.append(f" {printable(line.what)}\n")
        if line.reason:
            text.append(f"      {printable(line.reason)}\n", style="red")
    if verdict is not None:
        text.append(verdict, style="bold red" if failed else "bold green")
    return text


class Checklist(Static):
    def show(self, lines: list[Check], verdict: str | None = None) -> None:
        self.update(checklist_text(lines, verdict))
