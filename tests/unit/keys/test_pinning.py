"""The signer is pinned from outside the bundle: a key file, a hex fingerprint or the words, and an
impostor who signs with a key of their own under the custodian's name is caught only by the pin."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import PASSPHRASE, take_in
from intake.bundle.export import export_bundle
from intake.bundle.verify import verify_bundle
from intake.samples import write_letter_photo_notes
from intake.vault import create_vault
from intake.keys.identity import SecretIdentity
from intake.keys.pinning import Pin, parse_pin
from intake.errors import PinError


@pytest.fixture(scope="module")
def custodian() -> SecretIdentity:
    return SecretIdentity.generate("editor-1")


def test_every_form_of_the_pin_names_the_same_key(custodian: SecretIdentity, tmp_path: Path) -> None:
    public = custodian.public()
    key_file = tmp_path / "editor.pub"
    key_file.write_text(custodian.export_public())
    grouped = " ".join(public.fingerprint_hex[i:i + 4] for i in range(0, 64, 4))
    colons = ":".join(public.fingerprint_hex[i:i + 2] for i in range(0, 64, 2)).upper()
    for given in (str(key_file), public.fingerprint_hex, grouped, colons, public.words, public.words.upper(),
                  public.words.replace(" ", "-"), f"  {public.words}\n"):
        assert parse_pin(given).matches(public), given
    other = SecretIdentity.generate("editor-1").public()  # same name, another key
    assert not any(parse_pin(g).matches(other) for g in (str(key_file), public.fingerprint_hex, public.words))


@pytest.mark.parametrize("given, says", [
    ("", "takes"),
    ("abcd", "not a file"),
    ("0" * 63, "not a file"),
    ("eleven words only " * 1, "words given"),
])
def test_a_malformed_pin_says_what_is_accepted(given: str, says: str) -> None:
    with pytest.raises(PinError, match=says):
        parse_pin(given)


def test_misspelt_or_swapped_words_are_refused(custodian: SecretIdentity) -> None:
    words = custodian.public().words.split()
    with pytest.raises(PinError, match="word 3"):
        parse_pin(" ".join(words[:2] + ["zzzz"] + words[3:]))
    with pytest.raises(PinError, match="dropped or two were swapped"):
        parse_pin(" ".join([words[1], words[0]] + words[2:]))


def test_a_fifo_is_not_read_as_a_key_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(PinError):
        parse_pin(str(fifo))  # must return at once: a FIFO is never opened


def test_a_key_file_that_is_not_an_identity_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pub"
    junk.write_text("hello\n")
    with pytest.raises(PinError, match="junk.pub"):
        parse_pin(str(junk))


def test_an_impostor_under_the_custodians_name_passes_only_unpinned(journey: dict, tmp_path: Path) -> None:
    """Every signature in the impostor's bundle is valid: only the pin tells the keys apart."""
    real = journey["editor"][1].public
    impostor_vault = create_vault(tmp_path / "impostor", real.name, PASSPHRASE)
    impostor = impostor_vault.unlock(PASSPHRASE)
    take_in(impostor_vault, impostor, write_letter_photo_notes(tmp_path / "inbox"))
    forged = tmp_path / "forged"
    export_bundle(impostor_vault, impostor, None, forged)
    assert impostor.public.name == real.name and impostor.public.fingerprint != real.fingerprint

    unpinned = verify_bundle(forged)
    assert not unpinned.ok and all(check.ok for check in unpinned.checks)  # every signature holds...
    assert unpinned.signer is not None and "NOT pinned" in str(unpinned.signer.reason)
    assert impostor.public.words in str(unpinned.signer.reason)  # ...the words shown are the impostor's
    for pin in (Pin.of(real), parse_pin(real.words), parse_pin(real.fingerprint_hex)):
        report = verify_bundle(forged, pin)
        assert not report.ok and any("pinned signer" in c.what and not c.ok for c in report.checks)
    assert verify_bundle(journey["bundle"], parse_pin(real.words)).ok
