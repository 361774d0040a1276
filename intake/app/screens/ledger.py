"""Ledger: the custody entries in a table, the selected one in full, and a verify action."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Footer, Header, Static

from intake.ledger.entries import CLEAN_COPY, FINDINGS_REPORT, PUBLIC_BUNDLE, SENDER_RECORD, CustodyEntry
from intake.text import EntryRow, grouped_hex, printable, removed_summary
from intake.ledger.audit import AuditReport
from intake.custody import read_entries, verify_ledger
from intake.app.errors import show_error
from intake.app.screens.section import BACK, Section
from intake.app.session import Session
from intake.app.widgets.checklist import Checklist
from intake.app.widgets.nav import NavBar


def entry_detail(entry: CustodyEntry) -> Text:
    """The entry as signed, one fact per line; names and notes escaped."""
    text = Text()

    def field(key: str, value: object, style: str = "") -> None:
        text.append(f"{key:<9} ", style="bold")
        text.append(f"{printable(str(value))}\n", style=style)

    field("entry", f"{entry.id}  (seq {entry.seq})")
    field("action", entry.action)
    field("item", entry.item)
    field("time", entry.time)
    field("tool", entry.tool, "dim")
    for parent in entry.parents:
        field("parent", parent)
    sent = False
    for source in entry.inputs:
        if source.get("role") == SENDER_RECORD:  # a `transferred` entry: who sent it, their entry and note
            sent = True
            field("sender", grouped_hex(str(source.get("sender", ""))), "dim")
            field("  entry", f"their seq {source.get('seq', '')} in {source.get('submission', '')}")
            if entry.note is not None:
                field("  note", entry.note)
            continue
        field("from", f"{source.get('item', '')}  {source.get('media_type', '')}")
        field("  sha256", source.get("sha256", ""), "dim")
    for output in entry.outputs:
        if output.get("role") == PUBLIC_BUNDLE:
            field("bundle", f"tag manifest sha256 {output.get('tagmanifest_sha256', '')}")
            field("  shows", f"times to the {output.get('time_precision', '')}, "
                             f"notes {'shown' if output.get('with_notes') else 'left out'}")
            continue
        role = {CLEAN_COPY: "clean", FINDINGS_REPORT: "report"}.get(str(output.get("role")), "original")
        field(role, f"{output.get('name', '')}  {output.get('media_type', '')}  {output.get('size', '')} bytes")
        if "removed" in output:
            field("  removed", removed_summary(dict(output["removed"])))
        field("  sha256", output.get("sha256", ""), "dim")
    if entry.note is not None and not sent:
        field("note", entry.note)
    field("custodian", grouped_hex(entry.actor), "dim")
    return text


WRITE_ONLY = ("This write-only field vault cannot open its entries: they are sealed to the editor, so they "
              "are not listed here. Press c to check what it can check: every entry is there, without gaps, "
              "under signed checkpoints that only ever grew.")


class LedgerScreen(Section):
    SECTION = "ledger"
    MAIN = "#entries"
    BINDINGS = [
        Binding("c", "check", "Verify", tooltip="Verify the ledger: every check"),
        Binding("r", "reload", "Reload", tooltip="Reload the entries"),
        BACK,
    ]

    class Loaded(Message):
        def __init__(self, entries: list[CustodyEntry] | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.entries = entries
            self.error = error

    class Checked(Message):
        def __init__(self, report: AuditReport | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.report = report
            self.error = error

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.entries: list[CustodyEntry] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar(self.SECTION)
        with Vertical(id="ledger-top"):
            yield DataTable(id="entries", cursor_type="row", zebra_stripes=True)
            yield Static("opening every entry…", id="ledger-status", classes="muted")
        with Horizontal(id="ledger-bottom"):
            with VerticalScroll(id="ledger-detail"):
                yield Static("", id="detail")
            with VerticalScroll(id="ledger-verify"):
                yield Checklist("Press c to verify the ledger: every checkpoint, entry and sealed file.",
                                id="ledger-checks")
        with Horizontal(classes="buttons"):
            yield Button("Verify the ledger (c)", id="check", variant="primary", compact=True)
            yield Button("Reload (r)", id="reload", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#entries", DataTable)
        table.add_columns("seq", "time", "action", "item", "custodian")
        table.focus()
        if not self.session.keyring.can_open_sealed:
            self.query_one("#ledger-status", Static).update(WRITE_ONLY)
            return
        self.begin()
        self.load()

    def action_reload(self) -> None:
        if not self.busy and self.session.keyring.can_open_sealed:
            self.query_one("#ledger-status", Static).update("opening every entry…")
            self.begin()
            self.load()

    @on(Button.Pressed, "#reload")
    def reload_pressed(self) -> None:
        self.action_reload()

    @work(thread=True, exclusive=True, group="ledger")
    def load(self) -> None:
        try:
            entries = read_entries(self.session.vault, self.session.keyring)
        except Exception as error:
            self.post_message(self.Loaded(None, error))
            return
        self.post_message(self.Loaded(entries))

    @on(Loaded)
    def loaded(self, event: Loaded) -> None:
        self.end()
        status = self.query_one("#ledger-status", Static)
        if event.entries is None:
            status.update("The entries cannot be shown. Press c to run every check.")
            show_error(self, event.error)
            return
        self.entries = event.entries
        table = self.query_one("#entries", DataTable)
        table.clear()
        for entry in self.entries:
            row = EntryRow.of(entry)
            table.add_row(str(row.seq), row.time.replace("T", " ")[:16], row.action, row.item,
                          row.actor[:8], key=str(row.seq))
        count = len(self.entries)
        status.update(f"{count} entr{'ies' if count != 1 else 'y'}, opened and verified. "
                      "Times UTC; custodian = fingerprint start."
                      if count else "The ledger is empty: take files in first.")
        if self.entries:
            self.show_detail(0)

    @on(DataTable.RowHighlighted, "#entries")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.show_detail(int(event.row_key.value))

    def show_detail(self, seq: int) -> None:
        self.query_one("#ledger-bottom").remove_class("-checking")
        entry = self.entries[seq]
        self.query_one("#detail", Static).update(entry_detail(entry))

    def action_check(self) -> None:
        if self.busy:
            return
        self.query_one("#ledger-checks", Checklist).update("verifying every checkpoint, entry and sealed file…")
        self.query_one("#ledger-bottom").add_class("-checking")  # when narrow, the checks replace the entry
        self.begin()
        self.check()

    @on(Button.Pressed, "#check")
    def check_pressed(self) -> None:
        self.action_check()

    @work(thread=True, exclusive=True, group="ledger")
    def check(self) -> None:
        try:
            report = verify_ledger(self.session.vault, self.session.keyring)
        except Exception as error:
            self.post_message(self.Checked(None, error))
            return
        self.post_message(self.Checked(report))

    @on(Checked)
    def checked(self, event: Checked) -> None:
        self.end()
        checks = self.query_one("#ledger-checks", Checklist)
        if event.report is None:
            checks.update("")
            show_error(self, event.error)
            return
        report = event.report
        verdict = "ledger verified" if report.ok else "ledger verification FAILED"
        checks.show(report.checks, verdict)
        if report.ok:
            self.app.notify("Ledger verified: every check passed.")
        else:
            self.app.notify(f"Ledger verification failed: {printable(report.failure)}", severity="error",
                            timeout=12)
