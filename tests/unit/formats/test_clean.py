"""The cleaning pipeline end to end: sniffing, fail-closed checks, the CLI,
and the derived clean items that `intake add` records."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from intake.clean import clean_bytes, inspect_bytes
from intake.errors import Refused
from intake.keys.seal import unseal
from jpeg_builders import ARTIST, SERIAL, planted_jpeg


def pixels(data: bytes) -> bytes:
    return Image.open(io.BytesIO(data)).convert("RGB").tobytes()


def test_jpeg_cleaned_by_content_whatever_its_name() -> None:
    data = planted_jpeg()
    inspection = inspect_bytes(data)
    assert inspection.media_type == "image/jpeg"
    assert inspection.findings[0].category.value == "location"  # worst first
    assert "46.635400, 32.616900" in inspection.findings[0].value
    cleaned = clean_bytes(data)
    for planted in (ARTIST, SERIAL, "PlantedMake", "PLANTED-COMMENT"):
        assert planted.encode() not in cleaned.data
    assert pixels(cleaned.data) == pixels(data)
    assert cleaned.removed()["location"] >= 1 and cleaned.removed()["person"] >= 1


@pytest.mark.parametrize("data", [b"just some text\n", b"\x00\x01\x02binary", b"PK\x03\x04broken zip"])
def test_unsupported_content_is_refused_never_copied(data: bytes) -> None:
    with pytest.raises(Refused):
        clean_bytes(data)


def test_cli_inspect_and_sanitize(cli, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "crate.pdf").write_bytes(planted_jpeg())  # a JPEG named .pdf is a JPEG
    (inbox / "notes.txt").write_text("not a supported format")
    shown = cli("inspect", inbox / "crate.pdf", "--json", passphrase=None)
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)["files"][0]
    assert report["media_type"] == "image/jpeg"
    assert any(f["category"] == "location" and f["value"] == "46.635400, 32.616900" for f in report["findings"])
    human = cli("inspect", inbox / "crate.pdf", passphrase=None)
    assert ARTIST in human.stdout and "location" in human.stdout

    out = tmp_path / "clean"
    result = cli("sanitize", inbox, "-o", out, "--json", passphrase=None)
    assert result.returncode == 1  # notes.txt is refused
    files = {Path(f["path"]).name: f for f in json.loads(result.stdout)["files"]}
    assert files["crate.pdf"]["status"] == "cleaned" and files["notes.txt"]["status"] == "refused"
    assert (out / "inbox" / "crate.pdf").is_file() and not (out / "inbox" / "notes.txt").exists()
    assert ARTIST.encode() not in (out / "inbox" / "crate.pdf").read_bytes()
    again = cli("sanitize", inbox / "crate.pdf", "-o", out / "inbox", passphrase=None)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_add_records_clean_copy_as_derived_item(cli, tmp_path: Path, template_vault) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    photo = tmp_path / "crate.jpg"
    photo.write_bytes(planted_jpeg())
    (tmp_path / "odd.bin").write_bytes(b"\x00\x01 not cleanable")
    result = cli("--vault", vault, "add", photo, tmp_path / "odd.bin", "--note", "dock 4")
    assert result.returncode == 0, result.stderr
    assert "clean copy (removed:" in result.stdout and "no clean copy" in result.stdout
    entries = json.loads(cli("--vault", vault, "ledger", "show", "--json").stdout)["entries"]
    received, sanitized = entries[0], entries[1]
    assert [e["action"] for e in entries] == ["received", "sanitized", "received"]
    assert sanitized["parents"] == [received["id"]] and sanitized["item"] != received["item"]
    assert sanitized["inputs"][0]["sha256"] == received["outputs"][0]["sha256"]
    clean, report = sanitized["outputs"]
    assert clean["role"] == "clean copy" and clean["removed"]["location"] >= 1
    assert ARTIST not in json.dumps(sanitized)  # counts, never values, in the entry
    keyring = template_vault[1]
    clean_bytes_ = unseal((vault / "blobs" / clean["blob"]).read_bytes(), [keyring.secret.age_identity])
    assert ARTIST.encode() not in clean_bytes_ and pixels(clean_bytes_) == pixels(photo.read_bytes())
    findings = json.loads(unseal((vault / "blobs" / report["blob"]).read_bytes(), [keyring.secret.age_identity]))
    assert findings["item"] == received["item"]
    assert any(f["value"] == ARTIST for f in findings["findings"])
    assert cli("--vault", vault, "ledger", "verify").returncode == 0
    for path in vault.rglob("*"):
        if path.is_file():
            assert ARTIST.encode() not in path.read_bytes()
    with sqlite3.connect(vault / "ledger.sqlite") as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 3


def indirect_length_pdf() -> bytes:
    """A PDF as many writers make it: the content stream's /Length is an indirect
    integer object, which pikepdf hands out as a plain Python int."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    content = b"BT /F1 12 Tf 72 720 Td (Crates unloaded at night) Tj ET"
    stream = pikepdf.Stream(pdf, content)
    pdf.pages[0].obj.Contents = pdf.make_indirect(stream)
    pdf.docinfo["/Author"] = "PLANTED-AUTHOR-Sokolov"
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    raw = out.getvalue()
    # Rewrite the stream's direct /Length into a reference to a new object 99.
    raw = raw.replace(f"/Length {len(content)}".encode(), b"/Length 99 0 R", 1)
    raw = raw.replace(b"\nxref", f"\n99 0 obj\n{len(content)}\nendobj\nxref".encode(), 1)
    return raw


def test_pdf_with_indirect_integers_is_cleaned() -> None:
    data = indirect_length_pdf()
    cleaned = clean_bytes(data)
    assert b"PLANTED-AUTHOR" not in cleaned.data and cleaned.removed()["person"] >= 1
