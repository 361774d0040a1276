#!/usr/bin/env python3
"""Check this bundle's provenance with python3 alone: standard library, no network, no intake.

Run it in the bundle's folder:

    python3 -I verify_provenance.py                     every check, one line each, then a verdict
    python3 -I verify_provenance.py --fingerprint HEX   the same, and fail unless HEX signed it
    python3 -I verify_provenance.py --key               only the signing key's fingerprint
    python3 -I verify_provenance.py --since OLD         also: this bundle's ledger extends OLD's
    python3 -I verify_provenance.py --witnesses FILE    also: the witnesses you trust cosigned it

First it prints the fingerprint of the key that signed the bundle, computed
from provenance/custodian.pub. Nothing inside a bundle can say whose key that
is: anyone can make a key under any name and re-sign everything. Compare the
fingerprint (or its 12 words) with the one the desk published OUTSIDE this
bundle, or give that one with --fingerprint.

Then it checks: the signed list of every file (provenance/contents.sha256),
that the folder holds exactly those files, every .sig, the signed checkpoint,
and for each statement its data file's hashes, each custody step's salted
field digests, commitment and signature, and its tlog-proof (RFC 9162) up to
the checkpoint. Exit status 0 only if every check holds. Each rule is the one
`intake verify` applies; docs/bundles.md of intake states them all.

A signature alone cannot show that the desk never kept two histories (a
fork) or cut one back (a rollback). Two checks can, with what you hold from
outside the bundle: --since OLD (an older bundle of the same desk, its folder
or its provenance/checkpoint.txt, or a checkpoint saved with `intake ledger
checkpoint`) checks the consistency proof from OLD's size (RFC 9162); and
--witnesses FILE (the witnesses you trust, one verifier key per line, and
optionally `quorum K`: the same file `intake verify --witnesses` takes) checks
their cosignatures on the checkpoint (c2sp.org/tlog-cosignature). Time stamps
are checked by the `openssl ts` steps of VERIFY.txt.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import sys
from typing import Any

CONTENTS = "provenance/contents.sha256"
IDENTITY = "provenance/custodian.pub"
PEM = "provenance/custodian.pem"
OPENPGP_KEY = "provenance/custodian.asc"
CHECKPOINT = "provenance/checkpoint.txt"
TAG_MANIFESTS = ("tagmanifest-sha256.txt", "tagmanifest-sha512.txt")
STATEMENT_TYPE = "intake-provenance/v1"
CLEAN_COPY = "clean copy"
ORIGINAL_HASH = ["outputs", 0, "sha256"]
FINGERPRINT_DOMAIN = b"intake-fingerprint/v1\n"
FIELD_DOMAIN = b"intake-field/v1\n"
COMMIT_DOMAIN = b"intake-commit/v2\n"
ENTRY_DOMAIN = b"intake-entry/v2\n"
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")  # DER of an Ed25519 public key, before the key

# --- Ed25519 signature verification (RFC 8032, section 5.1.7) ---------------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, x*y = T/Z


def point_add(a: Point, b: Point) -> Point:
    """Addition on the twisted Edwards curve (RFC 8032, 5.1.4); also doubles."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    e, h = (y1 + x1) * (y2 + x2) - (y1 - x1) * (y2 - x2), (y1 + x1) * (y2 + x2) + (y1 - x1) * (y2 - x2)
    f, g = 2 * z1 * z2 - 2 * D * t1 * t2, 2 * z1 * z2 + 2 * D * t1 * t2
    return e * f % P, g * h % P, f * g % P, e * h % P


def point_multiply(scalar: int, point: Point) -> Point:
    result: Point = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = point_add(result, point)
        point, scalar = point_add(point, point), scalar >> 1
    return result


def point_encode(point: Point) -> bytes:
    x, y, z, _ = point
    inverse = pow(z, P - 2, P)
    x, y = x * inverse % P, y * inverse % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def point_decode(data: bytes) -> Point | None:
    """The point, or None if `data` is not the canonical encoding of one (RFC 8032, 5.1.3)."""
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P or (x == 0 and sign):
        return None
    if x & 1 != sign:
        x = P - x
    return x, y, 1, x * y % P


BASE = point_decode((4 * pow(5, P - 2, P) % P).to_bytes(32, "little"))


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True if [S]B = R + [k]A, checked as OpenSSL does: encode([S]B - [k]A) == R."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = point_decode(public_key)
    s = int.from_bytes(signature[32:], "little")
    if a is None or s >= L or BASE is None:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % L
    minus_a = (P - a[0], a[1], a[2], P - a[3])
    return point_encode(point_add(point_multiply(s, BASE), point_multiply(k, minus_a))) == signature[:32]


# --- the fingerprint as words (the PGP word list; intake/keys/words.py) ----------------------

EVEN_WORDS = """
aardvark absurd accrue acme adrift adult afflict ahead aimless algol allow alone ammo ancient apple artist
assume athens atlas aztec baboon backfield backward banjo beaming bedlamp beehive beeswax befriend belfast
berserk billiard bison blackjack blockade blowtorch bluebird bombast bookshelf brackish breadline breakup
brickyard briefcase burbank button buzzard cement chairlift chatter checkup chisel choking chopper christmas
clamshell classic classroom cleanup clockwork cobra commence concert cowbell crackdown cranky crowfoot
crucial crumpled crusade cubic dashboard deadbolt deckhand dogsled dragnet drainage dreadful drifter dropper
drumbeat drunken dupont dwelling eating edict egghead eightball endorse endow enlist erase escape exceed
eyeglass eyetooth facial fallout flagpole flatfoot flytrap fracture framework freedom frighten gazelle
geiger glitter glucose goggles goldfish gremlin guidance hamlet highchair hockey indoors indulge inverse
involve island jawbone keyboard kickoff kiwi klaxon locale lockup merit minnow miser mohawk mural music
necklace neptune newborn nightbird oakland obtuse offload optic orca payday peachy pheasant physique
playhouse pluto preclude prefer preshrunk printer prowler pupil puppy python quadrant quiver quota ragtime
ratchet rebirth reform regain reindeer rematch repay retouch revenge reward rhythm ribcage ringbolt robust
rocker ruffled sailboat sawdust scallion scenic scorecard scotland seabird select sentence shadow shamrock
showgirl skullcap skydive slingshot slowdown snapline snapshot snowcap snowslide solo southward soybean
spaniel spearhead spellbind spheroid spigot spindle spyglass stagehand stagnate stairway standard stapler
steamship sterling stockman stopwatch stormy sugar surmount suspense sweatband swelter tactics talon
tapeworm tempest tiger tissue tonic topmost tracker transit trauma treadmill trojan trouble tumor tunnel
tycoon uncut unearth unwind uproot upset upshot vapor village virus vulcan waffle wallet watchword wayside
willow woodlark zulu
""".split()
ODD_WORDS = """
adroitness adviser aftermath aggregate alkali almighty amulet amusement antenna applicant apollo armistice
article asteroid atlantic atmosphere autopsy babylon backwater barbecue belowground bifocals bodyguard
bookseller borderline bottomless bradbury bravado brazilian breakaway burlington businessman butterfat
camelot candidate cannonball capricorn caravan caretaker celebrate cellulose certify chambermaid cherokee
chicago clergyman coherence combustion commando company component concurrent confidence conformist
congregate consensus consulting corporate corrosion councilman crossover crucifix cumbersome customer
dakota decadence december decimal designing detector detergent determine dictator dinosaur direction
disable disbelief disruptive distortion document embezzle enchanting enrollment enterprise equation
equipment escapade eskimo everyday examine existence exodus fascinate filament finicky forever fortitude
frequency gadgetry galveston getaway glossary gossamer graduate gravity guitarist hamburger hamilton
handiwork hazardous headwaters hemisphere hesitate hideaway holiness hurricane hydraulic impartial impetus
inception indigo inertia infancy inferno informant insincere insurgent integrate intention inventive
istanbul jamaica jupiter leprosy letterhead liberty maritime matchmaker maverick medusa megaton microscope
microwave midsummer millionaire miracle misnomer molasses molecule montana monument mosquito narrative
nebula newsletter norwegian october ohio onlooker opulent orlando outfielder pacific pandemic pandora
paperweight paragon paragraph paramount passenger pedigree pegasus penetrate perceptive performance
pharmacy phonetic photograph pioneer pocketful politeness positive potato processor provincial proximate
puberty publisher pyramid quantity racketeer rebellion recipe recover repellent replica reproduce resistor
responsive retraction retrieval retrospect revenue revival revolver sandalwood sardonic saturday savagery
scavenger sensation sociable souvenir specialist speculate stethoscope stupendous supportive surrender
suspicious sympathy tambourine telephone therapist tobacco tolerance tomorrow torpedo tradition travesty
trombonist truncated typewriter ultimate undaunted underfoot unicorn unify universe unravel upcoming
vacancy vagabond vertigo virginia visitor vocalist voyager warranty waterloo whimsical wichita wilmington
wyoming yesteryear yucatan
""".split()


def fingerprint_words(fingerprint: bytes) -> str:
    """The first 12 bytes, byte i spoken from the even list when i is even, the odd list when odd."""
    return " ".join((ODD_WORDS if i % 2 else EVEN_WORDS)[b] for i, b in enumerate(fingerprint[:12]))


def grouped(hex_text: str) -> str:
    return " ".join(hex_text[i:i + 4] for i in range(0, len(hex_text), 4))


# --- reading the bundle ----------------------------------------------------------------------


class Failed(Exception):
    """A check failed; its message says why."""


class Report:
    def __init__(self) -> None:
        self.failures = 0

    def check(self, what: str, ok: bool, why: str = "") -> bool:
        print(f"ok    {what}" if ok else f"FAIL  {what}: {why}")
        self.failures += not ok
        return ok

    def attempt(self, what: str, check: Any, *args: Any) -> Any:
        """Run `check(*args)`; what it raises is reported as this check failing (a hostile file fails, no crash)."""
        try:
            result = check(*args)
        except Failed as error:
            self.check(what, False, str(error))
            return None
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OSError) as error:
            self.check(what, False, f"a file is malformed or unreadable ({type(error).__name__})")
            return None
        self.check(what, True)
        return result if result is not None else True


class Bundle:
    def __init__(self, root: str) -> None:
        self.root = root
        self.files, self.links = self._walk()

    def _walk(self) -> tuple[set[str], list[str]]:
        files, links = set(), []
        for folder, subfolders, names in os.walk(self.root):
            for name in names + subfolders:
                path = os.path.relpath(os.path.join(folder, name), self.root).replace(os.sep, "/")
                if os.path.islink(os.path.join(folder, name)):
                    links.append(path)
                elif name in names:
                    files.add(path)
        return files, links

    def read(self, path: str) -> bytes:
        if path not in self.files:
            raise Failed(f"{path} is missing")
        with open(os.path.join(self.root, path), "rb") as handle:
            return handle.read()

    def text(self, path: str) -> str:
        try:
            return self.read(path).decode("utf-8")
        except UnicodeDecodeError:
            raise Failed(f"{path} is not UTF-8") from None


def unbase64(text: str, size: int | None = None) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise Failed("malformed base64") from None
    if size is not None and len(raw) != size:
        raise Failed(f"a value is {len(raw)} bytes, not {size}")
    return raw


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes intake commits to and signs."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse_json(data: bytes) -> Any:
    def no_float(text: str) -> None:
        raise Failed("it holds a fractional number, which intake never signs")
    try:
        return json.loads(data, parse_float=no_float)
    except ValueError:
        raise Failed("it is not JSON") from None


# --- the key ---------------------------------------------------------------------------------


class Key:
    def __init__(self, name: str, public_key: bytes, fingerprint: bytes) -> None:
        self.name, self.public_key, self.fingerprint = name, public_key, fingerprint

    def verify(self, message: bytes, signature: bytes) -> bool:
        return ed25519_verify(self.public_key, message, signature)


def load_key(bundle: Bundle) -> Key:
    """The key of provenance/custodian.pub; the fingerprint covers its Ed25519 key and age recipient."""
    lines = bundle.text(IDENTITY).split("\n")
    fields = dict(line.split(": ", 1) for line in lines[1:5] if ": " in line)
    if len(lines) != 6 or lines[0] != "intake-public-identity/v1" or set(fields) != {"name", "ed25519", "age", "signature"}:
        raise Failed(f"{IDENTITY} is not an intake public identity")
    public_key = unbase64(fields["ed25519"], 32)
    body = "\n".join(lines[:4]) + "\n"
    if not ed25519_verify(public_key, body.encode("utf-8"), unbase64(fields["signature"], 64)):
        raise Failed(f"the self-signature of {IDENTITY} does not verify: it was altered")
    fingerprint = hashlib.sha256(FINGERPRINT_DOMAIN + public_key + fields["age"].encode("ascii")).digest()
    return Key(fields["name"], public_key, fingerprint)


def check_pem(bundle: Bundle, key: Key) -> None:
    """OpenSSL's steps in VERIFY.txt use custodian.pem: it must hold this very key."""
    lines = bundle.text(PEM).strip().split("\n")
    if lines[0] != "-----BEGIN PUBLIC KEY-----" or lines[-1] != "-----END PUBLIC KEY-----":
        raise Failed(f"{PEM} is not a PEM public key")
    if unbase64("".join(lines[1:-1])) != ED25519_SPKI_PREFIX + key.public_key:
        raise Failed(f"{PEM} holds another key than {IDENTITY}")


def show_key(key: Key) -> None:
    print(f"The key that signed this bundle ({IDENTITY}), named {key.name!r} (anyone can choose any name):")
    print(f"  fingerprint  {grouped(key.fingerprint.hex())}")
    print(f"  words        {fingerprint_words(key.fingerprint)}")
    print("Compare them with the fingerprint the desk published OUTSIDE this bundle. If they differ,")
    print("this bundle is not the desk's, whatever the checks below say.")


def check_published(key: Key, published: str) -> None:
    wanted = "".join(c for c in published.lower() if c not in " :")
    if wanted != key.fingerprint.hex():
        raise Failed(f"this bundle was signed by {grouped(key.fingerprint.hex())}, not by the key you gave")


# --- the file set, and every signature ---------------------------------------------------------


def signed_list(bundle: Bundle, key: Key) -> dict[str, str]:
    """The signed list: every file but the tag manifests and the list itself, with its SHA-256."""
    data = bundle.read(CONTENTS)
    if not key.verify(data, bundle.read(CONTENTS + ".sig")):
        raise Failed(f"{CONTENTS}.sig does not verify: the list was altered, or signed by another key")
    listed = {}
    for line in data.decode("utf-8").splitlines():
        if len(line) < 67 or line[64:66] != "  ":
            raise Failed(f"{CONTENTS} holds a line that is not `SHA-256  path`")
        listed[line[66:]] = line[:64]
    return listed


def check_listed_hashes(bundle: Bundle, listed: dict[str, str]) -> None:
    wrong = [path for path, digest in sorted(listed.items())
             if path not in bundle.files or hashlib.sha256(bundle.read(path)).hexdigest() != digest]
    if wrong:
        raise Failed(f"missing or altered: {', '.join(wrong)}")


def check_file_set(bundle: Bundle, listed: dict[str, str]) -> None:
    """Exactly the listed files, plus the tag manifests, the list and its signatures (.asc with an OpenPGP key)."""
    expected = set(listed) | {CONTENTS, CONTENTS + ".sig", *TAG_MANIFESTS}
    if OPENPGP_KEY in listed:
        expected.add(CONTENTS + ".asc")
    added, missing = sorted(bundle.files - expected), sorted(expected - bundle.files)
    if added or missing or bundle.links:
        raise Failed("; ".join(filter(None, [
            added and f"added: {', '.join(added)}", missing and f"missing: {', '.join(missing)}",
            bundle.links and f"links (never in a bundle): {', '.join(bundle.links)}"])))


def check_signatures(bundle: Bundle, key: Key, report: Report) -> None:
    """Every X.sig is the key's Ed25519 signature of X; with an OpenPGP key, every X.sig has its X.asc."""
    for signature in sorted(p for p in bundle.files if p.endswith(".sig")):
        signed = signature[:-len(".sig")]
        ok = signed in bundle.files and key.verify(bundle.read(signed), bundle.read(signature))
        report.check(f"{signature} is this key's signature of {signed}", ok, f"{signed} is missing, altered, "
                     "or signed by another key")
    openpgp = sorted(p for p in bundle.files if p.endswith(".asc") and p != OPENPGP_KEY)
    if OPENPGP_KEY in bundle.files:
        missing = [p[:-len(".sig")] + ".asc" for p in sorted(bundle.files) if p.endswith(".sig")
                   if p[:-len(".sig")] + ".asc" not in bundle.files]
        report.check(f"every signed file also has its OpenPGP signature (.asc; check them with gpg, VERIFY.txt)",
                     not missing, f"missing: {', '.join(missing)}")
    elif openpgp:
        report.check("OpenPGP signatures come with the OpenPGP key", False, f"{OPENPGP_KEY} is missing")


# --- the checkpoint and the proofs -------------------------------------------------------------


def read_checkpoint(bundle: Bundle, key: Key) -> tuple[str, tuple[int, bytes]]:
    note = bundle.text(CHECKPOINT)
    return note, open_checkpoint(note, key)


def open_checkpoint(note: str, key: Key) -> tuple[int, bytes]:
    """A C2SP signed note: text, a blank line, `— NAME base64(key ID || signature)` lines."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise Failed("it is not a signed note")
    text, signatures = note[:split + 1], note[split + 2:-1].split("\n")
    origin, size, root = (text.split("\n") + ["", "", ""])[:3]
    key_id = hashlib.sha256(origin.encode("utf-8") + b"\n\x01" + key.public_key).digest()[:4]
    for line in signatures:
        name, _, encoded = line.removeprefix("\u2014 ").partition(" ")
        raw = unbase64(encoded)
        if line.startswith("\u2014 ") and name == origin and raw[:4] == key_id:
            if not key.verify(text.encode("utf-8"), raw[4:]):
                raise Failed("its signature by this key does not verify: it was altered")
            if not size.isdigit() or size != str(int(size)):
                raise Failed("its tree size is malformed")
            return int(size), unbase64(root, 32)
    raise Failed(f"no signature by this key under the name {origin!r}")


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


# --- an older checkpoint (--since): RFC 9162 consistency --------------------------------------

CONSISTENCY = "provenance/consistency/{}.txt"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def read_older(path: str) -> str:
    """OLD for --since: an older bundle's folder, or a checkpoint file."""
    if os.path.isdir(path):
        path = os.path.join(path, CHECKPOINT)
    with open(path, "rb") as handle:
        return handle.read(64 << 10).decode("utf-8")


def origin_of(note: str) -> str:
    return note.split("\n", 1)[0]


def check_since(bundle: Bundle, key: Key, older: str, checkpoint: str, tree: tuple[int, bytes]) -> None:
    """Does this bundle's ledger extend the older checkpoint, under the same key and origin?"""
    if origin_of(older) != origin_of(checkpoint):
        raise Failed("the older checkpoint is of another ledger (another origin)")
    try:
        old_size, old_root = open_checkpoint(older, key)
    except Failed as error:
        raise Failed(f"the older checkpoint is not signed by this bundle's key for this ledger ({error})") from None
    new_size, new_root = tree
    if old_size > new_size:
        raise Failed(f"ROLLBACK: this bundle shows {new_size} entries, the older checkpoint {old_size}")
    if old_size == new_size:
        if old_root != new_root:
            raise Failed(f"FORK: two different ledgers of {new_size} entries signed by the same key")
        return
    if old_size == 0:
        if old_root != EMPTY_ROOT:
            raise Failed("the older checkpoint claims an empty ledger with a root that is not the empty tree's")
        return
    name = CONSISTENCY.format(old_size)
    if name not in bundle.files:
        raise Failed(f"this bundle carries no consistency proof from size {old_size}: the ledgers cannot be compared")
    first, *hashes = bundle.text(name).rstrip("\n").split("\n")
    if first != f"old {old_size}" or len(hashes) > 64:
        raise Failed(f"{name} is malformed")
    if not consistent(old_size, new_size, old_root, new_root, [unbase64(h, 32) for h in hashes]):
        raise Failed(f"FORK: this bundle's ledger ({new_size} entries) does not extend the older one "
                     f"({old_size} entries); the consistency proof fails")


def consistent(first: int, second: int, first_hash: bytes, second_hash: bytes, proof: list[bytes]) -> bool:
    """RFC 9162, 2.1.4.2, for 0 < first < second: is (second, second_hash) an extension of (first, first_hash)?"""
    if not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_hash, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_hash and sr == second_hash and sn == 0


# --- witnesses (--witnesses): c2sp.org/tlog-cosignature cosignature/v1 ------------------------

COSIGNATURE_V1 = 4


class Witness:
    """A witness key as `name+hexid+base64(0x04 || Ed25519 key)`, its key ID checked."""

    def __init__(self, vkey: str) -> None:
        parts = vkey.split("+", 2)  # base64 may hold a "+"
        if len(parts) != 3 or not parts[0] or any(c.isspace() for c in parts[0]):
            raise Failed(f"{vkey[:40]!r} is not a witness key NAME+KEYID+KEY")
        raw = unbase64(parts[2], 33)
        if raw[0] != COSIGNATURE_V1:
            raise Failed(f"the witness key {parts[0]} is not a cosignature/v1 key")
        self.name, self.public_key = parts[0], raw[1:]
        self.key_id = hashlib.sha256(self.name.encode("utf-8") + b"\n\x04" + self.public_key).digest()[:4]
        if parts[1].lower() != self.key_id.hex():
            raise Failed(f"the witness key {self.name}'s ID does not match its name and key")

    def cosigned(self, note: str) -> bool:
        split = note.rfind("\n\n")
        text, lines = note[:split + 1], note[split + 2:-1].split("\n")
        for line in lines:
            name, _, encoded = line.removeprefix("\u2014 ").partition(" ")
            try:
                raw = unbase64(encoded)
            except Failed:
                continue
            if name != self.name or raw[:4] != self.key_id or len(raw) != 4 + 8 + 64:
                continue
            time = int.from_bytes(raw[4:12], "big")
            message = f"cosignature/v1\ntime {time}\n".encode("ascii") + text.encode("utf-8")
            if time < 2**63 and ed25519_verify(self.public_key, message, raw[12:]):
                return True
        return False


def read_witnesses(path: str) -> tuple[list[Witness], int]:
    """The witness policy file: verifier keys, `#` comments, and at most one `quorum K` (default: all)."""
    with open(path, "rb") as handle:
        text = handle.read(1 << 20).decode("utf-8")
    witnesses, quorum = [], None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("quorum"):
            value = line[len("quorum"):].strip()
            if quorum is not None or not value.isdigit():
                raise Failed(f"witness policy line {number}: write one `quorum K` with K a number")
            quorum = int(value)
            continue
        witnesses.append(Witness(line))
    quorum = len(witnesses) if quorum is None else quorum
    if not witnesses or not 1 <= quorum <= len(witnesses):
        raise Failed("a witness policy needs at least one witness and a quorum of 1 to their number")
    return witnesses, quorum


def check_witnesses(policy: tuple[list[Witness], int], checkpoint: str) -> str:
    witnesses, quorum = policy
    cosigned = [w.name for w in witnesses if w.cosigned(checkpoint)]
    counted = f"{len(cosigned)} of {len(witnesses)}, quorum {quorum}"
    if len(cosigned) < quorum:
        missing = ", ".join(w.name for w in witnesses if w.name not in cosigned)
        raise Failed(f"only {counted}: no valid cosignature from {missing}; the witnesses did not see this "
                     "checkpoint, or refused it (a fork or a rollback)")
    return counted


def inclusion_root(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162, 2.1.3.2: the root that `path` leads to from leaf number `index`, or None."""
    if not 0 <= index < size:
        return None
    fn, sn, result = index, size - 1, hashlib.sha256(b"\x00" + leaf).digest()
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node(sibling, result)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return result if sn == 0 else None


def check_proof(text: str, checkpoint: str, tree: tuple[int, bytes], seq: Any, leaf: bytes) -> None:
    """A c2sp.org/tlog-proof@v1: [extra LEAF], index N, the path, a blank line, the checkpoint.

    The index places the entry in the log (a disclosure no longer shows its seq); the leaf must be there.
    """
    head, _, embedded = text.partition("\n\n")
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        raise Failed("not a c2sp.org/tlog-proof@v1 proof")
    if embedded != checkpoint:
        raise Failed(f"it leads to another checkpoint than {CHECKPOINT}")
    if len(lines) > 1 and lines[1].startswith("extra "):
        if unbase64(lines.pop(1)[len("extra "):]) != leaf:
            raise Failed("its extra line is another leaf: it proves another entry")
    if len(lines) < 2 or not lines[1].startswith("index ") or not lines[1][len("index "):].isdigit():
        raise Failed("its index line is missing or malformed")
    index = int(lines[1][len("index "):])
    if seq is not None and seq != index:  # bundles that still show the entry's seq
        raise Failed(f"it proves another index than the entry's seq {seq}")
    if inclusion_root(index, tree[0], leaf, [unbase64(h, 32) for h in lines[2:]]) != tree[1]:
        raise Failed("its path does not lead from this entry to the checkpoint's root")


# --- statements and their custody steps --------------------------------------------------------


class Step:
    """One custody entry as disclosed: shown fields with their salts, hidden ones as digests."""

    def __init__(self, disclosure: Any) -> None:
        if not isinstance(disclosure, dict) or set(disclosure) != {"shown", "hidden", "signature", "sealed_sha256"}:
            raise Failed("its disclosure is malformed")
        try:
            self.shown = [(list(path), value, bytes.fromhex(salt)) for path, value, salt in disclosure["shown"]]
            self.hidden = [(list(path), bytes.fromhex(digest)) for path, digest in disclosure["hidden"]]
            self.sealed = bytes.fromhex(disclosure["sealed_sha256"])
        except (TypeError, ValueError):
            raise Failed("its disclosure is malformed") from None
        self.signature = unbase64(disclosure["signature"], 64)

    def value(self, *path: Any) -> Any:
        return next((value for p, value, _ in self.shown if p == list(path)), None)

    def hidden_digest(self, path: list[Any]) -> bytes | None:
        return next((digest for p, digest in self.hidden if p == path), None)

    def commitment(self) -> bytes:
        """Field digest = SHA-256(FIELD_DOMAIN || salt || [path, value]); the commitment hashes them, sorted."""
        digests = {canonical_json(path): [path, hashlib.sha256(FIELD_DOMAIN + salt + canonical_json([path, value]))
                                          .hexdigest()] for path, value, salt in self.shown}
        for path, digest in self.hidden:
            digests[canonical_json(path)] = [path, digest.hex()]
        if len(digests) != len(self.shown) + len(self.hidden):
            raise Failed("a field appears twice")
        return hashlib.sha256(COMMIT_DOMAIN + canonical_json([digests[p] for p in sorted(digests)])).digest()


def check_step(bundle: Bundle, key: Key, step: Any, checkpoint: str, tree: tuple[int, bytes]) -> Step:
    if not isinstance(step, dict) or not isinstance(step.get("entry"), str):
        raise Failed("it is malformed")
    disclosed = Step(step.get("disclosure"))
    commitment = disclosed.commitment()
    if disclosed.value("id") != step["entry"] or disclosed.value("actor") != key.fingerprint.hex():
        raise Failed("the entry names another id or custodian")
    if not key.verify(ENTRY_DOMAIN + commitment, disclosed.signature):
        raise Failed("the signature over its commitment does not verify: a shown field was altered")
    proof = f"provenance/proofs/{step['entry']}.tlog-proof"
    try:
        check_proof(bundle.text(proof), checkpoint, tree, disclosed.value("seq"), commitment + disclosed.sealed)
    except Failed as error:
        raise Failed(f"{proof}: {error}") from None
    return disclosed


def check_file(bundle: Bundle, statement: dict[str, Any]) -> None:
    data = bundle.read(statement["file"]) if str(statement["file"]).startswith("data/") else b""
    if [hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest(), len(data)] != \
            [statement.get("sha256"), statement.get("sha512"), statement.get("size")]:
        raise Failed(f"{statement['file']} differs from the file the custodian signed for: swapped or altered")


def check_trail(statement: dict[str, Any], steps: list[Step]) -> None:
    """Parents come earlier; the last step made this clean copy from the original whose commitment is named."""
    seen: set[Any] = set()
    for step in steps:
        parents = [value for path, value, _ in step.shown if path[:1] == ["parents"] and isinstance(value, str)]
        if any(parent not in seen for parent in parents):
            raise Failed(f"step {step.value('id')} derives from an entry not earlier in the trail")
        seen.add(step.value("id"))
    last, original = steps[-1], statement["original"]
    if last.value("outputs", 0, "role") != CLEAN_COPY or last.value("item") != statement["item"] or any(
            last.value("outputs", 0, k) != statement.get(k) for k in ("sha256", "sha512", "size")):
        raise Failed("the last step does not produce this clean copy")
    first = next((s for s in steps if s.value("id") == original.get("entry")), None)
    digest = first.hidden_digest(ORIGINAL_HASH) if first else None
    if last.value("inputs", 0, "item") != original.get("item") or first is None or \
            first.value("item") != original.get("item") or digest is None or digest.hex() != original.get("sha256_commitment"):
        raise Failed("the clean copy was not made from the original whose commitment the statement names")


def check_statement(bundle: Bundle, key: Key, name: str, checkpoint: str, tree: tuple[int, bytes],
                    report: Report, described: set[str]) -> None:
    statement = report.attempt(f"{name} is a signed provenance statement of this custodian", parse_statement, bundle, name, key)
    if statement is None:
        return
    described.add(statement["file"])
    report.attempt(f"{statement['file']} matches its statement (SHA-256, SHA-512, size)", check_file, bundle, statement)
    steps = []
    for number, step in enumerate(statement["custody"], 1):
        what = f"{statement['item']}: custody step {number} is signed (salted commitment) and in the checkpoint"
        steps.append(report.attempt(what, check_step, bundle, key, step, checkpoint, tree))
    if steps and all(steps):
        report.attempt(f"{statement['item']}: the custody trail leads from its original to this file",
                       check_trail, statement, steps)


def parse_statement(bundle: Bundle, name: str, key: Key) -> dict[str, Any]:
    data = bundle.read(name)
    if not key.verify(data, bundle.read(f"{name}.sig")):
        raise Failed(f"{name}.sig does not verify: the statement was altered, or signed by another key")
    statement = parse_json(data)
    shape = {"item": str, "file": str, "custody": list, "original": dict, "custodian": dict}
    if not isinstance(statement, dict) or statement.get("type") != STATEMENT_TYPE or \
            any(not isinstance(statement.get(k), kind) for k, kind in shape.items()):
        raise Failed("not a well-formed intake provenance statement")
    if name != f"provenance/{statement['item']}.json" or statement["custodian"].get("fingerprint") != key.fingerprint.hex():
        raise Failed("it names another item or custodian than its place in the bundle")
    return statement


# --- all of it ---------------------------------------------------------------------------------


def verify(bundle: Bundle, published: str | None, since: str | None = None, witnesses: str | None = None) -> int:
    report = Report()
    key = report.attempt(f"{IDENTITY} is an intake public identity, self-signed", load_key, bundle)
    if key is None:
        return finish(report, None)
    show_key(key)
    report.attempt(f"{PEM} (used by the openssl steps) holds the same key", check_pem, bundle, key)
    if published is not None:
        report.attempt("the bundle was signed by the key you gave (--fingerprint)", check_published, key, published)
    listed = report.attempt(f"{CONTENTS} (every file's SHA-256) is signed by this key", signed_list, bundle, key)
    if listed:
        report.attempt(f"{len(listed)} files match the signed list", check_listed_hashes, bundle, listed)
        report.attempt("the folder holds exactly the listed files: none added, none missing", check_file_set,
                       bundle, listed)
    check_signatures(bundle, key, report)
    checkpoint, tree = report.attempt(f"{CHECKPOINT} is a checkpoint signed by this key", read_checkpoint,
                                      bundle, key) or (None, None)
    if since is not None:
        older = report.attempt(f"the older checkpoint {since} (--since) is readable", read_older, since)
        if older and tree:
            report.attempt("the ledger extends the older checkpoint given with --since (RFC 9162 consistency)",
                           check_since, bundle, key, older, checkpoint, tree)
    if witnesses is not None:
        policy = report.attempt(f"the witness policy {witnesses} (--witnesses) is readable", read_witnesses,
                                witnesses)
        if policy and checkpoint:
            report.attempt("the checkpoint is cosigned by the witnesses you trust (--witnesses)", check_witnesses,
                           policy, checkpoint)
    statements = sorted(p for p in bundle.files if p.startswith("provenance/itm_") and p.endswith(".json")
                        and p.count("/") == 1)
    report.check("the bundle holds provenance statements", bool(statements), "there are none")
    described: set[str] = set()
    for name in statements if tree else []:
        check_statement(bundle, key, name, checkpoint, tree, report, described)
    for orphan in sorted(p for p in bundle.files if p.startswith("data/") and p not in described):
        report.check(f"{orphan} is described by a statement", False, "no provenance statement names it")
    return finish(report, key)


def finish(report: Report, key: Key | None) -> int:
    if report.failures:
        print(f"NOT VERIFIED: {report.failures} check(s) failed")
        return 1
    assert key is not None
    print(f"VERIFIED: every check holds, for the key {grouped(key.fingerprint.hex())}; "
          "it is the desk's only if that fingerprint is the one the desk published")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Check an intake bundle's provenance with python3 alone.",
                                     allow_abbrev=False)
    parser.add_argument("bundle", nargs="?", default=".", help="the bundle's folder (default: this folder)")
    parser.add_argument("--fingerprint", metavar="HEX", help="the fingerprint the desk published; fail on any other")
    parser.add_argument("--key", action="store_true", help="only show the signing key's fingerprint")
    parser.add_argument("--since", metavar="OLD", help="an older bundle of the same desk (its folder or its "
                        "provenance/checkpoint.txt) or a saved checkpoint: fail unless this bundle's ledger extends it")
    parser.add_argument("--witnesses", metavar="FILE", help="the witnesses you trust (one key per line, optional "
                        "`quorum K`): fail unless enough of them cosigned the checkpoint")
    args = parser.parse_args(argv)
    bundle = Bundle(args.bundle)
    if args.key:
        report = Report()
        key = report.attempt(f"{IDENTITY} is an intake public identity, self-signed", load_key, bundle)
        if key is not None:
            show_key(key)
            report.attempt(f"{PEM} (used by the openssl steps) holds the same key", check_pem, bundle, key)
        return 1 if report.failures else 0
    return verify(bundle, args.fingerprint, args.since, args.witnesses)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
