"""What both front ends (the command line and the app) print: shared wording and table rows."""

from __future__ import annotations

from dataclasses import dataclass

from intake.ledger.entries import CustodyEntry


@dataclass(frozen=True)
class EntryRow:
    """One custody entry as a line of a table: what `ledger show` prints."""

    seq: int
    time: str
    action: str
    item: str
    sha256: str  # of the first output: the original, or the clean copy of a `sanitized` entry
    name: str    # an `exported` entry: the clean copy's hash, and the bundle instead of a name
    note: str | None
    actor: str

    @classmethod
    def of(cls, entry: CustodyEntry) -> "EntryRow":
        if entry.action == "exported":  # what left: the clean copy; where to: the bundle
            copy, bundle = entry.inputs[0] if entry.inputs else {}, entry.outputs[0] if entry.outputs else {}
            return cls(entry.seq, entry.time, entry.action, entry.item, str(copy.get("sha256", "")),
                       f"to the bundle {str(bundle.get('tagmanifest_sha256', ''))[:16]}", entry.note, entry.actor)
        subject = entry.outputs[0] if entry.outputs else {}
        return cls(entry.seq, entry.time, entry.action, entry.item, str(subject.get("sha256", "")),
                   str(subject.get("name", "")), entry.note, entry.actor)
