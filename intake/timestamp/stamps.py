"""Trusted time in a bundle: the checkpoint time-stamped by the desk's TSAs at export, checked at verify.

    provenance/timestamps/N.tsr        DER TimeStampResp over SHA-256 of provenance/checkpoint.txt
    provenance/timestamps/N.chain.pem  certificates between the TSA's and its CA, and the CA itself
                                       (for `openssl ts -verify -untrusted`; never a trust anchor)

A token proves that the checkpoint, and so every entry it covers, existed by
the token's time. It says nothing about when anything happened before that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from intake.bundle.bagit import BagFile
from intake.bundle.bagsource import BagSource
from intake.bundle.recipe import RecipeStep
from intake.bundle.statement import CHECKPOINT_FILE, PROVENANCE
from intake.errors import Check, IntakeError, TimeStampError
from intake.keys.keystore import TimestampAuthority

if TYPE_CHECKING:
    from cryptography import x509

# The RFC 3161 client and X.509 (30-40 ms of imports) are loaded by the functions that use them:
# every export calls stamp_checkpoint, and most desks configure no TSA.

TIMESTAMPS = f"{PROVENANCE}/timestamps"
_MAX_CHAIN = 1 << 20


def token_file(number: int) -> str:
    return f"{TIMESTAMPS}/{number}.tsr"


def chain_file(number: int) -> str:
    return f"{TIMESTAMPS}/{number}.chain.pem"


def utc_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class StampOutcome:
    """What one TSA gave at export: a token in the bag, or the reason there is none."""

    url: str
    token_file: str | None
    gen_time: str | None
    tsa: str | None
    problem: str | None


@dataclass(frozen=True)
class CheckpointStamps:
    files: tuple[BagFile, ...]
    outcomes: tuple[StampOutcome, ...]

    @property
    def tokens(self) -> int:
        return sum(o.token_file is not None for o in self.outcomes)


def stamp_checkpoint(checkpoint: bytes, authorities: Sequence[TimestampAuthority]) -> CheckpointStamps:
    """Ask every configured TSA; one that is down or answers nonsense is recorded as such, not raised."""
    files: list[BagFile] = []
    outcomes: list[StampOutcome] = []
    if not authorities:
        return CheckpointStamps((), ())
    from intake.timestamp.authorities import ca_certificate
    from intake.timestamp.rfc3161 import certificate_pem, request_timestamp

    for tsa in authorities:
        try:
            ca = ca_certificate(tsa)
            stamp = request_timestamp(tsa.url, [ca], checkpoint)
        except (TimeStampError, ValueError) as error:
            outcomes.append(StampOutcome(tsa.url, None, None, None, str(error)))
            continue
        number = sum(o.token_file is not None for o in outcomes) + 1
        files += [BagFile(token_file(number), stamp.response),
                  BagFile(chain_file(number), certificate_pem(list(stamp.certificates[1:]) + [ca]))]
        outcomes.append(StampOutcome(tsa.url, token_file(number), utc_text(stamp.gen_time), stamp.tsa, None))
    return CheckpointStamps(tuple(files), tuple(outcomes))


@dataclass(frozen=True)
class TimestampResult:
    """One token as `verify` found it."""

    file: str
    ok: bool
    pinned: bool  # checked against a CA the verifier gave, not one from the bundle
    gen_time: str | None = None
    tsa: str | None = None
    reason: str | None = None

    def check(self) -> Check:
        if not self.ok:
            return Check(False, f"{self.file}: a time stamp of {CHECKPOINT_FILE}", self.reason)
        if self.pinned:
            return Check(True, f"{self.file}: the checkpoint existed by {self.gen_time} (TSA {self.tsa}; "
                                  f"chains to the TSA CA you gave)")
        return Check(True, f"{self.file}: the checkpoint existed by {self.gen_time} (TSA {self.tsa}), but the "
                              f"TSA is NOT pinned: checked only against the CA in the bundle, which anyone can "
                              f"make; get the TSA's CA certificate from the TSA and give it with --tsa-ca")


def check_bundle_timestamps(bag: BagSource, roots: Sequence[x509.Certificate] | None) -> list[TimestampResult]:
    """Every token against the bundle's checkpoint: against `roots` (the verifier's TSA CAs) if given,
    else against the self-signed CA in the token's chain file, and then reported as not pinned."""
    from intake.timestamp.rfc3161 import MAX_REPLY

    tokens = sorted((p for p in bag.files() if p.startswith(f"{TIMESTAMPS}/") and p.endswith(".tsr")),
                    key=lambda p: (len(p), p))
    if not tokens and roots:
        return [TimestampResult(f"{TIMESTAMPS}/", False, True, reason="the bundle carries no time stamp, "
                                "so nothing shows when its checkpoint existed")]
    try:
        checkpoint = bag.read(CHECKPOINT_FILE, MAX_REPLY * 4)
    except (IntakeError, KeyError, OSError):
        return [TimestampResult(t, False, bool(roots), reason=f"{CHECKPOINT_FILE} is missing") for t in tokens]
    return [_check_token(bag, name, checkpoint, roots) for name in tokens]


def _check_token(bag: BagSource, name: str, checkpoint: bytes,
                 roots: Sequence[x509.Certificate] | None) -> TimestampResult:
    from intake.timestamp.rfc3161 import MAX_REPLY, TimeStamp, check_timestamp

    pinned = bool(roots)
    try:
        response = bag.read(name, MAX_REPLY)
        anchors = list(roots) if roots else _bundled_cas(bag, name)
        stamp: TimeStamp = check_timestamp(response, checkpoint, anchors)
    except (TimeStampError, IntakeError, KeyError, OSError) as error:
        return TimestampResult(name, False, pinned, reason=_failure(error, pinned))
    return TimestampResult(name, True, pinned, utc_text(stamp.gen_time), stamp.tsa)


def _failure(error: Exception, pinned: bool) -> str:
    against = "the TSA CA you gave" if pinned else "the CA in the bundle (no --tsa-ca was given)"
    return f"{error} (checked against {against})"


def _bundled_cas(bag: BagSource, token: str) -> list[x509.Certificate]:
    from intake.timestamp.rfc3161 import load_certificates

    chain = token[: -len(".tsr")] + ".chain.pem"
    if chain not in bag.files():
        raise TimeStampError(f"{chain} is missing, and no TSA CA was given with --tsa-ca")
    certificates = load_certificates(bag.read(chain, _MAX_CHAIN), chain)
    return [c for c in certificates if c.issuer == c.subject]


def outcome_lines(outcomes: Sequence[StampOutcome]) -> list[str]:
    return [
        f"time-stamped by {o.url}: the checkpoint existed by {o.gen_time} ({o.token_file})" if o.token_file else
        f"NO trusted time from {o.url}: {o.problem}; the bundle carries no time stamp from it"
        for o in outcomes
    ]


_PROSE = """\
provenance/checkpoint.txt was time-stamped at export by {count} time-stamping
authorit{plural} (TSA). Save the TSA's CA certificate as TSA-CA.pem in this
folder first: it must come from the TSA itself (its web site or
documentation), never from this bundle; N.chain.pem holds a copy only to help
build the chain, and anyone can make a certificate that looks like it. Each
token prints "Verification: OK", then its time and the TSA's name. A verified
token proves that this exact checkpoint, and so every custody entry it
covers, existed by that time. It does not prove when a file was made or
received, only that it was not later than that."""


def timestamp_steps(tokens: int) -> list[RecipeStep]:
    """The VERIFY.txt step for the time stamps; none when the bundle carries none."""
    if tokens == 0:
        return []
    commands = []
    for number in range(1, tokens + 1):
        token = f"{TIMESTAMPS}/{number}.tsr"
        commands += [
            f"openssl ts -verify -data {CHECKPOINT_FILE} -in {token} -CAfile TSA-CA.pem "
            f"-untrusted {TIMESTAMPS}/{number}.chain.pem",
            f"openssl ts -reply -in {token} -text | grep -E 'Time stamp:|TSA:'",
        ]
    prose = _PROSE.format(count=tokens, plural="ies" if tokens > 1 else "y")
    return [RecipeStep("Trusted time (RFC 3161 time stamps)", prose, tuple(commands))]
