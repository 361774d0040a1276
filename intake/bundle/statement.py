"""Provenance statements: what a public bundle says about one clean copy.

A statement is canonical JSON, signed by the custodian (Ed25519 over the exact
file bytes, so `openssl pkeyutl -verify -rawin` checks it). It names the clean
copy's hashes, a salted commitment to the original's hash, the actions taken,
and the custody trail as disclosures: each entry shows only what is safe to
publish (ids, action, day, the clean copy's hashes, counts of what was
removed), and hides the rest behind salted digests. docs/bundles.md gives
every key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intake.support.canonical import canonical_json, canonical_json_with
from intake.ledger.entries import CLEAN_COPY, CustodyEntry
from intake.custody import CleanItem, OpenedEntry
from intake.ledger.commitment import Path
from intake.ledger.disclosure import ORIGINAL_HASH, EncodedDisclosure, disclose

STATEMENT_TYPE = "intake-provenance/v1"
PROVENANCE = "provenance"
CHECKPOINT_FILE = f"{PROVENANCE}/checkpoint.txt"
CONTENTS_FILE = f"{PROVENANCE}/contents.sha256"  # the signed list of every file (bagit.SignedList)
IDENTITY_FILE = f"{PROVENANCE}/custodian.pub"
PEM_FILE = f"{PROVENANCE}/custodian.pem"
OPENPGP_KEY_FILE = f"{PROVENANCE}/custodian.asc"
TIME_PRECISIONS = ("day", "second")

_ALWAYS_SHOWN = {("v",), ("id",), ("action",), ("item",), ("actor",), ("day",), ("inputs",), ("outputs",),
                 ("parents",)}
_SHOWN_OF_ANY_OBJECT = {"role", "item", "media_type"}
_SHOWN_OF_CLEAN_COPY = {"sha256", "sha512", "size", "removed"}


@dataclass(frozen=True)
class DisclosureOptions:
    with_notes: bool = False
    time_precision: str = "day"


def public_fields(entry: CustodyEntry, options: DisclosureOptions) -> Callable[[Path], bool]:
    """Which fields of an entry a public bundle shows; everything else stays a digest.

    Hidden always: file names, blob names, the original's hashes and size,
    the sender of a transfer, the tool version, the tree root before, and the
    sequence number (the tlog-proof's index already places the entry; nothing
    more about intake order is published than the proofs need).
    """
    def show(path: Path) -> bool:
        if path in _ALWAYS_SHOWN or path[0] == "parents":
            return True
        if path == ("time",):
            return options.time_precision == "second"
        if path == ("note",):
            return options.with_notes
        if path[0] in ("inputs", "outputs") and len(path) >= 3:
            record = (entry.inputs if path[0] == "inputs" else entry.outputs)[int(path[1])]
            if path[2] in _SHOWN_OF_ANY_OBJECT:
                return True
            return path[0] == "outputs" and record.get("role") == CLEAN_COPY and path[2] in _SHOWN_OF_CLEAN_COPY
        return False
    return show


def proof_file(entry_id: str) -> str:
    return f"{PROVENANCE}/proofs/{entry_id}.tlog-proof"


def statement_file(item: str) -> str:
    return f"{PROVENANCE}/{item}.json"


def build_statement(
    clean: CleanItem, data_file: str, origin: str, fingerprint: str, options: DisclosureOptions
) -> bytes:
    """Canonical JSON of the statement. Its disclosures are spliced in already encoded
    (EncodedDisclosure): made by the audit's workers when export asked for them, else here."""
    disclosures = [(step.entry, _disclosure(step, options)) for step in clean.trail]
    output = clean.output
    statement = {
        "type": STATEMENT_TYPE,
        "item": clean.item,
        "file": data_file,
        "media_type": output["media_type"],
        "size": output["size"],
        "sha256": output["sha256"],
        "sha512": output["sha512"],
        "removed": output.get("removed", {}),
        "original": {"item": clean.original_item, **_original_commitment(clean, disclosures)},
        "actions": [entry.action for entry, _ in disclosures],
        "log": {"origin": origin, "checkpoint": CHECKPOINT_FILE},
        "custodian": {"fingerprint": fingerprint, "identity": IDENTITY_FILE},
        "disclosed": {"time": options.time_precision, "notes": options.with_notes},
    }
    custody = b",".join(
        canonical_json_with({"entry": entry.id, "proof": proof_file(entry.id)}, "disclosure", disclosure.json)
        for entry, disclosure in disclosures
    )
    return canonical_json_with(statement, "custody", b"[" + custody + b"]")


def _disclosure(step: OpenedEntry, options: DisclosureOptions) -> EncodedDisclosure:
    """As the audit made it when export asked it for these options (Custody.open's `disclose`),
    else made here."""
    if step.disclosure is not None:
        return step.disclosure
    return EncodedDisclosure.of(disclose(step.signed, step.sealed_sha256, public_fields(step.entry, options)).to_dict())


def _original_commitment(clean: CleanItem, disclosures: list[tuple[CustodyEntry, EncodedDisclosure]]) -> dict[str, Any]:
    """Where the salted digest of the original's SHA-256 is: revealing its salt later proves the original."""
    for entry, disclosure in disclosures:
        if entry.item == clean.original_item and not entry.parents and disclosure.original_sha256 is not None:
            return {"entry": entry.id, "path": list(ORIGINAL_HASH), "sha256_commitment": disclosure.original_sha256}
    return {}


_STATEMENT_SHAPE = {"item": str, "file": str, "custody": list, "original": dict, "custodian": dict, "log": dict}


def parse_statement(data: bytes) -> dict[str, Any]:
    """The statement, its keys of the expected kinds (a hostile one must fail a check, not crash it)."""
    document = json.loads(data)
    if not isinstance(document, dict) or document.get("type") != STATEMENT_TYPE:
        raise ValueError("not an intake provenance statement")
    if any(not isinstance(document.get(key), kind) for key, kind in _STATEMENT_SHAPE.items()) \
            or not all(isinstance(step, dict) for step in document["custody"]):
        raise ValueError("a provenance statement with missing or malformed keys")
    return document
