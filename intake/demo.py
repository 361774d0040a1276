"""A scripted walk through intake on a throwaway vault (until the TUI exists).

Run with `./dev demo`. Everything happens in a fresh temporary folder whose
path is printed at the end; no real vault is touched.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
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


def _sample_files(folder: Path) -> list[Path]:
    folder.mkdir()
    letter = folder / "supply-letter.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = "Col. Example"
    pdf.save(letter)
    photo = folder / "crate-0412.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xd9")
    notes = folder / "field-notes.txt"
    notes.write_text("Crates marked LOT 7, unloaded at night.\n", encoding="utf-8")
    return [letter, photo, notes]


def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="intake-demo-"))
    os.environ["INTAKE_PASSPHRASE"] = DEMO_PASSPHRASE
    os.environ.pop("INTAKE_VAULT", None)
    vault = str(base / "vault")
    files = _sample_files(base / "received")
    _say("A custodian creates a vault with a pseudonymous identity.")
    _run("--vault", vault, "init", "--name", "kestrel")
    _say("Files are taken in: hashed, sealed with age, recorded as signed custody entries.")
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
    _say(f"Everything above lives in {base} (delete it when done).")
    return 0


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
