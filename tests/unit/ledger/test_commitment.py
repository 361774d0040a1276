"""The one-loop commitment (commit_entry) is byte for byte the commitment docs/ledger.md defines.

The reference below is that definition written out with the standard library only (json, hmac,
hashlib), sharing no code with intake.ledger.commitment, and is checked against commit_fields too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from intake.ledger.commitment import Field, commit_entry, commit_fields, flatten
from intake.ledger.disclosure import disclose, disclose_committed
from intake.ledger.entries import CustodyEntry, SignedEntry
from intake.keys.identity import SecretIdentity
from intake.support.canonical import canonical_json, canonical_json_with


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _scalars(value: Any, path: list) -> list[tuple[list, Any]]:
    """docs/ledger.md: every scalar with its path; an empty array or object counts as one value."""
    if isinstance(value, dict) and value:
        return [pair for key in value for pair in _scalars(value[key], path + [key])]
    if isinstance(value, list) and value:
        return [pair for index, item in enumerate(value) for pair in _scalars(item, path + [index])]
    return [(path, value)]


def reference_commitment(entry: dict[str, Any], day: str, salt: bytes) -> bytes:
    """docs/ledger.md, "Field commitments (schema v2)", line by line."""
    fields = _scalars(entry, []) + [(["day"], day)]
    listed = []
    for path, value in fields:
        field_salt = hmac.new(salt, b"intake-field-salt/v1\n" + _canonical(path), hashlib.sha256).digest()
        digest = hashlib.sha256(b"intake-field/v1\n" + field_salt + _canonical([path, value])).digest()
        listed.append([path, digest.hex()])
    listed.sort(key=lambda pair: _canonical(pair[0]))
    return hashlib.sha256(b"intake-commit/v2\n" + _canonical(listed)).digest()


JSON_SCALARS = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text(max_size=12)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
RECORDS = st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5)


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    """The 13 fields of an entry, with any JSON in the inputs and outputs (they arrive from other
    vaults too) and any text where a string is due: escapes, non-ASCII, control characters."""
    text = st.text(max_size=24)
    return {
        "v": 2, "id": draw(text), "seq": draw(st.integers(min_value=0, max_value=2**40)), "prev": draw(text),
        "action": draw(st.sampled_from(["received", "sanitized", "transferred", "exported"])),
        "item": draw(text), "actor": draw(text), "time": draw(text), "tool": draw(text),
        "inputs": draw(st.lists(RECORDS, max_size=3)), "outputs": draw(st.lists(RECORDS, max_size=3)),
        "parents": draw(st.lists(text, max_size=3)), "note": draw(st.none() | text),
    }


@settings(max_examples=400)
@given(entries(), st.text(max_size=12), st.binary(min_size=0, max_size=100))
def test_commit_entry_is_the_documented_commitment(entry: dict[str, Any], day: str, salt: bytes) -> None:
    """Salts of any length too: the field salter pads or hashes the HMAC key as RFC 2104 says."""
    expected = reference_commitment(entry, day, salt)
    assert commit_entry(entry, ("day", day), salt) == expected
    assert commit_fields([*flatten(entry), Field(("day",), day)], salt) == expected


@given(entries(), st.binary(min_size=32, max_size=32))
def test_a_signed_entry_commits_to_its_fields_and_the_day(fields: dict[str, Any], salt: bytes) -> None:
    entry = CustodyEntry.from_dict({**fields, "time": "2026-11-23T04:51:11Z"})
    signed = SignedEntry(entry, b"", salt)
    assert signed.commitment() == reference_commitment(entry.to_dict(), "2026-11-23", salt)
    assert signed.commitment() == commit_fields(entry.fields(), salt)


@pytest.mark.parametrize("value", [1.5, float("nan"), {"deep": [0.25]}])
def test_floats_are_refused_as_by_the_plain_definition(value: Any) -> None:
    entry = {"outputs": [{"size": value}]}
    with pytest.raises(TypeError):
        commit_fields([*flatten(entry), Field(("day",), "")], bytes(32))
    with pytest.raises(TypeError):
        commit_entry(entry, ("day", ""), bytes(32))


def test_a_signature_made_with_the_one_loop_verifies() -> None:
    signer = SecretIdentity.generate("signer")
    entry = CustodyEntry(id="ent_aaaaaaaaaaaaaaaa", seq=0, prev="00" * 32, action="received", item="itm_x",
                         actor=signer.public().fingerprint_hex, time="2026-11-23T04:51:11Z", tool="intake/0.1.0",
                         outputs=({"name": "caf\u00e9\n.txt", "size": 5},), note="\u2014 from K")
    signed = SignedEntry.sign(entry, signer)
    assert signed.verify(signer.public())
    assert signed.commitment() == reference_commitment(entry.to_dict(), "2026-11-23", signed.salt)


def test_an_entry_is_checked_by_signing_again_only_with_the_signers_own_key() -> None:
    """verify(signer, own) makes the signature again only when `own` is the signer's key; given
    another signer, the signature is verified against that signer, and fails."""
    mine, theirs = SecretIdentity.generate("desk"), SecretIdentity.generate("someone")
    entry = CustodyEntry(id="ent_bbbbbbbbbbbbbbbb", seq=3, prev="11" * 32, action="received", item="itm_y",
                         actor=mine.public().fingerprint_hex, time="2026-12-06T02:51:00Z", tool="intake/0.1.0")
    signed, forged = SignedEntry.sign(entry, mine), SignedEntry.sign(entry, theirs)
    assert signed.verify(mine.public(), mine) and signed.verify(mine.public())
    assert not signed.verify(theirs.public(), mine) and not signed.verify(theirs.public(), theirs)
    assert not forged.verify(mine.public(), mine) and forged.verify(theirs.public(), theirs)


@settings(deadline=None)  # timing is not the point, and this machine is shared
@given(entries(), st.binary(min_size=32, max_size=32), st.sets(st.integers(min_value=0, max_value=40)))
def test_a_disclosure_shows_the_documented_salts_and_digests(fields: dict[str, Any], salt: bytes,
                                                             shown_at: set[int]) -> None:
    """disclose salts each field with the entry's field salter: the documented HMAC, field by field
    (shown salts and hidden digests), and the commitment rebuilt from them is the entry's."""
    entry = CustodyEntry.from_dict({**fields, "time": "2026-11-23T04:51:11Z"})
    signed = SignedEntry(entry, b"", salt)
    order = [field.path for field in entry.fields()]
    disclosure = disclose(signed, bytes(32), lambda path: order.index(path) in shown_at)
    for field, field_salt in disclosure.shown:
        assert field_salt == hmac.new(salt, b"intake-field-salt/v1\n" + _canonical(list(field.path)),
                                      hashlib.sha256).digest()
    for path, digest in disclosure.hidden:
        (value,) = [field.value for field in entry.fields() if field.path == path]
        own_salt = hmac.new(salt, b"intake-field-salt/v1\n" + _canonical(list(path)), hashlib.sha256).digest()
        assert digest == hashlib.sha256(b"intake-field/v1\n" + own_salt + _canonical([list(path), value])).digest()
    assert disclosure.commitment() == signed.commitment() == reference_commitment(entry.to_dict(), "2026-11-23", salt)


@settings(deadline=None, max_examples=300)
@given(entries(), st.binary(min_size=32, max_size=32), st.sets(st.integers(min_value=0, max_value=40)))
def test_a_disclosure_made_with_its_commitment_is_the_disclosure_and_the_commitment(
        fields: dict[str, Any], salt: bytes, shown_at: set[int]) -> None:
    """disclose_committed (the audit's workers, for export) walks the entry once and writes the
    disclosure's JSON itself: byte for byte the canonical JSON of disclose's, field for field and
    in the same order (any text: escapes, non-ASCII, control characters), and the documented
    commitment."""
    entry = CustodyEntry.from_dict({**fields, "time": "2026-11-23T04:51:11Z"})
    signed = SignedEntry(entry, b"\x01" * 64, salt)
    order = [field.path for field in entry.fields()]
    show = lambda path: order.index(path) in shown_at  # noqa: E731
    encoded, commitment = disclose_committed(signed, b"\x02" * 32, show)
    plain = disclose(signed, b"\x02" * 32, show).to_dict()
    assert encoded.json == _canonical(plain)
    assert commitment == reference_commitment(entry.to_dict(), "2026-11-23", salt)
    original = [digest for path, digest in plain["hidden"] if path == ["outputs", 0, "sha256"]]
    assert encoded.original_sha256 == (original[0] if original else None)


@given(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=6), st.text(max_size=6), JSON_VALUES)
def test_a_member_spliced_in_encoded_gives_the_canonical_json_of_the_whole(
        fields: dict[str, Any], key: str, value: Any) -> None:
    fields.pop(key, None)
    assert canonical_json_with(fields, key, canonical_json(value)) == canonical_json({**fields, key: value})
    with pytest.raises(ValueError):
        canonical_json_with({**fields, key: 1}, key, b"1")
