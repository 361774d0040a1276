"""Inspect and clean one file, and prove the clean copy is clean.

    data ──sniff──▶ format module ──inspect──▶ findings
                          └──sanitize──▶ clean copy
    clean copy ──▶ same media type?  inspect again empty?  content unchanged?
               ──▶ no removed value left in any decompressed view?
    any "no" ──▶ Refused: nothing is written, nothing is copied through.

A format module with the stream verbs (formats/base.py) is cleaned file to
file in bounded memory (clean_file): the same checks, with the content
compared by streamed digests and the leftover scan run over bounded pieces
with an overlap. A module without them is cleaned in memory, up to
MAX_CLEAN_BYTES, or from a map of the file (sanitize_parts); a module that
declares MAPPED_AT_ANY_SIZE (JPEG, GIF, WebP) is inspected and cleaned from a map at any
size, its pages given back as the work moves through them.
"""

from __future__ import annotations

import io
import mmap
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from intake.budget import configured_time_limit, run_within
from intake.formats import handler_for
from intake.formats.shared import icc
from intake.formats.base import (SEVERITY, Buffer, Finding, FormatModule, Parsed, ParsedStream, StreamingFormatModule,
                                 View, parse_stream_with, parse_with, streams)
from intake.errors import Refused
from intake.support.buffers import FileMap, same_bytes, write_releasing
from intake.support.sniff import sniff_bytes, sniff_handle

# Modules without the stream verbs clean in memory (or from a map, for those not
# MAPPED_AT_ANY_SIZE); bigger files of their formats are received and sealed, not cleaned.
MAX_CLEAN_BYTES = 256 << 20
# Files up to this size are cleaned (add) or kept for a second look (receive) in memory, so no
# plaintext copy of them touches the disk; bigger ones go through a nameless file (O_TMPFILE).
IN_MEMORY_BYTES = 16 << 20
# Shorter values could turn up by chance in compressed data.
MIN_SCANNED_VALUE = 5


@dataclass(frozen=True)
class Inspection:
    media_type: str
    findings: list[Finding]
    supported: bool = True
    problem: str | None = None

    def to_dict(self) -> dict:
        return {"media_type": self.media_type, "supported": self.supported, "problem": self.problem,
                "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True)
class _Removal:
    media_type: str
    findings: list[Finding]

    def removed(self) -> dict[str, int]:
        """How many fields of each category were removed; never their values."""
        counts = Counter(f.category.value for f in self.findings)
        return {category.value: counts[category.value] for category in SEVERITY if counts[category.value]}


@dataclass(frozen=True)
class Cleaned(_Removal):
    data: bytes
    kept: tuple[str, ...] = ()  # what a keep option kept that is removed by default (keep_hdr: gain maps)


@dataclass(frozen=True)
class CleanedFile(_Removal):
    """A clean copy written to a file (clean_file): what was removed, and its size."""

    size: int
    kept: tuple[str, ...] = ()


def worst_first(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: SEVERITY.index(f.category))


def _module(data: bytes, keep_hdr: bool = False) -> tuple[str, FormatModule]:
    media_type = sniff_bytes(data)
    module = handler_for(media_type, keep_hdr)
    if module is None:
        raise Refused(f"{media_type} is not a format intake can clean; it is refused, never copied")
    if len(data) > MAX_CLEAN_BYTES:
        raise Refused(f"files over {MAX_CLEAN_BYTES >> 20} MiB are not cleaned (they are cleaned in memory)")
    return media_type, module


def inspect_bytes(data: bytes) -> Inspection:
    media_type = sniff_bytes(data)
    module = handler_for(media_type)
    if module is None:
        return Inspection(media_type, [], False, f"{media_type} is not a format intake can inspect or clean")
    try:
        return Inspection(media_type, worst_first(module.inspect(data)))
    except Refused as refusal:
        return Inspection(media_type, [], True, str(refusal))


def inspect_within(data: bytes, seconds: float | None = None) -> Inspection:
    """inspect_bytes within the per-file time budget (intake/budget.py)."""
    limit = configured_time_limit() if seconds is None else seconds
    handler_for(sniff_bytes(data))  # imported before the fork: a child must not wait on an import lock
    try:
        return run_within(limit, inspect_bytes, data)
    except Refused as refusal:
        return Inspection(sniff_bytes(data), [], True, str(refusal))


def clean_within(data: bytes, seconds: float | None = None, keep_hdr: bool = False) -> Cleaned:
    """clean_bytes within the per-file time budget (intake/budget.py)."""
    limit = configured_time_limit() if seconds is None else seconds
    handler_for(sniff_bytes(data), keep_hdr)
    return run_within(limit, clean_bytes, data, keep_hdr)


def clean_bytes(data: bytes, keep_hdr: bool = False) -> Cleaned:
    """`keep_hdr`: HDR gain maps stay (HEIF), and Cleaned.kept says so."""
    media_type, module = _module(data, keep_hdr)
    parsed = parse_with(module, data)  # the original's one parse; the clean copy's is in _verify_against
    findings = worst_first(parsed.inspect())
    original = _original_in_memory(parsed, findings)
    kept = _kept(module, io.BytesIO(data))
    clean = b"".join(parsed.sanitize_parts())
    _verify_against(module, media_type, original, clean, parsed)
    return Cleaned(media_type, findings, clean, kept)


def _kept(module: object, source: BinaryIO) -> tuple[str, ...]:
    """What a keep mode keeps (formats/base.py, kept_stream), read from the original."""
    kept_stream = getattr(module, "kept_stream", None)
    return tuple(kept_stream(source)) if callable(kept_stream) else ()


@dataclass(frozen=True)
class _Original:
    """What the checks of a clean copy compare it with, read before the original is cleaned:
    a module may clean from its one parse of the original, changing it (formats/pdf/decoding.py)."""

    # Its content parts (in memory), or their digest (by stream), or None: the module compares
    # the two files' content side by side (same_content), the original being left unchanged.
    content: list[bytes | memoryview] | bytes | None
    present: set[bytes]  # removed values the original really spells out, in each encoding sought


def _original_in_memory(parsed: Parsed, findings: list[Finding]) -> _Original:
    """Only values the original really spells out are sought (not our descriptions of them), in
    its residue: its views, less the content where the module can leave it out (it is proven
    identical anyway)."""
    reachable = [view.data for view in parsed.residue()]
    return _Original(parsed.content(), {encoded for encoded in _candidates(findings)
                                        if any(encoded in piece for piece in reachable)})


def _candidates(findings: list[Finding]) -> set[bytes]:
    return {encoded for finding in findings if _scannable(finding.value)
            for encoded in _encodings(finding.value.strip())}


def check_clean_copy(module: FormatModule, media_type: str, data: Buffer, clean: Buffer, findings: list[Finding]) -> None:
    """The checks of a clean copy of `data` (the original) with the given findings."""
    parsed = parse_with(module, data)
    _verify_against(module, media_type, _original_in_memory(parsed, findings), clean, parsed)


def _verify_against(module: FormatModule, media_type: str, original: _Original, clean: Buffer,
                    parsed_original: Parsed) -> None:
    """The checks of a clean copy, on its one parse (made once its type is known to be right)."""
    _check_type(sniff_bytes(clean) == media_type)
    parsed = parse_with(module, clean, parsed_original)
    _check_findings_content(parsed.inspect,
                            lambda: same_parts(original.content, parsed.content()))  # type: ignore[arg-type]
    _scan_for_values(parsed, original)


def same_parts(first: Sequence[bytes | memoryview], second: Sequence[bytes | memoryview]) -> bool:
    """Whether two lists of content parts are equal, part for part; parts may be views of a
    mapped file, compared without copying (support/buffers.py)."""
    return len(first) == len(second) and all(same_bytes(a, b) for a, b in zip(first, second))


def _check_type(same_type: bool) -> None:
    """The first check of either path: the clean copy is parsed as the original's type only after it."""
    if not same_type:
        raise Refused("cleaning changed the file's type; refused")


def _check_findings_content(leftover_of_clean: Callable[[], list[Finding]], same_content: Callable[[], bool]) -> None:
    """The next two checks of either path, in order (the second costs more)."""
    leftover = leftover_of_clean()
    if leftover:
        kinds = ", ".join(sorted({f.category.value for f in leftover}))
        raise Refused(f"identifying metadata would remain ({kinds}); refused")
    if not same_content():
        raise Refused("cleaning would change the content; refused")


def _scan_for_values(clean: Parsed, original: _Original) -> None:
    """The raw scan: no removed value may be reachable in the clean copy, in any
    encoding, after full decompression, unless it is part of the content itself
    (a letter may well name its own author)."""
    leaks = [(needle, view.where) for view in clean.residue() for needle in original.present if needle in view.data]
    if not leaks:
        return
    content = b"\x00".join(original.content)  # type: ignore[arg-type]
    for needle, where in leaks:
        if needle not in content:
            raise Refused(f"a removed value is still present in {where}; refused")


def _scannable(value: str) -> bool:
    stripped = value.strip()
    if icc.normalise(stripped) in icc.STANDARD_DESCRIPTIONS or stripped in icc.STANDARD_DEVICE_TEXTS:
        return False  # a published profile's name ("sRGB IEC61966-2.1") identifies no one, and stays in the kept profile
    return len(stripped) >= MIN_SCANNED_VALUE and sum(ch.isalpha() for ch in stripped) >= 2 and "…" not in stripped


def _encodings(value: str) -> list[bytes]:
    return [value.encode("utf-8"), value.encode("utf-16-le"), value.encode("utf-16-be")]


# ---------------------------------------------------------------- files of any size

def sniff_file(source: BinaryIO) -> str:
    """The media type of an open file, wherever it is positioned; it is left at its start."""
    source.seek(0)
    return sniff_handle(source)


def size_of(handle: BinaryIO) -> int:
    """The size of an open file (on disk or in memory); it is left at its end."""
    return handle.seek(0, io.SEEK_END)


def inspect_file(source: BinaryIO) -> Inspection:
    """inspect_bytes for an open file of any size: by stream when its format allows, else in memory."""
    media_type = sniff_file(source)
    module = handler_for(media_type)
    if module is None:
        return Inspection(media_type, [], False, f"{media_type} is not a format intake can inspect or clean")
    if not streams(module):
        if mapped_at_any_size(module) and _is_file(source) and size_of(source):
            with _mapped(source) as data:
                return _inspect_map(module, media_type, data)
        if size_of(source) > MAX_CLEAN_BYTES:
            return Inspection(media_type, [], False, f"over {MAX_CLEAN_BYTES >> 20} MiB: not inspected")
        source.seek(0)
        return inspect_bytes(source.read())
    try:
        return Inspection(media_type, worst_first(module.inspect_stream(source)))
    except Refused as refusal:
        return Inspection(media_type, [], True, str(refusal))


def _inspect_map(module: FormatModule, media_type: str, data: FileMap) -> Inspection:
    try:
        return Inspection(media_type, worst_first(module.inspect(data)))  # type: ignore[arg-type]
    except Refused as refusal:
        return Inspection(media_type, [], True, str(refusal))


def mapped_at_any_size(module: object) -> bool:
    """Whether the module is cleaned from a map of the file at any size (formats/base.py)."""
    return bool(getattr(module, "MAPPED_AT_ANY_SIZE", False)) and callable(getattr(module, "sanitize_parts", None))


def inspect_file_within(source: BinaryIO, seconds: float | None = None) -> Inspection:
    limit = configured_time_limit(size_of(source)) if seconds is None else seconds
    handler_for(sniff_file(source))  # imported before the fork: a child must not wait on an import lock
    try:
        return run_within(limit, inspect_file, source)
    except Refused as refusal:
        return Inspection(sniff_file(source), [], True, str(refusal))


def clean_file_within(source: BinaryIO, out: BinaryIO, seconds: float | None = None,
                      keep_hdr: bool = False) -> CleanedFile:
    """clean_file within the per-file time budget. The child writes into `out` through the
    shared descriptor; on any refusal what it wrote is the caller's to discard."""
    limit = configured_time_limit(size_of(source)) if seconds is None else seconds
    handler_for(sniff_file(source), keep_hdr)  # imported before the fork: a child must not wait on an import lock
    return run_within(limit, clean_file, source, out, keep_hdr)


def clean_file(source: BinaryIO, out: BinaryIO, keep_hdr: bool = False) -> CleanedFile:
    """Clean `source` into `out` (a new, empty file opened for reading and writing) and check
    the copy there. Raises Refused; then `out` holds a partial copy that must be discarded."""
    media_type = sniff_file(source)
    module = handler_for(media_type, keep_hdr)
    if module is None:
        raise Refused(f"{media_type} is not a format intake can clean; it is refused, never copied")
    if not streams(module):
        return _clean_in_memory(module, media_type, source, out, keep_hdr)
    parsed = parse_stream_with(module, source)  # the original's one parse; the clean copy's is in _verify_stream
    findings = worst_first(parsed.inspect())
    # What the checks need of the original is read before cleaning it: a module may clean
    # from its one parse of the original, changing it (formats/pdf/decoding.py). A module that
    # compares two files side by side (same_content) leaves its original unchanged.
    content = None if callable(getattr(module, "same_content", None)) else parsed.content_digest()
    original = _Original(content, _present(parsed, findings))
    kept = _kept(module, source)
    parsed.sanitize(out)
    out.flush()
    _verify_stream(module, media_type, source, out, original)
    return CleanedFile(media_type, findings, size_of(out), kept)


def _present(parsed: ParsedStream, findings: list[Finding]) -> set[bytes]:
    """The candidates the original really spells out (as _original_in_memory, by stream)."""
    return {needle for needle, _ in scan_views(parsed.residue(), _candidates(findings))}


def _clean_in_memory(module: FormatModule, media_type: str, source: BinaryIO, out: BinaryIO,
                     keep_hdr: bool = False) -> CleanedFile:
    size = size_of(source)
    mapped = bool(size) and callable(getattr(module, "sanitize_parts", None)) and _is_file(source) and _is_file(out)
    if size > MAX_CLEAN_BYTES and not (mapped and mapped_at_any_size(module)):
        raise Refused(f"files over {MAX_CLEAN_BYTES >> 20} MiB of this type are not cleaned (they are cleaned in memory)")
    if mapped:
        return _clean_mapped(module, media_type, source, out)
    source.seek(0)
    cleaned = clean_bytes(source.read(), keep_hdr)
    out.write(cleaned.data)
    out.flush()
    return CleanedFile(cleaned.media_type, cleaned.findings, len(cleaned.data), cleaned.kept)


def _clean_mapped(module: FormatModule, media_type: str, source: BinaryIO, out: BinaryIO) -> CleanedFile:
    """clean_bytes from a map of the file: the clean copy's pieces are written straight from
    the map, and the checks run on a map of what was written (formats/base.py,
    sanitize_parts): the same checks, without copying the image data in memory."""
    with _mapped(source) as data:
        findings = _clean_from_map(module, media_type, data, out)
    return CleanedFile(media_type, findings, size_of(out))


def _clean_from_map(module: FormatModule, media_type: str, data: mmap.mmap, out: BinaryIO) -> list[Finding]:
    """The work of _clean_mapped. The parses hold views of the maps: they live in this call's frame
    (and _verify_against's), so they are gone when the maps are closed, and nothing keeps them."""
    parsed = parse_with(module, data)
    findings = worst_first(parsed.inspect())
    original = _original_in_memory(parsed, findings)
    for part in parsed.sanitize_parts():
        write_releasing(out, part)
    out.flush()
    with _mapped(out) as clean:
        _verify_against(module, media_type, original, clean, parsed)
    return findings


def _is_file(handle: BinaryIO) -> bool:
    try:
        handle.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return False
    return True


@contextmanager
def _mapped(handle: BinaryIO) -> Iterator[mmap.mmap]:
    """A private map of the file: read only here, but writable memory, so that parts of it are
    compared by memcmp (support/buffers.py); a write would never reach the file."""
    view = FileMap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
    try:
        yield view
    finally:
        try:
            view.close()
        except BufferError:
            pass  # a refusal's traceback still holds a parse with views of it: it is unmapped when they go


def _verify_stream(module: StreamingFormatModule, media_type: str, source: BinaryIO, clean: BinaryIO,
                   original: _Original) -> None:
    _check_type(sniff_file(clean) == media_type)
    parsed = parse_stream_with(module, clean)
    _check_findings_content(parsed.inspect, lambda: _same_content(module, parsed, source, clean, original))
    leaks = dict(scan_views(parsed.residue(), original.present))
    content_views = getattr(module, "content_views", None)
    if leaks and content_views is not None:
        # A module whose residue cannot leave the content out (PDF page streams) names it:
        # a value that is part of the content (a letter may name its own author) is no leftover.
        for needle, _ in scan_views(content_views(source), set(leaks)):
            del leaks[needle]
    for where in leaks.values():
        raise Refused(f"a removed value is still present in {where}; refused")


def _same_content(module: StreamingFormatModule, parsed_clean: ParsedStream, source: BinaryIO, clean: BinaryIO,
                  original: _Original) -> bool:
    """A module that compares two files' content directly (same_content: byte for byte, no hashing
    of either) is asked; for the others the clean copy's digest is compared with the original's."""
    if original.content is None:
        return bool(module.same_content(source, clean))  # type: ignore[attr-defined]
    return original.content == parsed_clean.content_digest()


def scan_views(views: Iterable[View], needles: set[bytes]) -> Iterator[tuple[bytes, str]]:
    """Each needle found in the views, once, with where. Consecutive views with the same
    `where` are one run: the last len(longest needle) - 1 bytes of a piece are carried into
    the next, so a value cut in two by a piece boundary is found."""
    if not needles:
        return
    overlap = max(map(len, needles)) - 1
    missing = set(needles)
    carried, run = b"", None
    for view in views:
        window = (carried if view.where == run else b"") + bytes(view.data)
        run = view.where
        for needle in [n for n in missing if n in window]:
            missing.discard(needle)
            yield needle, view.where
        if not missing:
            return
        carried = window[-overlap:] if overlap else b""
