"""PDF: one full rewrite with pikepdf that keeps only what pages need to render.

Why a rewrite: an incremental save (what `exiftool -all=` and most editors do)
appends new objects and leaves the old ones in the file, so the author name
"removed" from /Info is still there in an earlier revision. pikepdf (qpdf)
writes only the objects reachable from the document, with one cross-reference
section and no history. mat2 rasterises PDFs instead, which loses the text.

Cleaning, in one open of the original and one of the result:

    findings.py   the rules `inspect` reports with (and their edits), applied by
                  walk.py's one walk over every object (values.py words the values)
    rebuild.py    the allow-list rebuild: every object reachable from the trailer keeps
                  only the keys its role (roles.py, kinds.py) needs to render; unknown
                  shapes are dropped
    (save)        one revision, reachable objects only
    leftovers.py  the independent check of the output: every string and name
                  outside content streams must be on the list of what may remain

decoding.py bounds every decompression, revisions.py finds earlier revisions,
compared.py says what the checks compare, images.py cleans embedded JPEGs.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

import pikepdf

from intake.formats.base import Category, ContentDigest, Finding, View, read_exactly
from intake.errors import Refused
from intake.formats.pdf import leftovers
from intake.formats.pdf.compared import content, content_parts, reachable_views, residue, views
from intake.formats.pdf.decoding import Budget, budget_for, changing, check_all_streams, guarded, reading
from intake.formats.pdf.findings import survey_document
from intake.formats.pdf.rebuild import apply_allow_list
from intake.formats.pdf.revisions import file_findings, file_findings_in, revision_ends
from intake.formats.pdf.values import counted

__all__ = ["MEDIA_TYPES", "NAME", "content", "content_digest", "content_views", "inspect", "inspect_stream",
           "residue", "residue_stream", "sanitize", "sanitize_stream", "views"]


NAME = "PDF"
MEDIA_TYPES = ("application/pdf",)


# --- the four verbs ------------------------------------------------------------


@guarded
def inspect(data: bytes) -> list[Finding]:
    with reading(data) as pdf:
        findings = survey_document(pdf, Budget()).findings + outside_the_allow_list(pdf)
    return findings + file_findings(data, findings)


def outside_the_allow_list(pdf: pikepdf.Pdf) -> list[Finding]:
    """What no role keeps, counted (the rebuild drops it; the rules above name what they know)."""
    count = leftovers.count(pdf)
    if not count:
        return []
    return [Finding(Category.HIDDEN, "entries no role keeps", f"{counted(count, 'value')} outside "
                    "the allow-list", "PDF objects")]


@guarded
def sanitize(data: bytes) -> bytes:
    with changing(data) as pdf:
        survey_document(pdf, Budget()).apply()
        apply_allow_list(pdf)
        check_all_streams(pdf)
        clean = save_rewritten(pdf)
    verify_clean(clean)
    return clean


def save_rewritten(pdf: pikepdf.Pdf) -> bytes:
    buffer = io.BytesIO()
    write_rewritten(pdf, buffer)
    return buffer.getvalue()


def write_rewritten(pdf: pikepdf.Pdf, out: BinaryIO) -> None:
    """One revision, only reachable objects, no object streams (every dictionary stays
    readable in the raw bytes), Flate streams recompressed (nothing survives after a
    stream's end), and an /ID derived from the clean content: no clock, no old ID."""
    pdf.save(
        out, linearize=False, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=True,
        stream_decode_level=pikepdf.StreamDecodeLevel.generalized, recompress_flate=True, normalize_content=False,
        qdf=False, encryption=False, deterministic_id=True, static_id=False, preserve_pdfa=False,
        fix_metadata_version=False,
    )


def verify_clean(clean: bytes) -> None:
    """The rewrite, opened once more: a single revision, nothing `inspect` would report,
    and nothing the leftover check does not allow."""
    if len(revision_ends(clean)) != 1 or file_findings(clean, []):
        raise Refused("cleaning the PDF left an earlier revision behind; refused")
    with reading(clean) as pdf:
        if survey_document(pdf, Budget()).findings:
            raise Refused("cleaning the PDF left identifying data behind; refused")
        leftovers.check(pdf)


# --- files of any size: the stream verbs ------------------------------------------
# qpdf reads the file lazily (AccessMode.stream: never mapped, never read whole) and
# every stream is decoded on its own. Each file is parsed once for all the verbs
# (decoding.reading); sanitize_stream takes the original's parse for itself, as it
# changes it (decoding.changing). sanitize_stream does not open its output again
# (out is write-only): intake.clean's inspect_stream of the clean copy covers what
# verify_clean checks (one revision, no finding, nothing outside the allow-list).


@guarded
def inspect_stream(source: BinaryIO) -> list[Finding]:
    with reading(source) as pdf:
        findings = survey_document(pdf, budget_for(source)).findings + outside_the_allow_list(pdf)
    return findings + file_findings_in(source, findings)


@guarded
def sanitize_stream(source: BinaryIO, out: BinaryIO) -> None:
    budget = budget_for(source)
    with changing(source) as pdf:
        survey_document(pdf, budget).apply()
        apply_allow_list(pdf)
        check_all_streams(pdf, budget)
        write_rewritten(pdf, out)


@guarded
def content_digest(source: BinaryIO) -> bytes:
    digest = ContentDigest()
    with reading(source) as pdf:
        for part in content_parts(pdf, budget_for(source)):
            digest.add(part)
    return digest.digest()


def residue_stream(source: BinaryIO) -> Iterator[View]:
    """The raw file in pieces, then every stream decompressed (standard ICC profiles left
    out, as in `residue`) and every string. Page streams are in it: a value also found in
    the content (content_views) is not a leftover."""
    size = source.seek(0, io.SEEK_END)
    source.seek(0)
    yield from (View("the file", piece) for piece in read_exactly(source, size))
    yield from _guarded_views(lambda pdf: reachable_views(pdf, budget_for(source), standard_profiles=False), source)


def content_views(source: BinaryIO) -> Iterator[View]:
    """The content's parts as views, for the leftover scan's exception (a letter may name its author)."""
    yield from _guarded_views(lambda pdf: (View(f"content part {number}", part) for number, part in
                                           enumerate(content_parts(pdf, budget_for(source)))), source)


def _guarded_views(views_of: Callable[[pikepdf.Pdf], Iterator[View]], source: BinaryIO) -> Iterator[View]:
    """Views one at a time, each step guarded: whatever qpdf raises on the way becomes Refused."""
    with guarded(reading)(source) as pdf:
        views = views_of(pdf)
        next_view = guarded(lambda: next(views, None))
        while (view := next_view()) is not None:
            yield view
