"""A scripted walk through intake on a throwaway vault (until the TUI exists).

Run with `./dev demo`. Everything happens in a fresh temporary folder whose
path is printed at the end; no real vault is touched.
"""

from __future__ import annotations

import base64
import os
import shlex
import shutil
import sqlite3
import struct
import sys
import tempfile
from pathlib import Path

import pikepdf

from intake.cli import main as intake

DEMO_PASSPHRASE = "demo passphrase, throwaway"


def _run(*args: str) -> int:
    shown = " ".join(shlex.quote(a) for a in args)
    print(f"\n$ intake {shown}", flush=True)
    code = intake(list(args))
    sys.stdout.flush()
    if code:
        print(f"(exit code {code})")
    return code


def _say(text: str) -> None:
    print(f"\n# {text}", flush=True)


# A 16x16 baseline JPEG; the demo adds an EXIF block with a GPS fix and a serial number.
_TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1x"
    "eXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAAR"
    "CAAQABADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEG"
    "E1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWG"
    "h4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEB"
    "AQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYk"
    "NOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0"
    "tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwChRRRXOQf/2Q=="
)


def _exif_block() -> bytes:
    """EXIF (big-endian TIFF) with Make, a body serial number and a GPS fix, as phones write them."""
    make, serial = b"DemoPhone\0", b"SN-4471-0093\0"
    rational = lambda n, d=1: struct.pack(">II", n, d)  # noqa: E731
    # IFD0 at 8: Make, ExifIFD pointer, GPS pointer; then the Exif IFD and the GPS IFD.
    ifd0_at, exif_at, gps_at, data_at = 8, 8 + 2 + 3 * 12 + 4, 0, 0
    gps_at = exif_at + 2 + 12 + 4
    data_at = gps_at + 2 + 4 * 12 + 4
    make_at, serial_at = data_at, data_at + len(make)
    lat_at = serial_at + len(serial)
    lon_at = lat_at + 24
    ifd0 = struct.pack(">H", 3) + struct.pack(">HHII", 0x010F, 2, len(make), make_at) + \
        struct.pack(">HHII", 0x8769, 4, 1, exif_at) + struct.pack(">HHII", 0x8825, 4, 1, gps_at) + b"\0\0\0\0"
    exif = struct.pack(">H", 1) + struct.pack(">HHII", 0xA431, 2, len(serial), serial_at) + b"\0\0\0\0"
    gps = struct.pack(">H", 4) + struct.pack(">HHI4s", 1, 2, 2, b"N\0\0\0") + \
        struct.pack(">HHII", 2, 5, 3, lat_at) + struct.pack(">HHI4s", 3, 2, 2, b"E\0\0\0") + \
        struct.pack(">HHII", 4, 5, 3, lon_at) + b"\0\0\0\0"
    values = make + serial + rational(46) + rational(38) + rational(744, 100) + \
        rational(32) + rational(37) + rational(84, 100)
    tiff = b"MM\0*" + struct.pack(">I", ifd0_at) + ifd0 + exif + gps + values
    return b"Exif\0\0" + tiff


def _sample_files(folder: Path) -> list[Path]:
    folder.mkdir()
    letter = folder / "supply-letter.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = "Col. Example"
    pdf.docinfo["/Producer"] = "Office Suite 11 (ministry build)"
    pdf.save(letter)
    photo = folder / "crate-0412.jpg"
    app1 = _exif_block()
    photo.write_bytes(_TINY_JPEG[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + _TINY_JPEG[2:])
    notes = folder / "field-notes.txt"
    notes.write_text("Crates marked LOT 7, unloaded at night.\n", encoding="utf-8")
    return [letter, photo, notes]


def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="intake-demo-"))
    os.environ["INTAKE_PASSPHRASE"] = DEMO_PASSPHRASE
    os.environ.pop("INTAKE_VAULT", None)
    vault = str(base / "vault")
    files = _sample_files(base / "received")
    _say("What do these files carry? (nothing is written)")
    _run("inspect", *map(str, files[:2]))
    _say("A custodian creates a vault with a pseudonymous identity.")
    _run("--vault", vault, "init", "--name", "kestrel")
    _say("Files are taken in: hashed, sealed with age, recorded as signed custody entries;"
         " supported files are cleaned into a sealed clean copy. A text file has no cleaner: refused, never copied.")
    _run("--vault", vault, "add", *map(str, files), "--note", "handed over at the river crossing")
    _run("--vault", vault, "ledger", "show")
    _say("The checkpoint: the ledger's signed Merkle root (C2SP tlog-checkpoint). Save it elsewhere.")
    saved = base / "checkpoint.txt"
    with open(saved, "w", encoding="utf-8") as out:
        stdout, sys.stdout = sys.stdout, out
        try:
            intake(["--vault", vault, "ledger", "checkpoint"])
        finally:
            sys.stdout = stdout
    print(saved.read_text(encoding="utf-8"), end="")
    _run("--vault", vault, "ledger", "verify")
    _say("Someone changes one byte of one stored entry in a copy of the vault...")
    forged = base / "forged-vault"
    shutil.copytree(vault, forged)
    _flip_one_byte(forged / "ledger.sqlite")
    _run("--vault", str(forged), "ledger", "verify")
    _say("...and a rollback to an earlier state is caught against the saved checkpoint.")
    _run("--vault", vault, "add", str(files[2]), "--note", "second copy")
    _roll_back(forged, vault)
    _run("--vault", str(forged), "ledger", "verify", "--against", str(saved))
    _bundle_demo(base, vault)
    _say(f"Everything above lives in {base} (delete it when done).")
    return 0


def _bundle_demo(base: Path, field: str) -> None:
    editor = str(base / "editor-vault")
    _say("An editor has a vault of their own; the field contact seals a submission to the editor's key.")
    _run("--vault", editor, "init", "--name", "desk")
    _run("--vault", editor, "keys", "export", "-o", str(base / "editor.pub"))
    _run("--vault", field, "submit", "--all", "--to", str(base / "editor.pub"), "-o", str(base / "submission.age"))
    _say("The editor receives it: every signature, proof and the sender's checkpoint are checked first.")
    _run("--vault", editor, "receive", str(base / "submission.age"))
    _say("The editor publishes a bundle (BagIt): clean copies only, signed provenance, proofs, VERIFY.txt.")
    _run("--vault", editor, "export", "--all", "-o", str(base / "bundle"))
    _say("Anyone verifies it offline, without a vault...")
    _run("verify", str(base / "bundle"))
    _say("...and a photo swapped in a copy of it is caught and named.")
    tampered = base / "tampered-bundle"
    shutil.copytree(base / "bundle", tampered)
    photo = next((tampered / "data").glob("*.jpg"))
    photo.write_bytes(photo.read_bytes()[:-2] + b"\0\xd9")
    _run("verify", str(tampered))


def _flip_one_byte(ledger: Path) -> None:
    with sqlite3.connect(ledger) as db:
        (sealed,) = db.execute("SELECT sealed FROM entries WHERE idx = 1").fetchone()
        changed = bytearray(sealed)
        changed[len(changed) // 2] ^= 0x01
        db.execute("UPDATE entries SET sealed = ? WHERE idx = 1", (bytes(changed),))


def _roll_back(forged: Path, vault: str) -> None:
    shutil.rmtree(forged)
    shutil.copytree(vault, forged)
    with sqlite3.connect(forged / "ledger.sqlite") as db:
        last = db.execute("SELECT max(idx) FROM entries").fetchone()[0]
        for idx in (last, last - 1):
            db.execute("DELETE FROM entries WHERE idx = ?", (idx,))
            db.execute("DELETE FROM checkpoints WHERE size = ?", (idx + 1,))


if __name__ == "__main__":
    raise SystemExit(main())
