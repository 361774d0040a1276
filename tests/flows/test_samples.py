"""The demo's sample files carry what the issue promises, and intake cleans each of them."""

from __future__ import annotations

from intake import samples
from intake.clean import clean_bytes, inspect_bytes
from intake.support.sniff import sniff_bytes


def fields(data: bytes) -> set[tuple[str, str]]:
    return {(f.category.value, f.field) for f in inspect_bytes(data).findings}


def test_photo_has_a_gps_fix_and_a_serial_number() -> None:
    findings = inspect_bytes(samples.photo()).findings
    assert findings[0].field == "GPS position" and findings[0].value == "46.635400, 32.616900"
    assert ("device", "EXIF BodySerialNumber") in fields(samples.photo())


def test_letter_has_an_author_and_an_old_revision() -> None:
    findings = inspect_bytes(samples.letter()).findings
    authors = {(f.value, f.where) for f in findings if f.field == "Author"}
    assert authors == {("Col. Example", "document info (/Info)"), ("J. Clerk", "PDF revision 1")}
    assert ("hidden content", "earlier revisions") in fields(samples.letter())


def test_report_has_tracked_changes() -> None:
    assert ("person", "tracked change author") in fields(samples.report())
    assert ("hidden content", "deleted text (tracked change)") in fields(samples.report())


def test_every_sample_but_the_text_cleans(tmp_path) -> None:
    paths = samples.write_samples(tmp_path / "samples")
    assert [p.name for p in paths][-1] == "field-notes.txt"
    for path in paths[:-1]:
        data = path.read_bytes()
        cleaned = clean_bytes(data)
        assert cleaned.findings and sniff_bytes(cleaned.data) == sniff_bytes(data)
        assert inspect_bytes(cleaned.data).findings == []
