"""What every format module offers: two verbs, plus the views used to check them.

A format module (jpeg.py, pdf.py, ...) exposes, at module level:

    NAME: str                                   "JPEG"
    MEDIA_TYPES: tuple[str, ...]                as intake.support.sniff.sniff returns them
    inspect(data: bytes) -> list[Finding]       everything that would be removed; nothing written
    sanitize(data: bytes) -> bytes              the clean copy; raises Refused when it cannot be complete
    views(data: bytes) -> list[View]            every byte string a reader could reach after full
                                                decompression (zip members, PDF streams, zTXt...)
    residue(data: bytes) -> list[View]          what intake.clean scans for removed values: the views,
                                                or less where the content is left out (it is proven
                                                unchanged anyway); a module with nothing to leave out
                                                says `residue = views`
    content(data: bytes) -> list[bytes]         what must survive cleaning unchanged (JPEG scan data,
                                                decoded pixels or IDAT, PDF page streams, document text)

Parsed once. Cleaning a file asks for its findings, content and residue, then
those of the clean copy: with the bytes verbs alone each question parses the
file again. A module may offer

    parse_file(data: Buffer, original: Parsed | None = None) -> Parsed
        the file parsed once, the verbs above as methods of the result (sanitize
        as sanitize_parts), which read that parse and never parse the bytes
        again. `original`: the parse of the
        file this one is a clean copy of (a module may reuse what it learnt:
        JPEG skips its scan data, found byte for byte).

and a stream-capable one (below) also

    parse_stream(source: BinaryIO) -> ParsedStream
        the same for the stream verbs; source stays open while it is used.

intake.clean owns the parses: it asks `parse_with` / `parse_stream_with` for
one of the original and one of the clean copy per command and drops them when
done. Nothing is kept at module level. A module without these verbs gets
Reparsing / ReparsingStream, which run its verbs on the data each time. A
module with them makes its bytes verbs from them (bytes_verbs, stream_verbs):
each verb is then one parse and one method call.

`inspect` reports only what `sanitize` removes: after cleaning, `inspect` of
the clean copy must be empty. That is how intake.clean checks the work.

A module that can work on files of any size in bounded memory also offers the
four stream verbs (all four, or intake.clean treats it as bytes-only and keeps
a size limit for it):

    inspect_stream(source: BinaryIO) -> list[Finding]
        as inspect; source is a seekable binary file opened read-only,
        positioned anywhere (seek first)
    sanitize_stream(source: BinaryIO, out: BinaryIO) -> None
        writes the clean copy to out, sequentially (out is write-only: no seek,
        no read back; office documents alone seek back over what they wrote,
        to complete each zip entry's header, so they need out seekable, as
        clean_file's is); raises Refused. What was written before a refusal is
        discarded by the caller.
    content_digest(source: BinaryIO) -> bytes
        SHA-256 over what must survive cleaning unchanged: each part
        length-prefixed (ContentDigest), in order. Equal digests of the
        original and the clean copy prove the content unchanged.
    residue_stream(source: BinaryIO) -> Iterator[View]
        every byte a reader can reach after full decompression, minus the
        content, in bounded pieces (at most a few chunk_size() each).
        Consecutive views with the same `where` are one continuous run cut
        in pieces: the leftover scan joins them with an overlap, so a value
        split across two pieces is still found. A run with a new `where`
        starts afresh.

A module whose residue cannot leave the content out (PDF: page streams are
streams like any other) also offers

    content_views(source: BinaryIO) -> Iterator[View]
        the content's parts as views; a removed value found in the residue of
        the clean copy that is also part of the content is not a leftover (a
        letter may name its own author), as in the bytes path.

The bytes verbs stay; a stream-capable module may implement them as thin
wrappers over io.BytesIO (inspect_via_stream, sanitize_via_stream).

A module without the stream verbs may offer

    sanitize_parts(data: Buffer) -> list[bytes | memoryview]
        sanitize's clean copy as pieces to write one after the other, views of
        `data` where they are copied through unchanged (JPEG scan data).

and then accepts a map of the file (mmap) wherever the bytes verbs take
`data`: intake.clean maps such a file, writes the pieces straight from the
map and checks the copy from a map of what it wrote, so megabytes of image
data are never copied in memory. Its `content` may return views too.
Pieces are sized by chunk_size(): INTAKE_CHUNK_BYTES in the environment
(tests make it tiny to exercise the boundaries), 1 MiB by default.

Such a module may also declare

    MAPPED_AT_ANY_SIZE = True

when its parse of a map copies nothing in proportion to the file (its pieces,
its content and its residue are views of the map or small) and it gives the
map's pages back as it reads through them (support/buffers.py, `release`):
intake.clean then inspects and cleans its files from a map at any size, in
bounded resident memory. The others are cleaned up to MAX_CLEAN_BYTES.

Two more optional verbs, for a module whose content is not a list of byte strings to
compare one by one (HEIF, whose images are items found through its boxes):

    same_content(original: BinaryIO, clean: BinaryIO) -> bool
        the content of both files compared side by side, in place of content_digest
        of each: intake.clean then reads no digest of the original before cleaning
    kept_stream(source: BinaryIO) -> list[str]
        what a keep mode keeps on purpose (HEIF's KeepingHdr: the HDR gain maps), as
        sentences for the report; without it, nothing is kept

These optional verbs and flags (sanitize_parts, MAPPED_AT_ANY_SIZE, content_views,
same_content, kept_stream, the parse_* pair) are looked up by name where they are used
(intake.clean, parse_with); every verb of FormatModule and StreamingFormatModule below,
residue included, is required.
"""

from __future__ import annotations

import functools
import hashlib
import io
import mmap
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import BinaryIO, ParamSpec, Protocol, TypeVar

from intake.errors import Refused


# What a bytes verb may be given: bytes, or a map of the file (see sanitize_parts).
Buffer = bytes | memoryview | mmap.mmap


class Category(str, Enum):
    LOCATION = "location"
    DEVICE = "device"
    PERSON = "person"
    TIME = "time"
    SOFTWARE = "software"
    HIDDEN = "hidden content"
    OTHER = "other"


# Worst first: this order is how findings are listed to a user.
SEVERITY = (Category.LOCATION, Category.PERSON, Category.DEVICE, Category.HIDDEN,
            Category.TIME, Category.SOFTWARE, Category.OTHER)


@dataclass(frozen=True)
class Finding:
    category: Category
    field: str
    value: str
    where: str

    def to_dict(self) -> dict[str, str]:
        return {"category": self.category.value, "field": self.field, "value": self.value, "where": self.where}


@dataclass(frozen=True)
class View:
    """Bytes a reader can reach, and where they came from (for messages)."""

    where: str
    data: bytes


class FormatModule(Protocol):
    NAME: str
    MEDIA_TYPES: tuple[str, ...]
    inspect: Callable[[bytes], list[Finding]]
    sanitize: Callable[[bytes], bytes]
    views: Callable[[bytes], list[View]]
    residue: Callable[[bytes], list[View]]
    content: Callable[[bytes], list[bytes]]


class StreamingFormatModule(FormatModule, Protocol):
    """A format module that also cleans files of any size in bounded memory (see the module docstring)."""

    inspect_stream: Callable[[BinaryIO], list[Finding]]
    sanitize_stream: Callable[[BinaryIO, BinaryIO], None]
    content_digest: Callable[[BinaryIO], bytes]
    residue_stream: Callable[[BinaryIO], Iterator[View]]


STREAM_VERBS = ("inspect_stream", "sanitize_stream", "content_digest", "residue_stream")
DEFAULT_CHUNK_BYTES = 1 << 20
CHUNK_SETTING = "INTAKE_CHUNK_BYTES"


def streams(module: object) -> bool:
    """Whether a format module offers all four stream verbs."""
    return all(_offers(module, verb) for verb in STREAM_VERBS)


def _offers(module: object, verb: str) -> bool:
    return callable(getattr(module, verb, None))


_Params = ParamSpec("_Params")
_Result = TypeVar("_Result")


def refusing(refusal: Callable[[Exception], str | None]) -> Callable[[Callable[_Params, _Result]],
                                                                       Callable[_Params, _Result]]:
    """The hostile-input guard of a format's entry points: they raise Refused only, never a
    library's own exception. `refusal` gives the one-line reason for an exception, or None
    for one that is not the file's doing (it propagates unchanged)."""

    def guard(function: Callable[_Params, _Result]) -> Callable[_Params, _Result]:
        @functools.wraps(function)
        def wrapper(*args: _Params.args, **kwargs: _Params.kwargs) -> _Result:
            try:
                return function(*args, **kwargs)
            except Refused:
                raise
            except Exception as error:
                reason = refusal(error)
                if reason is None:
                    raise
                raise Refused(reason) from None

        return wrapper

    return guard


# ---------------------------------------------------------------- one parse per file

class Parsed(Protocol):
    """One file parsed once (parse_file): the bytes verbs, reading the parse."""

    def inspect(self) -> list[Finding]: ...
    def sanitize_parts(self) -> list[bytes | memoryview]: ...
    def views(self) -> list[View]: ...
    def residue(self) -> list[View]: ...
    def content(self) -> list[bytes | memoryview]: ...


class ParsedStream(Protocol):
    """One open file parsed once (parse_stream): the stream verbs, reading the parse."""

    def inspect(self) -> list[Finding]: ...
    def sanitize(self, out: BinaryIO) -> None: ...
    def content_digest(self) -> bytes: ...
    def residue(self) -> Iterator[View]: ...


@dataclass(frozen=True)
class Reparsing:
    """The Parsed of a module without parse_file: each verb runs the module's bytes verb again."""

    module: FormatModule
    data: Buffer

    def inspect(self) -> list[Finding]:
        return self.module.inspect(self.data)  # type: ignore[arg-type]

    def sanitize_parts(self) -> list[bytes | memoryview]:
        return [self.module.sanitize(self.data)]  # type: ignore[arg-type]

    def views(self) -> list[View]:
        return self.module.views(self.data)  # type: ignore[arg-type]

    def residue(self) -> list[View]:
        return self.module.residue(self.data)  # type: ignore[arg-type]

    def content(self) -> list[bytes | memoryview]:
        return list(self.module.content(self.data))  # type: ignore[arg-type]


@dataclass(frozen=True)
class ReparsingStream:
    """The ParsedStream of a module without parse_stream: each verb runs the module's stream verb again."""

    module: StreamingFormatModule
    source: BinaryIO

    def inspect(self) -> list[Finding]:
        return self.module.inspect_stream(self.source)

    def sanitize(self, out: BinaryIO) -> None:
        self.module.sanitize_stream(self.source, out)

    def content_digest(self) -> bytes:
        return self.module.content_digest(self.source)

    def residue(self) -> Iterator[View]:
        return self.module.residue_stream(self.source)


BytesVerbs = tuple[Callable[[Buffer], list[Finding]], Callable[[Buffer], bytes], Callable[[Buffer], list[View]],
                   Callable[[Buffer], list[View]], Callable[[Buffer], list[bytes | memoryview]]]
StreamVerbs = tuple[Callable[[BinaryIO], list[Finding]], Callable[[BinaryIO, BinaryIO], None],
                    Callable[[BinaryIO], bytes], Callable[[BinaryIO], Iterator[View]]]


def bytes_verbs(parse_file: Callable[[Buffer], Parsed]) -> BytesVerbs:
    """A module's inspect, sanitize, views, residue and content, each one parse and one method call:

        inspect, sanitize, views, residue, content = bytes_verbs(parse_file)"""
    return (lambda data: parse_file(data).inspect(), lambda data: b"".join(parse_file(data).sanitize_parts()),
            lambda data: parse_file(data).views(), lambda data: parse_file(data).residue(),
            lambda data: parse_file(data).content())


def stream_verbs(parse_stream: Callable[[BinaryIO], ParsedStream]) -> StreamVerbs:
    """A module's four stream verbs, each one parse and one method call:

        inspect_stream, sanitize_stream, content_digest, residue_stream = stream_verbs(parse_stream)"""
    return (lambda source: parse_stream(source).inspect(), lambda source, out: parse_stream(source).sanitize(out),
            lambda source: parse_stream(source).content_digest(), lambda source: parse_stream(source).residue())


def parse_with(module: FormatModule, data: Buffer, original: Parsed | None = None) -> Parsed:
    """`data` parsed once by the module (parse_file), or its verbs run each time (Reparsing)."""
    if _offers(module, "parse_file"):
        return module.parse_file(data, original)  # type: ignore[attr-defined,no-any-return]
    return Reparsing(module, data)


def parse_stream_with(module: StreamingFormatModule, source: BinaryIO) -> ParsedStream:
    """`source` parsed once by the module (parse_stream), or its stream verbs run each time."""
    if _offers(module, "parse_stream"):
        return module.parse_stream(source)  # type: ignore[attr-defined,no-any-return]
    return ReparsingStream(module, source)


def chunk_size() -> int:
    """How many bytes a streaming verb reads or yields at a time (INTAKE_CHUNK_BYTES, for tests)."""
    setting = os.environ.get(CHUNK_SETTING, "")
    return max(1, int(setting)) if setting.isdigit() else DEFAULT_CHUNK_BYTES


class ContentDigest:
    """SHA-256 over content parts, each prefixed by its length (8 bytes, big-endian), in order.

    A part whose length is known up front is fed in pieces: `begin(length)`
    then `update(piece)`s; `add(part)` does both for a whole part. The length
    prefix keeps two different splits of the same bytes apart; a part fed
    more or fewer bytes than announced is a programming error (ValueError)."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._remaining = 0

    def begin(self, length: int) -> None:
        self._check_complete()
        self._hash.update(length.to_bytes(8, "big"))
        self._remaining = length

    def update(self, piece: bytes | bytearray | memoryview) -> None:
        if len(piece) > self._remaining:
            raise ValueError("a content part got more bytes than its announced length")
        self._hash.update(piece)
        self._remaining -= len(piece)

    def add(self, part: bytes | bytearray | memoryview) -> None:
        self.begin(len(part))
        self.update(part)

    def digest(self) -> bytes:
        self._check_complete()
        return self._hash.digest()

    def _check_complete(self) -> None:
        if self._remaining:
            raise ValueError("a content part got fewer bytes than its announced length")


def digest_of_parts(parts: list[bytes]) -> bytes:
    """The content digest of parts held in memory: what content_digest computes for small files."""
    digest = ContentDigest()
    for part in parts:
        digest.add(part)
    return digest.digest()


def read_exactly(source: BinaryIO, length: int) -> Iterator[bytes]:
    """`length` bytes from the source's current position, in pieces of at most chunk_size()."""
    piece_size = chunk_size()
    while length > 0:
        piece = source.read(min(piece_size, length))
        if not piece:
            raise Refused("the file ends early (truncated); refused")
        length -= len(piece)
        yield piece


def inspect_via_stream(inspect_stream: Callable[[BinaryIO], list[Finding]], data: bytes) -> list[Finding]:
    return inspect_stream(io.BytesIO(data))


def sanitize_via_stream(sanitize_stream: Callable[[BinaryIO, BinaryIO], None], data: bytes) -> bytes:
    out = io.BytesIO()
    sanitize_stream(io.BytesIO(data), out)
    return out.getvalue()


def shorten(text: str, limit: int = 200) -> str:
    """A finding's value on one line, at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nonzero_outside(data: bytes | FileBytes, spans: list[tuple[int, int]], start: int = 0) -> int:
    """How many non-zero bytes of data[start:] no (start, end) span covers: room to hide something.
    Gaps are read in pieces, so `data` may be a FileBytes of any size."""
    hidden, position, piece = 0, start, chunk_size()
    for span_start, span_end in sorted(spans) + [(len(data), len(data))]:
        for gap_start in range(position, span_start, piece):
            gap = data[gap_start:min(gap_start + piece, span_start)]
            hidden += len(gap) - gap.count(0)
        position = max(position, span_end)
    return hidden


class FileBytes:
    """Slices of an open file read on demand: for a scan over a file too big to hold, without
    mapping it (a mapped page read once stays in the process's resident size)."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._size = source.seek(0, io.SEEK_END)

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, where: slice) -> bytes:
        start, stop, _ = where.indices(self._size)
        self._source.seek(start)
        return self._source.read(max(0, stop - start))


CategoryRules = tuple[tuple[re.Pattern[str], Category], ...]


def categorise(name: str, rules: CategoryRules, default: Category = Category.OTHER) -> Category:
    """The category of the first rule whose pattern is found in a field's name."""
    for pattern, category in rules:
        if pattern.search(name):
            return category
    return default


def gps_decimal(degrees: float, minutes: float, seconds: float, reference: str) -> float:
    value = degrees + minutes / 60 + seconds / 3600
    return -value if reference.upper() in ("S", "W") else value


def format_coordinates(latitude: float, longitude: float) -> str:
    return f"{latitude:.6f}, {longitude:.6f}"
