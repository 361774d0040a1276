"""ICC colour profiles, for every format that carries them (JPEG, PNG, GIF, WebP, TIFF).

A profile says how to turn the pixel numbers into colours. Its text tags and
header can also name a person or a device (a calibrated monitor, a scanner,
the moment some software built it), and its numbers can fingerprint one
device. A published standard profile (sRGB, Display P3, Adobe RGB...) is the
same in millions of files and names only its publisher.

This module owns what the formats share:

- `parse`: the header and the tag table, strictly bounded: every offset and
  length is checked against the profile's declared size, which must fit in
  the data. Anything else raises `BadProfile` (a `Refused`, so that a caller
  who forgets it refuses the file). `parse` and `rebuild` raise nothing
  else; every other function here raises nothing at all.
- `STANDARD_DESCRIPTIONS` and `is_standard`: whether a profile is a published
  standard colour-only profile, the one rule every format keeps profiles by.
- `neutralised` and `rebuild`: the profile as kept, with every header field
  that says nothing about colour zeroed (creation date, profile ID, colour
  engine, platform, device maker and model, creator, reserved bytes);
  `rebuild` also writes a fresh description and keeps only the colour tags.
- `review`, `dropped_findings`, `unreadable`: the findings, with categories.

Which profiles a format keeps is its own policy: PNG, WebP and TIFF keep a
standard profile (`review`); JPEG and GIF drop every profile
(`dropped_findings`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from intake.formats.base import Category, Finding, nonzero_outside, shorten
from intake.errors import BadProfile

HEADER_SIZE = 128
# Real profiles have a few dozen tags. Standard ones are a few kilobytes; printer
# profiles with large tables, several hundred.
MAX_TAGS = 256
MAX_STANDARD_BYTES = 1 << 20


# --- the standard profiles ---------------------------------------------------------------------
#
# Matched on the description, ASCII only, case and runs of white space ignored
# (see `normalise`). sRGB ones are listed apart: a picture without a profile is
# shown as sRGB, so dropping them changes nothing on screen.

SRGB_DESCRIPTIONS = frozenset({
    "srgb", "srgb iec61966-2.1", "srgb iec61966-2-1", "srgb iec61966-2-1 black scaled",
    "srgb iec61966-2-1 no black scaling", "srgb built-in", "srgb2014", "srgb v4 icc preference perceptual intent beta",
    "gimp built-in srgb",
    "c2",  # Facebook's compact sRGB
})
STANDARD_DESCRIPTIONS = SRGB_DESCRIPTIONS | frozenset({
    # wide-gamut and other RGB spaces
    "display p3", "dci-p3", "dci-p3 d65", "dci(p3) rgb", "p3 d65", "adobe rgb (1998)", "prophoto rgb", "romm-rgb",
    "apple rgb", "colormatch rgb", "generic rgb profile", "ecirgb v2", "linear srgb",
    # video
    "rec. 2020", "rec.2020", "itu-r bt.2020", "rec. itu-r bt.2020-1", "rec. 709", "rec. itu-r bt.709-5", "itu-r bt.709",
    # grey
    "generic gray profile", "generic gray gamma 2.2 profile", "gray gamma 2.2", "dot gain 20%",
    # print
    "u.s. web coated (swop) v2", "coated fogra39 (iso 12647-2:2004)", "japan color 2001 coated",
})
# The device and viewing-condition texts of published profiles (IEC's sRGB): any other
# text in those tags describes someone's device.
STANDARD_DEVICE_TEXTS = frozenset({
    "IEC http://www.iec.ch", "IEC 61966-2.1 Default RGB colour space - sRGB",
    "Reference Viewing Condition in IEC61966-2.1",
})
_DEVICE_TEXT_TAGS = frozenset({b"dmnd", b"dmdd", b"vued"})

# Tags that only hold numbers describing colour, and the number types they may use.
COLOUR_TAGS = frozenset({
    b"wtpt", b"bkpt", b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC", b"kTRC", b"chad", b"chrm", b"lumi",
    b"meas", b"tech", b"view", b"A2B0", b"A2B1", b"A2B2", b"B2A0", b"B2A1", b"B2A2", b"gamt", b"pre0", b"pre1",
    b"pre2", b"cicp", b"rig0",
})
NUMBER_TYPES = frozenset({
    b"XYZ ", b"curv", b"para", b"sf32", b"mft1", b"mft2", b"mAB ", b"mBA ", b"view", b"meas", b"sig ", b"chrm",
    b"cicp",
})
TEXT_TYPES = frozenset({b"text", b"desc", b"mluc"})

# Header fields that say nothing about colour: (start, end, category, field); None = not reported.
HEADER_FIELDS: tuple[tuple[int, int, Category | None, str], ...] = (
    (4, 8, Category.SOFTWARE, "ICC preferred colour engine"),
    (24, 36, Category.TIME, "ICC profile creation date"),
    (40, 44, Category.SOFTWARE, "ICC platform"),
    (48, 52, Category.DEVICE, "ICC device manufacturer"),
    (52, 56, Category.DEVICE, "ICC device model"),
    (56, 64, Category.DEVICE, "ICC device attributes"),
    (80, 84, Category.SOFTWARE, "ICC profile creator"),
    (84, 100, None, "ICC profile ID"),  # a checksum of the rest
    (100, 128, Category.HIDDEN, "ICC reserved header bytes"),
)
TEXT_FIELDS = {
    b"desc": (Category.DEVICE, "ICC profile description"),
    b"cprt": (Category.PERSON, "ICC profile copyright"),
    b"dmnd": (Category.DEVICE, "ICC device manufacturer text"),
    b"dmdd": (Category.DEVICE, "ICC device model text"),
}


# --- parsing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tag:
    signature: bytes
    offset: int
    size: int
    type: bytes  # the first four bytes of its data


@dataclass(frozen=True)
class Profile:
    data: bytes      # the profile, up to its declared size
    trailing: bytes  # whatever followed the declared size
    tags: tuple[Tag, ...]

    @property
    def version(self) -> int:
        return self.data[8]

    def body(self, tag: Tag) -> bytes:
        return self.data[tag.offset:tag.offset + tag.size]

    def texts(self, tag: Tag) -> list[str]:
        """The strings of a text tag (every part, every language), without repeats or empty ones."""
        data = self.body(tag)
        if tag.type == b"text":
            texts = [_c_string(data[8:], "latin-1")]
        elif tag.type == b"desc":
            texts = _desc_texts(data)
        elif tag.type == b"mluc":
            texts = _mluc_texts(data)
        else:
            return []
        return [text for text in dict.fromkeys(texts) if text]

    def unreferenced(self) -> int:
        """How many non-zero bytes after the tag table no tag covers (a place to hide data)."""
        covered = [(tag.offset, tag.offset + tag.size) for tag in self.tags]
        return nonzero_outside(self.data, covered, HEADER_SIZE + 4 + 12 * len(self.tags))

    @property
    def description(self) -> str:
        """The first text of the description tag; empty when there is none."""
        texts = next((self.texts(tag) for tag in self.tags if tag.signature == b"desc"), [])
        return texts[0] if texts else ""


def parse(data: bytes) -> Profile:
    """The header and tag table; BadProfile unless every tag lies inside the declared size."""
    if len(data) < HEADER_SIZE + 4 or data[36:40] != b"acsp":
        raise BadProfile("not an ICC profile")
    size = int.from_bytes(data[:4], "big")
    count = int.from_bytes(data[128:132], "big")
    if size > len(data):
        raise BadProfile("the ICC profile is shorter than its declared size")
    if count > MAX_TAGS:
        raise BadProfile(f"the ICC profile has more than {MAX_TAGS} tags")
    table_end = HEADER_SIZE + 4 + 12 * count
    if table_end > size:
        raise BadProfile("the ICC tag table runs past the profile")
    tags = []
    for start in range(HEADER_SIZE + 4, table_end, 12):
        signature, offset, length = struct.unpack(">4sII", data[start:start + 12])
        if offset < table_end or length < 8 or offset + length > size:
            raise BadProfile("an ICC tag lies outside the profile")
        tags.append(Tag(signature, offset, length, data[offset:offset + 4]))
    return Profile(data[:size], data[size:], tuple(tags))


def _desc_texts(data: bytes) -> list[str]:
    """ICC v2 textDescription: ASCII, then Unicode, then a Macintosh ScriptCode string."""
    length = int.from_bytes(data[8:12], "big")
    texts = [_c_string(data[12:12 + length], "latin-1")]
    unicode_at = 12 + length
    if unicode_at + 8 <= len(data):
        characters = int.from_bytes(data[unicode_at + 4:unicode_at + 8], "big")
        texts.append(_c_string(data[unicode_at + 8:unicode_at + 8 + 2 * characters], "utf-16-be"))
        script_at = unicode_at + 8 + 2 * characters
        if script_at + 3 <= len(data):
            texts.append(_c_string(data[script_at + 3:script_at + 3 + data[script_at + 2]], "latin-1"))
    return texts


def _mluc_texts(data: bytes) -> list[str]:
    """ICC v4 multiLocalizedUnicode: records of (language, country, length, offset)."""
    count, record = int.from_bytes(data[8:12], "big"), int.from_bytes(data[12:16], "big")
    if record < 12:
        return []
    texts = []
    for start in range(16, min(16 + count * record, len(data) - 11), record):
        length, offset = struct.unpack(">II", data[start + 4:start + 12])
        texts.append(_c_string(data[offset:offset + length], "utf-16-be"))
    return texts


def _c_string(raw: bytes, encoding: str) -> str:
    return raw.decode(encoding, "replace").split("\0", 1)[0].strip()


def description(data: bytes) -> str:
    """A profile's description; empty when it has none or is not a well-formed profile."""
    try:
        return parse(data).description
    except BadProfile:
        return ""


# --- the decision ------------------------------------------------------------------------------

def normalise(text: str) -> str | None:
    """How descriptions are compared: lower case, white space folded; None (matching nothing)
    for text that is not ASCII, whose look-alike letters would otherwise pass."""
    return " ".join(text.split()).lower() if text.isascii() else None


def is_standard(data: bytes) -> bool:
    """A published standard colour-only profile: a listed description (in every text of the
    tag), numbers-only colour tags, a copyright, the publisher's own device texts, nothing else:
    no bytes between or after the tags but zero padding."""
    try:
        profile = parse(data)
    except BadProfile:
        return False
    return _standard(profile)


def _standard(profile: Profile) -> bool:
    if len(profile.data) > MAX_STANDARD_BYTES or len(profile.trailing) > 3 or any(profile.trailing):
        return False  # writers may pad a profile to a multiple of 4 bytes, with zeros
    if profile.unreferenced():
        return False
    signatures = [tag.signature for tag in profile.tags]
    if len(set(signatures)) != len(signatures) or b"desc" not in signatures:
        return False
    return all(_standard_tag(profile, tag) for tag in profile.tags)


def _standard_tag(profile: Profile, tag: Tag) -> bool:
    if tag.signature in COLOUR_TAGS:
        return tag.type in NUMBER_TYPES
    if tag.type not in TEXT_TYPES:
        return False
    texts = profile.texts(tag)
    if tag.signature == b"desc":
        return bool(texts) and all(normalise(text) in STANDARD_DESCRIPTIONS for text in texts)
    if tag.signature in _DEVICE_TEXT_TAGS:
        return all(text in STANDARD_DEVICE_TEXTS for text in texts)
    return tag.signature == b"cprt"


# --- what is kept ------------------------------------------------------------------------------

def neutralised(data: bytes) -> bytes:
    """The profile with every header field that is not about colour zeroed; tags unchanged.

    The profile ID goes too: it is a checksum over the changed fields, and zero means
    "not computed"."""
    header = bytearray(data[:HEADER_SIZE])
    for start, end, _, _ in HEADER_FIELDS:
        header[start:end] = bytes(end - start)
    return bytes(header) + data[HEADER_SIZE:]


def review(data: bytes, where: str) -> tuple[bytes | None, list[Finding]]:
    """The keep-a-standard-profile policy: (the neutralised profile, findings for the header
    fields that zeroing removes), or (None, findings for the whole profile) when it is not standard."""
    try:
        profile = parse(data)
    except BadProfile:
        return None, [unreadable(len(data), where)]
    if not _standard(profile):
        return None, _findings(profile, where, "dropped")
    return neutralised(data), _findings(profile, where, "neutralised")


def rebuild(data: bytes, where: str) -> tuple[bytes, list[Finding]]:
    """(A new profile: neutral header, a fresh description and the colour tags only; findings for
    everything else). For any well-formed profile, standard or not; BadProfile otherwise."""
    profile = parse(data)
    text = profile.description
    if not text.isascii():
        raise BadProfile("the ICC profile's description is not ASCII")
    entries = [(b"desc", (-1, 0), _description_tag(text, profile.version))]
    entries += [(t.signature, (t.offset, t.size), profile.body(t)) for t in profile.tags if _colour(t)]
    table_end = HEADER_SIZE + 4 + 12 * len(entries)
    body, placed, table = bytearray(), {}, bytearray(len(entries).to_bytes(4, "big"))
    for signature, source, tag_data in entries:
        if source not in placed:  # tags that shared their data keep sharing it
            body += bytes(-len(body) % 4)
            placed[source] = table_end + len(body)
            body += tag_data
        table += struct.pack(">4sII", signature, placed[source], len(tag_data))
    body += bytes(-len(body) % 4)
    header = bytearray(neutralised(profile.data[:HEADER_SIZE]))
    header[0:4] = (HEADER_SIZE + len(table) + len(body)).to_bytes(4, "big")
    return bytes(header + table + body), _findings(profile, where, "rebuilt")


def _colour(tag: Tag) -> bool:
    return tag.signature in COLOUR_TAGS and tag.type in NUMBER_TYPES


def _description_tag(text: str, major_version: int) -> bytes:
    if major_version >= 4:
        encoded = text.encode("utf-16-be")
        return b"mluc" + struct.pack(">IIIIII", 0, 1, 12, 0x656E5553, len(encoded), 28) + encoded
    encoded = text.encode("ascii") + b"\0"
    return b"desc" + struct.pack(">II", 0, len(encoded)) + encoded + bytes(4 + 4 + 2 + 1 + 67)


# --- findings ----------------------------------------------------------------------------------

def unreadable(size: int, where: str) -> Finding:
    return Finding(Category.HIDDEN, "ICC colour profile", f"unreadable profile, {size} bytes", where)


def dropped_findings(data: bytes, where: str) -> list[Finding]:
    """Everything in a profile that is removed whole."""
    try:
        return _findings(parse(data), where, "dropped")
    except BadProfile:
        return [unreadable(len(data), where)]


def _findings(profile: Profile, where: str, kept: str) -> list[Finding]:
    """What goes: `kept` is "dropped" (all of it), "neutralised" (header fields) or "rebuilt"
    (header fields, texts but a fresh description, tags that are not colour)."""
    # A published profile's texts and header are its publisher's: not about anyone (but a date may be "now").
    standard = _standard(profile)
    findings = _header_findings(profile.data, standard, where)
    if kept == "neutralised":
        return findings
    description_text = profile.description
    if kept == "dropped":
        category = Category.OTHER if standard else Category.DEVICE
        findings.append(Finding(category, "ICC colour profile", shorten(description_text) or "no description", where))
    for tag in profile.tags:
        texts = [t for t in profile.texts(tag) if t != description_text]
        category, field = TEXT_FIELDS.get(tag.signature, (Category.OTHER, f"ICC {four_cc(tag.signature)} text"))
        category = Category.OTHER if standard else category
        findings += [Finding(category, field, shorten(text), where) for text in texts]
        if kept == "rebuilt" and not texts and tag.signature != b"desc" and not _colour(tag):
            findings.append(Finding(Category.OTHER, "ICC tag", four_cc(tag.signature), where))
    hidden = profile.unreferenced()
    if hidden:
        findings.append(Finding(Category.HIDDEN, "data between the ICC profile's tags", f"{hidden} non-zero bytes",
                                where))
    if any(profile.trailing):
        findings.append(Finding(Category.HIDDEN, "bytes after the ICC profile", f"{len(profile.trailing)} bytes",
                                where))
    return findings


def _header_findings(data: bytes, standard: bool, where: str) -> list[Finding]:
    findings = []
    for start, end, category, field in HEADER_FIELDS:
        raw = data[start:end]
        if category is not None and any(raw):
            if standard and category not in (Category.TIME, Category.HIDDEN):
                category = Category.OTHER
            findings.append(Finding(category, field, _header_value(start, raw), where))
    return findings


def _header_value(start: int, raw: bytes) -> str:
    if start == 24:
        year, month, day, hour, minute, second = struct.unpack(">6H", raw)
        return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
    if len(raw) == 4:
        return four_cc(raw)
    return raw.hex()


def four_cc(raw: bytes) -> str:
    text = raw.decode("latin-1")
    return text.strip() if text.isascii() and text.isprintable() else raw.hex()
