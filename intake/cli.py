"""Argument parsing only: every command is carried out in intake.commands."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from intake import __version__, bundle_commands, commands, tsa_commands, witness_commands
from intake.display import printable
from intake.errors import IntakeError
from intake.support.process import forbid_core_dumps

DESCRIPTION = """\
Take in documents and photos as sealed evidence, remove identifying metadata
without changing their content (or refuse them), keep a signed append-only
custody ledger, and prove it has not been altered.

Passphrases are read from the terminal, from --passphrase-file FILE, or from
the INTAKE_PASSPHRASE environment variable; never from the command line.
Exit codes: 0 success, 1 a check failed, 2 usage error or unusable input.
"""


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as the single line the command-line contract promises, and no abbreviated
    options: `--w` must not silently mean `--with-notes` and publish the notes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"intake: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--vault", type=Path, default=default, metavar="DIR",
                        help="the vault directory (default: $INTAKE_VAULT, else your user data folder)")
    parser.add_argument("--passphrase-file", type=Path, default=default, metavar="FILE",
                        help="read the passphrase from the first line of FILE (for scripts)")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="show a traceback on unexpected errors")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="intake", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"intake {__version__}")
    _common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    _add_init(sub)
    _add_keys(sub)
    _add_inspect(sub)
    _add_sanitize(sub)
    _add_add(sub)
    _add_ledger(sub)
    _add_export(sub)
    _add_verify(sub)
    _add_tsa(sub)
    _add_submit(sub)
    _add_receive(sub)
    _add_witness(sub)
    _add_tui(sub)
    return parser


def _command(sub: argparse._SubParsersAction, name: str, help_text: str, description: str | None = None) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=description or help_text)
    _common(parser, suppress=True)
    return parser


def _add_init(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "init", "create a vault and a new pseudonymous identity",
                 "Create a vault and an identity (Ed25519 signing key, age X25519 key), sealed under a passphrase.")
    p.add_argument("--name", default="custodian", metavar="PSEUDONYM", help="a pseudonym, never your real name")
    p.add_argument("--write-only", action="store_true",
                   help="field vault: seal only to the --recipient editors; this device cannot read what it takes in")
    p.add_argument("--recipient", type=Path, action="append", default=[], metavar="FILE",
                   help="an editor's public identity file (from `intake keys export`); repeatable")
    p.set_defaults(handler=commands.init)


def _add_keys(sub: argparse._SubParsersAction) -> None:
    keys = _command(sub, "keys", "show, export and manage identities and recipients")
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True, parser_class=OneLineParser)
    show = _command(actions, "show", "fingerprints of this vault's identity, as hex and as words")
    show.set_defaults(handler=commands.keys_show)
    export = _command(actions, "export", "write this vault's public identity to a file to give to others")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    export.set_defaults(handler=commands.keys_export)
    add = _command(actions, "add-recipient", "seal everything from now on also to an editor's public identity")
    add.add_argument("file", type=Path, metavar="FILE", help="the editor's public identity file")
    add.add_argument("--yes", action="store_true", help="do not ask to confirm the fingerprint words")
    add.set_defaults(handler=commands.keys_add_recipient)
    listing = _command(actions, "list", "this vault's identity and the recipients it seals to")
    listing.set_defaults(handler=commands.keys_list)
    gpg = _command(actions, "use-gpg", "link an existing GPG key: exports also carry OpenPGP signatures",
                   "Link a GPG secret key (from $GNUPGHOME or ~/.gnupg) by its full fingerprint. Bundles "
                   "exported afterwards also carry X.asc detached signatures and the OpenPGP public key.")
    gpg.add_argument("fingerprint", metavar="FINGERPRINT", help="the key's full 40-hex fingerprint (spaces allowed)")
    gpg.set_defaults(handler=bundle_commands.keys_use_gpg)


def _add_inspect(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "inspect", "list the identifying metadata in files; nothing is written",
                 "Findings per file (location, person, device, hidden content, time, software, other), worst "
                 "first, with the field, its value and where it was found. The type comes from the content, "
                 "never the name. Exit 1 when a file cannot be parsed.")
    p.add_argument("paths", type=Path, nargs="+", metavar="FILE|DIR")
    p.add_argument("--json", action="store_true", help="machine-readable output (docs/cli.md)")
    p.set_defaults(handler=commands.inspect)


def _add_sanitize(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "sanitize", "write clean copies of files into a folder (no vault needed)",
                 "Remove identifying metadata without changing the content, check the result again, and "
                 "write it under DIR with the same name. A file that cannot be cleaned completely is refused, "
                 "never copied (exit 1). Existing files are never overwritten.")
    p.add_argument("paths", type=Path, nargs="+", metavar="FILE|DIR")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="folder for the clean copies")
    p.add_argument("--json", action="store_true", help="machine-readable output (docs/cli.md)")
    p.set_defaults(handler=commands.sanitize)


def _add_add(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "add", "take files or folders into the vault as sealed evidence",
                 "Hash (SHA-256, SHA-512), seal and record each file with a signed `received` entry, then "
                 "clean supported files into a sealed clean copy with a `sanitized` entry. Folders are walked; "
                 "symbolic links inside them are skipped. Prints the item ids.")
    p.add_argument("paths", type=Path, nargs="+", metavar="FILE|DIR")
    p.add_argument("--note", metavar="TEXT", help="a note kept, sealed, in each file's custody entry")
    p.set_defaults(handler=commands.add)


def _add_ledger(sub: argparse._SubParsersAction) -> None:
    ledger = _command(sub, "ledger", "show, verify and checkpoint the custody ledger")
    actions = ledger.add_subparsers(dest="ledger_command", metavar="ACTION", required=True, parser_class=OneLineParser)
    show = _command(actions, "show", "list custody entries (needs the passphrase)")
    show.add_argument("--json", action="store_true", help="machine-readable output (docs/cli.md)")
    show.set_defaults(handler=commands.ledger_show)
    verify = _command(actions, "verify", "check the ledger has not been altered",
                      "Without a passphrase: the Merkle tree, every checkpoint signature and consistency. "
                      "With one (file, environment, or typed; press Enter to skip): also every entry's "
                      "signature and links. Exit 0 when all holds, 1 naming the first bad entry.")
    verify.add_argument("--against", type=Path, metavar="CHECKPOINT",
                        help="a checkpoint saved earlier (`intake ledger checkpoint > FILE`): detects rollback and truncation")
    verify.set_defaults(handler=commands.ledger_verify)
    checkpoint = _command(actions, "checkpoint", "print the latest signed checkpoint (C2SP tlog-checkpoint)")
    checkpoint.set_defaults(handler=commands.ledger_checkpoint)
    vkey = _command(actions, "vkey", "print the ledger's verifier key, for witnesses (`intake witness trust-log`)")
    vkey.set_defaults(handler=witness_commands.ledger_vkey)


def _add_item_choice(p: argparse.ArgumentParser) -> None:
    p.add_argument("items", nargs="*", metavar="ITEM", help="item ids (from `intake ledger show`)")
    p.add_argument("--all", action="store_true", help="every item")


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "export", "write a public bundle (BagIt) of clean copies with signed provenance",
                 "Write a BagIt 1.0 bag: data/ holds the clean copies only (never an original); provenance/ "
                 "holds a signed statement per item, tlog-proofs of every custody entry, the signed checkpoint "
                 "and the custodian's public keys; VERIFY.txt tells how to check it with standard tools. "
                 "Custody times are shown to the day and notes are left out unless asked. An ITEM may be a "
                 "clean copy's id or its original's.")
    _add_item_choice(p)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT", help="the bundle folder (or .zip with --zip)")
    p.add_argument("--zip", action="store_true", help="write one zip file instead of a folder")
    p.add_argument("--with-notes", action="store_true", help="also publish the notes of custody entries")
    p.add_argument("--time-precision", choices=("day", "second"), default="day",
                   help="how precisely custody times are published (default: day)")
    p.set_defaults(handler=bundle_commands.export)


def _add_verify(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "verify", "check a bundle offline: files, signatures, proofs (no vault needed)",
                 "Check a bundle (folder or zip) without a vault or network: BagIt manifests, every statement "
                 "against its file, every signature, every tlog-proof against the signed checkpoint. The key in "
                 "the bundle proves nothing about who signed (anyone can re-sign with a key of their own), so "
                 "give the custodian's fingerprint as published elsewhere with --trust. Exit 0 only when "
                 "everything holds and the signer is pinned (or --allow-unpinned), 1 otherwise (each failure "
                 "named).")
    p.add_argument("bundle", type=Path, metavar="BUNDLE")
    p.add_argument("--json", action="store_true", help="machine-readable report (docs/cli.md)")
    p.add_argument("--trust", metavar="KEY",
                   help="the expected signer, as published outside the bundle: their .pub file, their hex "
                        "fingerprint, or their 12 fingerprint words (quoted)")
    p.add_argument("--allow-unpinned", action="store_true",
                   help="accept a signer not pinned with --trust (the report says so); proves only that *a* key signed")
    p.add_argument("--witnesses", type=Path, metavar="FILE",
                   help="your witness policy: cosignature/v1 keys (one per line) and `quorum K`; the bundle's "
                        "checkpoint must carry enough valid cosignatures from them")
    p.add_argument("--since", type=Path, metavar="OLD",
                   help="an older bundle of the same ledger, or a checkpoint saved with `intake ledger checkpoint`: "
                        "prove this bundle's ledger extends it (a fork or a rollback fails)")
    p.add_argument("--tsa-ca", type=Path, action="append", default=[], metavar="CERTFILE",
                   help="a time-stamping authority's CA certificate (PEM), got from the TSA itself: every time "
                        "stamp must chain to one given; repeatable")
    p.set_defaults(handler=bundle_commands.verify)


def _add_tsa(sub: argparse._SubParsersAction) -> None:
    tsa = _command(sub, "tsa", "the time-stamping authorities (RFC 3161) that exports ask for trusted time")
    actions = tsa.add_subparsers(dest="tsa_command", metavar="ACTION", required=True, parser_class=OneLineParser)
    add = _command(actions, "add", "time-stamp every exported checkpoint with this TSA",
                   "Every export from now on sends the SHA-256 of its checkpoint to URL and puts the signed "
                   "time stamp in the bundle. CERTFILE is the TSA's CA certificate (PEM), from the TSA itself; "
                   "its tokens must chain to it. The TSA learns the hash and this machine's address.")
    add.add_argument("url", metavar="URL", help="the TSA's http:// or https:// address")
    add.add_argument("certfile", type=Path, metavar="CERTFILE", help="the TSA's CA certificate (PEM)")
    add.set_defaults(handler=tsa_commands.tsa_add)
    listing = _command(actions, "list", "the TSAs exports ask, and the CA each must chain to")
    listing.set_defaults(handler=tsa_commands.tsa_list)
    remove = _command(actions, "remove", "stop asking this TSA")
    remove.add_argument("url", metavar="URL")
    remove.set_defaults(handler=tsa_commands.tsa_remove)


def _add_submit(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "submit", "seal items, with their custody proofs, into one file for an editor",
                 "Pack the chosen items (sealed originals, findings reports, clean copies, custody entries, "
                 "proofs, the latest checkpoint) into one file sealed with age to the editor: nothing in it, "
                 "not even the list of items, is readable without the editor's key. A write-only field vault "
                 "submits --all, still sealed.")
    _add_item_choice(p)
    p.add_argument("--to", type=Path, required=True, metavar="EDITOR_FILE", help="the editor's public identity file")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    p.add_argument("--gpg-recipient", metavar="FPR", help="also wrap the file for this GPG key (full fingerprint)")
    p.set_defaults(handler=bundle_commands.submit_command)


def _add_receive(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "receive", "import a field contact's submission into this (editor's) vault",
                 "Open a submission, check every signature, proof and the sender's checkpoint (it must extend "
                 "what the sender showed before), then import the items with `transferred` entries. A repeated "
                 "or forged submission is refused and nothing is written. With --check, run every check "
                 "and print it, and import nothing.")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--check", action="store_true",
                   help="only check: list every check with ok or FAIL and each new item's history; write nothing")
    p.add_argument("--trust", metavar="KEY",
                   help="with --check: the field contact's .pub file, hex fingerprint or 12 words; "
                        "fail if another key sent it")
    p.set_defaults(handler=bundle_commands.receive)


def _add_witness(sub: argparse._SubParsersAction) -> None:
    witness = _command(sub, "witness", "run a witness, or choose the witnesses that cosign this desk's exports",
                       "A witness (C2SP tlog-witness) cosigns a ledger's checkpoint only if it extends the one it "
                       "cosigned before, so two forks of one ledger cannot both be witnessed. init, trust-log and "
                       "serve run a witness (no vault); add, list, remove and quorum configure this desk's.")
    actions = witness.add_subparsers(dest="witness_command", metavar="ACTION", required=True, parser_class=OneLineParser)
    init = _command(actions, "init", "create a witness: a key and an empty state in DIR")
    init.add_argument("--state", type=Path, required=True, metavar="DIR")
    init.add_argument("--name", default="witness", help="the witness's key name, e.g. witness.example.org/w1")
    init.set_defaults(handler=witness_commands.witness_init)
    trust = _command(actions, "trust-log", "cosign a desk's ledger from now on (its `intake ledger vkey`)")
    trust.add_argument("--state", type=Path, required=True, metavar="DIR")
    trust.add_argument("vkey", metavar="VKEY")
    trust.set_defaults(handler=witness_commands.witness_trust_log)
    serve = _command(actions, "serve", "answer add-checkpoint requests over HTTP until SIGINT or SIGTERM",
                     "Serve POST /add-checkpoint (c2sp.org/tlog-witness) on HOST:PORT, one log line per request "
                     "on stderr, without the client's address.")
    serve.add_argument("--state", type=Path, required=True, metavar="DIR")
    serve.add_argument("--listen", required=True, metavar="HOST:PORT")
    serve.set_defaults(handler=witness_commands.witness_serve)
    add = _command(actions, "add", "send this desk's exported checkpoints to a witness")
    add.add_argument("name", metavar="NAME", help="a local name for the witness")
    add.add_argument("vkey", metavar="VKEY", help="the witness's key (from `intake witness init`)")
    add.add_argument("url", metavar="URL", help="its submission prefix, e.g. http://witness.example:8080")
    add.set_defaults(handler=witness_commands.witness_add)
    listing = _command(actions, "list", "this desk's witnesses and quorum")
    listing.add_argument("--json", action="store_true", help="machine-readable output (docs/cli.md)")
    listing.set_defaults(handler=witness_commands.witness_list)
    remove = _command(actions, "remove", "stop sending checkpoints to a witness")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=witness_commands.witness_remove)
    quorum = _command(actions, "quorum", "how many cosignatures an export needs to count as witnessed")
    quorum.add_argument("quorum", type=int, metavar="K")
    quorum.set_defaults(handler=witness_commands.witness_quorum)


def _add_tui(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "tui", "open the terminal app on the vault (also: `intake` alone, on a terminal)",
                 "The terminal app: unlock (or create) the vault, then Intake, Ledger, Verify, Export and Keys. "
                 "It asks for the passphrase itself; --passphrase-file unlocks without asking.")
    p.set_defaults(handler=commands.tui)


def _on_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def quiet_libraries() -> None:
    """exifread and qpdf log their complaints about hostile files; the user
    gets our one-line verdict instead."""
    for name in ("exifread", "pikepdf", "pikepdf._core", "gnupg"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)
    forbid_core_dumps()
    quiet_libraries()
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None and _on_terminal():
        args.handler = commands.tui
    if getattr(args, "handler", None) is None:
        parser.print_usage(sys.stderr)
        sys.stderr.write("intake: error: a command is needed (see `intake --help`)\n")
        return 2
    try:
        return args.handler(args)
    except IntakeError as error:
        sys.stderr.write(f"intake: error: {printable(' '.join(str(error).split()))}\n")
        return error.exit_code
    except BrokenPipeError:
        # The reader went away (`| head`): what it wanted, it got.
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("intake: error: interrupted; the vault holds only what was reported as done\n")
        return 130
    except Exception as error:  # the contract: no traceback reaches a user
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(f"intake: error: unexpected {type(error).__name__}; run again with --debug for details\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
