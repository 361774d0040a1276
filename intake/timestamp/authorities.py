"""The desk's time-stamping authorities: which TSAs an export asks, and which CA each must chain to.

They live in the vault's sealed, signed sealing policy: nobody without the
passphrase learns which TSAs the desk uses, nobody without the key swaps a CA.
"""

from __future__ import annotations

import datetime
import urllib.parse
from dataclasses import replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from intake.errors import IntakeError
from intake.support.fsutil import read_regular_file
from intake.timestamp.rfc3161 import load_certificates
from intake.vault import Vault
from intake.keys.keystore import Keyring, SealingPolicy, TimestampAuthority

MAX_CA_FILE = 1 << 20


def check_tsa_url(url: str) -> str:
    """An http(s) address with a host and nothing secret in it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IntakeError("the TSA's URL must start with http:// or https:// and name a host")
    if parts.username or parts.password:
        raise IntakeError("the TSA's URL must not hold a user name or password")
    return url


def read_tsa_ca(path: Path) -> str:
    """The PEM of one CA certificate, valid now, that the TSA's certificate chains to."""
    certificates = load_certificates(read_regular_file(path, MAX_CA_FILE, "a CA certificate"), str(path))
    if len(certificates) != 1:
        raise IntakeError(f"{path} must hold exactly one certificate: the CA that issued the TSA's certificate")
    ca = certificates[0]
    _check_is_ca(ca, path)
    return ca.public_bytes(Encoding.PEM).decode("ascii")


def _check_is_ca(ca: x509.Certificate, path: Path) -> None:
    try:
        is_ca = ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise IntakeError(f"{path} is not a CA certificate; give the CA certificate that issued the TSA's")
    now = datetime.datetime.now(datetime.timezone.utc)
    if not ca.not_valid_before_utc <= now <= ca.not_valid_after_utc:
        raise IntakeError(f"{path}: the CA certificate is not valid now ({ca.not_valid_before_utc:%Y-%m-%d} "
                          f"to {ca.not_valid_after_utc:%Y-%m-%d})")


def ca_certificate(tsa: TimestampAuthority) -> x509.Certificate:
    return x509.load_pem_x509_certificate(tsa.ca_pem.encode("ascii"))


def describe_ca(ca: x509.Certificate) -> str:
    return f"{ca.subject.rfc4514_string()} (SHA-256 {ca.fingerprint(hashes.SHA256()).hex()})"


def add_tsa(vault: Vault, keyring: Keyring, url: str, ca_pem: str) -> Keyring:
    """Ask this TSA at every export from now on; a URL already configured gets the new CA."""
    check_tsa_url(url)

    def with_tsa(policy: SealingPolicy) -> SealingPolicy:
        others = tuple(t for t in policy.timestamp_authorities if t.url != url)
        return replace(policy, timestamp_authorities=others + (TimestampAuthority(url, ca_pem),))

    return vault.change_policy(keyring, with_tsa)


def remove_tsa(vault: Vault, keyring: Keyring, url: str) -> Keyring:
    def without_tsa(policy: SealingPolicy) -> SealingPolicy:
        kept = tuple(t for t in policy.timestamp_authorities if t.url != url)
        if len(kept) == len(policy.timestamp_authorities):
            raise IntakeError(f"no time-stamping authority with the URL {url} (see `intake tsa list`)")
        return replace(policy, timestamp_authorities=kept)

    return vault.change_policy(keyring, without_tsa)


def read_verifier_roots(paths: list[Path]) -> list[x509.Certificate]:
    """The TSA CA certificates a verifier got from the TSAs (each file: one or more PEM certificates)."""
    return [c for path in paths
            for c in load_certificates(read_regular_file(path, MAX_CA_FILE, "a TSA CA certificate"), str(path))]
