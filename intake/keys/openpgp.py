"""The OpenPGP bridge: users who already have a GPG key sign and open with it.

Everything goes through the user's own `gpg` (via python-gnupg), so their
keyring, gpg-agent, pinentry and smartcard work as they always do, and what
we write is what `gpg --verify` and `gpg --decrypt` expect. Keys are named by
full fingerprint only: short key ids and user ids collide and can be forged.
gpg never reaches the network here (see `_OFFLINE`). Passphrases stay between
gpg-agent and pinentry: this module never sees, passes or logs one.
"""

from __future__ import annotations

import atexit
import io
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

import gnupg

from intake.errors import OpenPGPError
from intake.support.fsutil import create_private, fsync_dir, partial_path

# Command-line options beat gpg.conf: no dirmngr means no keyserver, WKD, DANE
# or CRL lookups, whatever the user's configuration says.
_OFFLINE = ["--disable-dirmngr", "--no-auto-key-retrieve", "--auto-key-locate", "local", "--no-auto-key-import"]
_FINGERPRINT = re.compile(r"^(?:[0-9A-F]{40}|[0-9A-F]{64})$")
_SIGNATURE_ARMOR = "-----BEGIN PGP SIGNATURE-----"
_PUBLIC_KEY_ARMOR = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
_MESSAGE_ARMOR = b"-----BEGIN PGP MESSAGE-----"
_UNUSABLE_VALIDITY = {"r": "is revoked", "e": "has expired", "i": "is invalid", "d": "is disabled"}
# libgpg-error codes (low 16 bits) and the pinentry error source (bits 24..30)
# that mean "no passphrase came": no pinentry, a cancelled or timed-out one,
# a wrong passphrase, none given.
_PASSPHRASE_ERRORS = {11, 62, 85, 86, 99, 177}
_PINENTRY_SOURCE = 5


@dataclass(frozen=True)
class GpgKey:
    fingerprint: str  # primary key, 40 (v4) or 64 (v5) upper-case hex
    user_ids: tuple[str, ...]
    can_sign: bool
    can_encrypt: bool
    subkeys: tuple[str, ...] = ()  # subkey fingerprints

    def owns(self, fingerprint: str | None) -> bool:
        """Whether a signature or packet by `fingerprint` was made with this key."""
        return fingerprint is not None and (fingerprint == self.fingerprint or fingerprint in self.subkeys)


@dataclass(frozen=True)
class PgpVerdict:
    valid: bool
    fingerprint: str | None  # the signer's primary key, when gpg could tell
    reason: str


def gpg_available() -> bool:
    return shutil.which("gpg") is not None


def normalize_fingerprint(text: str) -> str:
    """Spaces and case as gpg prints them are fine; anything short of the full fingerprint is not."""
    compact = "".join(text.split()).upper()
    if compact.startswith("0X"):
        compact = compact[2:]
    if not _FINGERPRINT.match(compact):
        raise OpenPGPError(
            "give the full 40-hex fingerprint of the OpenPGP key (gpg --fingerprint shows it); "
            "short key ids and user ids are refused because they collide"
        )
    return compact


def find_key(fingerprint: str, secret: bool) -> GpgKey:
    """The key in the user's GnuPG keyring ($GNUPGHOME is honoured), usable for the job.

    secret=True: for signing with it (its secret part must be here).
    secret=False: for encrypting to it.
    """
    wanted = normalize_fingerprint(fingerprint)
    key = _usable_key(_gpg(), wanted, secret)
    if secret and not key.can_sign:
        raise OpenPGPError(f"OpenPGP key {wanted} cannot sign here: no valid signing key or subkey "
                           "with its secret part in your GnuPG keyring")
    if not secret and not key.can_encrypt:
        raise OpenPGPError(f"OpenPGP key {wanted} has no valid encryption subkey")
    return key


# A public bundle shows the key it carries: only the primary user id goes (gpg needs one to
# import the key), not every name and address the owner ever attached to it.
_PUBLISHED_USER_IDS = ("--export-filter", "keep-uid=primary -t")


def export_public_key(fingerprint: str) -> str:
    """ASCII-armored, minimal: only the latest self-signatures and the primary user id, no
    third-party certifications."""
    wanted = normalize_fingerprint(fingerprint)
    key = _usable_key(_gpg(), wanted, secret=False)
    gpg = _gpg(extra_options=_PUBLISHED_USER_IDS)
    armored = gpg.export_keys(key.fingerprint, armor=True, minimal=True)
    if not armored.startswith(_PUBLIC_KEY_ARMOR):
        raise OpenPGPError(f"gpg could not export the public key {key.fingerprint}")
    return armored


def sign_detached(data: bytes | BinaryIO, fingerprint: str) -> str:
    """An ASCII-armored detached signature by exactly that key (or one of its signing subkeys)."""
    key = find_key(fingerprint, secret=True)
    gpg = _gpg()
    # --local-user, not --default-key: gpg silently signs with another secret key
    # when a --default-key is unusable; --local-user fails instead.
    result = gpg.sign_file(_stream(data), detach=True, binary=False,
                           extra_args=["--local-user", key.fingerprint])
    if result.returncode != 0 or not result.fingerprint:
        raise OpenPGPError(f"gpg could not sign with {key.fingerprint}: {_failure_reason(result.stderr)}")
    if not key.owns(result.fingerprint):
        raise OpenPGPError(f"gpg signed with {result.fingerprint}, not with {key.fingerprint}; nothing was written")
    signature = result.data.decode("ascii")
    if not signature.startswith(_SIGNATURE_ARMOR):
        raise OpenPGPError(f"gpg gave no ASCII-armored signature for {key.fingerprint}")
    return signature


def verify_detached(data: bytes | BinaryIO, signature: str, public_key: str) -> PgpVerdict:
    """Offline: does `signature` over `data` verify, made by `public_key` (primary or subkey)?

    The user's keyring is not used: trust comes from the public key the caller
    supplies (from the bundle), checked in a throwaway GnuPG home.
    """
    if not public_key.lstrip().startswith(_PUBLIC_KEY_ARMOR):
        return PgpVerdict(False, None, "the OpenPGP public key is not an ASCII-armored public key block")
    if not signature.lstrip().startswith(_SIGNATURE_ARMOR):
        return PgpVerdict(False, None, "the .asc file is not an ASCII-armored OpenPGP signature")
    # The throwaway home holds public data only: the caller's public key, its
    # trust database and the signature file (gpg reads a detached signature
    # from a file while the data streams through stdin).
    with tempfile.TemporaryDirectory(prefix="intake-gpg-", ignore_cleanup_errors=True) as home:
        try:
            gpg = _gpg(home)
            signer = _import_single_public_key(gpg, public_key)
            if isinstance(signer, PgpVerdict):
                return signer
            signature_path = Path(home, "signature.asc")
            signature_path.write_text(signature, encoding="utf-8")
            try:
                result = gpg.verify_file(_stream(data), extra_args=[str(signature_path), "-"])
            except BrokenPipeError:
                # gpg stops before reading the data only when it finds no signature to check.
                return PgpVerdict(False, None, "the .asc file holds no readable OpenPGP signature")
        finally:
            _kill_agents(home)
    return _verdict(result, signer)


def encrypt_file(source: Path, target: Path, recipient_fingerprint: str) -> None:
    """Binary OpenPGP to exactly that public key from the user's keyring."""
    key = find_key(recipient_fingerprint, secret=False)
    gpg = _gpg()
    # --trust-model always (always_trust) skips the web of trust. That is safe
    # only because the user named the full fingerprint: the key is the one they
    # meant, which is what the web of trust would otherwise vouch for.
    # --no-encrypt-to drops any encrypt-to from gpg.conf ("exactly that key");
    # --throw-keyids leaves the recipient's key id out of the file, as age does;
    # --set-filename "" keeps the source's name out of the encrypted literal packet.
    options = ["--no-encrypt-to", "--throw-keyids", "--set-filename", ""]

    def run(output: Path) -> gnupg.Crypt:
        return gpg.encrypt_file(io.BytesIO(), recipients=[key.fingerprint], always_trust=True, armor=False,
                                output=str(output), extra_args=options + _input_file(source))

    _write_through_gpg(source, target, run, f"gpg could not encrypt to {key.fingerprint}")


def decrypt_file(source: Path, target: Path) -> None:
    """Open with whichever of the user's secret keys fits (passphrase via gpg-agent)."""
    gpg = _gpg()

    def run(output: Path) -> gnupg.Crypt:
        return gpg.decrypt_file(io.BytesIO(), output=str(output), extra_args=_input_file(source))

    _write_through_gpg(source, target, run, f"gpg could not decrypt {source.name}")


def _input_file(source: Path) -> list[str]:
    """gpg reads the file itself, so it streams in constant memory, and when it stops early
    (no key for it) nothing breaks a pipe and hides its reason. The path is on gpg's command
    line, visible to local users, as with any gpg command a user would type."""
    return ["--", str(source.absolute())]


def looks_like_openpgp(head: bytes) -> bool:
    """An OpenPGP encrypted or compressed message, by its first bytes (age files are not)."""
    if head.lstrip(b" \t\r\n").startswith(_MESSAGE_ARMOR):
        return True
    header = _packet_header(head)
    if header is None:
        return False
    tag, body = header
    first_body_byte = _MESSAGE_PACKETS.get(tag)
    return first_body_byte is not None and body < len(head) and head[body] in first_body_byte


# Packet tag → values its first body byte may take (RFC 9580 section 5):
# PKESK and SKESK versions, compression algorithm, SEIPD version, AEAD (tag 20) version.
_MESSAGE_PACKETS = {1: {3, 6}, 3: {4, 5, 6}, 8: {0, 1, 2, 3}, 18: {1, 2}, 20: {1}}


def _packet_header(head: bytes) -> tuple[int, int] | None:
    """(tag, offset of the body) of the first packet, old or new format; None if not a packet."""
    if not head or not head[0] & 0x80:
        return None
    first = head[0]
    if first & 0x40:
        if len(head) < 2:
            return None
        length = head[1]
        length_octets = 2 if 192 <= length < 224 else 5 if length == 255 else 1
        return first & 0x3F, 1 + length_octets
    length_octets = (1, 2, 4, 0)[first & 0x03]
    return (first >> 2) & 0x0F, 1 + length_octets


# What gpg, its agent and pinentry need from our environment, and nothing else: an agent gpg
# starts inherits the environment and outlives us, so INTAKE_PASSPHRASE or any other secret
# in it must never reach gpg (an allow-list: a new secret variable is left out by default).
_GPG_ENVIRONMENT = ("PATH", "HOME", "GNUPGHOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM",
                    "GPG_TTY", "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "XDG_RUNTIME_DIR",
                    "DBUS_SESSION_BUS_ADDRESS", "PINENTRY_USER_DATA")


def gpg_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items()
            if name in _GPG_ENVIRONMENT or (name.startswith("LC_") and name.isupper())}


class _AgentKeeper:
    """Stops, when intake exits, a gpg-agent that intake's own gpg calls started for the user's
    GnuPG home, and leaves alone one the user already had (it may hold their cached passphrase).
    Process-wide by nature: the agent lives as long as the process, not as one call."""

    def __init__(self) -> None:
        self._checked: set[str] = set()

    def watch(self, home: str | None) -> None:
        key = home or os.environ.get("GNUPGHOME") or ""
        if key in self._checked or not shutil.which("gpg-connect-agent"):
            return
        self._checked.add(key)
        if not _agent_running(home):
            atexit.register(_stop_agents, home)


_AGENTS = _AgentKeeper()


def _home_option(home: str | None) -> list[str]:
    return ["--homedir", home] if home else []


def _agent_running(home: str | None) -> bool:
    probe = subprocess.run(["gpg-connect-agent", *_home_option(home), "--no-autostart", "/bye"],
                           capture_output=True, env=gpg_environment(), check=False)
    return probe.returncode == 0 and b"no gpg-agent running" not in probe.stderr


def _stop_agents(home: str | None) -> None:
    if shutil.which("gpgconf"):
        subprocess.run(["gpgconf", *_home_option(home), "--kill", "all"], capture_output=True,
                       env=gpg_environment(), check=False)


def _gpg(home: str | None = None, extra_options: tuple[str, ...] = ()) -> gnupg.GPG:
    # home=None leaves the choice to gpg, which honours $GNUPGHOME.
    if not gpg_available():
        raise OpenPGPError("gpg is not installed (or not on PATH); install GnuPG to use OpenPGP keys")
    if home is None:
        _AGENTS.watch(home)
    try:
        gpg = gnupg.GPG(gnupghome=home, options=[*_OFFLINE, *extra_options], env=gpg_environment())
    except (OSError, ValueError) as error:
        raise OpenPGPError("gpg does not run; check your GnuPG installation") from error
    gpg.encoding = "utf-8"
    return gpg


def _usable_key(gpg: gnupg.GPG, fingerprint: str, secret: bool) -> GpgKey:
    listing = gpg.list_keys(secret=secret, keys=[fingerprint])
    if not listing and secret and gpg.list_keys(keys=[fingerprint]):
        raise OpenPGPError(f"your GnuPG keyring has only the public part of {fingerprint}, not its secret key")
    if not listing:
        raise OpenPGPError(f"no OpenPGP key {fingerprint} in your GnuPG keyring")
    record = next((k for k in listing if k["fingerprint"] == fingerprint), None)
    if record is None:
        raise OpenPGPError(f"{fingerprint} is a subkey of {listing[0]['fingerprint']}; give that primary "
                           "key's fingerprint")
    problem = _UNUSABLE_VALIDITY.get(record["trust"]) or ("is disabled" if "D" in record["cap"] else None)
    if problem:
        raise OpenPGPError(f"OpenPGP key {fingerprint} {problem}; it cannot be used")
    return _key_from_listing(record, secret)


def _key_from_listing(record: dict, secret: bool) -> GpgKey:
    """Capabilities as gpg sums them up (upper-case = usable), and, for a secret listing, only
    where the secret part is really here (token '#' marks a stub, e.g. an offline primary key)."""
    parts = [record] + [record["subkey_info"][keyid] for keyid, *_ in record["subkeys"]]

    def usable(capability: str) -> bool:
        if capability.upper() not in record["cap"]:
            return False
        return not secret or any(capability in part["cap"] and part["trust"] not in _UNUSABLE_VALIDITY
                                 and part.get("token") != "#" for part in parts)

    return GpgKey(
        fingerprint=record["fingerprint"],
        user_ids=tuple(record["uids"]),
        can_sign=usable("s"),
        can_encrypt=usable("e"),
        subkeys=tuple(fpr for _, _, fpr, _ in record["subkeys"] if fpr),
    )


@dataclass(frozen=True)
class _Signer:
    key: GpgKey
    expiries: dict[str, int]  # fingerprint → when it (or its primary) stops being valid, if ever


def _import_single_public_key(gpg: gnupg.GPG, public_key: str) -> _Signer | PgpVerdict:
    imported = gpg.import_keys(public_key, extra_args=["--import-options", "import-minimal"])
    if imported.sec_read:
        return PgpVerdict(False, None, "the OpenPGP public key file holds secret key material; refused")
    listing = gpg.list_keys()
    if len(listing) != 1:
        count = len(listing)
        return PgpVerdict(False, None, f"the OpenPGP public key file holds {count} keys; expected exactly one")
    record = listing[0]
    return _Signer(_key_from_listing(record, secret=False), _expiries(record))


def _expiries(record: dict) -> dict[str, int]:
    """A subkey stops being valid at its own expiry or its primary's, whichever comes first."""
    primary = _timestamp(record["expires"])
    own = [(record["fingerprint"], primary)] + [
        (fingerprint, _timestamp(record["subkey_info"][keyid]["expires"]))
        for keyid, _, fingerprint, _ in record["subkeys"]
    ]
    expiries = {}
    for fingerprint, expiry in own:
        limits = [t for t in (expiry, primary) if t is not None]
        if limits:
            expiries[fingerprint] = min(limits)
    return expiries


def _timestamp(field: str) -> int | None:
    return int(field) if field else None


def _verdict(result: gnupg.Verify, signer: _Signer) -> PgpVerdict:
    key = signer.key
    count = result.stderr.count("[GNUPG:] NEWSIG")
    if count > 1:
        return PgpVerdict(False, None, f"the .asc file holds {count} signatures; expected one")
    statuses = {problem["status"] for problem in result.problems}
    expired = "signing key has expired" in statuses
    # VALIDSIG (result.fingerprint) is the cryptographic check; gpg still sends it,
    # with EXPKEYSIG instead of GOODSIG, when the key has expired since.
    if result.returncode == 0 and result.fingerprint and len(result.sig_info) == 1 and (
            (result.valid and not statuses) or statuses == {"signing key has expired"}):
        primary = result.pubkey_fingerprint
        if primary != key.fingerprint or not key.owns(result.fingerprint):
            return PgpVerdict(False, primary, f"signed by {primary}, not by the given key {key.fingerprint}")
        if not expired:
            return PgpVerdict(True, primary, f"good signature by {primary}")
        return _expired_key_verdict(result, signer)
    if "signature bad" in statuses:
        return PgpVerdict(False, None, "BAD signature: the data or the signature was altered")
    if "no public key" in statuses:
        return PgpVerdict(False, None, f"the signature was not made by the given key {key.fingerprint}")
    if "signing key was revoked" in statuses:
        return PgpVerdict(False, None, f"the signing key {key.fingerprint} was revoked")
    if "signature expired" in statuses:
        return PgpVerdict(False, None, "the signature has expired")
    if result.status == "signature expected but not found":
        return PgpVerdict(False, None, "the .asc file holds no OpenPGP signature")
    said = _last_complaint(result.stderr) or result.status or "no reason given"
    return PgpVerdict(False, None, f"gpg could not verify the signature ({said})")


def _expired_key_verdict(result: gnupg.Verify, signer: _Signer) -> PgpVerdict:
    """A signature made while the key was valid stays good after the key expires (as gpg
    says too): bundles are verified years later. One dated after the expiry is not."""
    primary = signer.key.fingerprint
    expiry = signer.expiries.get(result.fingerprint)
    made = int(result.sig_timestamp or 0)
    if expiry is not None and made < expiry:
        return PgpVerdict(True, primary, f"good signature by {primary}, made before the key expired on "
                                         f"{_date(expiry)}")
    return PgpVerdict(False, primary, f"the signature is dated after the signing key {primary} expired")


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def _write_through_gpg(source: Path, target: Path, run: Callable[[Path], gnupg.Crypt], failure: str) -> None:
    """gpg writes `target` itself, via a 0600 partial file we create (gpg keeps its mode),
    which takes the final name only on success and never replaces an existing file."""
    if os.path.lexists(target):
        raise OpenPGPError(f"{target} already exists; refused")
    try:
        with open(source, "rb"):
            pass
    except OSError as error:
        raise OpenPGPError(f"cannot read {source} ({error.strerror})") from error
    partial = partial_path(target)
    try:
        os.close(create_private(partial))
    except OSError as error:
        raise OpenPGPError(f"cannot write {target} ({error.strerror})") from error
    try:
        result = run(partial)
        if not result.ok or result.returncode != 0:
            raise OpenPGPError(f"{failure}: {_failure_reason(result.stderr, result.status)}")
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        _move_into_place(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    fsync_dir(target.parent)


def _move_into_place(partial: Path, target: Path) -> None:
    """A hard link never replaces an existing file; rename where hard links are not supported (FAT)."""
    try:
        os.link(partial, target)
    except FileExistsError as error:
        raise OpenPGPError(f"{target} already exists; refused") from error
    except OSError:
        if os.path.lexists(target):
            raise OpenPGPError(f"{target} already exists; refused") from None
        os.rename(partial, target)


def _kill_agents(home: str) -> None:
    # gpg starts gpg-agent (and may start dirmngr) per home; leave none behind.
    _stop_agents(home)


def _stream(data: bytes | BinaryIO) -> BinaryIO:
    return io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data


def _failure_reason(stderr: str, status: str | None = None) -> str:
    """Plain words from gpg's status lines; its own last complaint as a hint."""
    said = _last_complaint(stderr)
    for code in _failure_codes(stderr):
        if (code >> 24) & 0x7F == _PINENTRY_SOURCE or code & 0xFFFF in _PASSPHRASE_ERRORS:
            return f"no passphrase available (is gpg-agent running with a pinentry?){_hint(said)}"
    if "[GNUPG:] DECRYPTION_OKAY" not in stderr:
        if "[GNUPG:] DECRYPTION_KEY" in stderr:  # the key was found: what it opened is broken
            return f"the file is damaged or was altered{_hint(said)}"
        if "[GNUPG:] NO_SECKEY" in stderr:
            return f"none of your secret keys opens it{_hint(said)}"
    if said:
        return said
    return status or "no reason given"


def _failure_codes(stderr: str) -> list[int]:
    codes = []
    for line in stderr.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[0] == "[GNUPG:]" and fields[1] in ("FAILURE", "ERROR"):
            if fields[-1].isdigit():
                codes.append(int(fields[-1]))
    return codes


def _last_complaint(stderr: str) -> str:
    lines = [line[len("gpg: "):].strip() for line in stderr.splitlines() if line.startswith("gpg: ")]
    return lines[-1] if lines else ""


def _hint(said: str) -> str:
    return f" (gpg: {said})" if said else ""
