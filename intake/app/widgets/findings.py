"""Per-file panels: what a file gives away (before), and what became of it (after)."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from intake.clean import Inspection
from intake.text import printable, removed_summary
from intake.takein.clean_copy import NotCleaned
from intake.takein import TakenIn, NotTakenIn

CATEGORY_STYLE = {"location": "bold red", "person": "bold red", "device": "bold yellow",
                  "hidden content": "bold magenta", "time": "cyan", "software": "dim", "other": "dim"}


def inspection_text(name: str, inspection: Inspection, held_as: str | None = None) -> Text:
    """The header line, whether the vault holds the file already, at most one problem line,
    then findings worst first."""
    count = len(inspection.findings)
    text = Text()
    text.append(printable(name), style="bold")
    text.append(f"  {inspection.media_type}  {count} finding{'s' if count != 1 else ''}\n")
    if held_as is not None:
        text.append(f"  already in the vault as {held_as} (same SHA-256): left out of the take-in\n",
                    style="bold yellow")
    if inspection.problem:
        kind = "refused" if inspection.supported else "not supported"
        text.append(f"  {kind}: {printable(inspection.problem)}\n", style="yellow")
    for finding in inspection.findings:
        category = finding.category.value
        text.append(f"  {category:<14} ", style=CATEGORY_STYLE.get(category, ""))
        text.append(f"{printable(finding.field)} = {printable(finding.value)}")
        text.append(f"  ({printable(finding.where)})\n", style="dim")
    return text


def result_text(result: TakenIn | NotTakenIn) -> Text:
    text = Text()
    if isinstance(result, NotTakenIn):
        text.append(printable(result.source.name), style="bold")
        text.append("\n  not taken in  ", style="bold red")
        text.append(f"{printable(result.reason)}\n")
        return text
    received = result.received
    text.append(printable(received.name), style="bold")
    text.append(f"  {received.media_type}\n")
    text.append(f"  received   {received.item}  sealed, {received.digests.size} bytes\n")
    text.append(f"  sha256 {received.digests.sha256}\n", style="dim")
    outcome = result.outcome
    if isinstance(outcome, NotCleaned):
        text.append("  refused    ", style="bold yellow")
        text.append(f"{printable(outcome.reason)}\n")
        text.append("             sealed as received; it cannot be exported\n", style="dim")
    else:
        text.append("  cleaned    ", style="bold green")
        text.append(f"{outcome.item}  removed: {removed_summary(outcome.removed)}\n")
        for kept in outcome.kept:
            text.append(f"             kept: {printable(kept)}\n")
        text.append(f"  sha256 {outcome.digests.sha256}  (clean copy)\n", style="dim")
    return text


class Report(VerticalScroll):
    """A scrolling stack of per-file blocks; `clear` empties it, `add` appends one block."""

    def clear(self, placeholder: str = "") -> None:
        self.remove_children()
        if placeholder:
            self.mount(Static(placeholder, classes="muted"))

    def add(self, text: Text) -> None:
        placeholder = self.query(".muted")
        if placeholder:
            placeholder.remove()
        self.mount(Static(text, classes="block"))
