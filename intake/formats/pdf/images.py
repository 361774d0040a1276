"""Images inside a PDF: JPEG streams cleaned by the JPEG module, JPEG 2000
metadata boxes dropped, and the digests `content` compares."""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Callable
from dataclasses import replace

from pikepdf import Array, Name, Stream

from intake.formats.base import Category, Finding, View
from intake.errors import Refused
from intake.formats.shared.metadata import xmp_findings
from intake.formats.pdf.decoding import DCT, JPX, Budget, codec_bytes, decoded, filter_names, is_dict, jpeg_module
from intake.formats.pdf.walk import Node, Survey


# JPEG 2000 boxes that describe the picture instead of coding it: XMP and other
# XML (GML georeferencing), vendor UUID boxes (XMP, GeoJP2), links to them,
# intellectual-property (owner) statements and label associations.
JP2_METADATA = frozenset({b"xml ", b"uuid", b"uinf", b"jp2i", b"asoc"})
JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
GEOJP2_UUID = bytes.fromhex("b14bf8bd083d4b43a5ae8cd7d5a6ce03")
JP2_LABELS = {b"uuid": "vendor data (uuid box)", b"uinf": "links to vendor data (uinf box)",
               b"jp2i": "intellectual property statement", b"asoc": "associated labels and metadata (asoc box)"}
MAX_JP2_BOXES = 10_000


def rule_jpeg(node: Node, survey: Survey) -> None:
    if not isinstance(node.obj, Stream) or "/Filter" not in node.values:
        return
    filters = filter_names(node.obj)
    if not filters or filters[-1] not in DCT:
        return
    jpeg = jpeg_module()
    data = codec_bytes(node.obj, filters, survey.budget)
    findings = jpeg.inspect(data)
    if findings:
        survey.findings.extend(replace(f, where=f"{f.where}, in {node.label}") for f in findings)
        # Read again when the edit runs: a big PDF's JPEGs are never all held at once.
        survey.edits.append(functools.partial(replace_jpeg, node.obj, filters, survey.budget, jpeg.sanitize))


def replace_jpeg(stream: Stream, filters: list[str], budget: Budget, clean: Callable[[bytes], bytes]) -> None:
    """The cleaned JPEG replaces the stream; a Flate layer before it is not needed any more."""
    data = codec_bytes(stream, filters, budget)
    parameters = stream.get("/DecodeParms")
    if isinstance(parameters, Array):
        parameters = parameters[len(parameters) - 1] if len(parameters) else None
    stream.write(clean(data), filter=Name.DCTDecode, decode_parms=parameters if is_dict(parameters) else None)


def rule_jpeg2000(node: Node, survey: Survey) -> None:
    if not isinstance(node.obj, Stream) or "/Filter" not in node.values:
        return
    filters = filter_names(node.obj)
    if not filters or filters[-1] != JPX:
        return
    data = codec_bytes(node.obj, filters, survey.budget)
    boxes = jp2_boxes(data)
    removed = [(kind, data[start + header:end]) for kind, start, end, header in boxes if kind in JP2_METADATA]
    if not removed:
        return
    for kind, payload in removed:
        survey.findings.extend(jp2_box_findings(kind, payload, f"the JPEG 2000 file of {node.label}"))
    kept = b"".join(data[start:end] for kind, start, end, _ in boxes if kind not in JP2_METADATA)
    survey.edits.append(functools.partial(replace_jpeg2000, node.obj, kept))


def jp2_boxes(data: bytes) -> list[tuple[bytes, int, int, int]]:
    """Top-level boxes of a JP2/JPX file (kind, start, end, header size); [] for a bare codestream."""
    if not data.startswith(JP2_SIGNATURE):
        return []
    boxes: list[tuple[bytes, int, int, int]] = []
    offset = 0
    while offset < len(data):
        if len(boxes) >= MAX_JP2_BOXES or offset + 8 > len(data):
            raise Refused("a JPEG 2000 image in the PDF is malformed")
        length, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if length == 1:
            if offset + 16 > len(data):
                raise Refused("a JPEG 2000 image in the PDF is malformed")
            length, header = struct.unpack_from(">Q", data, offset + 8)[0], 16
        elif length == 0:  # the last box runs to the end
            length = len(data) - offset
        if length < header or offset + length > len(data):
            raise Refused("a JPEG 2000 image in the PDF is malformed")
        boxes.append((kind, offset, offset + length, header))
        offset += length
    return boxes


def jp2_box_findings(kind: bytes, payload: bytes, where: str) -> list[Finding]:
    if kind == b"xml ":
        return xmp_findings(payload, f"XML metadata of {where}")
    if kind == b"uuid" and payload[:16] == XMP_UUID:
        return xmp_findings(payload[16:], f"XMP of {where}")
    if kind == b"uuid" and payload[:16] == GEOJP2_UUID:
        return [Finding(Category.LOCATION, "GeoJP2 georeference", "present", where)]
    value = payload[:16].hex() if kind == b"uuid" else f"{len(payload)} bytes"
    return [Finding(Category.HIDDEN, JP2_LABELS[kind], value, where)]


def replace_jpeg2000(stream: Stream, data: bytes) -> None:
    stream.write(data, filter=Name.JPXDecode, decode_parms=None)


def jpeg_views(stream: Stream, budget: Budget) -> list[View]:
    filters = filter_names(stream)
    if not filters or filters[-1] not in DCT:
        return []
    try:
        from intake.formats import jpeg
    except ImportError:
        return []
    number, generation = stream.objgen
    data = codec_bytes(stream, filters, budget)
    return [replace(view, where=f"{view.where}, in JPEG stream {number} {generation} R") for view in jpeg.views(data)]


def image_digest(image: Stream, budget: Budget) -> bytes:
    """Digest of the pixels' encoding: for a JPEG, its scan data (its metadata may go)."""
    filters = filter_names(image)
    if filters and filters[-1] in DCT:
        parts = jpeg_module().content(codec_bytes(image, filters, budget))
    elif filters and filters[-1] == JPX:
        data = codec_bytes(image, filters, budget)
        boxes = jp2_boxes(data)
        parts = [data[start:end] for kind, start, end, _ in boxes if kind not in JP2_METADATA] if boxes else [data]
    else:
        parts = [decoded(image, budget)]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.digest()

