"""Tests for intake.ledger.checkpoint (C2SP tlog-checkpoint bodies)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, strategies as st

from intake.ledger.checkpoint import Checkpoint
from intake.errors import CheckpointError

# Example checkpoint body from the C2SP spec, https://c2sp.org/tlog-checkpoint
# (C2SP/C2SP tlog-checkpoint.md), without its signature block.
SPEC_TEXT = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
ROOT = bytes(range(32))
ROOT_B64 = base64.b64encode(ROOT).decode()


def body(size: str = "5", root: str = ROOT_B64, tail: str = "") -> str:
    return f"example.com/log\n{size}\n{root}\n{tail}"


def test_parses_spec_example() -> None:
    cp = Checkpoint.from_text(SPEC_TEXT)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.extensions == ()
    assert cp.to_text() == SPEC_TEXT


def test_to_text_format() -> None:
    cp = Checkpoint("example.com/log", 0, ROOT, ("ext one", "ext-two"))
    assert cp.to_text() == f"example.com/log\n0\n{ROOT_B64}\next one\next-two\n"


def test_round_trip_with_extensions() -> None:
    cp = Checkpoint("example.com/log", 2**64 - 1, ROOT, ("a", "b c"))
    assert Checkpoint.from_text(cp.to_text()) == cp


def test_origin_with_space_is_accepted() -> None:
    # The spec only RECOMMENDS space-free origins and tells clients not to
    # assume it; transparency-dev/formats tests use the origin "Moon Log".
    text = body().replace("example.com/log", "Moon Log")
    assert Checkpoint.from_text(text).origin == "Moon Log"


def test_zero_size_accepted() -> None:
    assert Checkpoint.from_text(body(size="0")).size == 0


@pytest.mark.parametrize("size", ["00", "01", "007", "0123"])
def test_leading_zeros_rejected(size: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.from_text(body(size=size))


@pytest.mark.parametrize(
    "size",
    # "-34" and the 28-digit value come from transparency-dev/formats
    # log/checkpoint_test.go; 2**64 is the first value past uint64.
    ["-34", "-0", "+5", " 5", "5 ", "", "bananas", "1_000", "٣", "0x10",
     "3438945738945739845734895735", str(2**64)],
)
def test_bad_sizes_rejected(size: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.from_text(body(size=size))


@pytest.mark.parametrize(
    "root",
    [
        "YmFuYW5hcw==",  # 7 bytes ("bananas"), transparency-dev/formats test
        base64.b64encode(bytes(31)).decode(),
        base64.b64encode(bytes(33)).decode(),
        "",
        "ThisIsn'tBase64",  # transparency-dev/formats test
    ],
)
def test_non_32_byte_root_rejected(root: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.from_text(body(root=root))


@pytest.mark.parametrize(
    "root",
    [
        # Same 32 zero bytes, but the two unused low bits of the last symbol
        # are set: decodes fine, is not the canonical encoding.
        "A" * 42 + "B=",
        "A" * 43,  # missing padding
        "A" * 43 + "==",  # excess padding
        "A" * 21 + "\n" + "A" * 22 + "=",  # embedded newline (line break)
        " " + "A" * 43 + "=",
        "_" + "A" * 42 + "=",  # URL-safe alphabet
    ],
)
def test_non_canonical_base64_rejected(root: str) -> None:
    assert base64.b64decode("A" * 43 + "=") == bytes(32)
    with pytest.raises(CheckpointError):
        Checkpoint.from_text(body(root=root))


def test_missing_final_newline_rejected() -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.from_text(body()[:-1])
    with pytest.raises(CheckpointError):
        Checkpoint.from_text(body(tail="ext"))  # last extension unterminated


@pytest.mark.parametrize(
    "text",
    [
        "",
        "example.com/log\n5\n",  # too few lines
        "\n5\n" + ROOT_B64 + "\n",  # empty origin
        body(tail="\n"),  # empty extension line
        body(tail="ext\n\n"),  # trailing empty extension line
        body(tail="ext\n\nmore\n"),  # empty line between extensions
        body().replace("example.com/log", "example.com/\x01log"),
        body(tail="bad\x07ext\n"),
        body().replace("example.com/log", "example.com/\udcfflog"),
    ],
)
def test_malformed_rejected(text: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.from_text(text)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": ""},
        {"origin": "a\nb"},
        {"size": -1},
        {"size": 2**64},
        {"size": True},
        {"root": bytes(31)},
        {"root": bytearray(32)},
        {"extensions": ["list"]},
        {"extensions": ("",)},
        {"extensions": ("two\nlines",)},
    ],
)
def test_constructor_validates(kwargs: dict[str, object]) -> None:
    fields: dict[str, object] = {"origin": "example.com/log", "size": 1, "root": ROOT}
    fields.update(kwargs)
    with pytest.raises(CheckpointError):
        Checkpoint(**fields)  # type: ignore[arg-type]


_LINE = st.text(
    st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), min_size=1
)


@given(
    origin=_LINE,
    size=st.integers(min_value=0, max_value=2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(_LINE, max_size=3).map(tuple),
)
def test_round_trip_property(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    cp = Checkpoint(origin, size, root, extensions)
    text = cp.to_text()
    assert Checkpoint.from_text(text) == cp
    assert Checkpoint.from_text(text).to_text() == text
