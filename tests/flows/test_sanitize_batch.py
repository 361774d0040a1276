"""`intake sanitize` of a folder: budgeted workers write each clean copy nameless, the command
names them only once synced. A time limit, a kill of the command, or a refusal never leaves a
half-written file under a final name, nor a hidden one; the copies are those clean_bytes makes."""

from __future__ import annotations

import hashlib
import io
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from conftest import cli_env
from intake import samples
from intake.clean import clean_bytes, clean_file, same_parts


def _photos(folder: Path, count: int) -> dict[str, bytes]:
    """Distinct small camera-like photos (EXIF with a serial number and GPS), by name."""
    folder.mkdir(parents=True)
    photos = {}
    for n in range(count):
        data = samples.photo(serial=f"SN-{n:04}")
        (folder / f"photo-{n}.jpg").write_bytes(data)
        photos[f"photo-{n}.jpg"] = data
    return photos


def _sanitize(tmp_path: Path, *args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "intake", "sanitize", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env or cli_env(tmp_path))


def _everything_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_copies_are_those_clean_bytes_makes_and_the_json_hashes_them(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "in", 5)
    (tmp_path / "in" / "notes.txt").write_text("plain text is not cleaned")
    child = _sanitize(tmp_path, tmp_path / "in", "-o", tmp_path / "out", "--json")
    out, err = child.communicate(timeout=120)
    assert child.returncode == 1, err  # the text file is refused
    report = {Path(f["path"]).name: f for f in json.loads(out)["files"]}
    assert report["notes.txt"]["status"] == "refused" and "partial" not in report["notes.txt"]
    for name, data in photos.items():
        copy = (tmp_path / "out" / "in" / name).read_bytes()
        assert copy == clean_bytes(data).data
        assert report[name]["status"] == "cleaned" and "partial" not in report[name]
        assert report[name]["sha256"] == hashlib.sha256(copy).hexdigest()
    assert [p.name for p in _everything_under(tmp_path / "out")] == sorted(photos)


def test_a_file_past_the_time_limit_leaves_nothing_in_the_output_folder(tmp_path: Path) -> None:
    _photos(tmp_path / "in", 4)
    env = {**cli_env(tmp_path), "INTAKE_TIME_LIMIT": "0.000001"}
    child = _sanitize(tmp_path, tmp_path / "in", "-o", tmp_path / "out", env=env)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 1
    assert out.count("took longer than 1e-06 s; refused") == 4
    assert _everything_under(tmp_path / "out") == []


def test_a_killed_sanitize_leaves_whole_copies_or_none(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "in", 12)
    expected = {name: clean_bytes(data).data for name, data in photos.items()}
    started = time.monotonic()
    whole = _sanitize(tmp_path, tmp_path / "in", "-o", tmp_path / "whole")
    whole.communicate(timeout=120)
    duration = time.monotonic() - started
    rng = random.Random(12)
    killed = 0
    for run in range(6):
        out = tmp_path / f"out-{run}"
        child = _sanitize(tmp_path, tmp_path / "in", "-o", out)
        time.sleep(rng.uniform(0.2, 1.0) * duration)
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
        killed += child.returncode == -signal.SIGKILL
        for path in _everything_under(out):
            assert not path.name.startswith("."), path
            assert path.read_bytes() == expected[path.name]
    assert killed >= 3, f"only {killed} of 6 runs were still going when killed"


def test_the_mapped_path_checks_what_it_wrote(tmp_path: Path) -> None:
    """clean_file maps a JPEG and writes views of it: the same bytes as clean_bytes, and the
    content compared part for part from the two maps."""
    picture = io.BytesIO()
    Image.effect_noise((320, 240), 64).convert("RGB").save(picture, "JPEG", quality=90, exif=samples.exif_block())
    original = tmp_path / "original.jpg"
    original.write_bytes(picture.getvalue())
    with original.open("rb") as source, (tmp_path / "clean.jpg").open("w+b") as out:
        cleaned = clean_file(source, out)
    assert (tmp_path / "clean.jpg").read_bytes() == clean_bytes(picture.getvalue()).data
    assert cleaned.removed() == clean_bytes(picture.getvalue()).removed()


def test_parts_compare_by_content_whatever_holds_them() -> None:
    scan = bytes(range(256)) * 3000  # longer than one compared piece
    changed_late = bytearray(scan)
    changed_late[-1] ^= 1
    changed_early = bytearray(scan)
    changed_early[5] ^= 1
    assert same_parts([b"head", memoryview(scan)], [b"head", memoryview(bytes(scan))])
    assert same_parts([memoryview(scan)[10:]], [scan[10:]])
    assert not same_parts([b"head", memoryview(scan)], [b"head", memoryview(bytes(changed_late))])
    assert not same_parts([memoryview(scan)], [memoryview(bytes(changed_early))])
    assert not same_parts([memoryview(scan)], [memoryview(scan)[:-1]])
    assert not same_parts([b"head"], [b"head", b""])
    assert not same_parts([b"head"], [b"hexd"])


def test_after_a_kill_only_that_file_s_partial_name_is_removed(tmp_path: Path) -> None:
    """Where there are no nameless files (vfat), a worker killed at the time limit leaves its
    hidden partial file: it goes, and no other file does, whatever the name holds."""
    from intake.support.fsutil import partial_path, remove_partials

    target = tmp_path / "crate [1]*.jpg"
    mine = partial_path(target)
    others = [partial_path(tmp_path / "crate 1x.jpg"), tmp_path / ".partial-notahexname-crate [1]*.jpg",
              tmp_path / "crate [1]*.jpg.keep"]
    for path in [mine, *others]:
        path.write_bytes(b"partial")
    remove_partials(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in others)
