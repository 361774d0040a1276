"""`ledger show`, `verify`, `checkpoint` and `vkey`: the custody ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

import argparse
import sys
from pathlib import Path

from intake.cli.output import dump_json, print_checks, print_verdict, say, verbose, wants_json
from intake.cli.parser import Subcommands, actions, add_json, command
from intake.cli.session import open_vault, unlock
from intake.text import printable
from intake.errors import CheckFailed, IntakeError
from intake.support.fsutil import CHECKPOINT_FILE_LIMIT, read_regular_text

if TYPE_CHECKING:
    from intake.ledger.audit import AuditReport
    from intake.ledger.entries import CustodyEntry
    from intake.keys.keystore import Keyring


def register(sub: Subcommands) -> None:
    ledger = command(sub, "ledger", "show, verify and checkpoint the custody ledger")
    chosen = actions(ledger, "ledger_command")
    show = command(chosen, "show", "list custody entries (needs the passphrase)")
    add_json(show)
    show.set_defaults(handler=show_entries)
    verify = command(chosen, "verify", "check the ledger has not been altered",
                     "Without a passphrase: the Merkle tree, every checkpoint signature and consistency. "
                     "With one (file, environment, or typed; press Enter to skip): also every entry's "
                     "signature and links. Exit 0 when all holds, 1 naming the first bad entry.")
    verify.add_argument("--against", type=Path, metavar="CHECKPOINT",
                        help="a checkpoint saved earlier (`intake ledger checkpoint > FILE`): detects rollback and "
                             "truncation")
    add_json(verify)
    verify.set_defaults(handler=verify_command)
    checkpoint = command(chosen, "checkpoint", "print the latest signed checkpoint (C2SP tlog-checkpoint)")
    checkpoint.set_defaults(handler=print_checkpoint)
    vkey = command(chosen, "vkey", "print the ledger's verifier key, for witnesses (`intake witness trust-log`)")
    vkey.set_defaults(handler=print_vkey)


def verify_command(args: argparse.Namespace) -> int:
    from intake.custody import verify_ledger
    from intake.keys import passphrase
    from intake.text import grouped_hex

    vault = open_vault(args)
    secret = passphrase.optional(args.passphrase_file, "Passphrase to also open every entry (Enter to skip): ")
    keyring = vault.unlock(secret) if secret is not None else None
    against = None
    if args.against is not None:
        against = read_regular_text(args.against, CHECKPOINT_FILE_LIMIT, "the saved checkpoint")
    report = verify_ledger(vault, keyring, against)
    fingerprint = vault.public_keys().fingerprint_hex
    notes = _verify_notes(report, keyring)
    if wants_json(args):
        dump_json({"ok": report.ok, "fingerprint": fingerprint, "failure": report.failure,
                   "checked": report.checked, "entries_opened": keyring is not None and keyring.can_open_sealed,
                   "notes": notes, "orphans": report.orphans, "unexplained": report.unexplained})
        return 0 if report.ok else 1
    print(f"ledger of {grouped_hex(fingerprint)}")
    print_checks(args, report.checks)
    for note in notes:
        say(args, f"note  {note}")
    if not report.ok:
        raise CheckFailed(f"ledger verification failed: {report.failure}")
    print_verdict(_verified_verdict(keyring))
    return 0


def _verify_notes(report: AuditReport, keyring: Keyring | None) -> list[str]:
    notes = []
    if keyring is None:
        notes.append("entries were not opened (no passphrase): their signatures, links and originals were not checked")
    if report.orphans:
        notes.append(f"{len(report.orphans)} sealed file(s) in blobs/ were left by an interrupted command before "
                     "their entry was recorded; the next command that writes to the vault removes them")
    if report.unexplained:
        notes.append(f"{len(report.unexplained)} sealed file(s) in blobs/ are named by no entry and were not left "
                     f"by intake: {', '.join(report.unexplained[:5])}")
    return notes


def _verified_verdict(keyring: Keyring | None) -> str:
    if keyring is None:
        return "ledger verified (without the passphrase: the entries were not opened)"
    if not keyring.can_open_sealed:
        return "ledger verified (write-only vault: its tree and checkpoints; the editors check the entries)"
    return "ledger verified"


def show_entries(args: argparse.Namespace) -> int:
    from intake.custody import read_entries

    vault = open_vault(args)
    entries = read_entries(vault, unlock(args, vault))
    if args.json:
        dump_json({"entries": [e.to_dict() for e in entries]})
    else:
        _print_entries(entries, 64 if verbose(args) else 16)
    return 0


def _print_entries(entries: list[CustodyEntry], hash_digits: int) -> None:
    from intake.text import EntryRow

    if not entries:
        print("the ledger is empty")
    for row in map(EntryRow.of, entries):
        note = f"  note: {printable(row.note)}" if row.note else ""
        print(f"{row.seq:>5}  {row.time}  {row.action:<11} {row.item}  {row.sha256[:hash_digits]:<{hash_digits}}  {printable(row.name)}{note}")


def print_checkpoint(args: argparse.Namespace) -> int:
    vault = open_vault(args)
    with vault.locked(exclusive=False), vault.ledger() as ledger:
        note = ledger.latest_checkpoint()
    if note is None:
        raise IntakeError("the ledger is empty: there is no checkpoint yet (add a file first)")
    sys.stdout.write(note)
    return 0


def print_vkey(args: argparse.Namespace) -> int:
    print(open_vault(args).verifier.vkey())
    return 0
