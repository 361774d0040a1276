"""What the metadata boxes of an MP4/MOV/M4A/3GP file say, as findings.

Read only: quicktime.py decides what is dropped and hands each dropped
box here to be described. Four tag dialects live in these files:

- QuickTime user data (`udta` > `©xyz`, `©mak`...): runs of
  [16-bit length][16-bit language][text];
- iTunes-style item lists (`meta` > `hdlr mdir` > `ilst` > `©too` > `data`);
- Apple keyed metadata (`meta` > `keys` + `ilst`, items named by key index:
  com.apple.quicktime.location.ISO6709, .make, .model, .creationdate...);
- 3GPP user data (`loci`, `titl`, `auth`...: full boxes with a language)
  and Nero chapters (`chpl`).
"""

from __future__ import annotations

import re
import struct
from datetime import datetime, timedelta, timezone

from intake.formats.base import Category, CategoryRules, Finding, categorise, format_coordinates, shorten
from intake.formats.isobmff.boxes import Box, child_boxes
from intake.formats.shared.metadata import xmp_findings

XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")

_NAME_RULES: CategoryRules = (
    (re.compile(r"xyz|loci|location|gps|6709", re.I), Category.LOCATION),
    (re.compile(r"©mak|©mod|make|model|manu|modl|firm|came|lens|serial|muid|gumi|device|©swf", re.I),
     Category.DEVICE),
    (re.compile(r"©art|©aut|auth|artist|author|©wrt|cprt|©cpy|copyright|perf|owner|©own|©prd|©dir|©enc.by", re.I),
     Category.PERSON),
    (re.compile(r"©day|date|yrrc|time", re.I), Category.TIME),
    (re.compile(r"©swr|©too|©enc|software|encoder|tool", re.I), Category.SOFTWARE),
)
_ISO6709 = re.compile(rb"^\s*([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")
_MAC_EPOCH = datetime(1904, 1, 1, tzinfo=timezone.utc)
# 3GPP user data boxes that hold one string after their language code.
_THREE_GPP_STRINGS = frozenset({b"titl", b"auth", b"dscp", b"cprt", b"perf", b"gnre", b"albm", b"kywd"})


def box_name(box_type: bytes) -> str:
    """A four-character code as people write it: ©xyz for 0xA9 'xyz'."""
    return box_type.decode("latin-1")


def mac_time(seconds: int) -> str:
    """A QuickTime timestamp (seconds since 1904) as a date."""
    try:
        return (_MAC_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S UTC")
    except OverflowError:
        return f"{seconds} seconds after 1904"


def iso6709_coordinates(text: bytes) -> str | None:
    """"+46.6354+032.6169/" (or ±DDMM.M / ±DDMMSS.S forms) as "latitude, longitude"; None if not ISO 6709."""
    found = _ISO6709.match(text)
    if found is None:
        return None
    latitude, longitude = _sexagesimal(found.group(1).decode(), 2), _sexagesimal(found.group(2).decode(), 3)
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    return format_coordinates(latitude, longitude)


def _sexagesimal(value: str, degree_digits: int) -> float | None:
    """ISO 6709 packs degrees, minutes and seconds by digit count before the point."""
    sign = -1.0 if value.startswith("-") else 1.0
    whole, _, fraction = value[1:].partition(".")
    parts = {degree_digits: 1, degree_digits + 2: 2, degree_digits + 4: 3}.get(len(whole))
    if parts is None:
        return None
    fraction_value = float("0." + fraction) if fraction else 0.0
    degrees = float(whole[:degree_digits])
    minutes = float(whole[degree_digits:degree_digits + 2] or 0)
    seconds = float(whole[degree_digits + 2:] or 0)
    last = {1: 1.0, 2: 1 / 60, 3: 1 / 3600}[parts]
    return sign * (degrees + minutes / 60 + seconds / 3600 + fraction_value * last)


def _finding(name: str, value: str, where: str) -> Finding:
    category = categorise(name.rsplit(".", 1)[-1], _NAME_RULES)  # com.apple.quicktime.make: "quicktime" is no time
    if category == Category.LOCATION:
        value = iso6709_coordinates(value.encode()) or value
    return Finding(category, name, shorten(value), where)


def _text(raw: bytes) -> str:
    if raw.startswith((b"\xfe\xff", b"\xff\xfe")):
        return raw.decode("utf-16", "replace").rstrip("\x00")
    return raw.decode("utf-8", "replace").rstrip("\x00")


# --- user data -------------------------------------------------------------

def user_data_findings(payload: bytes, where: str) -> list[Finding]:
    """Every entry of a `udta` box; an entry we cannot read is still reported, as unreadable."""
    findings: list[Finding] = []
    for box, body in child_boxes(payload):
        findings += _user_data_entry(box, body, f"{where} > {box_name(box.type)}")
    return findings


def _user_data_entry(box: Box, body: bytes, where: str) -> list[Finding]:
    box_type, name = box.type, box_name(box.type)
    if box_type == b"meta":
        return meta_findings(body, where)
    if box_type == b"loci":
        return [_location_box(body, where)]
    if box_type == b"chpl":
        return chapter_list_findings(body, where)
    if box_type in _THREE_GPP_STRINGS and len(body) > 6:
        return [_finding(name, _text(body[6:]), where)]
    if box_type.startswith(b"\xa9"):
        return [_finding(name, value, where) for value in _quicktime_strings(body)] or _opaque(name, body, where)
    if box_type == b"uuid":
        return uuid_findings(box.extended_type, body, where)
    return _opaque(name, body, where)


def _quicktime_strings(body: bytes) -> list[str]:
    """[length][language][text] runs; an iTunes-style `data` child instead is read as one."""
    if body[4:8] == b"data":
        return [value for _, value in _item_values(body)]
    values, position = [], 0
    while position + 4 <= len(body):
        length = int.from_bytes(body[position:position + 2], "big")
        text = body[position + 4:position + 4 + length]
        if len(text) < length:
            break
        values.append(_text(text))
        position += 4 + length
    return [value for value in values if value.strip()]


def _opaque(name: str, body: bytes, where: str) -> list[Finding]:
    """A vendor box (GoPro FIRM/CAME/MUID, Samsung smta...): its readable text, else its size."""
    readable = b" ".join(re.findall(rb"[\x20-\x7e]{4,}", body)[:8]).decode("ascii")
    if body.count(0) == len(body):
        return []
    return [_finding(name, readable or f"{len(body)} bytes", where)]


def _location_box(body: bytes, where: str) -> Finding:
    """3GPP `loci`: name, role, then longitude, latitude, altitude as 16.16 fixed point."""
    try:
        name_end = body.index(b"\x00", 6)
        longitude, latitude = struct.unpack(">ii", body[name_end + 2:name_end + 10])
        value = format_coordinates(latitude / 65536, longitude / 65536)
    except (ValueError, struct.error):
        value = "an unreadable location"
    return Finding(Category.LOCATION, "loci", value, where)


def chapter_list_findings(body: bytes, where: str) -> list[Finding]:
    """Nero `chpl`: version 1 has 4 reserved bytes, then a count and [start][length][title] entries."""
    if not body:
        return []
    position = 9 if body[0] == 1 else 5
    findings = []
    if position > len(body):
        return [Finding(Category.OTHER, "chapter title", "an unreadable chapter list", where)]
    for _ in range(body[position - 1]):
        length = body[position + 8] if position + 8 < len(body) else 0
        title = body[position + 9:position + 9 + length]
        if title:
            findings.append(Finding(Category.OTHER, "chapter title", shorten(_text(title)), where))
        position += 9 + length
    return findings or [Finding(Category.OTHER, "chapter list", f"{len(body)} bytes", where)]


# --- meta: item lists and keys ----------------------------------------------

def meta_findings(body: bytes, where: str) -> list[Finding]:
    """A `meta` full box: iTunes items (`ilst` with four-character names) or Apple keys (`keys` + `ilst`)."""
    children = child_boxes(body[4:] if body[4:8] != b"hdlr" else body)  # QuickTime omits the full-box header
    keys = next((_key_names(payload) for box, payload in children if box.type == b"keys"), {})
    findings: list[Finding] = []
    for box, payload in children:
        if box.type == b"ilst":
            findings += _item_list(payload, keys, where)
        elif box.type == b"xml ":
            findings += xmp_findings(payload[4:], f"{where} > xml")
        elif box.type in (b"iloc", b"idat", b"iinf"):
            findings.append(Finding(Category.HIDDEN, "items", "items stored in the file", where))
    return findings


def _key_names(payload: bytes) -> dict[int, str]:
    """`keys`: full box, count, then [size][namespace][name] entries, numbered from 1."""
    names, position, index = {}, 8, 1
    while position + 8 <= len(payload):
        size = int.from_bytes(payload[position:position + 4], "big")
        if size < 8:
            break
        names[index] = payload[position + 8:position + size].decode("utf-8", "replace")
        position, index = position + size, index + 1
    return names


def _item_list(payload: bytes, keys: dict[int, str], where: str) -> list[Finding]:
    findings = []
    for box, body in child_boxes(payload):
        index = int.from_bytes(box.type, "big")
        name = keys.get(index) or box_name(box.type)
        for kind, value in _item_values(body):
            findings.append(_finding(name, value, f"{where} > {name}") if kind != "picture"
                            else Finding(Category.HIDDEN, name, value, f"{where} > {name}"))
    return findings


def _item_values(body: bytes) -> list[tuple[str, str]]:
    """The `data` children of one item: [type][locale][value]; type 1 is UTF-8, 2 UTF-16, 13/14 pictures."""
    values = []
    for box, data in child_boxes(body):
        if box.type != b"data" or len(data) < 8:
            continue
        kind, value = int.from_bytes(data[1:4], "big"), data[8:]
        if kind == 1:
            values.append(("text", value.decode("utf-8", "replace")))
        elif kind == 2:
            values.append(("text", value.decode("utf-16-be", "replace")))
        elif kind in (13, 14, 27):
            values.append(("picture", f"an embedded picture ({len(value)} bytes)"))
        elif value.strip(b"\x00"):
            values.append(("number", str(int.from_bytes(value[:8], "big")) if len(value) <= 8 else value.hex()[:64]))
    return values


def uuid_findings(extended_type: bytes | None, body: bytes, where: str) -> list[Finding]:
    """A `uuid` box: XMP read as XMP; any other vendor box reported by its readable text or size."""
    if extended_type == XMP_UUID:
        return xmp_findings(body, f"{where} (XMP)") or [Finding(Category.OTHER, "XMP", "empty XMP", where)]
    return _opaque(f"uuid {(extended_type or b'').hex()}", body, where)

