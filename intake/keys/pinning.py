"""A signer pinned from outside what it signed: a key file, a hex fingerprint, or the fingerprint words.

A bundle carries its own custodian key, so checking signatures against that key
only proves that *some* key signed. An impostor can re-sign everything with a
key of their own under the custodian's name. The pin is the link to a person:
the fingerprint the desk published elsewhere (a website, a phone call, a card).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from intake.errors import IdentityError, IntakeError, PinError, WordsError
from intake.support.fsutil import IDENTITY_FILE_LIMIT, read_regular_text
from intake.keys.identity import PublicIdentity
from intake.keys.words import from_words

_HEX_DIGITS = 64
_MIN_WORDS = 12  # `keys show` prints 12 words: 96 bits of the fingerprint
_HEX_SEPARATORS = re.compile(r"[\s:]+")
_WORD_SEPARATORS = re.compile(r"[\s,;-]+")
USAGE = "--trust takes the signer's .pub file, their 64-digit hex fingerprint, or their 12 fingerprint words"


@dataclass(frozen=True)
class Pin:
    prefix: bytes  # the whole fingerprint, or its first bytes when given as words
    source: str  # how it was given, for the report: "key file X", "fingerprint", "words"

    def matches(self, identity: PublicIdentity) -> bool:
        return hmac.compare_digest(identity.fingerprint[: len(self.prefix)], self.prefix)

    @classmethod
    def of(cls, identity: PublicIdentity, source: str = "key") -> Pin:
        return cls(identity.fingerprint, source)


def parse_pin(text: str) -> Pin:
    """The pin given on a command line or in the app, told apart by its shape."""
    given = text.strip()
    if not given:
        raise PinError(USAGE)
    compact = _HEX_SEPARATORS.sub("", given)
    if len(compact) == _HEX_DIGITS and all(c in "0123456789abcdefABCDEF" for c in compact):
        return Pin(bytes.fromhex(compact), "fingerprint")
    words = [w for w in _WORD_SEPARATORS.split(given) if w]
    if len(words) >= _MIN_WORDS and all(w.isalpha() for w in words):
        return _words_pin(words)
    path = Path(given).expanduser()
    if path.is_file():
        return _key_file_pin(path)
    if len(words) > 1 and all(w.isalpha() for w in words):
        raise PinError(f"{len(words)} words given; the fingerprint words are {_MIN_WORDS} (from `intake keys show`)")
    raise PinError(f"{given[:40]!r} is not a file, a fingerprint or the words: {USAGE}")


def _words_pin(words: list[str]) -> Pin:
    try:
        return Pin(from_words(words), "words")
    except WordsError as error:
        raise PinError(f"the fingerprint words do not decode: {error}") from None


def _key_file_pin(path: Path) -> Pin:
    try:
        text = read_regular_text(path, IDENTITY_FILE_LIMIT, "a public identity file")
    except IntakeError as error:
        raise PinError(str(error)) from error
    try:
        identity = PublicIdentity.from_text(text)
    except IdentityError as error:
        raise PinError(f"{path}: {error}") from error
    return Pin.of(identity, f"key file {path.name}")
