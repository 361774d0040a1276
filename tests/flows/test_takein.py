"""Taking files in through the library, as the CLI and the TUI both do."""

from __future__ import annotations

import io
import zipfile

import pytest

from intake import samples
from intake.clean import MAX_CLEAN_BYTES
from intake.custody import read_entries
from intake.errors import IntakeError
from intake.takein.clean_copy import NotCleaned, Sanitized
from intake.takein.sources import collect_sources, source_for
from intake.takein import take_in
from intake.takein.sources import inspect_source
from intake.text import removed_summary


def test_inspect_source_lists_findings_worst_first(make_file) -> None:
    inspection = inspect_source(source_for(make_file("crate.jpg", samples.photo())))
    categories = [f.category.value for f in inspection.findings]
    assert categories[0] == "location" and "device" in categories
    assert categories == sorted(categories, key=["location", "person", "device"].index)
    assert inspection.findings[0].value == "46.635400, 32.616900"


def test_inspect_source_says_why_a_file_is_not_inspected(make_file) -> None:
    text = inspect_source(source_for(make_file("notes.txt", b"plain words\n")))
    assert not text.supported and "text/plain" in text.problem
    # No format keeps the in-memory limit any more: an office document over it is inspected by
    # stream, and this sparse one (zeros after the zip's end) is refused for what it is.
    document = io.BytesIO()
    with zipfile.ZipFile(document, "w") as package:
        package.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                         'content-types"><Override PartName="/word/document.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        package.writestr("word/document.xml", "<w:document/>")
    big = make_file("big.docx", document.getvalue())
    with big.open("r+b") as handle:
        handle.truncate(MAX_CLEAN_BYTES + 1)
    inspection = inspect_source(source_for(big))
    assert inspection.supported and inspection.problem == "not a readable zip package"


def test_inspect_source_of_a_vanished_file_is_a_plain_error(make_file) -> None:
    source = source_for(make_file("gone.jpg", samples.photo()))
    source.path.unlink()
    with pytest.raises(IntakeError, match="cannot read"):
        inspect_source(source)


def test_removed_summary_keeps_the_order_and_never_values() -> None:
    assert removed_summary({"location": 5, "device": 2}) == "5 location, 2 device"
    assert removed_summary({}) == "nothing"
    # As stored in an entry: keys sorted by name; shown worst first all the same.
    assert removed_summary({"device": 2, "location": 5, "time": 1}) == "5 location, 2 device, 1 time"


def test_take_in_records_each_file_and_its_clean_copy(unlocked, make_file) -> None:
    make_file("in/crate.jpg", samples.photo())
    make_file("in/notes.txt", b"plain words\n")
    sources = collect_sources([make_file("in/crate.jpg", samples.photo()).parent]).sources
    seen = []
    results = list(take_in(unlocked.vault, unlocked.keyring, sources, "from K", on_received=seen.append))
    assert [r.source.name for r in results] == ["in/crate.jpg", "in/notes.txt"]
    assert [r.received.item for r in results] == [r.item for r in seen]
    photo, notes = results
    assert isinstance(photo.outcome, Sanitized) and photo.cleaned
    assert photo.outcome.removed == {"location": 5, "device": 2}
    assert isinstance(notes.outcome, NotCleaned) and "text/plain" in notes.outcome.reason
    entries = read_entries(unlocked.vault, unlocked.keyring)
    assert [(e.action, e.item) for e in entries] == [
        ("received", photo.received.item), ("sanitized", photo.outcome.item), ("received", notes.received.item)]
    assert entries[0].note == "from K"


def test_stopping_take_in_between_files_leaves_a_whole_ledger(unlocked, make_file) -> None:
    folder = make_file("in/a.jpg", samples.photo()).parent
    make_file("in/b.jpg", samples.photo())
    running = take_in(unlocked.vault, unlocked.keyring, collect_sources([folder]).sources)
    first = next(running)
    running.close()  # what the TUI does when the user cancels
    entries = read_entries(unlocked.vault, unlocked.keyring)
    assert [e.item for e in entries] == [first.received.item, first.outcome.item]
    # The lock was released: another intake can run.
    assert len(list(take_in(unlocked.vault, unlocked.keyring, [source_for(folder / "b.jpg")]))) == 1
