"""The BagIt layer: bags written here validate here and in bagit-python; hostile bags are refused.

Every bag, zip and hostile input is made by the test itself, with the writer
under test, zipfile, or byte patches for what zipfile will not write.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import shutil
import socket
import stat
import struct
import subprocess
import time
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import BinaryIO

import bagit
import pytest

from intake.bundle.bagit import (BAGIT_TXT, BagFile, BagSource, SignedList, manifest_entries,
                                 signed_list_entries, validate_bag, write_bag)
from intake.bundle.bagsource import MAX_ENTRIES
from intake.errors import Check, CheckFailed, IntakeError

PAYLOAD = {
    "data/photo.jpg": b"\xff\xd8\xff" + bytes(range(256)) * 40,
    "data/notes/statement.txt": b"seen on 3 March\n",
    "data/empty.bin": b"",
}
TAGS = {
    "provenance/photo.jpg.json": b'{"item":"itm_1"}\n',
    "VERIFY.txt": b"How to check this bundle.\n",
}
INFO = [("Source-Organization", "Example Desk"), ("External-Description", "Test bundle")]


def sample_files() -> tuple[list[BagFile], list[BagFile]]:
    return ([BagFile(path, data) for path, data in PAYLOAD.items()],
            [BagFile(path, data) for path, data in TAGS.items()])


def write_sample(target: Path, as_zip: bool = False, **extra) -> Path:
    payload, tags = sample_files()
    write_bag(target, payload, tags, INFO, as_zip=as_zip, **extra)
    return target


def checks_of(path: Path) -> list[Check]:
    with BagSource.open(path) as source:
        return validate_bag(source)


def failures(path: Path) -> list[Check]:
    return [check for check in checks_of(path) if not check.ok]


def reasons(path: Path) -> str:
    return " | ".join(check.reason or "" for check in failures(path))


def refusal(path: Path, error: type[IntakeError] = CheckFailed, **options) -> str:
    """The one-line message with which opening the bag is refused."""
    with pytest.raises(IntakeError) as raised:
        BagSource.open(path, **options)
    assert type(raised.value) is error
    message = str(raised.value)
    assert message and "\n" not in message
    return message


def listing(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


# --- round trips --------------------------------------------------------------


def test_folder_bag_round_trip_validates_here_and_in_bagit_python(tmp_path: Path) -> None:
    bag = write_sample(tmp_path / "bundle")
    results = checks_of(bag)
    assert all(check.ok for check in results), results
    assert "3 payload files match manifest-sha256.txt" in [check.what for check in results]
    bagit.Bag(str(bag)).validate()  # raises on any problem
    assert (bag / "bagit.txt").read_bytes() == BAGIT_TXT
    assert (bag / "data/notes/statement.txt").read_bytes() == PAYLOAD["data/notes/statement.txt"]
    assert sorted(listing(tmp_path)) == sorted(["bundle"] + [f"bundle/{name}" for name in listing(bag)])


def test_folder_bag_layout_modes_and_manifests(tmp_path: Path) -> None:
    bag = write_sample(tmp_path / "bundle")
    for path in [bag, *bag.rglob("*")]:
        expected = 0o755 if path.is_dir() else 0o644
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
    manifest = (bag / "manifest-sha256.txt").read_text()
    expected_lines = [f"{hashlib.sha256(data).hexdigest()}  {path}" for path, data in sorted(PAYLOAD.items())]
    assert manifest == "\n".join(expected_lines) + "\n"
    tag_listed = [line.split("  ", 1)[1] for line in (bag / "tagmanifest-sha512.txt").read_text().splitlines()]
    assert tag_listed == sorted(["VERIFY.txt", "bag-info.txt", "bagit.txt", "manifest-sha256.txt",
                                 "manifest-sha512.txt", "provenance/photo.jpg.json"])
    assert (bag / "bag-info.txt").read_text() == (
        "Source-Organization: Example Desk\nExternal-Description: Test bundle\nPayload-Oxum: "
        f"{sum(len(data) for data in PAYLOAD.values())}.3\n")


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_a_known_sha512_is_listed_as_given_once_the_check_proves_the_bytes(tmp_path: Path, as_zip: bool) -> None:
    """Export names each clean copy's SHA-512 from its ledger entry: the bag lists what it is
    given, and only the check (SHA-256 and size against the same entry) stands between a wrong
    value and the manifest. Right, the bag validates in bagit-python too."""
    data = PAYLOAD["data/photo.jpg"]
    seen: list = []
    for known, name in ((hashlib.sha512(data).hexdigest(), "right"), ("ab" * 64, "wrong")):
        payload = [BagFile("data/photo.jpg", data, check=seen.append, known_sha512=known)]
        target = tmp_path / (name + (".zip" if as_zip else ""))
        summary = write_bag(target, payload, [], INFO, as_zip=as_zip)
        assert summary.payload["data/photo.jpg"].sha512 == known
        assert seen[-1].sha256 == hashlib.sha256(data).hexdigest() and seen[-1].size == len(data)
        with BagSource.open(target) as source:
            assert manifest_entries(source, "manifest-sha512.txt") == {"data/photo.jpg": known}
        assert all(check.ok for check in checks_of(target)) == (name == "right")
    if not as_zip:
        bagit.Bag(str(tmp_path / "right")).validate()
    with pytest.raises(ValueError):
        BagFile("data/photo.jpg", data, known_sha512=hashlib.sha512(data).hexdigest())


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils sha256sum")
def test_manifests_check_with_sha256sum(tmp_path: Path) -> None:
    bag = write_sample(tmp_path / "bundle")
    for manifest in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
        result = subprocess.run(["sha256sum", "--strict", "-c", manifest], cwd=bag, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    (bag / "data/photo.jpg").write_bytes(b"forged")
    assert subprocess.run(["sha256sum", "-c", "manifest-sha256.txt"], cwd=bag, capture_output=True).returncode == 1


def test_summary_gives_payload_digests(tmp_path: Path) -> None:
    payload, tags = sample_files()
    summary = write_bag(tmp_path / "bundle", payload, tags, INFO)
    assert summary.payload_count == 3
    assert summary.payload_bytes == sum(len(data) for data in PAYLOAD.values())
    for path, data in PAYLOAD.items():
        digests = summary.payload[path]
        assert (digests.sha256, digests.sha512, digests.size) == (
            hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest(), len(data))
    assert summary.tags["tagmanifest-sha256.txt"].sha256 == hashlib.sha256(
        (tmp_path / "bundle/tagmanifest-sha256.txt").read_bytes()).hexdigest()


def test_zip_bag_round_trip_validates_here_and_extracted_in_bagit_python(tmp_path: Path) -> None:
    target = write_sample(tmp_path / "bundle.zip", as_zip=True)
    results = checks_of(target)
    assert all(check.ok for check in results), results
    with zipfile.ZipFile(target) as archive:
        infos = archive.infolist()
        archive.extractall(tmp_path / "unpacked")
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert all(name.startswith("bundle/") for name in names)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.extra == b"" and info.comment == b""
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert stat.S_IMODE(info.external_attr >> 16) == 0o644
    bagit.Bag(str(tmp_path / "unpacked" / "bundle")).validate()


def test_zip_is_byte_identical_when_written_twice(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = write_sample(tmp_path / "one" / "bundle.zip", as_zip=True)
    second = write_sample(tmp_path / "two" / "bundle.zip", as_zip=True)
    assert first.read_bytes() == second.read_bytes()


def test_empty_payload_still_has_a_data_folder(tmp_path: Path) -> None:
    write_bag(tmp_path / "empty", [], [], [])
    assert (tmp_path / "empty" / "data").is_dir()
    bagit.Bag(str(tmp_path / "empty")).validate()
    write_bag(tmp_path / "empty.zip", [], [], [], as_zip=True)
    assert all(check.ok for check in checks_of(tmp_path / "empty.zip"))
    with zipfile.ZipFile(tmp_path / "empty.zip") as archive:
        archive.extractall(tmp_path / "unpacked")
    bagit.Bag(str(tmp_path / "unpacked" / "empty")).validate()


def test_awkward_names_are_percent_encoded_and_round_trip(tmp_path: Path) -> None:
    name = "data/100% line\nbreak\r.txt"
    write_bag(tmp_path / "bundle", [BagFile(name, b"x")], [], [])
    manifest = (tmp_path / "bundle" / "manifest-sha256.txt").read_text()
    assert manifest.endswith("  data/100%25 line%0Abreak%0D.txt\n")
    assert all(check.ok for check in checks_of(tmp_path / "bundle"))
    assert manifest_entries(BagSource.open(tmp_path / "bundle"), "manifest-sha256.txt") == {
        name: hashlib.sha256(b"x").hexdigest()}


def test_zip_accepts_a_bag_at_the_root(tmp_path: Path) -> None:
    bag = write_sample(tmp_path / "bundle")
    rezipped = tmp_path / "rooted.zip"
    with zipfile.ZipFile(rezipped, "w") as archive:
        for path in sorted(bag.rglob("*")):
            if path.is_file():
                archive.write(path, str(path.relative_to(bag)))
    assert all(check.ok for check in checks_of(rezipped))


def test_nested_zip_is_just_a_payload_file(tmp_path: Path) -> None:
    inner = write_sample(tmp_path / "inner.zip", as_zip=True).read_bytes()
    write_bag(tmp_path / "outer.zip", [BagFile("data/inner.zip", inner)], [], [], as_zip=True)
    with BagSource.open(tmp_path / "outer.zip") as source:
        assert source.files().count("data/inner.zip") == 1
        assert all(check.ok for check in validate_bag(source))


def test_zip_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    zipped = write_sample(tmp_path / "bundle.zip", as_zip=True)
    renamed = zipped.rename(tmp_path / "bundle.dat")
    assert all(check.ok for check in checks_of(renamed))
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"this is text, not a zip")
    assert "neither a bag folder nor a zip" in refusal(fake, IntakeError)
    assert "does not exist" in refusal(tmp_path / "missing", IntakeError)


# --- streaming ----------------------------------------------------------------

CHUNK = bytes(range(256)) * 4096  # 1 MiB
CHUNKS = 50


def fifty_megabytes(out: BinaryIO) -> None:
    for index in range(CHUNKS):
        out.write(CHUNK[index:] + CHUNK[:index])


def test_streamed_payload_is_hashed_on_the_way_in_memory_flat(tmp_path: Path) -> None:
    sha256, sha512 = hashlib.sha256(), hashlib.sha512()
    for index in range(CHUNKS):
        sha256.update(CHUNK[index:] + CHUNK[:index])
        sha512.update(CHUNK[index:] + CHUNK[:index])
    tracemalloc.start()
    try:
        summary = write_bag(tmp_path / "bundle", [BagFile("data/big.bin", fifty_megabytes, size=CHUNKS << 20)],
                            [], [])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 << 20  # a few chunks, never the 50 MiB payload
    assert summary.payload["data/big.bin"].size == CHUNKS << 20
    bag = tmp_path / "bundle"
    assert (bag / "manifest-sha256.txt").read_text() == f"{sha256.hexdigest()}  data/big.bin\n"
    assert (bag / "manifest-sha512.txt").read_text() == f"{sha512.hexdigest()}  data/big.bin\n"
    assert (bag / "bag-info.txt").read_text() == f"Payload-Oxum: {CHUNKS << 20}.1\n"
    assert all(check.ok for check in checks_of(bag))


def test_streamed_payload_in_a_zip(tmp_path: Path) -> None:
    def eight_megabytes(out: BinaryIO) -> None:
        for _ in range(8):
            out.write(CHUNK)

    write_bag(tmp_path / "bundle.zip", [BagFile("data/big.bin", eight_megabytes)], [], [], as_zip=True)
    assert all(check.ok for check in checks_of(tmp_path / "bundle.zip"))


def test_announced_size_must_match(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="gave 3 bytes instead of the 4 announced"):
        write_bag(tmp_path / "bundle", [BagFile("data/x", b"abc", size=4)], [], [])
    assert listing(tmp_path) == set()


# --- atomicity ----------------------------------------------------------------


class Boom(Exception):
    pass


@pytest.mark.parametrize("as_zip", [False, True])
@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_failure_midway_leaves_nothing(tmp_path: Path, as_zip: bool, error: type[BaseException]) -> None:
    def payload_fails(out: BinaryIO) -> None:
        out.write(b"half of it")
        raise error

    payload, tags = sample_files()
    with pytest.raises(error):
        write_bag(tmp_path / ("bundle.zip" if as_zip else "bundle"),
                  payload + [BagFile("data/zz-last.bin", payload_fails)], tags, INFO, as_zip=as_zip)
    assert listing(tmp_path) == set()


def many_files(count: int) -> tuple[list[BagFile], list[BagFile], dict[str, bytes]]:
    """`count` payload files, every third one written by a callable (as export's clean copies),
    and twice as many tag files: more than one group of given bytes per worker (bagit._groups)."""
    contents = {f"data/f{n:03}.bin": hashlib.sha512(b"%d" % n).digest() * (n % 7 + 1) for n in range(count)}
    contents |= {f"provenance/t{n:03}.json": b'{"n":%d}\n' % n for n in range(2 * count)}

    def writer(data: bytes) -> Callable[[BinaryIO], None]:
        return lambda out: out.write(data)

    payload = [BagFile(path, writer(data) if n % 3 == 0 else data)
               for n, (path, data) in enumerate(contents.items()) if path.startswith("data/")]
    tags = [BagFile(path, data) for path, data in contents.items() if not path.startswith("data/")]
    return payload, tags, contents


def test_many_files_written_on_every_core_are_each_where_they_belong(tmp_path: Path) -> None:
    payload, tags, contents = many_files(150)
    summary = write_bag(tmp_path / "bundle", payload, tags, INFO)
    bagit.Bag(str(tmp_path / "bundle")).validate()
    assert {path: (tmp_path / "bundle" / path).read_bytes() for path in contents} == contents
    assert summary.payload["data/f004.bin"].sha256 == hashlib.sha256(contents["data/f004.bin"]).hexdigest()
    assert stat.S_IMODE((tmp_path / "bundle" / "data" / "f003.bin").stat().st_mode) == 0o644


def test_a_check_that_fails_on_a_file_a_worker_wrote_leaves_nothing(tmp_path: Path) -> None:
    payload, tags, _ = many_files(150)

    def refuse(_digests: object) -> None:
        raise CheckFailed("does not match its ledger entry")

    payload[120] = BagFile(payload[120].path, payload[120].source, check=refuse)
    with pytest.raises(CheckFailed, match="ledger entry"):
        write_bag(tmp_path / "bundle", payload, tags, INFO)
    assert listing(tmp_path) == set()


@pytest.mark.parametrize("as_zip", [False, True])
def test_existing_target_is_refused_and_kept(tmp_path: Path, as_zip: bool) -> None:
    target = tmp_path / ("bundle.zip" if as_zip else "bundle")
    target.write_bytes(b"precious")
    with pytest.raises(IntakeError, match="already exists"):
        write_sample(target, as_zip=as_zip)
    assert target.read_bytes() == b"precious"
    assert listing(tmp_path) == {target.name}


@pytest.mark.parametrize(("payload", "tags", "message"), [
    (["data/../escape"], [], "has a . or .. part"),
    (["/etc/passwd"], [], "is absolute"),
    (["data\\evil"], [], "backslash"),
    (["data//x"], [], "empty part"),
    (["data/ x"], [], "space or tab"),
    (["photo.jpg"], [], "must be under data/"),
    (["data/x"], ["data/y"], "must not be under data/"),
    (["data/x"], ["bagit.txt"], "name the bag itself uses"),
    (["data/x"], ["BagIt.TXT"], "name the bag itself uses"),
    (["data/x"], ["DATA/x"], "must not be under data/"),
    (["data/x"], ["bag-info.txt"], "name the bag itself uses"),
    (["data/x"], ["manifest-md5.txt"], "name the bag itself uses"),
    (["data/x"], ["tagmanifest-sha256.txt.asc"], "name the bag itself uses"),
    (["data/x", "data/x"], [], "given twice"),
    (["data/Photo.JPG", "data/photo.jpg"], [], "same name once case is ignored"),
    (["data/a", "data/a/b"], [], "both a file and a folder"),
])
def test_bad_paths_are_refused_before_anything_is_written(tmp_path: Path, payload: list[str], tags: list[str],
                                                          message: str) -> None:
    with pytest.raises(IntakeError, match=message):
        write_bag(tmp_path / "bundle", [BagFile(path, b"x") for path in payload],
                  [BagFile(path, b"x") for path in tags], [])
    assert listing(tmp_path) == set()


@pytest.mark.parametrize("info", [
    [("Bad:Label", "x")], [("Label", "two\nlines")], [("Payload-Oxum", "1.1")], [(" Padded", "x")], [("", "x")],
])
def test_bad_bag_info_is_refused(tmp_path: Path, info: list[tuple[str, str]]) -> None:
    with pytest.raises(IntakeError, match="bag-info"):
        write_bag(tmp_path / "bundle", [], [], info)
    assert listing(tmp_path) == set()


def test_bag_info_carries_no_fingerprint(tmp_path: Path) -> None:
    bag = write_sample(tmp_path / "bundle")
    zipped = write_sample(tmp_path / "bundle.zip", as_zip=True)
    text = (bag / "bag-info.txt").read_text()
    labels = [line.split(":", 1)[0] for line in text.splitlines()]
    assert labels == ["Source-Organization", "External-Description", "Payload-Oxum"]
    for telltale in (socket.gethostname(), getpass.getuser(), "intake/", "Bagging", str(date.today().year)):
        assert telltale not in text
        assert telltale.encode() not in zipped.read_bytes()


# --- tampering ----------------------------------------------------------------


def sha_lines(bag: Path, algorithm: str) -> str:
    lines = []
    for path in sorted(bag.joinpath("data").rglob("*")):
        if path.is_file():
            lines.append(f"{hashlib.new(algorithm, path.read_bytes()).hexdigest()}  {path.relative_to(bag)}\n")
    return "".join(lines)


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    return write_sample(tmp_path / "bundle")


def test_swapped_content_is_named(bag: Path) -> None:
    original = (bag / "data/photo.jpg").read_bytes()
    (bag / "data/photo.jpg").write_bytes(bytes(len(original)))  # same size: only the hashes can tell
    found = reasons(bag)
    assert "data/photo.jpg: sha256 differs from manifest-sha256.txt" in found
    assert "data/photo.jpg: sha512 differs from manifest-sha512.txt" in found
    assert len(failures(bag)) == 2


def test_swapped_content_with_rewritten_manifests_is_caught_by_the_tag_manifests(bag: Path) -> None:
    (bag / "data/photo.jpg").write_bytes(b"a forged photo")
    for algorithm in ("sha256", "sha512"):
        (bag / f"manifest-{algorithm}.txt").write_text(sha_lines(bag, algorithm))
    oxum = sum(len(data) for path, data in PAYLOAD.items() if path != "data/photo.jpg") + len(b"a forged photo")
    (bag / "bag-info.txt").write_text(
        (bag / "bag-info.txt").read_text().replace(f"Payload-Oxum: {sum(map(len, PAYLOAD.values()))}.3",
                                                   f"Payload-Oxum: {oxum}.3"))
    found = reasons(bag)
    assert "manifest-sha256.txt: sha256 differs from tagmanifest-sha256.txt" in found
    assert "manifest-sha512.txt: sha512 differs from tagmanifest-sha512.txt" in found
    assert "bag-info.txt: sha256 differs from tagmanifest-sha256.txt" in found
    assert not any("payload" in check.what for check in failures(bag))


def test_removed_payload_file_is_named(bag: Path) -> None:
    (bag / "data/notes/statement.txt").unlink()
    found = reasons(bag)
    assert "data/notes/statement.txt: listed in manifest-sha256.txt but missing" in found
    assert "Payload-Oxum says 3 files" in found


def test_extra_payload_file_is_named(bag: Path) -> None:
    (bag / "data/planted.txt").write_bytes(b"")
    found = reasons(bag)
    assert "data/planted.txt: not listed in manifest-sha256.txt" in found
    assert "data/planted.txt: not listed in manifest-sha512.txt" in found
    assert "the payload has 4 files" in found


def test_edited_tag_file_is_named(bag: Path) -> None:
    (bag / "provenance/photo.jpg.json").write_bytes(b'{"item":"itm_2"}\n')
    assert [check.reason for check in failures(bag)] == [
        "provenance/photo.jpg.json: sha256 differs from tagmanifest-sha256.txt",
        "provenance/photo.jpg.json: sha512 differs from tagmanifest-sha512.txt"]


def test_manifest_line_climbing_out_of_the_bag_is_refused(bag: Path) -> None:
    outside = bag.parent / "secret.txt"
    outside.write_bytes(b"not in the bag")
    manifest = bag / "manifest-sha256.txt"
    manifest.write_text(manifest.read_text() + f"{hashlib.sha256(b'not in the bag').hexdigest()}  data/../../secret.txt\n")
    found = reasons(bag)
    assert "manifest-sha256.txt line 4: the path data/../../secret.txt has a . or .. part" in found
    assert "manifest-sha256.txt: sha256 differs from tagmanifest-sha256.txt" in found


@pytest.mark.parametrize("line", ["nothex  data/photo.jpg", "abcd  data/photo.jpg", "  ", "00" * 32 + "  bagit.txt",
                                  "00" * 32 + "  /etc/passwd"])
def test_malformed_manifest_lines_are_named(bag: Path, line: str) -> None:
    manifest = bag / "manifest-sha256.txt"
    manifest.write_text(manifest.read_text() + line + "\n")
    assert "manifest-sha256.txt line 4: " in reasons(bag)


def test_wrong_payload_oxum_is_named(bag: Path) -> None:
    info = bag / "bag-info.txt"
    info.write_text(info.read_text().replace(".3\n", ".2\n"))
    found = reasons(bag)
    assert "Payload-Oxum says 2 files" in found
    assert "bag-info.txt: sha256 differs from tagmanifest-sha256.txt" in found


def test_missing_payload_oxum_fails(bag: Path) -> None:
    info = bag / "bag-info.txt"
    info.write_text("".join(line for line in info.read_text().splitlines(True) if "Oxum" not in line))
    assert "bag-info.txt gives 0 Payload-Oxum elements" in reasons(bag)


def test_a_signed_list_covers_every_file_and_every_tag_file_is_listed(tmp_path: Path) -> None:
    """RFC 8493 lets tag manifests list every tag file but each other: the list and its signatures included."""
    signed = SignedList("provenance/contents.sha256", lambda text: [
        (".sig", hashlib.sha256(text).digest()), (".asc", b"signature over " + hashlib.sha256(text).digest())])
    bag = write_sample(tmp_path / "bundle", signed_list=signed)
    listed = dict(reversed(line.split("  ", 1)) for line in (bag / "provenance/contents.sha256").read_text().splitlines())
    every_file = {p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file()}
    assert set(listed) == every_file - {"tagmanifest-sha256.txt", "tagmanifest-sha512.txt", *signed.names()}
    assert all(hashlib.sha256((bag / path).read_bytes()).hexdigest() == digest for path, digest in listed.items())
    assert (bag / "provenance/contents.sha256.sig").read_bytes() == hashlib.sha256(
        (bag / "provenance/contents.sha256").read_bytes()).digest()
    tag_listed = {line.split("  ", 1)[1] for line in (bag / "tagmanifest-sha512.txt").read_text().splitlines()}
    assert tag_listed == {p for p in every_file if not p.startswith(("data/", "tagmanifest-"))}
    assert all(check.ok for check in checks_of(bag))
    assert signed_list_entries(BagSource.open(bag), "provenance/contents.sha256") == listed


def test_unlisted_tag_file_fails_and_tag_manifest_signatures_are_not_exempt(tmp_path: Path) -> None:
    bag = write_sample(tmp_path / "bundle")
    assert all(check.ok for check in checks_of(bag))
    (bag / "provenance/planted.json").write_bytes(b"{}")
    (bag / "extra.asc").write_bytes(b"")
    (bag / "tagmanifest-sha256.txt.sig").write_bytes(b"")
    [failed] = failures(bag)
    assert failed.what == "3 tag files not covered by a tag manifest"
    assert failed.reason == "extra.asc; provenance/planted.json; tagmanifest-sha256.txt.sig"


@pytest.mark.parametrize(("content", "message"), [
    (b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n", "version 0.97, not 1.0"),
    (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: ISO-8859-1\n", "not UTF-8"),
    (b"\xef\xbb\xbf" + BAGIT_TXT, "byte-order mark"),
    (b"Tag-File-Character-Encoding: UTF-8\nBagIt-Version: 1.0\n", "in that order"),
])
def test_bad_bagit_txt_is_named(bag: Path, content: bytes, message: str) -> None:
    (bag / "bagit.txt").write_bytes(content)
    assert message in reasons(bag)


def test_missing_manifest_and_foreign_manifest_fail(bag: Path) -> None:
    (bag / "manifest-sha512.txt").unlink()
    (bag / "manifest-md5.txt").write_text("")
    found = reasons(bag)
    assert "manifest-sha512.txt is missing" in found
    assert "manifest-md5.txt: intake checks sha256 and sha512 manifests only" in found


def test_every_check_reports_in_order(bag: Path) -> None:
    whats = [check.what for check in checks_of(bag)]
    assert whats[0].startswith("bagit.txt") and whats[1].startswith("bag-info.txt")
    assert whats[-1] == "all 6 tag files are listed in every tag manifest"


# --- hostile folders ------------------------------------------------------------


def test_symlink_in_payload_is_refused_by_name(bag: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"outside")
    (bag / "data/link.txt").symlink_to(secret)
    message = refusal(bag)
    assert "symbolic link, data/link.txt" in message


def test_symlinked_folder_is_refused(bag: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (bag / "provenance/more").symlink_to(tmp_path / "elsewhere")
    assert "symbolic link, provenance/more" in refusal(bag)


def test_special_file_is_refused(bag: Path) -> None:
    os.mkfifo(bag / "data/pipe")
    assert "data/pipe" in refusal(bag)


# --- hostile zips -------------------------------------------------------------


def make_zip(path: Path, members: dict[str, bytes], configure: Callable[[zipfile.ZipInfo], None] | None = None
             ) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names these tests plant
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items() if isinstance(members, dict) else members:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                if configure:
                    configure(info)
                archive.writestr(info, data)
    return path


def bag_members(tmp_path: Path) -> dict[str, bytes]:
    """A valid zipped bag's members, to plant hostile ones beside."""
    (tmp_path / "source").mkdir()
    target = write_sample(tmp_path / "source" / "bundle.zip", as_zip=True)
    with zipfile.ZipFile(target) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def assert_nothing_written(tmp_path: Path, before: set[str]) -> None:
    assert listing(tmp_path) == before


@pytest.mark.parametrize(("name", "message"), [
    ("bundle/../evil.txt", "has a . or .. part"),
    ("../evil.txt", "has a . or .. part"),
    ("/etc/evil", "is absolute"),
    ("C:/evil", "drive letter"),
    ("bundle/data\\..\\..\\evil", "backslash"),
    ("bundle//evil", "empty part"),
])
def test_unsafe_member_names_are_refused(tmp_path: Path, name: str, message: str) -> None:
    members = bag_members(tmp_path)
    hostile = make_zip(tmp_path / "hostile.zip", {**members, name: b"pwned"})
    before = listing(tmp_path)
    found = refusal(hostile)
    assert "unsafe member name" in found and message in found
    assert_nothing_written(tmp_path, before)


def test_nul_in_member_name_is_refused(tmp_path: Path) -> None:
    hostile = make_zip(tmp_path / "hostile.zip", {"bundle/data/aXb.txt": b"x"})
    raw = hostile.read_bytes().replace(b"aXb.txt", b"a\x00b.txt")
    hostile.write_bytes(raw)
    assert "NUL" in refusal(hostile)


def test_symlink_member_is_refused(tmp_path: Path) -> None:
    members = bag_members(tmp_path)

    def as_link(info: zipfile.ZipInfo) -> None:
        if info.filename.endswith("link"):
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16

    hostile = make_zip(tmp_path / "hostile.zip", {**members, "bundle/data/link": b"/etc/passwd"}, as_link)
    assert "symbolic link, bundle/data/link" in refusal(hostile)


def test_duplicate_members_are_refused(tmp_path: Path) -> None:
    members = list(bag_members(tmp_path).items())
    hostile = make_zip(tmp_path / "hostile.zip", members + [("bundle/data/photo.jpg", b"other photo")])
    assert "bundle/data/photo.jpg twice" in refusal(hostile)
    folded = make_zip(tmp_path / "folded.zip", members + [("bundle/data/PHOTO.jpg", b"other photo")])
    assert "same name once case is ignored" in refusal(folded)


def test_file_and_folder_of_the_same_name_are_refused(tmp_path: Path) -> None:
    hostile = make_zip(tmp_path / "hostile.zip", {"bundle/data/x": b"a", "bundle/data/x/y": b"b"})
    assert "both as a file and as a folder" in refusal(hostile)


def test_encrypted_member_is_refused(tmp_path: Path) -> None:
    hostile = make_zip(tmp_path / "hostile.zip", bag_members(tmp_path))
    raw = bytearray(hostile.read_bytes())
    for offset in (offset for offset in find_all(raw, b"PK\x01\x02")):
        raw[offset + 8] |= 0x01  # central directory general-purpose flags: encrypted
    for offset in find_all(raw, b"PK\x03\x04"):
        raw[offset + 6] |= 0x01
    hostile.write_bytes(bytes(raw))
    assert "is encrypted" in refusal(hostile)


def find_all(data: bytes | bytearray, signature: bytes) -> list[int]:
    found, start = [], 0
    while (start := data.find(signature, start)) >= 0:
        found.append(start)
        start += 4
    return found


def test_truncated_zip_is_refused_in_one_line(tmp_path: Path) -> None:
    whole = write_sample(tmp_path / "bundle.zip", as_zip=True).read_bytes()
    for cut in (len(whole) // 3, len(whole) - 10, 30):
        truncated = tmp_path / f"cut-{cut}.zip"
        truncated.write_bytes(whole[:cut])
        assert "damaged" in refusal(truncated)


def test_zip_with_only_a_signature_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.zip"
    bogus.write_bytes(b"PK\x03\x04" + os.urandom(200))
    assert "damaged" in refusal(bogus)


def test_corrupt_member_data_fails_the_check_naming_the_file(tmp_path: Path) -> None:
    target = write_sample(tmp_path / "bundle.zip", as_zip=True)
    with zipfile.ZipFile(target) as archive:
        info = archive.getinfo("bundle/data/photo.jpg")
    raw = bytearray(target.read_bytes())
    data_start = info.header_offset + 30 + len(info.filename)
    raw[data_start + info.compress_size // 2] ^= 0xFF
    target.write_bytes(bytes(raw))
    found = reasons(target)
    assert "data/photo.jpg: damaged zip member" in found
    assert "\n" not in found


def patch_sizes(raw: bytearray, name: bytes, declared: int) -> None:
    """Make a member declare `declared` bytes uncompressed, in its local and central headers."""
    for offset in find_all(raw, b"PK\x03\x04"):
        if raw[offset + 30: offset + 30 + len(name)] == name:
            struct.pack_into("<I", raw, offset + 22, declared)
    for offset in find_all(raw, b"PK\x01\x02"):
        if raw[offset + 46: offset + 46 + len(name)] == name:
            struct.pack_into("<I", raw, offset + 24, declared)


def test_member_inflating_past_its_declared_size_is_stopped(tmp_path: Path) -> None:
    members = bag_members(tmp_path)
    members["bundle/data/bomb.bin"] = bytes(20 << 20)  # 20 MiB of zeros, about 20 KiB compressed
    hostile = make_zip(tmp_path / "hostile.zip", members)
    raw = bytearray(hostile.read_bytes())
    patch_sizes(raw, b"bundle/data/bomb.bin", 1000)
    hostile.write_bytes(bytes(raw))
    started = time.monotonic()
    found = reasons(hostile)
    assert time.monotonic() - started < 5
    assert "data/bomb.bin: damaged zip member" in found


def test_member_declaring_a_huge_size_is_refused(tmp_path: Path) -> None:
    members = bag_members(tmp_path)
    members["bundle/data/a.bin"] = b"small"
    members["bundle/data/b.bin"] = b"small"
    hostile = make_zip(tmp_path / "hostile.zip", members)
    raw = bytearray(hostile.read_bytes())
    patch_sizes(raw, b"bundle/data/a.bin", 0xF0000000)
    patch_sizes(raw, b"bundle/data/b.bin", 0xF0000000)
    hostile.write_bytes(bytes(raw))
    assert "more than 4294967296 bytes" in refusal(hostile)
    small_limit = write_sample(tmp_path / "bundle.zip", as_zip=True)
    assert "zip bomb" in refusal(small_limit, max_total_size=1000)


def test_too_many_entries_are_refused_before_parsing(tmp_path: Path) -> None:
    header = b"PK\x01\x02" + bytes(24) + struct.pack("<HHH", 1, 0, 0) + bytes(12) + b"x"
    directory = header * (MAX_ENTRIES + 1)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, len(directory), 4, 0)
    crowded = tmp_path / "crowded.zip"
    crowded.write_bytes(b"PK\x03\x04" + directory + end)
    assert f"more than {MAX_ENTRIES} entries" in refusal(crowded)


def test_unsupported_compression_is_refused(tmp_path: Path) -> None:
    def bzip2(info: zipfile.ZipInfo) -> None:
        info.compress_type = zipfile.ZIP_BZIP2

    hostile = make_zip(tmp_path / "hostile.zip", {"bundle/bagit.txt": BAGIT_TXT}, bzip2)
    assert "compression" in refusal(hostile)


def test_zip_reader_leaves_the_folder_untouched(tmp_path: Path) -> None:
    zipped = write_sample(tmp_path / "bundle.zip", as_zip=True)
    before = listing(tmp_path)
    cwd_before = set(os.listdir(os.getcwd()))
    assert all(check.ok for check in checks_of(zipped))
    assert listing(tmp_path) == before
    assert set(os.listdir(os.getcwd())) == cwd_before


def test_reading_beyond_a_limit_is_refused(bag: Path) -> None:
    with BagSource.open(bag) as source:
        assert source.read("bagit.txt", 100) == BAGIT_TXT
        with pytest.raises(CheckFailed, match="larger than 10 bytes"):
            source.read("bagit.txt", 10)
        with pytest.raises(CheckFailed, match="not in the bag"):
            source.read("../secret", 10)


def test_zip_stream_reads_members(tmp_path: Path) -> None:
    zipped = write_sample(tmp_path / "bundle.zip", as_zip=True)
    with BagSource.open(zipped) as source, source.stream("data/photo.jpg") as stream:
        assert stream.read() == PAYLOAD["data/photo.jpg"]


def test_input_error_while_writing_gives_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    def unreadable_source(out: BinaryIO) -> None:
        out.write(b"some")
        raise OSError(5, "Input/output error")

    with pytest.raises(IntakeError, match=r"cannot write the bag .*bundle \(Input/output error\)"):
        write_bag(tmp_path / "bundle", [BagFile("data/x", unreadable_source)], [], [])
    assert listing(tmp_path) == set()


def test_the_workers_groups_are_spread_over_the_folders_and_each_written_once() -> None:
    """write_all hands the groups out interleaved by folder (two processes creating files in one
    folder contend for it): every group once, each folder's groups in their own order, and the
    small folders' groups spread among the large one's rather than bunched at its end."""
    from intake.bundle.bagit import _groups, _spread

    paths = ([f"data/{n:03}.jpg" for n in range(40)] + [f"provenance/{n:03}.json" for n in range(200)]
             + [f"provenance/proofs/{n:03}.tlog-proof" for n in range(130)])
    files = [BagFile(p, (lambda out: None) if p.startswith("data/") else b"x") for p in paths]
    groups = _groups(files)
    spread = _spread(groups, paths)
    assert sorted(spread, key=lambda group: group.start) == groups
    folder = [paths[group.start].rpartition("/")[0] for group in spread]
    for name in ("data", "provenance", "provenance/proofs"):
        own = [group for group, where in zip(spread, folder) if where == name]
        assert own == sorted(own, key=lambda group: group.start)
    third = len(folder) // 3  # not all of data/ first and then the rest
    assert "provenance" in folder[:third] and "provenance/proofs" in folder[:third] and "data" in folder[-third:]
