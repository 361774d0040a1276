"""RFC 3161 time-stamping: ask a TSA to sign the SHA-256 of some bytes, and check its answer.

Request building, response parsing and the CMS signature check come from
rfc3161-client (Trail of Bits; OpenSSL underneath). Trust is ours to decide:
a token counts only when its signer chains to a CA certificate given by the
caller, never to one taken from the token or the bundle.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from rfc3161_client import (
    HashAlgorithm, TimeStampResponse, TimestampRequestBuilder, VerificationError, VerifierBuilder,
    decode_timestamp_response,
)

from intake.errors import IntakeError, TimeStampError

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REPLY = 256 << 10  # a token with a long chain is a few KiB; more is not a time stamp
_CHUNK = 16 << 10
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class TimeStamp:
    """A checked time-stamp: the DER TimeStampResp and what it says."""

    response: bytes
    gen_time: datetime
    tsa: str  # the signing certificate's subject, RFC 4514
    certificates: tuple[x509.Certificate, ...]  # those the token carries, signer first


def request_timestamp(url: str, roots: Sequence[x509.Certificate], data: bytes,
                      timeout: float = TIMEOUT_SECONDS) -> TimeStamp:
    """POST a TimeStampReq over SHA-256(data) with a fresh nonce and certReq, and check the reply."""
    request = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256) \
        .nonce(nonce=True).cert_request(cert_request=True).build()
    reply = _post(url, request.as_bytes(), timeout)
    return check_timestamp(reply, data, roots, nonce=request.nonce)


def check_timestamp(response: bytes, data: bytes, roots: Sequence[x509.Certificate],
                    nonce: int | None = None) -> TimeStamp:
    """The token is granted, covers `data`, is validly signed by a certificate with the critical
    timeStamping EKU, and that certificate chains to one of `roots` (with the token's own
    certificates as the only intermediates)."""
    if not roots:
        raise TimeStampError("no CA certificate to check the time stamp against")
    parsed = _parse(response)
    builder = VerifierBuilder()
    for root in _distinct(roots):
        builder = builder.add_root_certificate(root)
    if nonce is not None:
        builder = builder.nonce(nonce)
    try:
        builder.build().verify_message(parsed, data)
    except (VerificationError, ValueError) as error:
        raise TimeStampError(f"it does not hold: {_reason(error)}") from error
    certificates = _signer_first(parsed)
    return TimeStamp(response, parsed.tst_info.gen_time, certificates[0].subject.rfc4514_string(), certificates)


_STATUS = {0: "granted", 1: "granted with modifications", 2: "rejection", 3: "waiting", 4: "revocation warning",
           5: "revocation notification"}


def _parse(response: bytes) -> TimeStampResponse:
    try:
        parsed = decode_timestamp_response(response)
    except (ValueError, TypeError) as error:
        raise TimeStampError("the answer is not an RFC 3161 time-stamp response") from error
    if parsed.status != 0:  # only a plain grant says exactly what was asked
        raise TimeStampError(f"the TSA did not grant the time stamp (status {parsed.status}: "
                             f"{_STATUS.get(parsed.status, 'unknown')})")
    try:
        parsed.tst_info
    except ValueError as error:
        raise TimeStampError("the TSA's answer holds no readable time-stamp token") from error
    return parsed


def _signer_first(parsed: TimeStampResponse) -> tuple[x509.Certificate, ...]:
    try:
        certificates = [x509.load_der_x509_certificate(der) for der in parsed.signed_data.certificates]
        signer = parsed.signed_data.signer_infos.pop()
    except (ValueError, KeyError) as error:
        raise TimeStampError("the time stamp carries no readable certificates") from error
    signers = [c for c in certificates if c.issuer == signer.issuer and c.serial_number == signer.serial_number]
    if not signers:
        raise TimeStampError("the time stamp does not carry its signer's certificate")
    return tuple(signers + [c for c in certificates if c not in signers])


def _distinct(certificates: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    unique: list[x509.Certificate] = []
    for certificate in certificates:
        if certificate not in unique:
            unique.append(certificate)
    return unique


_PLAIN_REASONS = {
    "certificate verify error": "its signing certificate does not chain to the TSA CA certificate, or is not "
                                "a time-stamping certificate (critical timeStamping EKU)",
    "Mismatch between messages": "it was made for other data (not this checkpoint)",
    "Nonce mismatch": "its nonce is not the one sent (a replayed or misrouted answer)",
}


def _reason(error: object) -> str:
    """OpenSSL's error stack, said as a person would; the known failures by name."""
    text = " ".join(str(error).split())
    for known, plain in _PLAIN_REASONS.items():
        if known in text:
            return plain
    reasons = re.findall(r'reason: "([^"]+)"', text)
    if reasons:
        return "; ".join(dict.fromkeys(reasons))
    return text[:200] if text else type(error).__name__


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The desk names the TSA's address; nothing it answers sends our hash anywhere else."""

    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _post(url: str, body: bytes, timeout: float) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE})
    deadline = time.monotonic() + timeout
    try:
        with opener.open(request, timeout=timeout) as reply:
            data = _read_until(reply, deadline)
    except urllib.error.HTTPError as error:
        raise TimeStampError(f"the TSA answered HTTP {error.code}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise TimeStampError(f"the TSA could not be reached ({_reason(getattr(error, 'reason', error))})") from error
    return data


def _read_until(reply: BinaryIO, deadline: float) -> bytes:
    """The whole answer, bounded in size and in total time: the socket timeout alone would let a
    TSA that sends one byte at a time hold the export (and the vault lock) for hours."""
    data = bytearray()
    while chunk := reply.read1(_CHUNK):  # returns after each packet, so the deadline is checked
        data += chunk
        if len(data) > MAX_REPLY:
            raise TimeStampError(f"the TSA's answer is larger than {MAX_REPLY // 1024} KiB; it is not a time stamp")
        if time.monotonic() > deadline:
            raise TimeStampError("the TSA did not finish its answer in time")
    return bytes(data)


def certificate_pem(certificates: Sequence[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(Encoding.PEM) for c in certificates)


def load_certificates(pem: bytes, what: str) -> list[x509.Certificate]:
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError as error:
        raise IntakeError(f"{what} holds no readable PEM certificate") from error
    return certificates
