"""Intake: pick files or folders, see what each gives away, confirm, then take them in.

    tree / path field ──add──▶ selection ──worker: inspect_source──▶ findings per file
    Take in ──confirm──▶ worker: take_in (one file at a time, cancellable between files)
                         ──▶ progress per file and overall ──▶ result per file
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DirectoryTree, Footer, Header, Input, Static
from textual.worker import get_current_worker

from intake.clean import Inspection
from intake.display import printable, recordable
from intake.pipeline import Source, collect_sources
from intake.takein import IntakeResult, NotTakenIn, inspect_source, take_in
from intake.app.errors import show_error
from intake.app.screens.confirm import ConfirmScreen
from intake.app.screens.section import Section
from intake.app.session import Session
from intake.app.widgets.fields import Field
from intake.app.widgets.findings import Report, inspection_text, result_text
from intake.app.widgets.nav import NavBar
from intake.app.widgets.progress import ProgressPanel, Progressed

NOTHING_CHOSEN = ("Choose files or folders: move in the tree and press a (or Enter on a file), "
                  "or type a path below and press Enter. Their findings appear here before anything is written.")


class IntakeScreen(Section):
    SECTION = "intake"
    MAIN = "#tree"
    STOPPING = "stopping after the current file…"
    BINDINGS = [
        Binding("a", "add_highlighted", "Add to selection"),
        Binding("t", "take_in", "Take in"),
        Binding("x", "clear", "Clear selection"),
        Binding("escape", "back", "Back / Cancel"),
    ]

    class Collected(Message):
        def __init__(self, sources: list[Source], skipped: list[Path]) -> None:
            super().__init__()
            self.sources = sources
            self.skipped = skipped

    class FileInspected(Message):
        def __init__(self, source: Source, inspection: Inspection) -> None:
            super().__init__()
            self.source = source
            self.inspection = inspection

    class FileTaken(Message):
        def __init__(self, result: IntakeResult | NotTakenIn, done: int) -> None:
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
        self.results: list[IntakeResult | NotTakenIn] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar(self.SECTION)
        with Horizontal(id="intake-body"):
            with Vertical(id="picker"):
                yield DirectoryTree(self.session.settings.start_dir, id="tree")
                yield Field(placeholder="or type a path, Enter adds it", id="path")
            with Vertical(id="review"):
                yield Static("Nothing chosen yet.", id="selection")
                yield Report(id="findings")
        yield Field(placeholder="note kept sealed with each file's entry (optional)", id="note")
        yield ProgressPanel(id="progress")
        with Horizontal(classes="buttons"):
            yield Button("Take in (t)", id="take", variant="warning", disabled=True, compact=True)
            yield Button("Clear (x)", id="clear", compact=True)
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
        text = event.value.strip()
        if text:
            event.input.value = ""
            self.choose(Path(text).expanduser())

    def choose(self, path: Path) -> None:
        if self.busy:
            return
        if path in self.paths:
            self.app.notify(f"{printable(str(path))} is already chosen")
            return
        self.paths.append(path)
        self.inspect_chosen()

    def action_clear(self) -> None:
        if self.busy:
            return
        self.paths, self.sources = [], []
        self.query_one("#selection", Static).update("Nothing chosen yet.")
        self.query_one(Report).clear(NOTHING_CHOSEN)
        self.query_one("#take", Button).disabled = True

    @on(Button.Pressed, "#clear")
    def clear_pressed(self) -> None:
        self.action_clear()

    # --- inspecting (nothing is written) ----------------------------------------

    def inspect_chosen(self) -> None:
        self.sources, self.inspected = [], 0
        self.query_one("#take", Button).disabled = True
        self.query_one(Report).clear()
        self.begin()
        self.inspect(list(self.paths), self.session.vault.root)

    @work(thread=True, exclusive=True, group="intake")
    def inspect(self, paths: list[Path], vault_root: Path) -> None:
        worker = get_current_worker()
        done = 0
        try:
            collected = collect_sources(paths, vault_root)
            self.post_message(self.Collected(collected.sources, collected.skipped_links))
            for source in collected.sources:
                if worker.is_cancelled:
                    break
                self.post_message(Progressed(f"inspecting {source.name}", 0, 1, done))
                self.post_message(self.FileInspected(source, inspect_source(source)))
                done += 1
        except Exception as error:
            self.post_message(self.Finished("inspected", done, len(paths), error))
            return
        self.post_message(self.Finished("inspected", done, len(collected.sources)))

    @on(Collected)
    def collected(self, event: Collected) -> None:
        self.sources = event.sources
        count = len(event.sources)
        names = ", ".join(printable(p.name) for p in self.paths)
        self.query_one("#selection", Static).update(
            f"Chosen: {names}  →  {count} file{'s' if count != 1 else ''}. Findings, worst first:")
        self.query_one(ProgressPanel).start("inspecting…", count)
        for link in event.skipped:
            self.app.notify(f"skipped symbolic link {printable(str(link))}", severity="warning")

    @on(FileInspected)
    def file_inspected(self, event: FileInspected) -> None:
        self.inspected += 1
        self.query_one(Report).add(inspection_text(event.source.name, event.inspection))

    # --- taking in (writes into the vault) ----------------------------------------

    def action_take_in(self) -> None:
        if self.busy or not self.sources or self.inspected < len(self.sources):
            self.app.notify("Choose files first and wait for their findings.", severity="warning")
            return
        count = len(self.sources)
        note = self.query_one("#note", Input).value
        details = ("Each file is sealed as received evidence and recorded in the signed ledger; "
                   "files intake can clean also get a sealed clean copy. "
                   "The originals on disk are not changed. This cannot be undone.")
        if note:
            details += f"\n\nNote: {note}"

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_take_in(note or None)

        self.app.push_screen(ConfirmScreen(f"Take {count} file{'s' if count != 1 else ''} into the vault?",
                                           details, yes="Take in"), answered)

    @on(Button.Pressed, "#take")
    def take_pressed(self) -> None:
        self.action_take_in()

    def start_take_in(self, note: str | None) -> None:
        self.results = []
        self.query_one("#take", Button).disabled = True
        self.query_one(Report).clear()
        self.query_one("#selection", Static).update("Taking in… result per file:")
        self.query_one(ProgressPanel).start("taking in…", len(self.sources))
        self.begin()
        self.take(list(self.sources), recordable(note) if note else None)

    @work(thread=True, exclusive=True, group="intake")
    def take(self, sources: list[Source], note: str | None) -> None:
        worker = get_current_worker()
        session = self.session
        done, shown = 0, -1

        def progress(name: str, got: int, size: int) -> None:
            nonlocal shown
            percent = 100 * got // size if size else 100
            if percent != shown:  # at most ~100 messages per file, however big
                shown = percent
                self.post_message(Progressed(f"sealing {name}", got, size, done))

        running = take_in(session.vault, session.keyring, sources, note, progress)
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
            complete = event.error is None and event.done == len(self.sources) and self.sources
            panel.finish(f"{event.done} of {len(self.sources)} files inspected; nothing was written. "
                         + ("Press t to take them in." if complete else ""))
            self.query_one("#take", Button).disabled = not complete
            return
        cleaned = sum(r.cleaned for r in self.results)
        not_taken = sum(isinstance(r, NotTakenIn) for r in self.results)
        refused = len(self.results) - cleaned - not_taken
        summary = (f"{event.done - not_taken} of {event.total} files taken in: {cleaned} cleaned, "
                   f"{refused} without a clean copy" + (f", {not_taken} refused." if not_taken else ".")
                   + ("" if event.done == event.total else " The rest were not touched."))
        panel.finish(summary)
        self.query_one("#selection", Static).update(summary)
        self.paths, self.sources = [], []
        self.app.notify(summary, severity="information" if event.done == event.total else "warning")
