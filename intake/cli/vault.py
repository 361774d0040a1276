"""`init`, `add` and `tui`: making a vault, taking files in, and the app on it."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from intake import passphrase
from intake.cli.output import describe_identity, file_progress, quiet
from intake.cli.parser import Subcommands, command
from intake.cli.session import open_vault, unlock, vault_root
from intake.display import printable, recordable
from intake.errors import CheckFailed
from intake.pipeline import NotCleaned, Received, Sanitized, collect_sources
from intake.recipients import grouped_hex, read_identity_file
from intake.takein import NotTakenIn, removed_summary, take_in
from intake.vault import check_passphrase, create_vault


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
    add_cmd.set_defaults(handler=add)
    tui_cmd = command(sub, "tui", "open the terminal app on the vault (also: `intake` alone, on a terminal)",
                      "The terminal app: unlock (or create) the vault, then Intake, Ledger, Verify, Export and "
                      "Keys. It asks for the passphrase itself; --passphrase-file unlocks without asking.")
    tui_cmd.set_defaults(handler=tui)


def init(args: argparse.Namespace) -> int:
    root = vault_root(args)
    files = [read_identity_file(path) for path in args.recipient]
    recipients = tuple(file.text for file in files)
    for file in files:
        print("\n".join(describe_identity(file.identity, "recipient")))
    secret = check_passphrase(passphrase.obtain(args.passphrase_file, "New vault passphrase: ", confirm=True))
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
    vault = open_vault(args)
    collected = collect_sources(args.paths, vault.root)
    if not quiet(args):
        for link in collected.skipped_links:
            sys.stderr.write(f"intake: skipped symbolic link {printable(str(link))}\n")
    keyring = unlock(args, vault)
    note = recordable(args.note) if args.note is not None else None

    def show_received(received: Received) -> None:
        print(f"{received.item}  {received.media_type}  {printable(received.name)}", flush=True)

    refused = 0
    for result in take_in(vault, keyring, collected.sources, note, file_progress(args, "sealing"), show_received):
        if isinstance(result, NotTakenIn):
            refused += 1
            sys.stderr.write(f"intake: refused {printable(result.source.name)}: {printable(result.reason)}\n")
            continue
        print(f"  {_describe_outcome(result.outcome)}", flush=True)
    if refused:
        raise CheckFailed(f"{refused} of {len(collected.sources)} file(s) were refused (named above); "
                          "the others were taken in")
    return 0


def _describe_outcome(outcome: Sanitized | NotCleaned) -> str:
    if isinstance(outcome, NotCleaned):
        return f"no clean copy: {outcome.reason}. It is sealed as received but cannot be exported."
    return f"{outcome.item}  clean copy (removed: {removed_summary(outcome.removed)})"


def tui(args: argparse.Namespace) -> int:
    """The Textual app. Only an explicit --passphrase-file unlocks without asking: the app is
    for people at a keyboard, and a leftover INTAKE_PASSPHRASE should not skip the question."""
    from tui.app import create_app  # Textual loads only when the app is wanted

    given = passphrase.supplied(args.passphrase_file) if args.passphrase_file is not None else None
    app = create_app(vault_root(args), passphrase_source=(lambda: given) if given is not None else None)
    app.run()
    if app.unexpected is not None and args.debug:
        traceback.print_exception(app.unexpected)
    return app.return_code or 0
