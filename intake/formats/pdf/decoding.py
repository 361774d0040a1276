"""Bounded decoding of PDF streams, and opening a PDF safely.

Every stream is size-checked before qpdf decodes it (a Flate bomb is measured
with zlib in bounded pieces), one call may decode at most MAX_TOTAL_BYTES in
all, and whatever pikepdf raises on hostile input becomes `Refused`.
"""

from __future__ import annotations

import contextlib
import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from intake.errors import Refused
from intake.formats.base import refusing


# Decompression bomb guards: a stream may not decode to more than this, nor
# all streams of one call together.
MAX_STREAM_BYTES = 256 << 20
MAX_TOTAL_BYTES = 1 << 30

# For files over MAX_TOTAL_BYTES: decoded bytes allowed per byte of file.
TOTAL_PER_FILE_BYTE = 16

INFLATE_CHUNK = 1 << 20
# A PNG/TIFF predictor row (columns x colours x bits); real images stay far below.
MAX_ROW_BITS = 8 * (16 << 20)

BOMB = "a stream decompresses to more than 256 MiB; refused as a possible decompression bomb"
TOTAL_BOMB = "the PDF decompresses to more than 1 GiB in all; refused as a possible decompression bomb"

# Worst-case expansion of each generic filter: bytes out per byte in.
EXPANSION = {
    "/FlateDecode": 1032, "/Fl": 1032, "/LZWDecode": 3641, "/LZW": 3641, "/RunLengthDecode": 64, "/RL": 64,
    "/ASCIIHexDecode": 1, "/AHx": 1, "/ASCII85Decode": 4, "/A85": 4,
}
FLATE = frozenset({"/FlateDecode", "/Fl"})
DCT = frozenset({"/DCTDecode", "/DCT"})
JPX = "/JPXDecode"


def _refusal(error: Exception) -> str:
    if isinstance(error, pikepdf.PasswordError):
        return "the PDF is encrypted with a password; it cannot be cleaned"
    if isinstance(error, (pikepdf.PdfError, pikepdf.DataDecodingError)):
        return "the PDF is damaged beyond repair"
    if isinstance(error, (RecursionError, MemoryError)):
        return "the PDF is too deeply nested or too large to process"
    return "the PDF could not be read completely"  # any other failure on hostile input: refuse, never pass it


# Whatever a hostile file makes pikepdf or qpdf raise becomes a one-line refusal.
guarded = refusing(_refusal)


def open_pdf(data: bytes) -> pikepdf.Pdf:
    if not data.startswith(b"%PDF-"):
        raise Refused("not a PDF: the file does not start with %PDF-")
    return pikepdf.open(io.BytesIO(data))


def open_pdf_file(source: BinaryIO) -> pikepdf.Pdf:
    """A PDF read from an open file as qpdf needs it (never mapped, never read whole)."""
    source.seek(0)
    if source.read(5) != b"%PDF-":
        raise Refused("not a PDF: the file does not start with %PDF-")
    source.seek(0)
    return pikepdf.open(source, access_mode=pikepdf.AccessMode.stream)


PdfSource = bytes | BinaryIO  # the bytes of a PDF, or an open file holding one


class _OpenDocuments:
    """The last two PDFs opened, kept open and found by the identity of their bytes or file.

    Cleaning a PDF reads the original with inspect, content and residue (or their stream
    twins), and its clean copy with the same three: opened anew each time, that was a full
    parse by qpdf per verb (9 for one letter with an earlier revision). Kept here, each file
    is parsed once (issue 15, item 6). Identity, as in jpeg.py's memo: the kept reference stops
    the identity from being reused; the size is compared too, so a file written to since is
    parsed again. sanitize changes the document it cleans, so it takes the original's parse
    out (`taken`): intake.clean asks for everything it needs of the original before cleaning."""

    def __init__(self) -> None:
        self._recent: list[tuple[PdfSource, int, pikepdf.Pdf]] = []

    def shared(self, source: PdfSource) -> pikepdf.Pdf:
        """The document, parsed once; the caller must neither change nor close it."""
        size = len(source) if isinstance(source, bytes) else source.seek(0, io.SEEK_END)
        for known, known_size, pdf in self._recent:
            if known is source and known_size == size:
                return pdf
        pdf = open_pdf(source) if isinstance(source, bytes) else open_pdf_file(source)
        for _, _, old in self._recent[1:]:
            old.close()
        self._recent = [(source, size, pdf)] + self._recent[:1]
        return pdf

    def taken(self, source: PdfSource) -> pikepdf.Pdf:
        """The document for the caller to change and close: no one else will see it."""
        pdf = self.shared(source)
        self._recent = [entry for entry in self._recent if entry[2] is not pdf]
        return pdf


_OPEN = _OpenDocuments()


def reading(source: PdfSource) -> contextlib.AbstractContextManager[pikepdf.Pdf]:
    """`with reading(source) as pdf:` the file's document, parsed once for all readers (opened
    by this call, so `guarded(reading)(source)` turns a parse error into a refusal; kept open)."""
    return contextlib.nullcontext(_OPEN.shared(source))


def changing(source: PdfSource) -> pikepdf.Pdf:
    """The file's document to change (`with changing(source) as pdf:` closes it at the end)."""
    return _OPEN.taken(source)


def budget_for(source: BinaryIO) -> Budget:
    """A file's decoding budget: MAX_TOTAL_BYTES, or more for a big file that holds that much
    compressed (each stream stays bounded by MAX_STREAM_BYTES)."""
    size = source.seek(0, io.SEEK_END)
    return Budget(max(MAX_TOTAL_BYTES, TOTAL_PER_FILE_BYTE * size))


# --- bounded stream decoding -------------------------------------------------


@dataclass
class Budget:
    """Decompressed bytes one call may still produce: stops a bomb made of many streams."""

    left: int = field(default_factory=lambda: MAX_TOTAL_BYTES)  # read at call time: tests lower it

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise Refused(TOTAL_BOMB)


def filter_names(stream: Stream) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, Name):
        return [str(value)]
    if isinstance(value, Array) and len(value) <= 32 and all(isinstance(item, Name) for item in value):
        return [str(item) for item in value]
    raise Refused("a stream has a malformed /Filter entry")


def inflate_chunks(source: Iterable[bytes]) -> Iterator[bytes]:
    """One zlib layer, in bounded pieces, so a bomb is stopped after MAX_STREAM_BYTES."""
    inflater = zlib.decompressobj()
    produced = 0
    for chunk in source:
        pending = chunk
        while True:
            try:
                out = inflater.decompress(pending, INFLATE_CHUNK)
            except Exception:  # zlib.error: qpdf stops at the same place
                return
            pending = inflater.unconsumed_tail
            produced += len(out)
            if produced > MAX_STREAM_BYTES:
                raise Refused(BOMB)
            if out:
                yield out
            if inflater.eof:
                return
            if not out and not pending:
                break


def inflate(raw: bytes, layers: int) -> Iterator[bytes]:
    source: Iterable[bytes] = (raw,)
    for _ in range(layers):
        source = inflate_chunks(source)
    return iter(source)


def check_size(raw: bytes, filters: list[str]) -> None:
    """Refuse before qpdf decodes a stream that could exceed MAX_STREAM_BYTES."""
    bound = len(raw)
    for name in filters:
        bound *= EXPANSION[name]
    if bound <= MAX_STREAM_BYTES:
        return
    if not all(name in FLATE for name in filters):
        raise Refused("a large LZW or RunLength stream cannot be checked for a decompression bomb")
    for _ in inflate(raw, len(filters)):
        pass


def check_predictors(stream: Stream) -> None:
    """qpdf allocates one predictor row up front: a crafted /Columns asks for gigabytes."""
    parameters = stream.get("/DecodeParms")
    for entry in parameters if isinstance(parameters, Array) else [parameters]:
        if not is_dict(entry) or entry.get("/Predictor", 1) in (None, 1):
            continue
        numbers = [entry.get(key, default) for key, default in (("/Columns", 1), ("/Colors", 1),
                                                                ("/BitsPerComponent", 8))]
        if not all(isinstance(n, int) and 0 < n for n in numbers) or numbers[0] * numbers[1] * numbers[2] > MAX_ROW_BITS:
            raise Refused("a stream asks for a predictor row too large to decode safely")


def decoded(stream: Stream, budget: Budget) -> bytes:
    """The stream after its generic filters; raw when an image codec (DCT, JPX...) is in the chain."""
    filters = filter_names(stream)
    raw = stream.read_raw_bytes()
    if not filters or not all(name in EXPANSION for name in filters):
        budget.spend(len(raw))
        return raw
    check_size(raw, filters)
    check_predictors(stream)
    try:
        data = stream.read_bytes()
    except (pikepdf.PdfError, pikepdf.DataDecodingError):
        raise Refused("a stream in the PDF is damaged: its data cannot be decompressed") from None
    budget.spend(len(data))
    return data


def codec_bytes(stream: Stream, filters: list[str], budget: Budget) -> bytes:
    """The JPEG or JPEG 2000 file inside an image stream. qpdf does not decode a chain
    that ends in an image codec, so the generic filters before it (a Flate layer, or
    the ASCII85 layer reportlab puts on every JPEG) are undone here."""
    raw = stream.read_raw_bytes()
    layers = filters[:-1]
    if not all(name in EXPANSION for name in layers):
        raise Refused("an image has an unusual filter chain and cannot be checked")
    if not layers:
        data = raw
    elif all(name in FLATE for name in layers):
        data = b"".join(inflate(raw, len(layers)))
    else:
        data = decode_layers(stream, raw, layers)
    budget.spend(len(data))
    return data


def decode_layers(stream: Stream, raw: bytes, layers: list[str]) -> bytes:
    """Generic filters only, decoded by qpdf on a scratch copy of the stream (size checked first)."""
    check_size(raw, layers)
    parameters = stream.get("/DecodeParms")
    if isinstance(parameters, Array):
        if len(parameters) != len(layers) + 1:
            raise Refused("an image has a malformed /DecodeParms entry")
        prefix = [parameters[index] for index in range(len(layers))]
        if any(not (is_dict(item) or item is None) for item in prefix):
            raise Refused("an image has a malformed /DecodeParms entry")
        parameters = Array(prefix) if any(is_dict(item) for item in prefix) else None
    else:
        parameters = None  # a single dictionary belongs to the image codec
    scratch = pikepdf.new()
    copy = Stream(scratch, b"")
    copy.write(raw, filter=Array([Name(name) for name in layers]), decode_parms=parameters)
    if parameters is not None:
        check_predictors(copy)
    try:
        return copy.read_bytes()
    except (pikepdf.PdfError, pikepdf.DataDecodingError):
        raise Refused("an image stream in the PDF is damaged: its data cannot be decoded") from None


def jpeg_module() -> Any:
    try:
        from intake.formats import jpeg
    except ImportError:
        raise Refused("embedded JPEG images cannot be checked: the JPEG module is not available") from None
    return jpeg


def check_all_streams(pdf: pikepdf.Pdf, budget: Budget | None = None) -> None:
    """qpdf decodes streams while saving: refuse a bomb before it does."""
    budget = budget or Budget()
    for obj in pdf.objects:
        if isinstance(obj, Stream):
            filters = filter_names(obj)
            if filters and all(name in EXPANSION for name in filters):
                decoded(obj, budget)


def is_container(value: Any) -> bool:
    return isinstance(value, (Array, Dictionary, Stream))


def is_dict(value: Any) -> bool:
    return isinstance(value, (Dictionary, Stream))
