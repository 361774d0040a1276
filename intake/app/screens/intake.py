"""Intake: pick files or folders, see what each gives away, confirm, then take them in.

    tree / path field / a paste ──add──▶ worker: collect the new paths, then per file
                                         inspect_source and its SHA-256 ──▶ findings per file
    Take in ──confirm──▶ worker: take_in (one file at a time, cancellable between files)
                         ──▶ progress per file and overall ──▶ result per file

A path that cannot be taken (missing, inside the vault, unreadable) is refused
on its own: what was chosen before stays chosen. A file whose SHA-256 is
already in the ledger is named and left out of the take-in.
"""

from __future__ import annotations

from pathlib import Path

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DirectoryTree, Footer, Header, Input, Static
from textual.worker import get_current_worker

from intake.clean import Inspection
from intake.text import printable, recordable
from intake.takein.sources import Source, collect_sources
from intake.errors import IntakeError
from intake.takein import TakenIn, NotTakenIn, take_in
from intake.takein.duplicates import held_originals, sha256_of
from intake.takein.sources import inspect_source
from intake.app.pasted import pasted_paths
from intake.app.errors import show_error
from intake.app.screens.confirm import ConfirmScreen
from intake.app.screens.section import BACK, Section
from intake.app.session import Session
from intake.app.widgets.fields import Field, PathField
from intake.app.widgets.findings import Report, inspection_text, result_text
from intake.app.widgets.nav import NavBar
from intake.app.widgets.progress import ProgressPanel, Progressed
from intake.app.widgets.toggles import TickBox

NOTHING_CHOSEN = ("Choose files or folders: move in the tree and press a (or Enter on a file), "
                  "type a path below and press Enter, or drop files on this window. "
                  "Their findings appear here before anything is written.")


class IntakeScreen(Section):
    SECTION = "intake"
    MAIN = "#tree"
    STOPPING = "stopping after the current file…"
    BINDINGS = [
        Binding("a", "add_highlighted", "Add", tooltip="Add the highlighted file or folder to the selection"),
        Binding("t", "take_in", "Take in", tooltip="Take the chosen files in (after confirmation)"),
        Binding("x", "clear", "Clear", tooltip="Clear the selection"),
        BACK,
    ]

    class Collected(Message):
        def __init__(self, paths: list[Path], sources: list[Source], skipped: list[Path]) -> None:
            super().__init__()
            self.paths = paths
            self.sources = sources
            self.skipped = skipped

    class FileInspected(Message):
        def __init__(self, source: Source, inspection: Inspection, held_as: str | None) -> None:
            super().__init__()
            self.source = source
            self.inspection = inspection
            self.held_as = held_as  # the item id of the same file already in the vault

    class FileTaken(Message):
        def __init__(self, result: TakenIn | NotTakenIn, done: int) -> None:
            super().__init__()
            self.result = result
            self.done = done

    class Finished(Message):
        def __init__(self, verb: str, done: int, total: int, error: BaseException | None = None) -> None:
            super().__init__()
            self.verb = verb
            self.done = done
            self.total = total
            self.error = error

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.paths: list[Path] = []
        self.sources: list[Source] = []
        self.inspected = 0
        self.already_held: dict[Path, str] = {}  # chosen files already in the vault: their item id
        self.results: list[TakenIn | NotTakenIn] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar(self.SECTION)
        with Horizontal(id="intake-body"):
            with Vertical(id="picker"):
                yield DirectoryTree(self.session.settings.start_dir, id="tree")
                yield PathField(placeholder="or type or drop paths, Enter adds them", id="path")
            with Vertical(id="review"):
                yield Static("Nothing chosen yet.", id="selection")
                yield Report(id="findings")
        yield Field(placeholder="note kept sealed with each file's entry (optional)", id="note")
        yield ProgressPanel(id="progress")
        with Horizontal(classes="buttons"):
            yield Button("Take in (t)", id="take", variant="warning", disabled=True, compact=True)
            yield Button("Clear (x)", id="clear", compact=True)
            yield TickBox("keep HDR gain maps (HEIC)", id="keep-hdr", compact=True,
                          tooltip="The clean copy of an iPhone HEIC keeps the gain map that renders it as shot; "
                                  "depth maps, mattes, thumbnails and metadata still go")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Report).clear(NOTHING_CHOSEN)
        self.query_one("#tree", DirectoryTree).focus()

    # --- choosing -------------------------------------------------------------

    def action_add_highlighted(self) -> None:
        node = self.query_one("#tree", DirectoryTree).cursor_node
        if node is not None and node.data is not None:
            self.choose(Path(node.data.path))

    @on(DirectoryTree.FileSelected)
    def file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.choose(event.path)

    @on(Input.Submitted, "#path")
    def path_typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            event.input.value = ""
            self.leave_field()
            self.choose_pasted(event.value)

    @on(PathField.Pasted)
    def lines_pasted(self, event: PathField.Pasted) -> None:
        self.leave_field()
        self.choose_pasted(event.text)

    def on_paste(self, event: events.Paste) -> None:
        """Files dropped on the window while no text field has the focus."""
        self.choose_pasted(event.text)

    def choose_pasted(self, text: str) -> None:
        try:
            paths = pasted_paths(text)
        except IntakeError as error:
            show_error(self, error)
            return
        self.choose(*paths)

    def choose(self, *paths: Path) -> None:
        if self.busy:
            return
        new = [path for path in dict.fromkeys(paths) if path not in self.paths]
        for path in paths:
            if path in self.paths:
                self.notify(f"{printable(str(path))} is already chosen", markup=False)
        if new:
            self.query_one("#take", Button).disabled = True
            self.begin()
            self.inspect(new, self.session.vault.root, [s.path for s in self.sources])

    def action_clear(self) -> None:
        if self.busy:
            return
        self.paths, self.sources, self.inspected, self.already_held = [], [], 0, {}
        self.query_one("#selection", Static).update("Nothing chosen yet.")
        self.query_one(Report).clear(NOTHING_CHOSEN)
        self.query_one("#take", Button).disabled = True

    @on(Button.Pressed, "#clear")
    def clear_pressed(self) -> None:
        self.action_clear()

    # --- inspecting (nothing is written) ----------------------------------------

    @work(thread=True, exclusive=True, group="intake")
    def inspect(self, paths: list[Path], vault_root: Path, chosen: list[Path]) -> None:
        """Only the new paths: if one cannot be taken, it alone is refused and nothing else changes."""
        worker = get_current_worker()
        done = total = 0
        try:
            collected = collect_sources(paths, vault_root)
            sources = [source for source in collected.sources if source.path not in chosen]
            total = len(sources)
            self.post_message(self.Collected(paths, sources, collected.skipped_links))
            for source in sources:
                if worker.is_cancelled:
                    break
                self.post_message(Progressed(f"inspecting {source.name}", 0, 1, done))
                inspection = inspect_source(source)
                self.post_message(self.FileInspected(source, inspection, self.taken_in_before(source)))
                done += 1
        except Exception as error:
            self.post_message(self.Finished("inspected", done, total, error))
            return
        self.post_message(self.Finished("inspected", done, total))

    def taken_in_before(self, source: Source) -> str | None:
        """In the worker: the item that took this file in before, if one did (a write-only vault
        cannot tell)."""
        digest = sha256_of(source)
        return held_originals(self.session.vault, self.session.keyring, [digest], self._indexing).get(digest)

    def _indexing(self, done: int, total: int) -> None:
        """In the worker: a vault made by an older intake indexes its entries once (a minute at
        100,000 entries); say so rather than look stuck."""
        if done == 0:
            self.app.call_from_thread(self.notify, f"Indexing the {total} earlier entries of this vault once, "
                                      "to find files taken in before.", title="One moment", timeout=10)

    @on(Collected)
    def collected(self, event: Collected) -> None:
        if not self.paths:
            self.query_one(Report).clear()
        self.paths += event.paths
        self.sources += event.sources
        count = len(self.sources)
        names = ", ".join(printable(p.name or str(p)) for p in self.paths)
        self.query_one("#selection", Static).update(
            f"Chosen: {names}  →  {count} file{'s' if count != 1 else ''}. Findings, worst first:")
        self.query_one(ProgressPanel).start("inspecting…", len(event.sources))
        for link in event.skipped:
            self.notify(f"skipped symbolic link {printable(str(link))}", severity="warning", markup=False)

    @on(FileInspected)
    def file_inspected(self, event: FileInspected) -> None:
        self.inspected += 1
        if event.held_as is not None:
            self.already_held[event.source.path] = event.held_as
        self.query_one(Report).add(inspection_text(event.source.name, event.inspection, event.held_as))

    # --- taking in (writes into the vault) ----------------------------------------

    def to_take(self) -> list[Source]:
        return [source for source in self.sources if source.path not in self.already_held]

    def action_take_in(self) -> None:
        if self.busy or not self.sources or self.inspected < len(self.sources):
            self.notify("Choose files first and wait for their findings.", severity="warning")
            return
        sources = self.to_take()
        if not sources:
            self.notify("Every chosen file is already in the vault (same SHA-256); nothing to take in.",
                        severity="warning")
            return
        count = len(sources)
        note = self.query_one("#note", Input).value
        details = ("Each file is sealed as received evidence and recorded in the signed ledger; "
                   "files intake can clean also get a sealed clean copy. "
                   "The originals on disk are not changed. This cannot be undone.")
        if self.already_held:
            details += (f"\n\nLeft out, already in the vault (same SHA-256): "
                        + ", ".join(f"{printable(path.name)} ({item})" for path, item in self.already_held.items()))
        if note:
            details += f"\n\nNote: {printable(note)}"
        keep_hdr = self.query_one("#keep-hdr", TickBox).value
        if keep_hdr:
            details += "\n\nHDR gain maps of HEIC photos are kept in their clean copies."

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_take_in(sources, note or None, keep_hdr)

        self.app.push_screen(ConfirmScreen(f"Take {count} file{'s' if count != 1 else ''} into the vault?",
                                           details, yes="Take in"), answered)

    @on(Button.Pressed, "#take")
    def take_pressed(self) -> None:
        self.action_take_in()

    def start_take_in(self, sources: list[Source], note: str | None, keep_hdr: bool = False) -> None:
        self.results = []
        self.leave_field()
        self.query_one("#take", Button).disabled = True
        self.query_one(Report).clear()
        self.query_one("#selection", Static).update("Taking in… result per file:")
        self.query_one(ProgressPanel).start("taking in…", len(sources))
        self.begin()
        self.take(sources, recordable(note) if note else None, keep_hdr)

    @work(thread=True, exclusive=True, group="intake")
    def take(self, sources: list[Source], note: str | None, keep_hdr: bool) -> None:
        worker = get_current_worker()
        session = self.session
        done, shown = 0, -1

        def progress(name: str, got: int, size: int) -> None:
            nonlocal shown
            percent = 100 * got // size if size else 100
            if percent != shown:  # at most ~100 messages per file, however big
                shown = percent
                self.post_message(Progressed(f"sealing {name}", got, size, done))

        running = take_in(session.vault, session.keyring, sources, note, progress, keep_hdr=keep_hdr)
        try:
            for result in running:
                done, shown = done + 1, -1
                self.post_message(self.FileTaken(result, done))
                if worker.is_cancelled:
                    break
        except Exception as error:
            self.post_message(self.Finished("taken in", done, len(sources), error))
            return
        finally:
            running.close()
        self.post_message(self.Finished("taken in", done, len(sources)))

    @on(FileTaken)
    def file_taken(self, event: FileTaken) -> None:
        self.results.append(event.result)
        self.query_one(Report).add(result_text(event.result))
        self.query_one(ProgressPanel).advance(Progressed(f"{printable(event.result.source.name)} done", 1, 1,
                                                         event.done))

    # --- progress and the end of either step ----------------------------------------

    @on(Finished)
    def finished(self, event: Finished) -> None:
        self.end()
        panel = self.query_one(ProgressPanel)
        if event.error is not None:
            show_error(self, event.error)
        if event.verb == "inspected":
            ready = bool(self.sources) and self.inspected == len(self.sources) and bool(self.to_take())
            held = len(self.already_held)
            panel.finish(f"{self.inspected} of {len(self.sources)} files inspected; nothing was written."
                         + (f" {held} already in the vault, left out." if held else "")
                         + (" Press t to take them in." if ready else ""))
            self.query_one("#take", Button).disabled = not ready
            return
        cleaned = sum(r.cleaned for r in self.results)
        not_taken = sum(isinstance(r, NotTakenIn) for r in self.results)
        refused = len(self.results) - cleaned - not_taken
        summary = (f"{event.done - not_taken} of {event.total} files taken in: {cleaned} cleaned, "
                   f"{refused} without a clean copy" + (f", {not_taken} refused." if not_taken else ".")
                   + ("" if event.done == event.total else " The rest were not touched."))
        panel.finish(summary)
        self.query_one("#selection", Static).update(summary)
        self.paths, self.sources, self.inspected, self.already_held = [], [], 0, {}
        self.notify(summary, severity="information" if event.done == event.total else "warning")
