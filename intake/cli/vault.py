"""`init`, `add` and `tui`: making a vault, taking files in, and the app on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import argparse
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from intake.support.progress import Progress
from intake.cli.output import describe_identity, dump_json, file_progress, progress, quiet, wants_json
from intake.cli.parser import Subcommands, add_json, command
from intake.cli.session import open_vault, unlock, vault_root
from intake.text import printable, recordable
from intake.errors import CheckFailed

if TYPE_CHECKING:
    from intake.takein.clean_copy import NotCleaned, Sanitized
    from intake.takein.original import Received
    from intake.takein import TakenIn, NotTakenIn
    from intake.takein.duplicates import Duplicate


def register(sub: Subcommands) -> None:
    init_cmd = command(sub, "init", "create a vault and a new pseudonymous identity",
                       "Create a vault and an identity (Ed25519 signing key, age X25519 key), sealed under a "
                       "passphrase.")
    init_cmd.add_argument("--name", default="custodian", metavar="PSEUDONYM", help="a pseudonym, never your real name")
    init_cmd.add_argument("--write-only", action="store_true",
                          help="field vault: seal only to the --recipient editors; this device cannot read what "
                               "it takes in")
    init_cmd.add_argument("--recipient", type=Path, action="append", default=[], metavar="FILE",
                          help="an editor's public identity file (from `intake keys export`); repeatable")
    init_cmd.set_defaults(handler=init)
    add_cmd = command(sub, "add", "take files or folders into the vault as sealed evidence",
                      "Hash (SHA-256, SHA-512), seal and record each file with a signed `received` entry, then "
                      "clean supported files into a sealed clean copy with a `sanitized` entry. Folders are "
                      "walked; symbolic links inside them are skipped. Prints the item ids.")
    add_cmd.add_argument("paths", type=Path, nargs="+", metavar="FILE|DIR")
    add_cmd.add_argument("--note", metavar="TEXT", help="a note kept, sealed, in each file's custody entry")
    add_cmd.add_argument("--allow-duplicate", action="store_true",
                         help="take in a file even when the same bytes (SHA-256) were taken in before")
    add_cmd.add_argument("--keep-hdr", action="store_true",
                         help="the clean copy keeps the HDR gain maps of HEIC photos (an HDR screen shows them as "
                              "taken); depth maps, mattes and thumbnails still go")
    add_json(add_cmd)
    add_cmd.set_defaults(handler=add)
    tui_cmd = command(sub, "tui", "open the terminal app on the vault (also: `intake` alone, on a terminal)",
                      "The terminal app: unlock (or create) the vault, then Intake, Ledger, Verify, Export and "
                      "Keys. It asks for the passphrase itself; --passphrase-file unlocks without asking.")
    tui_cmd.set_defaults(handler=tui)


def init(args: argparse.Namespace) -> int:
    from intake.keys import passphrase
    from intake.recipients import read_identity_file
    from intake.text import grouped_hex
    from intake.vault import check_passphrase, create_vault

    root = vault_root(args)
    files = [read_identity_file(path) for path in args.recipient]
    recipients = tuple(file.text for file in files)
    for file in files:
        print("\n".join(describe_identity(file.identity, "recipient")))
    secret = passphrase.obtain_accepted(args.passphrase_file, check_passphrase, "New vault passphrase: ", confirm=True)
    vault = create_vault(root, args.name, secret, args.write_only, recipients)
    public = vault.public_keys()
    print(f"created vault {root}")
    print(f"fingerprint  {grouped_hex(public.fingerprint_hex)}")
    print(f"words        {public.words}")
    if args.write_only:
        print(f"write-only: sealed to {len(recipients)} editor(s); this device cannot open what it takes in")
    print("keep the passphrase safe: without it nothing in this vault can be recovered")
    return 0


def add(args: argparse.Namespace) -> int:
    from intake.takein.sources import collect_sources
    from intake.takein import take_in
    from intake.takein.duplicates import find_duplicates

    vault = open_vault(args)
    collected = collect_sources(args.paths, vault.root)
    if not quiet(args):
        for link in collected.skipped_links:
            sys.stderr.write(f"intake: skipped symbolic link {printable(str(link))}\n")
    keyring = unlock(args, vault)
    note = recordable(args.note) if args.note is not None else None
    sources, duplicates = collected.sources, []
    if not args.allow_duplicate:
        duplicates = find_duplicates(vault, keyring, sources, _indexing(args))
        sources = [s for s in sources if s not in {d.source for d in duplicates}]
    for duplicate in duplicates:
        earlier = f"was taken in before as {duplicate.earlier}" if duplicate.in_ledger else (
            f"is the same file as {duplicate.earlier}, given too")
        sys.stderr.write(f"intake: skipped {printable(duplicate.source.name)}: it {printable(earlier)}; "
                         "--allow-duplicate takes it in anyway\n")
    report = _AddReport(args, duplicates)
    for result in take_in(vault, keyring, sources, note, file_progress(args, "sealing"), report.received,
                          keep_hdr=args.keep_hdr):
        report.taken(result)
    return report.finish(len(collected.sources))


def _indexing(args: argparse.Namespace) -> Progress:
    """What `add` says while a vault made by an older intake indexes its entries, once (a minute
    at 100,000 entries): one line, then the progress line on a terminal."""
    bar = progress(args, "indexing earlier entries")

    def report(done: int, total: int) -> None:
        if done == 0 and not quiet(args) and not wants_json(args):
            sys.stderr.write(f"intake: indexing the {total} earlier entries of this vault once, "
                             "to find files taken in before (this vault was made by an older intake)\n")
        if bar is not None:
            bar(done, total)
    return report


@dataclass
class _AddReport:
    """What `add` prints as it goes, or collects for --json."""

    args: argparse.Namespace
    duplicates: list[Duplicate]
    files: list[dict] = field(default_factory=list)
    refused: int = 0

    def received(self, received: Received) -> None:
        if not wants_json(self.args):
            print(f"{received.item}  {received.media_type}  {printable(received.name)}", flush=True)

    def taken(self, result: TakenIn | NotTakenIn) -> None:
        from intake.takein import NotTakenIn

        if isinstance(result, NotTakenIn):
            self.refused += 1
            sys.stderr.write(f"intake: refused {printable(result.source.name)}: {printable(result.reason)}\n")
            self.files.append({"name": result.source.name, "status": "refused", "reason": result.reason})
            return
        self.files.append(_taken_to_dict(result))
        if not wants_json(self.args):
            print(f"  {_describe_outcome(result.outcome)}", flush=True)

    def finish(self, given: int) -> int:
        self.files += [{"name": d.source.name, "status": "duplicate", "sha256": d.sha256, "earlier": d.earlier,
                        "in_ledger": d.in_ledger}
                       for d in self.duplicates]
        if wants_json(self.args):
            dump_json({"files": self.files})
            return 1 if self.refused else 0
        if self.refused:
            raise CheckFailed(f"{self.refused} of {given} file(s) were refused (named above); "
                              "the others were taken in")
        return 0


def _taken_to_dict(result: TakenIn) -> dict:
    from intake.takein.clean_copy import Sanitized

    received = result.received
    shown: dict = {"name": received.name, "status": "taken in", "item": received.item,
                   "media_type": received.media_type, "sha256": received.digests.sha256}
    if isinstance(result.outcome, Sanitized):
        shown["clean_copy"] = {"item": result.outcome.item, "removed": result.outcome.removed}
        if result.outcome.kept:
            shown["clean_copy"]["kept"] = list(result.outcome.kept)
    else:
        shown["clean_copy"] = None
        shown["reason"] = result.outcome.reason
    return shown


def _describe_outcome(outcome: Sanitized | NotCleaned) -> str:
    from intake.takein.clean_copy import NotCleaned
    from intake.text import removed_summary

    if isinstance(outcome, NotCleaned):
        return f"no clean copy: {outcome.reason}. It is sealed as received but cannot be exported."
    kept = "".join(f"\n    kept: {printable(text)}" for text in outcome.kept)
    return f"{outcome.item}  clean copy (removed: {removed_summary(outcome.removed)}){kept}"


def tui(args: argparse.Namespace) -> int:
    """The Textual app. Only an explicit --passphrase-file unlocks without asking: the app is
    for people at a keyboard, and a leftover INTAKE_PASSPHRASE should not skip the question."""
    from intake.keys import passphrase

    from intake.app.app import create_app  # Textual loads only when the app is wanted
    from intake.app.session import lock_after_from

    given = passphrase.supplied(args.passphrase_file) if args.passphrase_file is not None else None
    app = create_app(vault_root(args), passphrase_source=(lambda: given) if given is not None else None,
                     lock_after=lock_after_from(os.environ))
    app.run()
    if app.unexpected is not None and args.debug:
        traceback.print_exception(app.unexpected)
    return app.return_code or 0
