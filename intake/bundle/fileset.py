"""The file set of a bundle: one signed list covers every file, and nothing else may be there.

`provenance/contents.sha256` (written by bagit.SignedList) lists the SHA-256
of every file but the two tag manifests, itself and its signatures. A bundle
holds exactly the listed files plus those five (`.asc` only with an OpenPGP
key): a file added anywhere, at the root, in provenance/ or in data/, fails,
whatever the unsigned BagIt manifests say. Every `.sig` is checked, and with
an OpenPGP key every signed file must also carry its `.asc`.

The hashes are not computed again: the list must agree with the BagIt
manifests, whose hashes `validate_bag` checks against the files.
verify_provenance.py applies the same rule with python3 alone.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from intake.bundle.bagit import BagSource, manifest_entries, signed_list_entries
from intake.bundle.bagpath import shown
from intake.bundle.statement import CONTENTS_FILE, OPENPGP_KEY_FILE, PEM_FILE
from intake.errors import Check, IntakeError
from intake.keys.identity import PublicIdentity

TAG_MANIFESTS = ("tagmanifest-sha256.txt", "tagmanifest-sha512.txt")
_SIGNATURE_LIMIT = 1 << 16
_SIGNED_LIMIT = 64 << 20
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def file_set_checks(bag: BagSource, custodian: PublicIdentity, checked_elsewhere: Callable[[str], bool]) -> list[Check]:
    """The signed list, the exact file set, custodian.pem, every .sig but those `checked_elsewhere` checks."""
    checks = [_pem_check(bag, custodian)]
    listed = _signed_list(bag, custodian, checks)
    if listed is not None:
        checks.append(_agrees_with_manifests(bag, listed))
        checks.append(_exact_set(bag, listed))
    signatures = [path for path in bag.files() if path.endswith(".sig")]
    for signature in signatures:
        signed = signature[: -len(".sig")]
        if signed != CONTENTS_FILE and not checked_elsewhere(signed):
            checks.append(signature_check(bag, signed, custodian))
    if OPENPGP_KEY_FILE in bag.files():
        checks.append(_openpgp_companions(bag, signatures))
    return checks


def signature_check(bag: BagSource, signed: str, custodian: PublicIdentity) -> Check:
    what = f"{signed} is signed by the custodian (Ed25519, {signed}.sig)"
    try:
        ok = custodian.verify(bag.read(signed, _SIGNED_LIMIT), bag.read(f"{signed}.sig", _SIGNATURE_LIMIT))
    except (IntakeError, OSError):
        return Check(False, what, f"{shown(signed)} or its signature is missing or unreadable")
    if not ok:
        return Check(False, what, f"the signature does not verify: {shown(signed)} was altered or signed by another key")
    return Check(True, what)


def expected_files(listed: set[str]) -> set[str]:
    """What a bundle with this signed list holds: the listed files, the tag manifests, the list and its signatures."""
    expected = listed | {CONTENTS_FILE, f"{CONTENTS_FILE}.sig", *TAG_MANIFESTS}
    if OPENPGP_KEY_FILE in listed:
        expected.add(f"{CONTENTS_FILE}.asc")
    return expected


def _signed_list(bag: BagSource, custodian: PublicIdentity, checks: list[Check]) -> dict[str, str] | None:
    check = signature_check(bag, CONTENTS_FILE, custodian)
    checks.append(check)
    if not check.ok:
        return None
    try:
        return signed_list_entries(bag, CONTENTS_FILE)
    except IntakeError as error:
        checks.append(Check(False, f"{CONTENTS_FILE} is a list of files", str(error)))
        return None


def _agrees_with_manifests(bag: BagSource, listed: dict[str, str]) -> Check:
    what = f"every file has the SHA-256 the signed list gives ({len(listed)} files)"
    try:
        manifests = manifest_entries(bag, "manifest-sha256.txt") | manifest_entries(bag, "tagmanifest-sha256.txt")
    except IntakeError as error:
        return Check(False, what, str(error))
    differ = sorted(path for path, digest in listed.items() if manifests.get(path) != digest)
    if differ:
        return Check(False, what, "not as signed: " + ", ".join(shown(path) for path in differ[:5]))
    return Check(True, what)


def _exact_set(bag: BagSource, listed: dict[str, str]) -> Check:
    what = "the bundle holds exactly the signed files: none added, none missing"
    expected, present = expected_files(set(listed)), set(bag.files())
    added, missing = sorted(present - expected), sorted(expected - present)
    if added or missing:
        reasons = [f"{shown(path)} was added" for path in added] + [f"{shown(path)} is missing" for path in missing]
        return Check(False, what, "; ".join(reasons[:5]) + (f"; and {len(reasons) - 5} more" if len(reasons) > 5 else ""))
    return Check(True, what)


def _pem_check(bag: BagSource, custodian: PublicIdentity) -> Check:
    """VERIFY.txt's openssl steps use custodian.pem: it must hold the key whose fingerprint is shown."""
    what = f"{PEM_FILE} holds the custodian's key"
    try:
        lines = bag.read(PEM_FILE, _SIGNATURE_LIMIT).decode("ascii").strip().split("\n")
        der = base64.b64decode("".join(lines[1:-1]), validate=True)
    except (IntakeError, OSError, ValueError):
        return Check(False, what, f"{PEM_FILE} is missing or not a PEM key")
    if lines[0] != "-----BEGIN PUBLIC KEY-----" or der != _ED25519_SPKI_PREFIX + custodian.signing_key:
        return Check(False, what, f"{PEM_FILE} holds another key than the custodian's identity")
    return Check(True, what)


def _openpgp_companions(bag: BagSource, signatures: list[str]) -> Check:
    present = set(bag.files())
    missing = [f"{path[: -len('.sig')]}.asc" for path in signatures if f"{path[: -len('.sig')]}.asc" not in present]
    what = f"every signed file also has its OpenPGP signature ({OPENPGP_KEY_FILE} is present)"
    if missing:
        return Check(False, what, "missing: " + ", ".join(shown(path) for path in missing[:5]))
    return Check(True, what)
