"""A list of checks, each passed or failed, with the reason when it failed."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from intake.display import printable


@dataclass(frozen=True)
class Line:
    ok: bool
    what: str
    reason: str | None = None


def checklist_text(lines: list[Line], verdict: str | None = None) -> Text:
    text = Text()
    for line in lines:
        text.append(" ok  " if line.ok else "FAIL ", style="bold green" if line.ok else "bold red reverse")
        text.append(f" {printable(line.what)}\n")
        if line.reason:
            text.append(f"      {printable(line.reason)}\n", style="red")
    if verdict is not None:
        passed = all(line.ok for line in lines)
        text.append(verdict, style="bold green" if passed else "bold red")
    return text


class Checklist(Static):
    def show(self, lines: list[Line], verdict: str | None = None) -> None:
        self.update(checklist_text(lines, verdict))
