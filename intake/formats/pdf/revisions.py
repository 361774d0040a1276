"""Earlier revisions (incremental updates) and bytes after the end: found by
their startxref markers, each earlier revision opened on its own and compared.
The rewrite leaves them all behind."""

from __future__ import annotations

import re
from dataclasses import replace

from intake.formats.base import Category, Finding
from intake.errors import Refused
from intake.formats.pdf.decoding import Budget, open_pdf
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
    ends = []
    for count, match in enumerate(STARTXREF.finditer(data)):
        if count > MAX_REVISION_MARKERS:
            raise Refused("the PDF has too many revisions to check")
        offset = int(match.group(1))
        head = data[offset:offset + 64] if 0 < offset < len(data) else b""
        if head.lstrip(PDF_WHITESPACE).startswith(b"xref") or OBJECT_HEADER.match(head):
            ends.append(match.end())
    return ends


def file_findings(data: bytes, current: list[Finding]) -> list[Finding]:
    ends = revision_ends(data)
    if not ends:
        return []
    findings = []
    trailing = data[ends[-1]:].strip(PDF_WHITESPACE)
    if trailing:
        findings.append(Finding(Category.HIDDEN, "data after the end of the PDF", f"{len(trailing)} bytes",
                                "bytes after the end of the PDF"))
    earlier = ends[:-1]
    if earlier:
        findings.append(Finding(Category.HIDDEN, "earlier revisions",
                                f"{counted(len(earlier), 'earlier version')} kept by incremental saving",
                                "PDF revision history"))
    known = {(f.category, f.field, f.value) for f in current}
    first_listed = max(0, len(earlier) - MAX_REVISIONS_LISTED)
    for number, end in enumerate(earlier[first_listed:], first_listed + 1):
        findings.extend(revision_findings(data[:end], number, known))
    return findings


def revision_findings(prefix: bytes, number: int, known: set[tuple[Category, str, str]]) -> list[Finding]:
    """What an earlier revision says that the current one does not (an old author...)."""
    where = f"PDF revision {number}"
    try:
        with open_pdf(prefix) as pdf:
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


