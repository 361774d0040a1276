"""Verify: open a bundle (or a submission), then every check with pass/fail and each item's history.

The checks are intake.bundle.verify's; this screen only lists them.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Header, Input, Static

from intake.display import printable
from intake.errors import IntakeError
from intake.recipients import grouped_hex, read_identity_file
from tui.screens.section import Section
from tui.widgets.checklist import Checklist, Line
from tui.widgets.fields import Field
from tui.widgets.nav import NavBar
from tui.widgets.progress import ProgressPanel, Progressed

NOT_BUILT = "verifying bundles is not available in this version of intake"


def timeline_text(items: list) -> Text:
    """Each item (an ItemTimeline): its file, then its custody events, oldest first."""
    text = Text()
    for item in items:
        text.append(f"{item.item}", style="bold")
        text.append(f"  {printable(item.file)}\n")
        for event in item.events:
            text.append(f"  {event.day}  {printable(event.action):<12} by {grouped_hex(event.actor)[:19]}\n")
    return text


class VerifyScreen(Section):
    SECTION = "verify"
    BINDINGS = [
        Binding("o", "focus_path", "Open a bundle"),
        Binding("escape", "back", "Back / Cancel"),
    ]

    class Verified(Message):
        def __init__(self, report: object | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.report = report
            self.error = error

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar(self.SECTION)
        yield Static("Bundle folder, .zip or submission to check (needs no vault and no network)", classes="label")
        with Horizontal(classes="row"):
            yield Field(placeholder="path to the bundle", id="bundle")
            yield Button("Verify", id="verify", variant="primary", compact=True)
        yield Static("Expected signer's public identity file (optional; without it the bundle's own key is used)",
                     classes="label")
        yield Field(placeholder="path to their .pub file", id="trust")
        yield ProgressPanel(id="progress")
        with VerticalScroll(id="verify-result"):
            yield Checklist("", id="checks")
            yield Static("", id="timeline")
        yield Footer()

    def on_mount(self) -> None:
        self.action_focus_path()

    def action_focus_path(self) -> None:
        self.query_one("#bundle", Input).focus()

    @on(Input.Submitted, "#bundle")
    @on(Input.Submitted, "#trust")
    @on(Button.Pressed, "#verify")
    def verify_pressed(self) -> None:
        path = self.query_one("#bundle", Input).value.strip()
        trust = self.query_one("#trust", Input).value.strip()
        if not path:
            self.action_focus_path()
            return
        if self.busy:
            return
        self.query_one("#checks", Checklist).update("")
        self.query_one("#timeline", Static).update("")
        self.query_one(ProgressPanel).start("verifying…", 1)
        self.begin()
        self.verify(Path(path).expanduser(), Path(trust).expanduser() if trust else None)

    @work(thread=True, exclusive=True, group="verify")
    def verify(self, bundle: Path, trust_file: Path | None) -> None:
        try:
            try:
                from intake.bundle.verify import verify_bundle
            except ImportError:
                raise IntakeError(NOT_BUILT) from None
            trust = read_identity_file(trust_file).identity if trust_file is not None else None

            def progress(done: int, total: int) -> None:
                self.post_message(Progressed(f"checking {done} of {total}", done, total))

            report = verify_bundle(bundle, trust, progress)
        except Exception as error:
            self.post_message(self.Verified(None, error))
            return
        self.post_message(self.Verified(report))

    @on(Progressed)
    def progressed(self, event: Progressed) -> None:
        self.query_one(ProgressPanel).advance(event)

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.cancel_work()

    @on(Verified)
    def verified(self, event: Verified) -> None:
        self.end()
        panel = self.query_one(ProgressPanel)
        if event.report is None:
            panel.finish("not verified")
            self.app.show_error(event.error)
            return
        report = event.report
        lines = [Line(check.ok, check.what, check.reason) for check in report.checks]
        verdict = "bundle verified" if report.ok else "bundle NOT verified: do not rely on it"
        self.query_one("#checks", Checklist).show(lines, verdict + "\n")
        self.query_one("#timeline", Static).update(timeline_text(list(report.items)))
        panel.finish(verdict)
        self.app.notify(verdict, severity="information" if report.ok else "error")
