"""exiftool as an outside judge of what a file still carries."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

AVAILABLE = shutil.which("exiftool") is not None

# Groups that exist only to carry metadata about the picture's origin.
IDENTIFYING_GROUPS = re.compile(r"^(XMP|IPTC|MakerNotes|GPS|Photoshop|FlashPix|MPF|Ducky|PNG-tEXt|PNG-zTXt|PNG-iTXt)", re.I)
IDENTIFYING_TAGS = re.compile(
    r"(GPS|Make$|Model$|Serial|Artist|Author|Creator$|Copyright|Owner|LastModifiedBy|By-line|HostComputer|"
    r"DateTimeOriginal|CreateDate|ModifyDate|DateTimeDigitized|Software|Comment$|UserComment|ImageDescription|"
    r"ThumbnailImage|PreviewImage|Company|Manager|Producer|CreatorTool|DocumentID|InstanceID|Title$|Subject$)",
    re.I,
)
# The fixed time intake gives every zip member: the earliest a zip can say.
NEUTRAL_ZIP_TIME = "1980:01:01 00:00:00"
# How exiftool shows a QuickTime header time of zero: "not set", the value intake writes.
UNSET_TIME = "0000:00:00 00:00:00"

# Tags exiftool reports about the file itself or its structure, not its metadata;
# and the ICC groups: a kept standard colour profile names its maker (the ICC),
# not a person or device, and each format module decides which profiles stay.
STRUCTURAL_GROUPS = re.compile(r"^(ExifTool|System|File|Composite|ICC.*)$")
# A yes/no bit in every MPEG audio frame header, part of the frames kept byte for byte: it names no one.
STRUCTURAL_TAGS = frozenset({"MPEG:CopyrightFlag"})


def tags(path: Path) -> dict[str, object]:
    # -G1:4 numbers repeated tags (Copy1, Copy2...) instead of folding them into one.
    result = subprocess.run(["exiftool", "-j", "-a", "-G1:4", "-ee", "-b", "--FileName", str(path)],
                            capture_output=True, text=True, timeout=120)
    document = json.loads(result.stdout or "[{}]")[0]
    return {key: value for key, value in document.items() if key != "SourceFile"}


def identifying(path: Path) -> dict[str, object]:
    """The tags exiftool still finds that could identify a person, device, place or time."""
    found = {}
    for key, value in tags(path).items():
        group, name = key.split(":", 1)[0], key.rpartition(":")[2]
        if STRUCTURAL_GROUPS.match(group) or key in STRUCTURAL_TAGS:
            continue
        if (name == "ZipModifyDate" and value == NEUTRAL_ZIP_TIME) or value == UNSET_TIME:
            continue
        if IDENTIFYING_GROUPS.match(group) or IDENTIFYING_TAGS.search(name):
            found[key] = value
    return found
