"""Errors that reach the user as one line, with the exit code of the contract."""

from __future__ import annotations

from dataclasses import dataclass


class IntakeError(Exception):
    """Unusable input or a usage error: one line on stderr, exit code 2.

    Messages say what went wrong and what to do. They never carry a secret,
    a file's content or a metadata value.
    """

    exit_code = 2

    def one_line(self) -> str:
        """The message as both front ends show it: one line, whatever newlines it holds."""
        return " ".join(str(self).split())


class CheckFailed(IntakeError):
    """A check ran and failed (verification, refusal): exit code 1."""

    exit_code = 1


class FileRefused(CheckFailed):
    """One input file is refused (swapped, unreadable, hostile); the rest of a batch goes on."""


class Malformed(IntakeError, ValueError):
    """Input that does not parse as what it claims (a note, checkpoint, entry, proof, words...).

    The parsers raise it; a caller that knows what the input was for may say what that
    means ("its checkpoint is not signed by the custodian"), and one that does not lets it
    reach the user as one line. A ValueError too, so a parser's callers that catch the
    errors of int(), base64 and json alike catch it with them.
    """


@dataclass(frozen=True)
class Check:
    """One line of any report (bundle verify, ledger verify, submission check): what was
    checked, as a sentence, and if it failed, why, naming the file or entry."""

    ok: bool
    what: str
    reason: str | None = None


class WrongPassphrase(IntakeError):
    """The passphrase does not open the vault's identity."""


class WeakPassphrase(IntakeError):
    """A new passphrase shorter than the minimum."""


class Stopped(IntakeError):
    """The user stopped work that is all or nothing (the app's Esc during export, submit,
    receive, checking): raised from a progress callback, so the library removes what it wrote."""

    def __init__(self) -> None:
        super().__init__("stopped: nothing was written, and the vault is as it was")


# --- Keys and sealing (intake/keys/)


class IdentityError(IntakeError):
    """A public or secret identity file is malformed or its signature is wrong."""


class WordsError(Malformed):
    """A word sequence that does not decode; ``index`` is the 0-based position."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


class PinError(IntakeError):
    """What was given as a pin is neither a key file, a fingerprint nor the words."""


class SealError(IntakeError):
    """A sealed blob does not open with the identities at hand."""


class SealWriteFailed(IntakeError):
    """Sealing stopped: the disk is full, a file size limit was reached, or the input failed."""


class OpenPGPError(IntakeError):
    """gpg is missing, a key is unusable, or gpg could not do what was asked."""


# --- Formats (intake/formats/)


class Refused(CheckFailed):
    """This file cannot be cleaned completely: refused, never copied through."""


class TimeLimitExceeded(Refused):
    """The file took longer than its budget (intake/budget.py): refused, like any file that cannot be cleaned."""


class BadProfile(Refused):
    """The bytes are not a well-formed ICC profile (formats/shared/icc.py); uncaught, the file is refused."""


class PdfLeftover(Refused):
    """Something the clean PDF may not hold was found in it (formats/pdf/leftovers.py)."""


# --- Ledger parsers (intake/ledger/): malformed input; callers say what it means for them


class NoteError(Malformed):
    """A note, key or signature is malformed or does not verify."""


class CheckpointError(Malformed):
    """A checkpoint is malformed."""


class EntryError(Malformed):
    """A stored entry does not parse as a custody entry."""


class ProofError(Malformed):
    """A proof is malformed or does not prove what it claims."""


class DisclosureError(Malformed):
    """A disclosure is malformed."""


class AuditFailure(CheckFailed):
    """The first thing the ledger audit found wrong; its message names the entry or checkpoint.

    Raised in the audit's workers (ledger/opening.py) and in ledger/audit.py, which turns it
    into the report's failure line."""


# --- Bundles, submissions, time stamps


class ConsistencyError(Malformed):
    """A consistency proof file is malformed."""


class SubmissionRefused(CheckFailed):
    """The submission does not hold what it claims; nothing was imported."""


class TimeStampError(CheckFailed):
    """A TSA did not answer, answered nonsense, or its token does not hold."""


# --- Witnesses (intake/witness/)


class ProtocolError(Malformed):
    """A request or response body does not follow the protocol."""


class CosignatureError(IntakeError):
    """A witness key or cosignature is malformed."""


class StateError(IntakeError):
    """The witness's state folder is missing or damaged."""


class PolicyError(IntakeError):
    """The witness policy file is malformed."""
