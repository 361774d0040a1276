"""What each fuzz target feeds its parser, which refusals it may answer with, and what must hold.

A target's check raises FailedOpen when the parser accepted what it must not
(a planted value survived a successful clean, a forged proof verified, an
altered bundle passed); it lets any exception outside the target's refusal
types escape, which is the crash the fuzzer looks for. The driver (`run_case`)
applies the per-input time limit and memory bound around it.
"""

from __future__ import annotations

import json
import re
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from intake.bundle.receive import check_submission
from intake.bundle.statement import CHECKPOINT_FILE, IDENTITY_FILE, proof_file
from intake.bundle.verify import verify_bundle
from intake.support.canonical import canonical_json
from intake.clean import clean_bytes, inspect_bytes
from intake.errors import BadProfile, CheckpointError, DisclosureError, IdentityError, IntakeError, NoteError, ProofError
from intake.formats import handler_for
from intake.formats.shared import icc, metadata
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.disclosure import Disclosure
from intake.ledger.note import Verifier, open_note
from intake.ledger.proof import TlogProof
from intake.support.sniff import HEAD_SIZE, sniff, sniff_bytes
from intake.keys.seal import seal
from intake.keys.identity import PublicIdentity

import journey as journey_module
from containers import CONTAINERS, tar_members, zip_members
from limits import bounded
from mutations import Mutation, apply
from seeds import FORMAT_SEEDS, Seed, icc_seeds, metadata_seeds, zip_media_seeds

# Generous for files of a few KiB: only a parser that loops or blows up gets near it.
TIME_LIMIT = 5.0


class FailedOpen(AssertionError):
    """The parser accepted an input it should have refused, or let a planted value through."""


@dataclass(frozen=True)
class Case:
    """One fuzz input: a seed of a target and the mutations applied to it.

    member None mutates the file's own bytes; a number mutates that member of the
    seed's zip or tar container (modulo their count) and writes the container again,
    so mutations reach the parser behind the container's checksums."""

    target: str
    seed: str
    mutations: tuple[Mutation, ...]
    member: int | None = None

    def to_dict(self) -> dict:
        return {"target": self.target, "seed": self.seed, "member": self.member,
                "mutations": [list(m) for m in self.mutations]}

    @classmethod
    def from_dict(cls, data: dict) -> "Case":
        return cls(data["target"], data["seed"], tuple(tuple(m) for m in data["mutations"]), data["member"])


@dataclass
class Context:
    """Seeds and scratch space shared by all inputs of a run; the vaults are built on first use."""

    scratch: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="intake-fuzz-")))

    _seeds: dict[str, list[Seed]] = field(default_factory=dict)

    def seeds_of(self, target: "Target") -> list[Seed]:
        if target.name not in self._seeds:
            self._seeds[target.name] = target.seeds(self)
        return self._seeds[target.name]

    def seed(self, target: "Target", name: str) -> Seed:
        return next(seed for seed in self.seeds_of(target) if seed.name == name)

    @cached_property
    def journey(self) -> journey_module.Journey:
        return journey_module.build(self.scratch / "journey")

    @cached_property
    def custodian_verifier(self) -> Verifier:
        origin = self.journey.bundle_files[CHECKPOINT_FILE].decode().split("\n", 1)[0]
        return Verifier(origin, self.journey.custodian.signing_key)

    @cached_property
    def disclosures(self) -> dict[str, dict]:
        return {step["entry"]: step["disclosure"]
                for statement in journey_module.statements(self.journey) for step in statement["custody"]}


@dataclass(frozen=True)
class Target:
    """kept_as: how a finding is kept: "bytes" (the input itself) or "case" (seed name and
    mutations, replayed on seeds made from this run's fresh vault keys)."""

    name: str
    seeds: Callable[[Context], list[Seed]]
    check: Callable[[Context, Seed, bytes], None]
    refusals: tuple[type[BaseException], ...]
    container: str | None = None  # "zip", "tar" or "png": what member mutations open and write again
    kept_as: str = "case"


# --- building an input ---


def build_input(target: Target, seed: Seed, case: Case) -> bytes:
    if case.member is None or target.container is None:
        return apply(seed.data, case.mutations)
    read, write = CONTAINERS[target.container]
    try:
        members = read(seed.data)
    except (zipfile.BadZipFile, tarfile.TarError, ValueError):
        return apply(seed.data, case.mutations)  # a seed that is no container: its own bytes
    chosen = case.member % len(members)
    members[chosen] = (members[chosen][0], apply(members[chosen][1], case.mutations))
    return write(members)


def run_case(context: Context, target: Target, case: Case) -> str:
    """'accepted' or 'refused'; FailedOpen, Hang, MemoryBlowup or the parser's own crash otherwise."""
    seed = context.seed(target, case.seed)
    return run_input(context, target, seed, build_input(target, seed, case))


def run_input(context: Context, target: Target, seed: Seed, data: bytes) -> str:
    try:
        bounded(lambda: target.check(context, seed, data), TIME_LIMIT)
    except target.refusals:
        return "refused"
    return "accepted"


# --- the format modules, through intake.clean as `inspect`, `sanitize` and `add` use them ---


def _encodings(value: str) -> list[bytes]:
    return [value.encode("utf-8"), value.encode("utf-16-le"), value.encode("utf-16-be")]


def check_format(context: Context, seed: Seed, data: bytes) -> None:
    try:
        inspect_bytes(data)
    except IntakeError:
        pass
    cleaned = clean_bytes(data)  # a refusal ends the check: refusing is always allowed
    module = handler_for(cleaned.media_type)
    if sniff_bytes(cleaned.data) != cleaned.media_type:
        raise FailedOpen(f"the clean copy is no longer {cleaned.media_type}")
    if module.inspect(cleaned.data):
        raise FailedOpen("re-inspecting the clean copy finds metadata")
    content = b"\0".join(module.content(data))
    reachable = [cleaned.data] + [view.data for view in module.views(cleaned.data)]
    for value in seed.planted:
        for encoded in _encodings(value):
            if encoded not in content and any(encoded in haystack for haystack in reachable):
                raise FailedOpen(f"planted value {value!r} survived cleaning")


_FORMAT_CONTAINERS = {"ooxml": "zip", "odf": "zip", "png": "png"}


def _format_target(name: str) -> Target:
    return Target(name, lambda context: FORMAT_SEEDS[name](), check_format, (IntakeError,),
                  container=_FORMAT_CONTAINERS.get(name), kept_as="bytes")


# --- the shared readers every image format hands its blocks to: ICC profiles, EXIF, XMP, IPTC ---


def check_icc(context: Context, seed: Seed, data: bytes) -> None:
    for attempt in (lambda: icc.parse(data), lambda: icc.parse(icc.rebuild(data, "fuzz")[0])):
        try:
            attempt()
        except BadProfile:
            pass
    kept, findings = icc.review(data, "fuzz")
    if kept is None and not findings:
        raise FailedOpen("a profile was dropped without a finding")
    if kept is not None and not (icc.is_standard(kept) and icc.review(kept, "fuzz") == (kept, [])):
        raise FailedOpen("a kept profile is not a standard one")
    icc.dropped_findings(data, "fuzz")
    icc.description(data)


def check_metadata(context: Context, seed: Seed, data: bytes) -> None:
    for reader in (metadata.exif_findings, metadata.xmp_findings, metadata.iptc_findings):
        for finding in reader(data, "fuzz"):
            if not all(isinstance(text, str) for text in (finding.field, finding.value, finding.where)):
                raise FailedOpen(f"{reader.__name__} made a finding that is not text")


# --- media sniffing: every input gets a type, nothing raises ---


def _all_format_seeds(context: Context) -> list[Seed]:
    return [seed for build in FORMAT_SEEDS.values() for seed in build()] + zip_media_seeds()


def check_media(context: Context, seed: Seed, data: bytes) -> None:
    if not isinstance(sniff(data[:HEAD_SIZE]), str) or not isinstance(sniff_bytes(data), str):
        raise FailedOpen("sniffing returned no media type")


_RANDOM_NAMES = re.compile(r"(itm|ent)_[a-z0-9]{16}|[0-9a-f]{32}")


def _difference(original: object, altered: object, path: str = "") -> str:
    """Where two parsed inputs first differ, with random ids and list positions left out, so that
    one unbound field is one finding however many entries carry it."""
    if isinstance(original, dict) and isinstance(altered, dict):
        for key in sorted(set(original) | set(altered), key=str):
            if original.get(key) != altered.get(key):
                return _difference(original.get(key), altered.get(key), f"{path}/{_RANDOM_NAMES.sub('*', str(key))}")
    if isinstance(original, list) and isinstance(altered, list) and len(original) == len(altered):
        for old, new in zip(original, altered):
            if old != new:
                return _difference(old, new, f"{path}/*")
    return path or "/"


# --- the bundle reader: verify_bundle on a mutated zip bundle ---


def _bundle_seeds(context: Context) -> list[Seed]:
    return [Seed("bundle-zip", context.journey.bundle_zip, ())]


def _unzipped(data: bytes) -> dict[str, bytes] | None:
    try:
        members = zip_members(data)
    except Exception:  # noqa: BLE001 - only asks whether the stdlib can read it at all
        return None
    return {info.filename.split("/", 1)[-1]: content for info, content in members if not info.is_dir()}


def check_bundle(context: Context, seed: Seed, data: bytes) -> None:
    path = context.scratch / "bundle-under-test.zip"
    path.write_bytes(data)
    report = verify_bundle(path)
    members = _unzipped(data)
    if report.ok and members not in (None, context.journey.bundle_files):
        raise FailedOpen(f"an altered bundle verified ({_difference(context.journey.bundle_files, members)})")


# --- the submission reader: check_submission on a mutated tar stream, sealed again to the editor ---


def _submission_seeds(context: Context) -> list[Seed]:
    return [Seed("submission-tar", context.journey.submission_plain, ())]


def _untarred(data: bytes) -> dict[str, object] | None:
    try:
        members = {info.name: content for info, content in tar_members(data)}
        members["submission.json"] = _lower_hex(json.loads(members["submission.json"]))
    except Exception:  # noqa: BLE001 - only asks whether the stdlib can read it at all
        return None
    return members


_HEX = re.compile(r"[0-9a-fA-F]+")


def _lower_hex(value: object) -> object:
    """Hex in either case is the same bytes: a leaf written in capitals is not an alteration."""
    if isinstance(value, dict):
        return {key: _lower_hex(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_lower_hex(item) for item in value]
    return value.lower() if isinstance(value, str) and _HEX.fullmatch(value) else value


def check_submission_input(context: Context, seed: Seed, data: bytes) -> None:
    path = context.scratch / "submission-under-test.age"
    path.write_bytes(seal(data, [context.journey.editor_keys.public.age_recipient]))
    report = check_submission(context.journey.checking_vault, context.journey.editor_keys, path)
    original, members = _untarred(seed.data), _untarred(data)
    if report.ok and members not in (None, original):
        raise FailedOpen(f"an altered submission passed every check ({_difference(original, members)})")


# --- the ledger text parsers: signed note, checkpoint, tlog-proof, disclosure, identity ---


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the readers refuse non-UTF-8 text before it reaches a parser


def _note_seeds(context: Context) -> list[Seed]:
    return [Seed("checkpoint-note", context.journey.bundle_files[CHECKPOINT_FILE], ())]


def check_note(context: Context, seed: Seed, data: bytes) -> None:
    if (text := _text(data)) is None:
        return
    opened = open_note(text, [context.custodian_verifier])
    if opened != open_note(seed.data.decode(), [context.custodian_verifier]):
        raise FailedOpen("a note with altered text verified")
    Checkpoint.from_text(opened)


def _checkpoint_seeds(context: Context) -> list[Seed]:
    note = context.journey.bundle_files[CHECKPOINT_FILE].decode()
    return [Seed("checkpoint", open_note(note, [context.custodian_verifier]).encode(), ())]


def check_checkpoint(context: Context, seed: Seed, data: bytes) -> None:
    if (text := _text(data)) is None:
        return
    if Checkpoint.from_text(text).to_text() != text:
        raise FailedOpen("a non-canonical checkpoint was accepted")


def _proof_seeds(context: Context) -> list[Seed]:
    return [Seed(entry, context.journey.bundle_files[proof_file(entry)], ()) for entry in sorted(context.disclosures)]


def check_proof(context: Context, seed: Seed, data: bytes) -> None:
    if (text := _text(data)) is None:
        return
    leaf = Disclosure.from_dict(context.disclosures[seed.name]).leaf()
    proof = TlogProof.from_text(text)
    proof.verify(leaf, context.custodian_verifier)
    original = TlogProof.from_text(seed.data.decode())
    if (proof.index, proof.hashes) != (original.index, original.hashes):
        raise FailedOpen("an altered inclusion proof verified")


def _disclosure_seeds(context: Context) -> list[Seed]:
    return [Seed(entry, canonical_json(disclosure), ()) for entry, disclosure in sorted(context.disclosures.items())]


def check_disclosure(context: Context, seed: Seed, data: bytes) -> None:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return  # not JSON: the statement reader refuses it before this parser
    disclosure = Disclosure.from_dict(document)
    if disclosure.verify(context.journey.custodian):
        if disclosure.shown_tree() != Disclosure.from_dict(json.loads(seed.data)).shown_tree():
            raise FailedOpen("a disclosure with altered shown fields verified")


def _identity_seeds(context: Context) -> list[Seed]:
    return [Seed("custodian", context.journey.bundle_files[IDENTITY_FILE], ())]


def check_identity(context: Context, seed: Seed, data: bytes) -> None:
    if (text := _text(data)) is None:
        return
    identity = PublicIdentity.from_text(text)
    identity.fingerprint_hex, identity.words  # noqa: B018 - what verify shows of every identity


TARGETS: dict[str, Target] = {
    **{name: _format_target(name) for name in FORMAT_SEEDS},
    "icc": Target("icc", lambda context: icc_seeds(), check_icc, (), kept_as="bytes"),
    "metadata": Target("metadata", lambda context: metadata_seeds(), check_metadata, (IntakeError,), kept_as="bytes"),
    "media": Target("media", _all_format_seeds, check_media, (), container="zip", kept_as="bytes"),
    "bundle": Target("bundle", _bundle_seeds, check_bundle, (IntakeError,), container="zip"),
    "submission": Target("submission", _submission_seeds, check_submission_input, (IntakeError,), container="tar"),
    "note": Target("note", _note_seeds, check_note, (NoteError, CheckpointError)),
    "checkpoint": Target("checkpoint", _checkpoint_seeds, check_checkpoint, (CheckpointError,)),
    "proof": Target("proof", _proof_seeds, check_proof, (ProofError, DisclosureError)),
    "disclosure": Target("disclosure", _disclosure_seeds, check_disclosure, (DisclosureError,)),
    "identity": Target("identity", _identity_seeds, check_identity, (IdentityError,)),
}
