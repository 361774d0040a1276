"""Export: choose items and options, then write a public bundle, or seal a submission to an editor.

Only clean copies leave the vault; which items qualify, and how a bundle is
built, is intake.bundle's business.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Footer, Header, Input, RadioButton, RadioSet, Select, SelectionList, Static

from intake.bundle.export import ExportableItem, ExportOptions, export_bundle, exportable_items
from intake.bundle.submission import SubmitResult, submit
from intake.formats.base import shorten
from intake.text import printable
from intake.keys.identity import PublicIdentity
from intake.keys.words import fingerprint_words
from intake.app.errors import show_error
from intake.app.screens.confirm import ConfirmScreen
from intake.app.screens.section import BACK, Section
from intake.app.pasted import absolute
from intake.app.widgets.fields import Field
from intake.app.widgets.nav import NavBar
from intake.app.widgets.progress import ProgressPanel
from intake.app.widgets.toggles import Radio, TickBox, TickList

WRITE_ONLY = ("This write-only field vault cannot open what it took in, so it cannot export a bundle or pick "
              "items. Submit sends everything it took in, sealed to the editor:")


LABEL_NAME_WIDTH = 20


def item_label(item: ExportableItem) -> str:
    """One row, short enough for the list's half of an 80-column terminal (a row is one line,
    cut at the list's edge): the file's name and its day. item_detail says the rest."""
    return f"{shorten(printable(item.name), LABEL_NAME_WIDTH):<{LABEL_NAME_WIDTH}}  {item.day}"


def item_detail(item: ExportableItem) -> str:
    """The highlighted row in full: the file, its type and day, its id, and who sent it when it
    came from a field contact."""
    lines = [printable(item.name), f"{item.media_type}  {item.day}", f"id {item.item}"]
    if item.sender is not None:
        lines.append(f"from {' '.join(fingerprint_words(bytes.fromhex(item.sender)).split()[:3])}…")
    return "\n".join(lines)


def submitted_text(result: SubmitResult) -> str:
    if result.items:
        return f"Submission of {len(result.items)} item(s) ({result.entries} entries) written to {result.target}"
    # a write-only vault cannot open its entries, so it cannot name the items it sent
    return (f"Submission of everything this vault took in ({result.entries} sealed entries and their files) "
            f"written to {result.target}")


class ExportScreen(Section):
    SECTION = "export"
    MAIN = "#items"
    _listed: dict[str, ExportableItem] = {}  # replaced whole when items are listed, never changed in place
    STOPPING = "stopping: nothing will be written…"
    BINDINGS = [
        Binding("b", "export", "Export", tooltip="Export a public bundle (after confirmation)"),
        Binding("s", "submit", "Submit", tooltip="Submit to the chosen editor (after confirmation)"),
        BACK,
    ]

    class Listed(Message):
        def __init__(self, items: list | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.items = items
            self.error = error

    class Done(Message):
        def __init__(self, text: str | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.text = text
            self.error = error

    def compose(self) -> ComposeResult:
        today = self.session.settings.clock().strftime("%Y-%m-%d")
        recipients = self.session.keyring.policy.recipients
        yield Header()
        yield NavBar(self.SECTION)
        with Horizontal(id="export-body"):
            with Vertical(id="export-items"):
                yield Static("Clean copies; Space ticks (none: all)", id="items-label",
                             classes="label")
                yield TickList(id="items")
                yield Static("", id="item-detail")
            with Vertical(id="export-options"):
                yield TickBox("with notes", id="with-notes")
                with RadioSet(id="precision"):
                    yield Radio("times to the day", value=True, id="day")
                    yield Radio("times to the second", id="second")
                yield TickBox("as one .zip file", id="zip")
                yield Static("Bundle goes to", classes="label")
                yield Field(value=f"bundle-{today}", id="target")
                yield Static("Submit to editor", classes="label")
                yield Select([(printable(r.name), i) for i, r in enumerate(recipients)], id="editor",
                             prompt="none yet (see Keys)" if not recipients else "choose an editor",
                             value=0 if len(recipients) == 1 else Select.NULL)
                yield Field(value=f"submission-{today}.age", id="submission-target")
                yield Field(placeholder="editor's GPG key (optional)", id="gpg")
        yield ProgressPanel(id="progress")
        with Horizontal(classes="buttons"):
            yield Button("Export bundle (b)", id="export", variant="warning", compact=True)
            yield Button("Submit (s)", id="submit", variant="warning", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        if not self.session.keyring.can_open_sealed:
            self.query_one("#items-label", Static).update(WRITE_ONLY)
            self.query_one("#items-label").set_classes("notice")
            self.query_one("#items").display = False
            self.query_one("#export", Button).display = False
            self.query_one("#editor", Select).focus()
            return
        self.query_one("#items", SelectionList).focus()
        self.begin()
        self.list_items()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return self.session.keyring.can_open_sealed
        return True

    @work(thread=True, exclusive=True, group="export")
    def list_items(self) -> None:
        try:
            items = exportable_items(self.session.vault, self.session.keyring)
        except Exception as error:
            self.post_message(self.Listed(None, error))
            return
        self.post_message(self.Listed(list(items)))

    @on(Listed)
    def listed(self, event: Listed) -> None:
        self.end()
        if event.items is None:
            show_error(self, event.error)
            return
        choices = self.query_one("#items", SelectionList)
        choices.clear_options()
        self._listed = {item.item: item for item in event.items}
        for item in event.items:
            choices.add_option((item_label(item), item.item))
        if event.items:
            choices.highlighted = 0  # Space ticks at once, without an arrow key first
        else:
            self.app.notify("Nothing can be exported yet: only clean copies leave the vault.", severity="warning")

    @on(SelectionList.SelectionHighlighted, "#items")
    def show_detail(self, event: SelectionList.SelectionHighlighted) -> None:
        item = self._listed.get(event.selection.value)
        self.query_one("#item-detail", Static).update(item_detail(item) if item else "")

    def _chosen(self) -> list[str] | None:
        selected = list(self.query_one("#items", SelectionList).selected)
        return selected or None

    def action_export(self) -> None:
        if self.busy:
            return
        target = absolute(self.query_one("#target", Input).value)
        chosen = self._chosen()
        with_notes = self.query_one("#with-notes", Checkbox).value
        precision = "second" if self.query_one("#second", RadioButton).value else "day"
        as_zip = self.query_one("#zip", Checkbox).value
        what = f"{len(chosen)} item(s)" if chosen else "every exportable item"
        details = (f"{what} to {target}\nnotes: {'included' if with_notes else 'left out'}; "
                   f"times to the {precision}{'; one .zip file' if as_zip else ''}\n\n"
                   "A bundle is public: only clean copies go in, never the originals.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.query_one(ProgressPanel).start("exporting…", 1)
                self.begin()
                self.export(chosen, target, with_notes, precision, as_zip)

        self.app.push_screen(ConfirmScreen("Export a public bundle?", details, yes="Export"), answered)

    @on(Button.Pressed, "#export")
    def export_pressed(self) -> None:
        self.action_export()

    @work(thread=True, exclusive=True, group="export")
    def export(self, chosen: list[str] | None, target: Path, with_notes: bool, precision: str, as_zip: bool) -> None:
        try:
            options = ExportOptions(with_notes=with_notes, time_precision=precision, as_zip=as_zip)
            result = export_bundle(self.session.vault, self.session.keyring, chosen, target, options,
                                   self.stoppable_progress("exporting"))
        except Exception as error:
            self.post_message(self.Done(None, error))
            return
        witnessed = f"; {result.witnessing.summary()}" if result.witnessing else ""
        self.post_message(self.Done(f"Bundle of {len(result.items)} item(s) written to {result.target}{witnessed}"))

    def action_submit(self) -> None:
        if self.busy:
            return
        recipients = self.session.keyring.policy.recipients
        choice = self.query_one("#editor", Select).value
        if not isinstance(choice, int):
            self.app.notify("Choose the editor to submit to (add one under Keys first).", severity="warning")
            return
        editor = recipients[choice]
        target = absolute(self.query_one("#submission-target", Input).value)
        gpg = self.query_one("#gpg", Input).value.strip() or None
        chosen = self._chosen()
        what = f"{len(chosen)} item(s)" if chosen else "everything this vault took in"
        details = (f"{what}, sealed to {printable(editor.name)} "
                   f"({editor.words}), to {target}")

        def answered(yes: bool | None) -> None:
            if yes:
                self.query_one(ProgressPanel).start("sealing the submission…", 1)
                self.begin()
                self.seal_submission(chosen, editor, target, gpg)

        self.app.push_screen(ConfirmScreen("Seal a submission for this editor?", details, yes="Submit"), answered)

    @on(Button.Pressed, "#submit")
    def submit_pressed(self) -> None:
        self.action_submit()

    @work(thread=True, exclusive=True, group="export")
    def seal_submission(self, chosen: list[str] | None, editor: PublicIdentity, target: Path, gpg: str | None) -> None:
        try:
            result = submit(self.session.vault, self.session.keyring, chosen, editor, target, gpg,
                            self.stoppable_progress("sealing"))
        except Exception as error:
            self.post_message(self.Done(None, error))
            return
        self.post_message(self.Done(submitted_text(result)))

    @on(Done)
    def done(self, event: Done) -> None:
        self.end()
        panel = self.query_one(ProgressPanel)
        if event.text is None:
            panel.finish("not done")
            show_error(self, event.error)
            return
        panel.finish(printable(event.text))
        self.leave_field()
        self.app.notify(printable(event.text), timeout=12)
