"""Offline verification of a public bundle: no vault, no network, no trust in the bundle.

Every check is reported, passed or failed, with the file it concerns. The
bundle holds its own custodian key, which proves nothing about who signed: an
impostor can re-sign everything with a key of their own. `trust` pins the
signer from outside the bundle; without a pin the report fails, last and
plainly, unless the caller accepts an unpinned signer (and the report says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from intake.bundle.bagit import BagSource, validate_bag
from intake.bundle.statement import (
    CHECKPOINT_FILE, IDENTITY_FILE, OPENPGP_KEY_FILE, ORIGINAL_HASH, PROVENANCE, parse_statement, proof_file,
    statement_file,
)
from intake.bundle.consistency import check_since, consistency_file
from intake.ledger.entries import CLEAN_COPY, ORIGINAL
from intake.bundle.fileset import file_set_checks, signature_check
from intake.errors import Check, CheckpointError, DisclosureError, IdentityError, IntakeError, NoteError, ProofError
from intake.support.hashing import Digests, DigestingWriter
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.disclosure import Disclosure
from intake.ledger.note import Verifier, open_note, signature_lines
from intake.ledger.proof import TlogProof
from intake.text import grouped_hex
from intake.witness.policy import WitnessPolicy
from intake.timestamp.stamps import TimestampResult, check_bundle_timestamps
from intake.keys.identity import PublicIdentity
from intake.keys.pinning import Pin
from intake.support.progress import Progress

_SMALL = 1 << 20
_STATEMENT_LIMIT = 64 << 20


@dataclass(frozen=True)
class TimelineEvent:
    day: str
    action: str
    actor: str
    of: str  # what the step concerned: "original", or this "clean copy"
    note: str | None = None  # the custodian's note, where it is disclosed (a submission, sealed to the editor)


def event_subject(step_item: object, item: str) -> str:
    return CLEAN_COPY if step_item == item else ORIGINAL


@dataclass(frozen=True)
class ItemTimeline:
    item: str
    file: str
    events: tuple[TimelineEvent, ...]


@dataclass
class VerifyReport:
    checks: list[Check] = field(default_factory=list)
    items: list[ItemTimeline] = field(default_factory=list)
    custodian: PublicIdentity | None = None
    signer: Check | None = None  # whether the signer is pinned from outside; reported last
    pinned: bool = False
    timestamps: list[TimestampResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        signer_ok = self.signer is None or self.signer.ok
        return bool(self.checks) and all(check.ok for check in self.checks) and signer_ok

    @property
    def only_unpinned(self) -> bool:
        """Every check holds and only the pin is missing: what a reader resolves by comparing words."""
        return self.signer is not None and not self.signer.ok and all(check.ok for check in self.checks)

    def passed(self, what: str) -> None:
        self.checks.append(Check(True, what))

    def failed(self, what: str, reason: str) -> None:
        self.checks.append(Check(False, what, reason))


class _Stop(Exception):
    """A check failed that later checks depend on."""


def verify_bundle(
    path: Path, trust: Pin | PublicIdentity | None = None, progress: Progress | None = None,
    allow_unpinned: bool = False, since: str | None = None, witnesses: WitnessPolicy | None = None,
    tsa_roots: Sequence[x509.Certificate] | None = None,
) -> VerifyReport:
    """Every check of the bundle. Without `trust` the report fails unless `allow_unpinned`;
    `since` is an older checkpoint note of the same ledger, which this one must extend;
    `witnesses` is the verifier's policy of whose cosignatures the checkpoint needs;
    `tsa_roots` are the TSA CA certificates the reader got from the TSAs: every time stamp must
    chain to one (without them, time stamps are checked against the bundle and reported unpinned)."""
    pin = Pin.of(trust) if isinstance(trust, PublicIdentity) else trust
    report = VerifyReport()
    with BagSource.open(path) as bag:
        report.checks += validate_bag(bag)
        try:
            custodian = _custodian(bag, pin, report)
            verifier, checkpoint = _checkpoint(bag, custodian, report)
        except _Stop:
            return report
        report.checks.append(witness_check(checkpoint, verifier, witnesses))
        report.checks += file_set_checks(bag, custodian, checked_elsewhere=_is_statement)
        if since is not None:
            _since(bag, since, verifier, checkpoint, report)
        statements = sorted(p for p in bag.files() if _is_statement(p))
        if not statements:
            report.failed("provenance statements", "the bundle holds no provenance statement")
        described: set[str] = set()
        for index, name in enumerate(statements):
            _statement(bag, name, custodian, verifier, checkpoint, report, described)
            if progress:
                progress(index + 1, len(statements))
        for orphan in sorted(p for p in bag.files() if p.startswith("data/") and p not in described):
            report.failed(orphan, "no provenance statement describes this file")
        _openpgp(bag, report)
        _timestamps(bag, tsa_roots, report)
    report.signer, report.pinned = signer_pin_check(custodian, pin, allow_unpinned), pin is not None
    return report


def _timestamps(bag: BagSource, roots: Sequence[x509.Certificate] | None, report: VerifyReport) -> None:
    report.timestamps = check_bundle_timestamps(bag, roots)
    report.checks += [result.check() for result in report.timestamps]


def signer_pin_check(signer: PublicIdentity, pin: Pin | None, allow_unpinned: bool) -> Check:
    """The last word of a report: is the key that signed the one the reader expects?"""
    if pin is not None:
        return Check(True, f"the signer is pinned: the {pin.source} you gave matches {signer.name}'s key")
    compare = (f"compare its fingerprint with the one the desk published OUTSIDE this bundle: "
               f"words {signer.words}; hex {grouped_hex(signer.fingerprint_hex)}")
    if allow_unpinned:
        return Check(True, f"the signer is NOT pinned (accepted with --allow-unpinned): this shows only that "
                           f"the key named {signer.name!r} signed; anyone can make a key with that name; {compare}")
    return Check(False, "the signer is pinned",
                 f"the signer is NOT pinned: anyone can re-sign a bundle with a key of their own under the name "
                 f"{signer.name!r}; {compare}; then run again with --trust WORDS|FINGERPRINT|KEYFILE")


def witness_check(note: str, custodian: Verifier, policy: WitnessPolicy | None) -> Check:
    """Did enough of the verifier's witnesses cosign this checkpoint? Without a policy, only a count:
    a bundle can carry cosignatures from keys its custodian made up."""
    what = f"the checkpoint is cosigned by witnesses ({CHECKPOINT_FILE})"
    if policy is None:
        _, lines = signature_lines(note)
        others = sum((line.name, line.key_id) != (custodian.name, custodian.key_id) for line in lines)
        return Check(True, f"{what}: {others} cosignature line(s) present, NOT checked (give --witnesses FILE)")
    result = policy.check(note)
    counted = f"{len(result.cosigned)} of {len(policy.witnesses)}, quorum {policy.quorum}"
    if not result.ok:
        return Check(False, what, f"only {counted}: no valid cosignature from {', '.join(result.missing)}; "
                                  "the witnesses did not see this checkpoint, or refused it (a fork or a rollback)")
    return Check(True, f"{what}: {counted} ({', '.join(result.cosigned)})")


def _is_statement(path: str) -> bool:
    parent, _, name = path.rpartition("/")
    return parent == PROVENANCE and name.startswith("itm_") and name.endswith(".json")


def _custodian(bag: BagSource, pin: Pin | None, report: VerifyReport) -> PublicIdentity:
    what = f"the custodian's identity ({IDENTITY_FILE})"
    try:
        custodian = PublicIdentity.from_text(_read_text(bag, IDENTITY_FILE))
    except (IdentityError, _Unreadable) as error:
        report.failed(what, str(error))
        raise _Stop from error
    report.custodian = custodian
    report.passed(f"{what} is self-signed: {custodian.name}, words: {custodian.words}")
    if pin is not None and not pin.matches(custodian):
        report.failed("the custodian is the pinned signer",
                      f"the bundle is signed by the key with words {custodian.words}, not by the one you gave "
                      f"({pin.source}): it is not the custodian's bundle, or was re-signed by someone else")
        raise _Stop
    return custodian


def _checkpoint(bag: BagSource, custodian: PublicIdentity, report: VerifyReport) -> tuple[Verifier, str]:
    what = f"the ledger checkpoint ({CHECKPOINT_FILE}) is signed by the custodian"
    try:
        note = _read_text(bag, CHECKPOINT_FILE)
        origin = note.split("\n", 1)[0]
        verifier = Verifier(origin, custodian.signing_key)
        checkpoint = Checkpoint.from_text(open_note(note, [verifier]))
    except (_Unreadable, NoteError, CheckpointError, ValueError) as error:
        report.failed(what, f"{error}")
        raise _Stop from error
    report.passed(f"{what} (ledger {checkpoint.origin}, {checkpoint.size} entries)")
    return verifier, note


def _since(bag: BagSource, old_note: str, verifier: Verifier, note: str, report: VerifyReport) -> None:
    def proof_from(old_size: int) -> str | None:
        try:
            return _read_text(bag, consistency_file(old_size))
        except _Unreadable:
            return None

    new = Checkpoint.from_text(open_note(note, [verifier]))
    result = check_since(old_note, new, verifier, proof_from)
    report.checks.append(Check(result.ok, result.what, result.reason))


def _signature(bag: BagSource, name: str, custodian: PublicIdentity, report: VerifyReport) -> bool:
    check = signature_check(bag, name, custodian)
    report.checks.append(check)
    return check.ok


def _statement(
    bag: BagSource, name: str, custodian: PublicIdentity, verifier: Verifier, checkpoint: str,
    report: VerifyReport, described: set[str],
) -> None:
    if not _signature(bag, name, custodian, report):
        return
    try:
        statement = parse_statement(bag.read(name, _STATEMENT_LIMIT))
        item, data_file = str(statement["item"]), str(statement["file"])
        steps = statement["custody"]
    except (ValueError, KeyError, TypeError):
        report.failed(name, "it is not a valid provenance statement")
        return
    if name != statement_file(item) or statement.get("custodian", {}).get("fingerprint") != custodian.fingerprint_hex:
        report.failed(name, "it names another item or custodian than its place in the bundle")
        return
    described.add(data_file)
    _file_matches(bag, statement, report)
    disclosures = [_step(bag, item, i, step, custodian, verifier, checkpoint, report) for i, step in enumerate(steps)]
    if all(d is not None for d in disclosures):
        _trail(statement, [d for d in disclosures if d is not None], report)
        report.items.append(ItemTimeline(item, data_file, tuple(
            TimelineEvent(str(d.value("day")), str(d.value("action")), str(d.value("actor")),
                          event_subject(d.value("item"), item)) for d in disclosures if d
        )))


def _file_matches(bag: BagSource, statement: dict[str, Any], report: VerifyReport) -> None:
    data_file = str(statement["file"])
    what = f"{data_file} matches its statement (SHA-256, SHA-512, size)"
    if not data_file.startswith("data/") or data_file not in bag.files():
        report.failed(what, f"{data_file} is missing from the bundle")
        return
    sink = DigestingWriter()
    with bag.stream(data_file) as stream:
        while chunk := stream.read(1 << 20):
            sink.write(chunk)
    try:
        expected = Digests.from_dict(statement)
    except (KeyError, TypeError, ValueError):
        report.failed(what, "the statement has no valid hashes")
        return
    if sink.digests() != expected:
        report.failed(what, f"{data_file} differs from the file the custodian signed for: it was swapped or altered")
        return
    report.passed(what)


def _step(
    bag: BagSource, item: str, index: int, step: Any, custodian: PublicIdentity, verifier: Verifier,
    checkpoint: str, report: VerifyReport,
) -> Disclosure | None:
    what = f"{item}: custody step {index + 1}"
    try:
        entry_id = str(step["entry"])
        disclosure = Disclosure.from_dict(step["disclosure"])
    except (KeyError, TypeError, DisclosureError) as error:
        report.failed(what, f"its disclosure is malformed ({error})")
        return None
    what = f"{item}: custody step {index + 1} ({disclosure.value('action')}, {disclosure.value('day')}, {entry_id})"
    if disclosure.value("id") != entry_id or disclosure.value("actor") != custodian.fingerprint_hex:
        report.failed(what, "the entry names another id or custodian")
        return None
    if not disclosure.verify(custodian):
        report.failed(what, "the custodian's signature over the entry does not verify: a shown field was altered")
        return None
    try:
        proof = TlogProof.from_text(_read_text(bag, proof_file(entry_id)))
        if proof.checkpoint != checkpoint:
            raise ProofError("it leads to another checkpoint than the bundle's")
        if proof.extra is not None and proof.extra != disclosure.leaf():
            raise ProofError("it proves another entry (its leaf differs): it was taken from elsewhere")
        proof.verify(disclosure.leaf(), verifier)
    except (_Unreadable, ProofError) as error:
        report.failed(what, f"{proof_file(entry_id)}: {error}")
        return None
    report.passed(f"{what}: signed, and in the checkpoint (tlog-proof)")
    return disclosure


def _trail(statement: dict[str, Any], steps: list[Disclosure], report: VerifyReport) -> None:
    item = str(statement["item"])
    what = f"{item}: the custody trail leads from original {statement.get('original', {}).get('item')} to this file"
    problem = _trail_problem(statement, steps)
    if problem:
        report.failed(what, problem)
    else:
        report.passed(what)


def _trail_problem(statement: dict[str, Any], steps: list[Disclosure]) -> str | None:
    if not steps:
        return "the statement lists no custody step"
    seen: set[str] = set()
    for step in steps:
        parents = [v for f, _ in step.shown if f.path[:1] == ("parents",) for v in [f.value] if isinstance(v, str)]
        if any(parent not in seen for parent in parents):
            return f"step {step.value('id')} derives from an entry not earlier in the trail"
        seen.add(str(step.value("id")))
    last = steps[-1]
    if last.value("outputs", 0, "role") != CLEAN_COPY or last.value("item") != statement["item"]:
        return "the last step does not produce this clean copy"
    for key in ("sha256", "sha512", "size"):
        if last.value("outputs", 0, key) != statement.get(key):
            return f"the last step recorded another {key} than the statement"
    original = statement.get("original", {})
    if last.value("inputs", 0, "item") != original.get("item"):
        return "the clean copy was not made from the original the statement names"
    first = next((s for s in steps if s.value("id") == original.get("entry")), None)
    digest = dict(first.hidden).get(ORIGINAL_HASH) if first is not None else None
    if first is None or first.value("item") != original.get("item") or digest is None \
            or digest.hex() != original.get("sha256_commitment"):
        return "the commitment to the original is not the one its custody entry holds"
    return None


def _openpgp(bag: BagSource, report: VerifyReport) -> None:
    signatures = sorted(p for p in bag.files() if p.endswith(".asc") and p != OPENPGP_KEY_FILE)
    if not signatures:
        return
    from intake.keys import openpgp

    if OPENPGP_KEY_FILE not in bag.files():
        report.failed("OpenPGP signatures", f"{len(signatures)} .asc files but no {OPENPGP_KEY_FILE}")
        return
    if not openpgp.gpg_available():
        report.passed(f"{len(signatures)} OpenPGP signatures not checked (gpg is not installed); "
                      "the Ed25519 signatures cover the same files")
        return
    public_key = _read_text(bag, OPENPGP_KEY_FILE)
    for name in signatures:
        signed = name[: -len(".asc")]
        verdict = openpgp.verify_detached(bag.read(signed, _STATEMENT_LIMIT), _read_text(bag, name), public_key)
        if verdict.valid:
            report.passed(f"{name} is a valid OpenPGP signature of {signed} by {verdict.fingerprint}")
        else:
            report.failed(f"{name} (OpenPGP signature of {signed})", verdict.reason)


class _Unreadable(Exception):
    pass


def _read_text(bag: BagSource, name: str) -> str:
    try:
        return bag.read(name, _SMALL).decode("utf-8")
    except (IntakeError, KeyError, OSError, UnicodeDecodeError) as error:
        raise _Unreadable(f"{name} is missing or unreadable") from error


def report_to_dict(report: VerifyReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "pinned": report.pinned,
        "signer": None if report.signer is None else {
            "ok": report.signer.ok, "what": report.signer.what, "reason": report.signer.reason,
        },
        "custodian": None if report.custodian is None else {
            "name": report.custodian.name, "fingerprint": report.custodian.fingerprint_hex,
            "words": report.custodian.words,
        },
        "checks": [{"ok": c.ok, "what": c.what, "reason": c.reason} for c in report.checks],
        "timestamps": [asdict(t) for t in report.timestamps],
        "items": [
            {"item": t.item, "file": t.file, "events": [_event_to_dict(e) for e in t.events]}
            for t in report.items
        ],
    }


def _event_to_dict(event: TimelineEvent) -> dict[str, Any]:
    shown: dict[str, Any] = {"day": event.day, "action": event.action, "of": event.of, "actor": event.actor}
    if event.note is not None:
        shown["note"] = event.note
    return shown
