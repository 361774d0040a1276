"""Tests for intake.ledger.note (C2SP signed-note, Ed25519)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings, strategies as st

from intake.ledger.note import MAX_SIGNATURES, Signer, Verifier, key_id, open_note, sign
from intake.errors import NoteError

# --- Reference vectors ------------------------------------------------------
# Copied verbatim from golang.org/x/mod/sumdb/note/note_test.go (TestNewVerifier,
# TestNewSigner, TestSign, TestOpen; also the package doc in note.go),
# https://github.com/golang/mod/blob/master/sumdb/note/note_test.go
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = (
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
)
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
    "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ov"
    "TG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
PETER_NOTE = TEXT + "\n" + PETER_SIG

# The example note from the C2SP signed-note spec, https://c2sp.org/signed-note
# (C2SP/C2SP signed-note.md). Its public key is not published, so it can only
# be used as a well-formed note from an unknown signer. Its text contains an
# empty line, exercising the "last blank line separates" rule.
C2SP_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC"
    "+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def peter_signer() -> Signer:
    """The Go test signer, decoded from PETER_SKEY (0x01 || 32-byte seed)."""
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])[1:]
    return Signer("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))


def fresh_signer(name: str = "example.com/intake") -> Signer:
    return Signer(name, Ed25519PrivateKey.generate())


def signature_line(note: str) -> tuple[str, bytes]:
    """(name, decoded key ID || signature) of a note's only signature line."""
    line = note.rsplit("\n\n", 1)[1]
    name, encoded = line.removeprefix("— ").rstrip("\n").split(" ")
    return name, base64.b64decode(encoded)


def with_signature(text: str, name: str, raw: bytes) -> str:
    return f"{text}\n— {name} {base64.b64encode(raw).decode()}\n"


# --- Keys -------------------------------------------------------------------


def test_key_id_matches_go_vectors() -> None:
    peter = Verifier.from_vkey(PETER_VKEY)
    enoch = Verifier.from_vkey(ENOCH_VKEY)
    assert key_id("PeterNeumann", peter.public_key) == bytes.fromhex("c74f20a3")
    assert peter.key_id == bytes.fromhex("c74f20a3")
    assert enoch.key_id == bytes.fromhex("af0cfe78")


def test_vkey_parse_and_format_round_trip() -> None:
    peter = Verifier.from_vkey(PETER_VKEY)
    assert peter.name == "PeterNeumann"
    assert peter.public_key == base64.b64decode(PETER_VKEY.split("+", 2)[2])[1:]
    assert len(peter.public_key) == 32
    assert peter.vkey() == PETER_VKEY
    assert Verifier.from_vkey(ENOCH_VKEY).vkey() == ENOCH_VKEY


def test_signer_verifier_matches_go_vkey() -> None:
    assert peter_signer().verifier() == Verifier.from_vkey(PETER_VKEY)


def test_vkey_rejects_every_truncation_and_byte_change() -> None:
    # Port of the mangling loops in Go's TestNewVerifier.
    b = PETER_VKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(NoteError):
                    Verifier.from_vkey(b[i:j])
    for i in range(len(b)):
        mangled = b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :]
        with pytest.raises(NoteError):
            Verifier.from_vkey(mangled)


@pytest.mark.parametrize(
    "vkey",
    [
        # From Go's TestNewVerifier: wrong key length, then unknown algorithm,
        # each with a correctly adjusted key hash.
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # Name rule violations and structural damage.
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter\u00a0Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ",
        "PeterNeumann+c74f20a3",
        "",
    ],
)
def test_vkey_rejects_malformed(vkey: str) -> None:
    with pytest.raises(NoteError):
        Verifier.from_vkey(vkey)


def test_vkey_error_does_not_echo_key_material() -> None:
    wrong_hash = "PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    with pytest.raises(NoteError) as info:
        Verifier.from_vkey(wrong_hash)
    assert "ARpc2Qc" not in str(info.value)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "a\u2003b", "a\nb"])
def test_invalid_names_rejected(name: str) -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(NoteError):
        Signer(name, key)
    with pytest.raises(NoteError):
        key_id(name, bytes(32))


def test_verifier_requires_32_byte_key() -> None:
    with pytest.raises(NoteError):
        Verifier("example.com/log", bytes(31))
    with pytest.raises(NoteError):
        key_id("example.com/log", bytes(33))


# --- Signing and opening the published vectors ---------------------------


def test_sign_reproduces_go_note_exactly() -> None:
    # Ed25519 is deterministic, so the Go TestSign output must match byte-for-byte.
    assert sign(TEXT, [peter_signer()]) == PETER_NOTE


def test_open_go_note() -> None:
    assert open_note(PETER_NOTE, [Verifier.from_vkey(PETER_VKEY)]) == TEXT


def test_two_signers_one_known_go_vector() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    peter = Verifier.from_vkey(PETER_VKEY)
    enoch = Verifier.from_vkey(ENOCH_VKEY)
    assert open_note(note, [peter]) == TEXT
    assert open_note(note, [enoch]) == TEXT
    assert open_note(note, [peter, enoch]) == TEXT


def test_unknown_only_signers_rejected() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(note, [])
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(PETER_NOTE, [Verifier.from_vkey(ENOCH_VKEY)])
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(C2SP_NOTE, [Verifier.from_vkey(PETER_VKEY)])


def test_known_key_bad_signature_rejects_whole_note() -> None:
    # From Go's TestOpen "Invalid signature": four base64 chars spliced in.
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    peter = Verifier.from_vkey(PETER_VKEY)
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(TEXT + "\n" + bad, [peter])
    # Another valid signature does not rescue it: a known key's bad
    # signature must reject the note.
    enoch = Verifier.from_vkey(ENOCH_VKEY)
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(TEXT + "\n" + ENOCH_SIG + bad, [peter, enoch])


@pytest.mark.parametrize(
    "note",
    [
        # Go's TestOpen badMsgs table.
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name")[:-1],
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        # Lone surrogate: the str equivalent of Go's invalid UTF-8 case.
        "\udcff" + TEXT + "\n" + PETER_SIG,
    ],
)
def test_malformed_notes_rejected(note: str) -> None:
    with pytest.raises(NoteError):
        open_note(note, [Verifier.from_vkey(PETER_VKEY)])


def test_too_many_signatures_rejected() -> None:
    peter = Verifier.from_vkey(PETER_VKEY)
    assert open_note(TEXT + "\n" + PETER_SIG * MAX_SIGNATURES, [peter]) == TEXT
    with pytest.raises(NoteError, match="too many"):
        open_note(TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1), [peter])


# --- Fresh keys ------------------------------------------------------------


def test_round_trip_with_fresh_key() -> None:
    signer = fresh_signer()
    text = "example.com/intake\n42\nrOOt=\nfirst line\n\nafter an empty line\n"
    note = sign(text, [signer])
    assert note.startswith(text + "\n— example.com/intake ")
    assert open_note(note, [signer.verifier()]) == text
    assert Verifier.from_vkey(signer.verifier().vkey()) == signer.verifier()


def test_wrong_key_rejected() -> None:
    note = sign(TEXT, [fresh_signer("example.com/a")])
    impostor = fresh_signer("example.com/a").verifier()
    with pytest.raises(NoteError):
        open_note(note, [impostor])


def test_changing_any_text_character_breaks_signature() -> None:
    signer = fresh_signer()
    note = sign(TEXT, [signer])
    verifier = signer.verifier()
    for i, ch in enumerate(TEXT):
        tampered = note[:i] + chr(ord(ch) + 1) + note[i + 1 :]
        with pytest.raises(NoteError):
            open_note(tampered, [verifier])


def test_changing_any_signature_byte_rejected() -> None:
    signer = fresh_signer()
    note = sign(TEXT, [signer])
    name, raw = signature_line(note)
    assert len(raw) == 4 + 64
    for i in range(len(raw)):
        flipped = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :]
        with pytest.raises(NoteError):
            open_note(with_signature(TEXT, name, flipped), [signer.verifier()])


def test_wrong_key_id_line_is_ignored_as_unknown() -> None:
    signer = fresh_signer()
    name, raw = signature_line(sign(TEXT, [signer]))
    wrong_id = bytes(b ^ 0xFF for b in raw[:4]) + raw[4:]
    forged = with_signature(TEXT, name, wrong_id)
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(forged, [signer.verifier()])
    # Alongside a good signature the unknown line is simply skipped.
    other = fresh_signer("example.com/other")
    good = sign(TEXT, [other]).rsplit("\n\n", 1)[1]
    assert open_note(forged + good, [signer.verifier(), other.verifier()]) == TEXT


def test_two_fresh_signers_one_known() -> None:
    known, unknown = fresh_signer("example.com/known"), fresh_signer("example.com/x")
    note = sign(TEXT, [unknown, known])
    assert note.count("\n— ") == 2
    assert open_note(note, [known.verifier()]) == TEXT
    assert open_note(note, [unknown.verifier()]) == TEXT


def test_note_without_blank_line_rejected() -> None:
    signer = fresh_signer()
    note = sign(TEXT, [signer])
    with pytest.raises(NoteError, match="malformed"):
        open_note(note.replace("\n\n", "\n", 1), [signer.verifier()])


def test_missing_final_newline_rejected() -> None:
    signer = fresh_signer()
    note = sign(TEXT, [signer])
    with pytest.raises(NoteError):
        open_note(note[:-1], [signer.verifier()])


@pytest.mark.parametrize("bad", ["\x00", "\t", "\r", "\x1b", "\x7f\x01"])
def test_control_characters_rejected(bad: str) -> None:
    signer = fresh_signer()
    with pytest.raises(NoteError):
        sign(f"line{bad}\n", [signer])
    note = sign(TEXT, [signer])
    with pytest.raises(NoteError):
        open_note(bad + note, [signer.verifier()])


@pytest.mark.parametrize("text", ["", "no newline", "bad \udcff surrogate\n"])
def test_sign_rejects_invalid_text(text: str) -> None:
    with pytest.raises(NoteError):
        sign(text, [fresh_signer()])


def test_sign_rejects_bad_signer_sets() -> None:
    signer = fresh_signer()
    with pytest.raises(NoteError):
        sign(TEXT, [])
    with pytest.raises(NoteError):
        sign(TEXT, [signer, signer])


def test_equal_duplicate_verifiers_are_harmless() -> None:
    peter = Verifier.from_vkey(PETER_VKEY)
    assert open_note(PETER_NOTE, [peter, Verifier.from_vkey(PETER_VKEY)]) == TEXT


def test_signature_error_does_not_echo_signature() -> None:
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(NoteError) as info:
        open_note(TEXT + "\n" + bad, [Verifier.from_vkey(PETER_VKEY)])
    assert "x08go" not in str(info.value)
    assert TEXT.splitlines()[0] not in str(info.value)


_LINE = st.text(
    st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), max_size=40
)


@settings(max_examples=50, deadline=None)
@given(lines=st.lists(_LINE, min_size=1, max_size=5))
def test_round_trip_property(lines: list[str]) -> None:
    signer = fresh_signer()
    text = "".join(f"{line}\n" for line in lines)
    assert open_note(sign(text, [signer]), [signer.verifier()]) == text
