"""The demo, on a throwaway vault: the terminal app, or (--script) a walk through the CLI.

`./dev demo` opens the app on a new vault with two sample files already
taken in and the others (photos with a GPS fix and a serial number, a PDF
with an author and an old revision, a DOCX with tracked changes, a text
file) waiting in the folder the Intake screen opens on. `./dev demo --script`
runs the command-line walk instead. Everything happens in a fresh temporary
folder whose path is printed; no real vault is touched.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from intake import samples
from intake.cli import main as intake, quiet_libraries
from intake.takein.sources import source_for
from intake.takein import take_in
from intake.vault import create_vault

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


def _throwaway_folder() -> Path:
    """A fresh folder that also becomes the current one, so whatever the demo writes by a relative
    name (the app's export offers `bundle-DAY`) lands there, never in the checkout it was run from."""
    base = Path(tempfile.mkdtemp(prefix="intake-demo-"))
    os.chdir(base)
    return base


def app_demo() -> int:
    """The terminal app on a throwaway vault: two files already taken in, the rest waiting."""
    from intake.app.app import create_app

    os.umask(0o077)
    quiet_libraries()
    base = _throwaway_folder()
    received = base / "received"
    files = samples.write_samples(received)
    print(f"intake demo: preparing a throwaway vault in {base} ...", flush=True)
    vault = create_vault(base / "vault", "kestrel", DEMO_PASSPHRASE)
    keyring = vault.unlock(DEMO_PASSPHRASE)
    first = [source_for(path) for path in files[:2]]
    for _ in take_in(vault, keyring, first, "handed over at the river crossing"):
        pass
    app = create_app(vault.root, start_dir=received,
                     hint=f"Demo vault: the passphrase is  {DEMO_PASSPHRASE}")
    app.run()
    print(f"intake demo: everything lives in {base} (delete it when done)")
    return app.return_code or 0


def script_demo() -> int:
    """The command-line walk: inspect, init, add, ledger show/verify, tampering caught."""
    base = _throwaway_folder()
    os.environ["INTAKE_PASSPHRASE"] = DEMO_PASSPHRASE
    os.environ.pop("INTAKE_VAULT", None)
    vault = str(base / "vault")
    files = samples.write_letter_photo_notes(base / "received")
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
    _say("The editor checks it first (signatures, proofs, the sender's checkpoint, each clean copy inspected"
         " again), writing nothing...")
    _run("--vault", editor, "receive", "--check", str(base / "submission.age"))
    _say("...then receives it.")
    _run("--vault", editor, "receive", str(base / "submission.age"))
    _say("The editor publishes a bundle (BagIt): clean copies only, signed provenance, proofs, VERIFY.txt;"
         " the export is recorded in the editor's ledger.")
    _run("--vault", editor, "export", "--all", "-o", "bundle")  # relative: into the throwaway folder
    _run("--vault", editor, "ledger", "show")
    _say("Anyone verifies it offline, without a vault. The key inside the bundle proves nothing about who"
         " signed, so without a pin the result says so, last...")
    _run("verify", str(base / "bundle"))
    _say("...and with the desk's key, as published elsewhere (here its .pub file; the words or the hex also do),"
         " it verifies.")
    _run("verify", str(base / "bundle"), "--trust", str(base / "editor.pub"))
    _say("A photo swapped in a copy of it is caught and named.")
    tampered = base / "tampered-bundle"
    shutil.copytree(base / "bundle", tampered)
    photo = next((tampered / "data").glob("*.jpg"))
    photo.write_bytes(photo.read_bytes()[:-2] + b"\0\xd9")
    _run("verify", str(tampered), "--trust", str(base / "editor.pub"))


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
            db.execute("DELETE FROM tree WHERE ((idx + 1) << level) > ?", (idx,))  # its stored hashes too


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--script"]):
        print("usage: ./dev demo [--script]", file=sys.stderr)
        return 2
    if args == ["--script"]:
        return script_demo()
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("intake demo: no terminal for the app, so here is the command-line walk instead", flush=True)
        return script_demo()
    return app_demo()


if __name__ == "__main__":
    raise SystemExit(main())
