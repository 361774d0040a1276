"""The OpenPGP bridge against real gpg: real keys, real agents, the recipes researchers run.

One GnuPG home per session holds every key the tests need, generated in
batch mode without passphrases (except the one key that tests the missing
passphrase). Fresh homes stand in for a researcher's or stranger's machine.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyrage
import pytest

from intake.keys.openpgp import (
    GpgKey,
    decrypt_file,
    encrypt_file,
    export_public_key,
    find_key,
    gpg_available,
    looks_like_openpgp,
    sign_detached,
    verify_detached,
)
from intake.errors import OpenPGPError
from gpg_helpers import add_subkey, discard_home, fingerprint_of, gpg, make_home, new_key

pytestmark = pytest.mark.skipif(not gpg_available(), reason="gpg is not installed (./dev test installs it)")


@dataclass(frozen=True)
class Keyring:
    home: Path
    editor: str          # ed25519 signing primary + cv25519 encryption subkey
    other: str           # an unrelated key of the same shape
    public_only: str     # only its public part is here
    expired: str
    revoked: str
    sign_only: str       # no encryption subkey
    offline_primary: str  # primary's secret elsewhere; signing and encryption subkeys here
    stub_signer: str     # signs with its primary, whose secret is elsewhere; encryption subkey here
    locked: str          # has a passphrase, and the agent has no pinentry to ask for it


@pytest.fixture(scope="session")
def keyring() -> Iterator[Keyring]:
    home = make_home()
    elsewhere = make_home()
    try:
        yield _populate(home, elsewhere)
    finally:
        discard_home(elsewhere)
        discard_home(home)


def _populate(home: Path, elsewhere: Path) -> Keyring:
    # pinentry that always fails: a key with a passphrase can never be unlocked
    # here, and no test can hang on a prompt.
    (home / "gpg-agent.conf").write_text(f"pinentry-program {shutil.which('false')}\n")
    editor = new_key(home, "Editor <e@example.invalid>")
    add_subkey(home, editor, "cv25519", "encr")
    other = new_key(home, "Other <o@example.invalid>")
    add_subkey(home, other, "cv25519", "encr")
    expired = new_key(home, "Old <old@example.invalid>", "sign", "1d", "--faked-system-time", "20200101T000000!")
    revoked = new_key(home, "Gone <gone@example.invalid>")
    add_subkey(home, revoked, "cv25519", "encr")
    revocation = (home / "openpgp-revocs.d" / f"{revoked}.rev").read_text().replace(":-----BEGIN", "-----BEGIN")
    gpg(home, "--import", input=revocation.encode())
    sign_only = new_key(home, "Signer <s@example.invalid>")
    gpg(home, "--passphrase", "locked-passphrase", "--pinentry-mode", "loopback",
        "--quick-gen-key", "Locked <l@example.invalid>", "ed25519", "sign", "never")
    locked = fingerprint_of(home, "Locked <l@example.invalid>")

    public_only = new_key(elsewhere, "Stranger <x@example.invalid>")
    add_subkey(elsewhere, public_only, "cv25519", "encr")
    gpg(home, "--import", input=gpg(elsewhere, "--export", public_only).stdout)
    offline = new_key(elsewhere, "Careful <c@example.invalid>", "cert")
    add_subkey(elsewhere, offline, "ed25519", "sign")
    add_subkey(elsewhere, offline, "cv25519", "encr")
    subkeys_only = gpg(elsewhere, "--pinentry-mode", "loopback", "--passphrase", "", "--export-secret-subkeys", offline)
    gpg(home, "--import", input=subkeys_only.stdout)
    stub_signer = new_key(elsewhere, "Laptop <lap@example.invalid>")
    add_subkey(elsewhere, stub_signer, "cv25519", "encr")
    subkeys_only = gpg(elsewhere, "--pinentry-mode", "loopback", "--passphrase", "", "--export-secret-subkeys",
                       stub_signer)
    gpg(home, "--import", input=subkeys_only.stdout)
    return Keyring(home, editor, other, public_only, expired, revoked, sign_only, offline, stub_signer, locked)


@pytest.fixture
def user_keyring(keyring: Keyring, monkeypatch: pytest.MonkeyPatch) -> Keyring:
    monkeypatch.setenv("GNUPGHOME", str(keyring.home))
    return keyring


@pytest.fixture
def fresh_home() -> Iterator[Path]:
    home = make_home()
    yield home
    discard_home(home)


def spaced(fingerprint: str) -> str:
    """As `gpg --fingerprint` prints it, in lower case."""
    groups = [fingerprint[i:i + 4] for i in range(0, len(fingerprint), 4)]
    return (" ".join(groups[:5]) + "  " + " ".join(groups[5:])).lower()


# find_key


def test_find_key_by_full_fingerprint_with_spaces_and_lower_case(user_keyring: Keyring) -> None:
    key = find_key(spaced(user_keyring.editor), secret=True)
    assert key == find_key(user_keyring.editor, secret=False)
    assert isinstance(key, GpgKey)
    assert key.fingerprint == user_keyring.editor
    assert key.user_ids == ("Editor <e@example.invalid>",)
    assert key.can_sign and key.can_encrypt
    assert len(key.subkeys) == 1 and key.subkeys[0] != key.fingerprint


@pytest.mark.parametrize("name", ["short", "long", "user id", "email", "fingerprint with a typo"])
def test_find_key_refuses_anything_but_a_full_fingerprint(user_keyring: Keyring, name: str) -> None:
    fpr = user_keyring.editor
    given = {"short": fpr[-8:], "long": fpr[-16:], "user id": "Editor", "email": "e@example.invalid",
             "fingerprint with a typo": fpr[:-1] + "G"}[name]
    with pytest.raises(OpenPGPError, match="full 40-hex fingerprint"):
        find_key(given, secret=True)


def test_find_key_refuses_an_unknown_key(user_keyring: Keyring) -> None:
    with pytest.raises(OpenPGPError, match="no OpenPGP key 0123456789ABCDEF0123456789ABCDEF01234567"):
        find_key("0123456789abcdef0123456789abcdef01234567", secret=False)


def test_find_key_refuses_a_public_only_key_for_signing(user_keyring: Keyring) -> None:
    assert find_key(user_keyring.public_only, secret=False).can_encrypt
    with pytest.raises(OpenPGPError, match="only the public part"):
        find_key(user_keyring.public_only, secret=True)


def test_find_key_refuses_expired_and_revoked_keys(user_keyring: Keyring) -> None:
    for secret in (True, False):
        with pytest.raises(OpenPGPError, match="has expired"):
            find_key(user_keyring.expired, secret=secret)
        with pytest.raises(OpenPGPError, match="is revoked"):
            find_key(user_keyring.revoked, secret=secret)


def test_find_key_refuses_a_key_that_cannot_do_the_job(user_keyring: Keyring) -> None:
    with pytest.raises(OpenPGPError, match="no valid encryption subkey"):
        find_key(user_keyring.sign_only, secret=False)
    assert find_key(user_keyring.sign_only, secret=True).can_sign


def test_find_key_refuses_a_subkey_fingerprint(user_keyring: Keyring) -> None:
    subkey = find_key(user_keyring.editor, secret=False).subkeys[0]
    with pytest.raises(OpenPGPError, match=f"subkey of {user_keyring.editor}"):
        find_key(subkey, secret=False)


def test_offline_primary_key_signs_with_its_subkey(user_keyring: Keyring) -> None:
    key = find_key(user_keyring.offline_primary, secret=True)
    assert key.can_sign and key.can_encrypt and len(key.subkeys) == 2


def test_primary_key_without_its_secret_cannot_sign(user_keyring: Keyring) -> None:
    assert find_key(user_keyring.stub_signer, secret=False).can_encrypt
    with pytest.raises(OpenPGPError, match="cannot sign here"):
        find_key(user_keyring.stub_signer, secret=True)


def test_missing_gpg_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not gpg_available()
    with pytest.raises(OpenPGPError, match="gpg is not installed"):
        find_key("AB" * 20, secret=False)
    with pytest.raises(OpenPGPError, match="gpg is not installed"):
        verify_detached(b"x", "-----BEGIN PGP SIGNATURE-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----")


def test_gnupghome_is_honoured(fresh_home: Path, keyring: Keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GNUPGHOME", str(fresh_home))
    with pytest.raises(OpenPGPError, match="no OpenPGP key"):
        find_key(keyring.editor, secret=False)


# export, sign, verify


@pytest.fixture
def signed(user_keyring: Keyring, tmp_path: Path) -> tuple[Path, Path, str]:
    """A file, its .asc beside it, and the custodian's exported public key."""
    data = tmp_path / "report.pdf"
    data.write_bytes(os.urandom(200_000))
    with open(data, "rb") as stream:
        signature = sign_detached(stream, user_keyring.editor)
    asc = tmp_path / "report.pdf.asc"
    asc.write_text(signature)
    return data, asc, export_public_key(user_keyring.editor)


def test_export_is_one_minimal_armored_public_key(user_keyring: Keyring, fresh_home: Path) -> None:
    exported = export_public_key(spaced(user_keyring.editor))
    assert exported.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert "PRIVATE" not in exported
    gpg(fresh_home, "--import", input=exported.encode())
    listing = gpg(fresh_home, "--with-colons", "--list-keys").stdout.decode()
    assert [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")][0] == user_keyring.editor
    assert sum(line.startswith("pub:") for line in listing.splitlines()) == 1
    assert gpg(fresh_home, "--list-secret-keys", "--with-colons").stdout == b""


def test_export_publishes_only_the_primary_user_id(monkeypatch: pytest.MonkeyPatch, fresh_home: Path) -> None:
    home = make_home()
    try:
        key = new_key(home, "Desk <desk@example.invalid>")
        gpg(home, "--passphrase", "", "--quick-add-uid", key, "Real Person <real.person@example.invalid>")
        gpg(home, "--quick-set-primary-uid", key, "Desk <desk@example.invalid>")
        monkeypatch.setenv("GNUPGHOME", str(home))
        exported = export_public_key(key)
    finally:
        discard_home(home)
    gpg(fresh_home, "--import", input=exported.encode())
    listing = gpg(fresh_home, "--with-colons", "--list-keys").stdout.decode()
    assert [line.split(":")[9] for line in listing.splitlines() if line.startswith("uid:")] == ["Desk <desk@example.invalid>"]
    assert b"real.person" not in gpg(fresh_home, "--export").stdout


def test_export_refuses_an_expired_key(user_keyring: Keyring) -> None:
    with pytest.raises(OpenPGPError, match="has expired"):
        export_public_key(user_keyring.expired)


def test_gpg_verify_recipe_works_in_a_fresh_home(signed: tuple[Path, Path, str], fresh_home: Path,
                                                 user_keyring: Keyring) -> None:
    data, asc, public_key = signed
    gpg(fresh_home, "--import", input=public_key.encode())
    verified = gpg(fresh_home, "--status-fd", "1", "--verify", str(asc), str(data), check=False)
    assert verified.returncode == 0, verified.stderr
    assert f"VALIDSIG {user_keyring.editor}".encode() in verified.stdout
    data.write_bytes(data.read_bytes() + b"\0")
    assert gpg(fresh_home, "--verify", str(asc), str(data), check=False).returncode != 0


def test_verify_detached_accepts_the_signature(signed: tuple[Path, Path, str], user_keyring: Keyring) -> None:
    data, asc, public_key = signed
    with open(data, "rb") as stream:
        verdict = verify_detached(stream, asc.read_text(), public_key)
    assert verdict.valid, verdict.reason
    assert verdict.fingerprint == user_keyring.editor
    assert verify_detached(data.read_bytes(), asc.read_text(), public_key).valid


def test_one_flipped_byte_makes_it_invalid(signed: tuple[Path, Path, str]) -> None:
    data, asc, public_key = signed
    altered = bytearray(data.read_bytes())
    altered[len(altered) // 2] ^= 0x01
    verdict = verify_detached(bytes(altered), asc.read_text(), public_key)
    assert not verdict.valid
    assert "BAD signature" in verdict.reason


def test_signature_by_another_key_is_invalid(signed: tuple[Path, Path, str], user_keyring: Keyring) -> None:
    data, _, editor_public_key = signed
    forged = sign_detached(data.read_bytes(), user_keyring.other)
    verdict = verify_detached(data.read_bytes(), forged, editor_public_key)
    assert not verdict.valid
    assert "not made by the given key" in verdict.reason
    assert verify_detached(data.read_bytes(), forged, export_public_key(user_keyring.other)).valid


def test_verify_refuses_garbage_and_key_bundles(signed: tuple[Path, Path, str], user_keyring: Keyring) -> None:
    data, asc, public_key = signed
    signature = asc.read_text()
    assert not verify_detached(data.read_bytes(), "not a signature", public_key).valid
    assert not verify_detached(data.read_bytes(), signature, "not a key").valid
    two_keys = public_key + export_public_key(user_keyring.other)
    verdict = verify_detached(data.read_bytes(), signature, two_keys)
    assert not verdict.valid and "expected exactly one" in verdict.reason
    body = signature.replace("-----BEGIN PGP SIGNATURE-----\n", "").replace("-----END PGP SIGNATURE-----\n", "")
    broken = "-----BEGIN PGP SIGNATURE-----\n" + body[::-1] + "-----END PGP SIGNATURE-----\n"
    assert not verify_detached(data.read_bytes(), broken, public_key).valid


def test_an_inline_signed_message_posing_as_detached_is_refused(signed: tuple[Path, Path, str],
                                                                user_keyring: Keyring,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A message the custodian signed elsewhere must not vouch for other data."""
    _, _, public_key = signed
    monkeypatch.setenv("LANGUAGE", "C")  # gpg's own words are part of the reason
    inline = gpg(user_keyring.home, "--armor", "--sign", "--local-user", user_keyring.editor,
                 input=b"an old note").stdout.decode().replace("PGP MESSAGE", "PGP SIGNATURE")
    for data in (b"a forged file", b"an old note"):
        verdict = verify_detached(data, inline, public_key)
        assert not verdict.valid and "not a detached signature" in verdict.reason


def test_a_second_signature_beside_the_good_one_is_refused(signed: tuple[Path, Path, str],
                                                           user_keyring: Keyring) -> None:
    data, _, public_key = signed
    both = gpg(user_keyring.home, "--armor", "--detach-sign", "--local-user", user_keyring.editor,
               "--local-user", user_keyring.other, input=data.read_bytes()).stdout.decode()
    verdict = verify_detached(data.read_bytes(), both, public_key)
    assert not verdict.valid and "holds 2 signatures" in verdict.reason


def test_signing_subkey_signature_reports_the_primary(user_keyring: Keyring, fresh_home: Path) -> None:
    signature = sign_detached(b"crate serials", user_keyring.offline_primary)
    public_key = export_public_key(user_keyring.offline_primary)
    verdict = verify_detached(b"crate serials", signature, public_key)
    assert verdict.valid and verdict.fingerprint == user_keyring.offline_primary
    signer = find_key(user_keyring.offline_primary, secret=False)
    status = verified_status(fresh_home, public_key, signature, b"crate serials")
    assert any(f"VALIDSIG {subkey}" in status for subkey in signer.subkeys)


def verified_status(home: Path, public_key: str, signature: str, data: bytes) -> str:
    gpg(home, "--import", input=public_key.encode())
    (home / "s.asc").write_text(signature)
    return gpg(home, "--status-fd", "1", "--verify", str(home / "s.asc"), "-", input=data).stdout.decode()


def faked(when: str) -> tuple[str, ...]:
    return ("--faked-system-time", f"{when}!")


def test_signature_made_before_the_key_expired_stays_valid(fresh_home: Path) -> None:
    key = new_key(fresh_home, "Old <old@example.invalid>", "sign", "2020-01-02", *faked("20200101T000000"))
    signature = gpg(fresh_home, *faked("20200101T120000"), "--armor", "--detach-sign", "--local-user", key,
                    input=b"1 crate").stdout.decode()
    public_key = gpg(fresh_home, "--armor", "--export", key).stdout.decode()
    verdict = verify_detached(b"1 crate", signature, public_key)
    assert verdict.valid, verdict.reason
    assert verdict.fingerprint == key and "before the key expired on 2020-01-02" in verdict.reason
    assert not verify_detached(b"2 crates", signature, public_key).valid


def test_signature_dated_after_the_key_expired_is_invalid(fresh_home: Path) -> None:
    key = new_key(fresh_home, "Late <late@example.invalid>", "sign", "never", *faked("20200101T000000"))
    signature = gpg(fresh_home, *faked("20200105T000000"), "--armor", "--detach-sign", "--local-user", key,
                    input=b"1 crate").stdout.decode()
    gpg(fresh_home, *faked("20200101T010000"), "--quick-set-expire", key, "2020-01-02")
    public_key = gpg(fresh_home, "--armor", "--export", key).stdout.decode()
    verdict = verify_detached(b"1 crate", signature, public_key)
    assert not verdict.valid
    assert "dated after the signing key" in verdict.reason


def test_signature_by_a_key_revoked_since_is_invalid(fresh_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GNUPGHOME", str(fresh_home))
    key = new_key(fresh_home, "Burned <b@example.invalid>")
    signature = sign_detached(b"1 crate", key)
    assert verify_detached(b"1 crate", signature, export_public_key(key)).valid
    revocation = (fresh_home / "openpgp-revocs.d" / f"{key}.rev").read_text().replace(":-----BEGIN", "-----BEGIN")
    gpg(fresh_home, "--import", input=revocation.encode())
    with pytest.raises(OpenPGPError, match="is revoked"):
        export_public_key(key)
    public_key = gpg(fresh_home, "--armor", "--export", key).stdout.decode()
    verdict = verify_detached(b"1 crate", signature, public_key)
    assert not verdict.valid and "was revoked" in verdict.reason


def test_signing_without_a_passphrase_fails_in_plain_words(user_keyring: Keyring) -> None:
    with pytest.raises(OpenPGPError) as raised:
        sign_detached(b"data", user_keyring.locked)
    message = str(raised.value)
    assert f"gpg could not sign with {user_keyring.locked}: no passphrase available" in message
    assert "locked-passphrase" not in message and "\n" not in message


def test_signing_refuses_unusable_keys(user_keyring: Keyring) -> None:
    for fingerprint, reason in ((user_keyring.public_only, "only the public part"),
                                (user_keyring.revoked, "is revoked"), (user_keyring.editor[:16], "full 40-hex")):
        with pytest.raises(OpenPGPError, match=reason):
            sign_detached(b"data", fingerprint)


def test_verify_needs_no_keyring_and_leaves_no_agent(signed: tuple[Path, Path, str], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    data, asc, public_key = signed
    monkeypatch.setenv("GNUPGHOME", str(tmp_path / "does-not-exist"))
    throwaway_parent = make_home()
    monkeypatch.setattr(tempfile, "tempdir", str(throwaway_parent))
    try:
        assert verify_detached(data.read_bytes(), asc.read_text(), public_key).valid
        assert list(throwaway_parent.iterdir()) == []
        assert subprocess.run(["pgrep", "-f", str(throwaway_parent)], capture_output=True).returncode == 1
    finally:
        shutil.rmtree(throwaway_parent, ignore_errors=True)
    assert not (tmp_path / "does-not-exist").exists()


# encrypt, decrypt


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "crate-photos.tar"
    path.write_bytes(os.urandom(5 * 1024 * 1024 + 123))
    return path


def test_encrypt_decrypt_round_trip(user_keyring: Keyring, big_file: Path, tmp_path: Path) -> None:
    sealed = tmp_path / "submission.gpg"
    encrypt_file(big_file, sealed, spaced(user_keyring.editor))
    head = sealed.read_bytes()[:64]
    assert looks_like_openpgp(head) and not head.startswith(b"-----")
    assert bytes.fromhex(user_keyring.editor[-16:]) not in sealed.read_bytes()[:512]  # --throw-keyids
    opened = tmp_path / "opened.tar"
    decrypt_file(sealed, opened)
    assert opened.read_bytes() == big_file.read_bytes()
    assert opened.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crate-photos.tar", "opened.tar", "submission.gpg"]


def test_stock_gpg_decrypts_and_strangers_cannot(user_keyring: Keyring, big_file: Path, tmp_path: Path,
                                                 fresh_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = tmp_path / "submission.gpg"
    encrypt_file(big_file, sealed, user_keyring.editor)
    opened = gpg(user_keyring.home, "--status-fd", "2", "--decrypt", str(sealed))
    assert opened.stdout == big_file.read_bytes()
    assert b"crate-photos" not in opened.stderr  # the literal packet carries no file name
    gpg(fresh_home, "--import", input=export_public_key(user_keyring.editor).encode())
    assert gpg(fresh_home, "--decrypt", str(sealed), check=False).returncode != 0
    monkeypatch.setenv("GNUPGHOME", str(fresh_home))
    with pytest.raises(OpenPGPError, match="none of your secret keys opens it"):
        decrypt_file(sealed, tmp_path / "opened.tar")
    assert not (tmp_path / "opened.tar").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".partial-")]


def test_encrypt_is_to_that_key_only(user_keyring: Keyring, big_file: Path, tmp_path: Path) -> None:
    (user_keyring.home / "gpg.conf").write_text(f"encrypt-to {user_keyring.other}\n")
    try:
        encrypt_file(big_file, tmp_path / "s.gpg", user_keyring.editor)
    finally:
        (user_keyring.home / "gpg.conf").unlink()
    packets = gpg(user_keyring.home, "--list-packets", "--pinentry-mode", "error", str(tmp_path / "s.gpg"),
                  check=False).stdout.decode()
    assert packets.count(":pubkey enc packet:") == 1


def test_encrypt_refuses_bad_recipients(user_keyring: Keyring, big_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "s.gpg"
    cases = ((user_keyring.editor[-8:], "full 40-hex"), ("AB" * 20, "no OpenPGP key"),
             (user_keyring.sign_only, "no valid encryption subkey"), (user_keyring.revoked, "is revoked"),
             (user_keyring.expired, "has expired"))
    for recipient, reason in cases:
        with pytest.raises(OpenPGPError, match=reason):
            encrypt_file(big_file, target, recipient)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crate-photos.tar"]


def test_existing_target_is_refused_and_untouched(user_keyring: Keyring, big_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "s.gpg"
    target.write_bytes(b"keep me")
    with pytest.raises(OpenPGPError, match="already exists"):
        encrypt_file(big_file, target, user_keyring.editor)
    encrypt_file(big_file, tmp_path / "t.gpg", user_keyring.editor)
    with pytest.raises(OpenPGPError, match="already exists"):
        decrypt_file(tmp_path / "t.gpg", target)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OpenPGPError, match="already exists"):
        decrypt_file(tmp_path / "t.gpg", tmp_path / "dangling")
    assert target.read_bytes() == b"keep me"
    assert not (tmp_path / "nowhere").exists()


def test_damaged_ciphertext_leaves_no_partial_output(user_keyring: Keyring, big_file: Path, tmp_path: Path) -> None:
    sealed = tmp_path / "s.gpg"
    encrypt_file(big_file, sealed, user_keyring.editor)
    damaged = bytearray(sealed.read_bytes())
    damaged[len(damaged) - 100] ^= 0xFF  # late, so gpg has written most of the plaintext already
    sealed.write_bytes(bytes(damaged))
    with pytest.raises(OpenPGPError, match="gpg could not decrypt s.gpg: the file is damaged or was altered"):
        decrypt_file(sealed, tmp_path / "opened.tar")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crate-photos.tar", "s.gpg"]


def test_missing_source_is_refused(user_keyring: Keyring, tmp_path: Path) -> None:
    with pytest.raises(OpenPGPError, match="cannot read"):
        encrypt_file(tmp_path / "absent", tmp_path / "s.gpg", user_keyring.editor)
    assert list(tmp_path.iterdir()) == []


# looks_like_openpgp


def test_looks_like_openpgp_on_messages_gpg_makes(user_keyring: Keyring, tmp_path: Path) -> None:
    home, editor = user_keyring.home, user_keyring.editor
    armored = gpg(home, "--armor", "--trust-model", "always", "--encrypt", "-r", editor, input=b"x" * 100).stdout
    binary = gpg(home, "--trust-model", "always", "--encrypt", "-r", editor, input=b"x" * 100).stdout
    symmetric = gpg(home, "--symmetric", "--pinentry-mode", "loopback", "--passphrase-fd", "0",
                    input=b"test-only passphrase\n").stdout  # empty message: SKESK first
    compressed = gpg(home, "--sign", "--local-user", editor, input=b"x" * 100).stdout
    for message in (armored, binary, symmetric, compressed):
        assert looks_like_openpgp(message[:64]), message[:8]
    assert looks_like_openpgp(b"\n" + armored)


@pytest.mark.parametrize("head", [
    bytes([0xC1, 0x5E, 0x03]),              # new format PKESK v3, one-octet length
    bytes([0xC3, 0xC0, 0x10, 0x06]),        # new format SKESK v6, two-octet length
    bytes([0xD2, 0xE0, 0x01]),              # new format SEIPD v1, partial length
    bytes([0xD4, 0xFF, 0, 0, 1, 0, 0x01]),  # new format AEAD packet, five-octet length
    bytes([0x85, 0x01, 0x0C, 0x03]),        # old format PKESK v3, two-octet length
    bytes([0xA3, 0x01]),                    # old format compressed, indeterminate length, ZIP
])
def test_looks_like_openpgp_on_every_header_form(head: bytes) -> None:
    assert looks_like_openpgp(head)
    assert not looks_like_openpgp(head[:-1])  # too short to see the version or algorithm


def test_looks_like_openpgp_is_false_for_other_things(user_keyring: Keyring) -> None:
    age_file = pyrage.encrypt(b"sealed", [pyrage.x25519.Identity.generate().to_public()])
    assert age_file.startswith(b"age-encryption.org/v1")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    public_key = gpg(user_keyring.home, "--export", user_keyring.editor).stdout
    signature = gpg(user_keyring.home, "--detach-sign", "--local-user", user_keyring.editor, input=b"x").stdout
    for other in (age_file, buffer.getvalue(), b"", b"\x85", b"-----BEGIN PGP SIGNATURE-----\n",
                  b"-----BEGIN AGE ENCRYPTED FILE-----\n", public_key, signature, b"\xff\xd8\xff\xe0"):
        assert not looks_like_openpgp(other[:64]), other[:8]
