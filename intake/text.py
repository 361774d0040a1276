"""Text, both ways: text from outside (file names, notes) escaped before it is shown or recorded,
and what both front ends (the command line and the app) print: summaries, grouped hex, table rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

if TYPE_CHECKING:
    from intake.ledger.entries import CustodyEntry


def printable(text: str) -> str:
    """Escape what a terminal would obey: control characters and escapes."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def recordable(text: str) -> str:
    """Names and arguments that are not UTF-8 are kept, their odd bytes escaped."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def removed_summary(removed: dict[str, int]) -> str:
    """`5 location, 1 person`, worst first (a ledger entry stores the counts in key order),
    or `nothing`; never the values."""
    from intake.formats.base import SEVERITY

    order = [category.value for category in SEVERITY]
    ranked = sorted(removed.items(), key=lambda pair: order.index(pair[0]) if pair[0] in order else len(order))
    return ", ".join(f"{count} {category}" for category, count in ranked) or "nothing"


def grouped_hex(hex_text: str) -> str:
    """A fingerprint in groups of four, as people read it: `b794 cff3 1533 ...`."""
    return " ".join(hex_text[i:i + 4] for i in range(0, len(hex_text), 4))


@dataclass(frozen=True)
class EntryRow:
    """One custody entry as a line of a table: what `ledger show` prints."""

    seq: int
    time: str
    action: str
    item: str
    sha256: str  # of the first output: the original, or the clean copy of a `sanitized` entry
    name: str    # an `exported` entry: how many clean copies went to which bundle, instead of a name
    note: str | None
    actor: str

    @classmethod
    def of(cls, entry: CustodyEntry) -> "EntryRow":
        from intake.ledger.entries import EXPORTED  # the ledger only when a row is shown: start-up stays light

        if entry.action == EXPORTED:  # what left: the clean copies (the hash of one); where to: the bundle
            bundle = entry.outputs[0] if entry.outputs else {}
            copies = len(entry.inputs)
            sha256 = str(entry.inputs[0].get("sha256", "")) if copies == 1 else ""
            what = "1 clean copy" if copies == 1 else f"{copies} clean copies"
            return cls(entry.seq, entry.time, entry.action, entry.item, sha256,
                       f"{what} to the bundle {str(bundle.get('tagmanifest_sha256', ''))[:16]}", entry.note, entry.actor)
        subject = entry.outputs[0] if entry.outputs else {}
        return cls(entry.seq, entry.time, entry.action, entry.item, str(subject.get("sha256", "")),
                   str(subject.get("name", "")), entry.note, entry.actor)
