"""Salted field commitments and partial disclosure of custody entries (intake.ledger.commitment, .disclosure)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from intake.ledger import merkle
from intake.ledger.commitment import Field, commit_fields, field_digest, field_salt, flatten
from intake.ledger.disclosure import HIDDEN, Disclosure, disclose
from intake.errors import DisclosureError
from intake.ledger.entries import CustodyEntry, SignedEntry
from intake.keys.identity import SecretIdentity

SIGNER = SecretIdentity.generate("signer")
OTHER = SecretIdentity.generate("other")


def _entry(note: str | None = "from source K") -> CustodyEntry:
    return CustodyEntry(
        id="ent_aaaaaaaaaaaaaaaa", seq=3, prev=merkle.EMPTY_ROOT.hex(), action="received", item="itm_x",
        actor=SIGNER.public().fingerprint_hex, time="2026-11-23T04:51:11Z", tool="intake/0.1.0",
        outputs=({"sha256": "ab" * 32, "name": "colonel.pdf", "size": 5, "media_type": "application/pdf"},),
        note=note,
    )


def _show_some(path: tuple) -> bool:
    return path in {("id",), ("seq",), ("action",), ("day",), ("actor",), ("outputs", 0, "media_type")}


def test_flatten_lists_every_scalar_and_empty_container_with_its_path() -> None:
    fields = list(flatten({"a": [1, {"b": None}], "c": [], "d": {}}))
    assert fields == [Field(("a", 0), 1), Field(("a", 1, "b"), None), Field(("c",), []), Field(("d",), {})]


def test_a_disclosure_verifies_and_hides_what_it_does_not_show() -> None:
    signed = SignedEntry.sign(_entry(), SIGNER)
    disclosure = disclose(signed, b"\x07" * 32, _show_some)
    assert disclosure.commitment() == signed.commitment()
    assert disclosure.verify(SIGNER.public()) and not disclosure.verify(OTHER.public())
    assert disclosure.value("day") == "2026-11-23" and disclosure.value("seq") == 3
    assert disclosure.value("time") is HIDDEN and disclosure.value("note") is HIDDEN
    text = json.dumps(disclosure.to_dict())
    for secret in ("colonel", "from source K", "04:51:11", "ab" * 32):
        assert secret not in text
    assert disclosure.leaf() == signed.commitment() + b"\x07" * 32


def test_a_disclosure_survives_its_json_round_trip() -> None:
    signed = SignedEntry.sign(_entry(), SIGNER)
    disclosure = disclose(signed, bytes(32), _show_some)
    again = Disclosure.from_dict(json.loads(json.dumps(disclosure.to_dict())))
    assert again == disclosure and again.verify(SIGNER.public())


@pytest.mark.parametrize("change", ["value", "path", "salt", "drop hidden", "duplicate", "signature"])
def test_any_change_to_a_disclosure_breaks_its_signature(change: str) -> None:
    document = disclose(SignedEntry.sign(_entry(), SIGNER), bytes(32), _show_some).to_dict()
    shown = document["shown"]
    if change == "value":
        shown[0][1] = "ent_bbbbbbbbbbbbbbbb" if shown[0][0] == ["id"] else 4
    elif change == "path":
        shown[0][0] = ["item"]
    elif change == "salt":
        shown[0][2] = "00" * 32
    elif change == "drop hidden":
        document["hidden"].pop()
    elif change == "duplicate":
        document["hidden"].append(document["hidden"][0])
    else:
        document["signature"] = document["signature"][:-4] + "AAA="
    try:
        disclosure = Disclosure.from_dict(document)
    except DisclosureError:
        return  # refused outright: as good as failing to verify
    assert not disclosure.verify(SIGNER.public())


@pytest.mark.parametrize("document", [
    None, [], {"shown": [], "hidden": []},
    {"shown": [[["a"], 1.5, "00" * 32]], "hidden": [], "signature": "", "sealed_sha256": "00" * 32},
    {"shown": [[["a"], [1], "00" * 32]], "hidden": [], "signature": "", "sealed_sha256": "00" * 32},
    {"shown": [], "hidden": [[["a"], "zz"]], "signature": "", "sealed_sha256": "00" * 32},
    {"shown": [], "hidden": [[[-1], "00" * 32]], "signature": "", "sealed_sha256": "00" * 32},
    {"shown": [], "hidden": [], "signature": "!!", "sealed_sha256": "00" * 32},
])
def test_malformed_disclosures_are_refused(document: object) -> None:
    with pytest.raises(DisclosureError):
        Disclosure.from_dict(document)


def test_a_shown_field_can_be_proven_later_by_its_salt_alone() -> None:
    """The salt of one field opens that field and nothing else (HMAC-derived, per path)."""
    signed = SignedEntry.sign(_entry(), SIGNER)
    hidden = dict(disclose(signed, bytes(32), _show_some).hidden)
    target = Field(("outputs", 0, "sha256"), "ab" * 32)
    salt = field_salt(signed.salt, target)
    assert field_digest(target, salt) == hidden[target.path]
    assert field_digest(Field(target.path, "cd" * 32), salt) != hidden[target.path]
    name_salt = field_salt(signed.salt, Field(("outputs", 0, "name"), ""))
    assert field_digest(Field(("outputs", 0, "name"), "colonel.pdf"), salt) != hidden[("outputs", 0, "name")]
    assert name_salt != salt


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_the_commitment_depends_on_the_salt(first: bytes, second: bytes) -> None:
    fields = _entry().fields()
    assert (commit_fields(fields, first) == commit_fields(fields, second)) == (first == second)


@given(st.text(max_size=30), st.text(max_size=30))
def test_the_commitment_binds_every_value(note: str, other: str) -> None:
    salt = bytes(32)
    same = commit_fields(_entry(note).fields(), salt) == commit_fields(_entry(other).fields(), salt)
    assert same == (note == other)


def test_the_day_is_committed_beside_the_time() -> None:
    fields = _entry().fields()
    assert Field(("day",), "2026-11-23") in fields and Field(("time",), "2026-11-23T04:51:11Z") in fields
