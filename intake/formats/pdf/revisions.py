"""Earlier revisions (incremental updates) and bytes after the end: found by
their startxref markers, each earlier revision opened on its own and compared.
The rewrite leaves them all behind."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import BinaryIO

from intake.formats.base import Category, Finding, chunk_size
from intake.errors import Refused
from intake.formats.pdf.decoding import Budget, open_pdf, open_pdf_file
import pikepdf

from intake.formats.pdf.findings import survey_document
from intake.formats.pdf.values import counted


# Earlier revisions opened and compared one by one (the newest first).
MAX_REVISIONS_LISTED = 32
MAX_REVISION_MARKERS = 10_000


STARTXREF = re.compile(rb"startxref\s+(\d{1,20})\s*%%EOF")
OBJECT_HEADER = re.compile(rb"\s*\d{1,10}\s+\d{1,5}\s+obj\b")
PDF_WHITESPACE = b"\x00\t\n\x0c\r "

def revision_ends(data: bytes) -> list[int]:
    """End offsets of each saved revision: a startxref that points at a cross-reference
    section. A linearized file's first-page trailer (startxref 0) does not count."""
    return _revision_ends([(0, data)], lambda offset: data[offset:offset + 64] if 0 < offset < len(data) else b"")


def revision_ends_in(source: BinaryIO) -> list[int]:
    """revision_ends for an open file of any size, read in pieces that overlap by more than a marker."""
    size = source.seek(0, io.SEEK_END)

    def head(offset: int) -> bytes:
        if not 0 < offset < size:
            return b""
        source.seek(offset)
        return source.read(64)

    return _revision_ends(_overlapping_windows(source, size), head)


MARKER_OVERLAP = 4096  # longer than any startxref marker with its number and whitespace


def _overlapping_windows(source: BinaryIO, size: int) -> Iterator[tuple[int, bytes]]:
    piece = max(chunk_size(), MARKER_OVERLAP)
    for start in range(0, size, piece):
        begin = max(0, start - MARKER_OVERLAP)
        source.seek(begin)
        yield begin, source.read(start + piece - begin)


def _revision_ends(windows: Iterable[tuple[int, bytes]], head: Callable[[int], bytes]) -> list[int]:
    ends: list[int] = []
    markers, last_marker = 0, -1
    for base, window in windows:
        for match in STARTXREF.finditer(window):
            end = base + match.end()
            if end <= last_marker:
                continue  # found again in the overlap
            last_marker = end
            markers += 1
            if markers > MAX_REVISION_MARKERS + 1:
                raise Refused("the PDF has too many revisions to check")
            found = head(int(match.group(1)))
            if found.lstrip(PDF_WHITESPACE).startswith(b"xref") or OBJECT_HEADER.match(found):
                ends.append(end)
    return ends


def file_findings(data: bytes, current: list[Finding]) -> list[Finding]:
    ends = revision_ends(data)
    trailing = len(data[ends[-1]:].strip(PDF_WHITESPACE)) if ends else 0
    return _findings(ends, trailing, current, lambda end: open_pdf(data[:end]))


def file_findings_in(source: BinaryIO, current: list[Finding]) -> list[Finding]:
    """file_findings for an open file of any size: earlier revisions are opened as prefixes of it."""
    ends = revision_ends_in(source)
    trailing = _trailing_in(source, ends[-1]) if ends else 0
    return _findings(ends, trailing, current, lambda end: open_pdf_file(Prefix(source, end)))


def _trailing_in(source: BinaryIO, start: int) -> int:
    """How many bytes from the first to the last non-whitespace byte after `start`."""
    first = last = -1
    source.seek(start)
    position = start
    while piece := source.read(chunk_size()):
        stripped = piece.lstrip(PDF_WHITESPACE)
        if stripped:
            first = first if first >= 0 else position + len(piece) - len(stripped)
            last = position + len(piece.rstrip(PDF_WHITESPACE)) - 1
        position += len(piece)
    return last - first + 1 if first >= 0 else 0


def _findings(ends: list[int], trailing: int, current: list[Finding],
              open_revision: Callable[[int], pikepdf.Pdf]) -> list[Finding]:
    if not ends:
        return []
    findings = []
    if trailing:
        findings.append(Finding(Category.HIDDEN, "data after the end of the PDF", f"{trailing} bytes",
                                "bytes after the end of the PDF"))
    earlier = ends[:-1]
    if earlier:
        findings.append(Finding(Category.HIDDEN, "earlier revisions",
                                f"{counted(len(earlier), 'earlier version')} kept by incremental saving",
                                "PDF revision history"))
    known = {(f.category, f.field, f.value) for f in current}
    first_listed = max(0, len(earlier) - MAX_REVISIONS_LISTED)
    for number, end in enumerate(earlier[first_listed:], first_listed + 1):
        findings.extend(revision_findings(functools.partial(open_revision, end), number, known))
    return findings


def revision_findings(open_revision: Callable[[], pikepdf.Pdf], number: int,
                      known: set[tuple[Category, str, str]]) -> list[Finding]:
    """What an earlier revision says that the current one does not (an old author...)."""
    where = f"PDF revision {number}"
    try:
        with open_revision() as pdf:
            found = survey_document(pdf, Budget()).findings
    except Refused:
        raise
    except Exception:  # an unreadable old revision is still removed by the rewrite
        return [Finding(Category.HIDDEN, "earlier revision", "unreadable", where)]
    fresh = []
    for finding in found:
        key = (finding.category, finding.field, finding.value)
        if key not in known and finding.field != "unused objects":
            known.add(key)
            fresh.append(replace(finding, where=where))
    return fresh


class Prefix(io.RawIOBase):
    """The first `end` bytes of an open file, as a file of their own (an earlier revision)."""

    def __init__(self, source: BinaryIO, end: int) -> None:
        self._source, self._end, self._position = source, end, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._end}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = max(0, min(len(buffer), self._end - self._position))
        self._source.seek(self._position)
        data = self._source.read(wanted)
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)
