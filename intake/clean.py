"""Inspect and clean one file, and prove the clean copy is clean.

    data ──sniff──▶ format module ──inspect──▶ findings
                          └──sanitize──▶ clean copy
    clean copy ──▶ same media type?  inspect again empty?  content unchanged?
               ──▶ no removed value left in any decompressed view?
    any "no" ──▶ Refused: nothing is written, nothing is copied through.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from intake.budget import configured_time_limit, run_within
from intake.formats import handler_for, supported_media_types
from intake.formats.shared import icc
from intake.formats.base import SEVERITY, Finding, FormatModule
from intake.errors import Refused
from intake.support.sniff import sniff_bytes

# Cleaning works in memory; bigger files are received and sealed, not cleaned.
MAX_CLEAN_BYTES = 256 << 20
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
class Cleaned:
    media_type: str
    findings: list[Finding]
    data: bytes

    def removed(self) -> dict[str, int]:
        """How many fields of each category were removed; never their values."""
        counts = Counter(f.category.value for f in self.findings)
        return {category.value: counts[category.value] for category in SEVERITY if counts[category.value]}


def worst_first(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: SEVERITY.index(f.category))


def _module(data: bytes) -> tuple[str, FormatModule]:
    media_type = sniff_bytes(data)
    module = handler_for(media_type)
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
    supported_media_types()  # imported before the fork: a child must not wait on an import lock
    try:
        return run_within(limit, inspect_bytes, data)
    except Refused as refusal:
        return Inspection(sniff_bytes(data), [], True, str(refusal))


def clean_within(data: bytes, seconds: float | None = None) -> Cleaned:
    """clean_bytes within the per-file time budget (intake/budget.py)."""
    limit = configured_time_limit() if seconds is None else seconds
    supported_media_types()
    return run_within(limit, clean_bytes, data)


def clean_bytes(data: bytes) -> Cleaned:
    media_type, module = _module(data)
    findings = worst_first(module.inspect(data))
    clean = module.sanitize(data)
    _verify(module, media_type, data, clean, findings)
    return Cleaned(media_type, findings, clean)


def _verify(module: FormatModule, media_type: str, original: bytes, clean: bytes, findings: list[Finding]) -> None:
    if sniff_bytes(clean) != media_type:
        raise Refused("cleaning changed the file's type; refused")
    leftover = module.inspect(clean)
    if leftover:
        kinds = ", ".join(sorted({f.category.value for f in leftover}))
        raise Refused(f"identifying metadata would remain ({kinds}); refused")
    if module.content(original) != module.content(clean):
        raise Refused("cleaning would change the content; refused")
    _scan_for_values(module, original, clean, findings)


def _scan_for_values(module: FormatModule, original: bytes, clean: bytes, findings: list[Finding]) -> None:
    """The raw scan: no removed value may be reachable in the clean copy, in any
    encoding, after full decompression, unless it is part of the content itself
    (a letter may well name its own author).

    Only values the original really spells out are sought (not our
    descriptions of them). A module may offer `residue`: its views minus the
    content, which is already proven identical, so scanning it is enough."""
    residue = getattr(module, "residue", module.views)
    reachable = [view.data for view in residue(original)]
    needles = {
        encoded
        for finding in findings if _scannable(finding.value)
        for encoded in _encodings(finding.value.strip())
        if any(encoded in data for data in reachable)
    }
    leaks = [(needle, view.where) for view in residue(clean) for needle in needles if needle in view.data]
    if not leaks:
        return
    content = b"\x00".join(module.content(original))
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
