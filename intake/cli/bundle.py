"""`export`, `verify`, `submit` and `receive`: bundles for the public and submissions for an editor."""

from __future__ import annotations

from typing import TYPE_CHECKING

import argparse
from dataclasses import asdict
from pathlib import Path

from intake.cli.output import (
    describe_identity, dump_json, identity_to_dict, print_checks, print_verdict, progress, quiet, say, wants_json,
)
from intake.cli.parser import Subcommands, add_json, command
from intake.cli.session import open_vault, unlock, unlock_while
from intake.text import printable
from intake.errors import CheckFailed, IntakeError

if TYPE_CHECKING:
    from intake.bundle.verify import VerifyReport
    from intake.vault import Vault
    from intake.witness.desk import ExportWitnessing
    from intake.keys.keystore import Keyring


def register(sub: Subcommands) -> None:
    _register_export(sub)
    _register_verify(sub)
    _register_submit(sub)
    _register_receive(sub)


def _add_item_choice(p: argparse.ArgumentParser) -> None:
    p.add_argument("items", nargs="*", metavar="ITEM", help="item ids (from `intake ledger show`)")
    p.add_argument("--all", action="store_true", help="every item")


def _register_export(sub: Subcommands) -> None:
    p = command(sub, "export", "write a public bundle (BagIt) of clean copies with signed provenance",
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
    add_json(p)
    p.set_defaults(handler=export)


def _register_verify(sub: Subcommands) -> None:
    p = command(sub, "verify", "check a bundle offline: files, signatures, proofs (no vault needed)",
                "Check a bundle (folder or zip) without a vault or network: BagIt manifests, every statement "
                "against its file, every signature, every tlog-proof against the signed checkpoint. The key in "
                "the bundle proves nothing about who signed (anyone can re-sign with a key of their own), so "
                "give the custodian's fingerprint as published elsewhere with --trust. Exit 0 only when "
                "everything holds and the signer is pinned (or --allow-unpinned), 1 otherwise (each failure "
                "named).")
    p.add_argument("bundle", type=Path, metavar="BUNDLE")
    add_json(p)
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
    p.set_defaults(handler=verify)


def _register_submit(sub: Subcommands) -> None:
    p = command(sub, "submit", "seal items, with their custody proofs, into one file for an editor",
                "Pack the chosen items (sealed originals, findings reports, clean copies, custody entries, "
                "proofs, the latest checkpoint) into one file sealed with age to the editor: nothing in it, "
                "not even the list of items, is readable without the editor's key. A write-only field vault "
                "submits --all, still sealed.")
    _add_item_choice(p)
    p.add_argument("--to", type=Path, required=True, metavar="EDITOR_FILE", help="the editor's public identity file")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    p.add_argument("--gpg-recipient", metavar="FPR", help="also wrap the file for this GPG key (full fingerprint)")
    add_json(p)
    p.set_defaults(handler=submit_command)


def _register_receive(sub: Subcommands) -> None:
    p = command(sub, "receive", "import a field contact's submission into this (editor's) vault",
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
    add_json(p)
    p.set_defaults(handler=receive)


def _items(args: argparse.Namespace) -> list[str] | None:
    if args.all and args.items:
        raise IntakeError("give ITEM ids or --all, not both")
    if not args.all and not args.items:
        raise IntakeError("name the items to include (ids from `intake ledger show`), or give --all")
    return None if args.all else list(args.items)


def _export_modules() -> None:
    """What export imports (0.1 s), while the vault unlocks."""
    import intake.bundle.export  # noqa: F401
    import intake.timestamp.stamps  # noqa: F401


def export(args: argparse.Namespace) -> int:
    items = _items(args)
    vault = open_vault(args)
    keyring, _ = unlock_while(args, vault, _export_modules)
    from intake.bundle.export import ExportOptions, export_bundle
    from intake.timestamp.stamps import outcome_lines

    options = ExportOptions(args.with_notes, args.time_precision, args.zip)
    result = export_bundle(vault, keyring, items, args.output, options, progress(args, "exporting"))
    if wants_json(args):
        dump_json({"target": str(result.target), "items": list(result.items), "duplicates": list(result.duplicates),
                   "witnessing": None if result.witnessing is None else {
                       "quorum": result.witnessing.quorum, "cosigned": result.witnessing.cosigned,
                       "outcomes": [asdict(o) for o in result.witnessing.outcomes]},
                   "timestamps": [asdict(o) for o in result.timestamps]})
        return 0
    print(f"exported {len(result.items)} clean cop{'y' if len(result.items) == 1 else 'ies'} to {result.target}")
    for item in result.items:
        print(f"  {item}")
    if result.duplicates:
        say(args, f"left out {len(result.duplicates)} identical clean cop"
                  f"{'y' if len(result.duplicates) == 1 else 'ies'} (the same file, taken in or sent twice): "
                  + ", ".join(result.duplicates))
    if result.witnessing is not None:
        _print_witnessing(result.witnessing)
    for line in outcome_lines(result.timestamps):
        print(printable(line))
    print(f"check it with: intake verify {result.target}")
    return 0


def _print_witnessing(witnessing: ExportWitnessing) -> None:
    for outcome in witnessing.outcomes:
        print(printable(f"  witness {outcome.name}: {outcome.result}" + (f": {outcome.reason}" if outcome.reason else "")))
    print(witnessing.summary())


def verify(args: argparse.Namespace) -> int:
    from intake.bundle.consistency import read_old_checkpoint
    from intake.bundle.verify import report_to_dict, verify_bundle
    from intake.keys.pinning import parse_pin
    from intake.timestamp.authorities import read_verifier_roots
    from intake.witness.policy import WitnessPolicy

    pin = parse_pin(args.trust) if args.trust is not None else None
    since = read_old_checkpoint(args.since) if args.since is not None else None
    witnesses = WitnessPolicy.read(args.witnesses) if args.witnesses is not None else None
    report = verify_bundle(args.bundle, pin, allow_unpinned=args.allow_unpinned, since=since, witnesses=witnesses,
                           tsa_roots=read_verifier_roots(args.tsa_ca))
    if args.json:  # the report says why; a second (error) document would spoil stdout
        dump_json(report_to_dict(report))
        return 0 if report.ok else 1
    _print_report(args, report)
    if not report.ok:
        if report.only_unpinned:
            raise CheckFailed("every check holds, but the signer is NOT pinned: compare the words above with the "
                              "custodian's, published elsewhere, and give them with --trust")
        failed = sum(not check.ok for check in report.checks)
        raise CheckFailed(f"the bundle did not verify: {failed} check(s) failed (listed first, with `FAIL`)")
    _print_bundle_verdict(report)
    return 0


def _print_report(args: argparse.Namespace, report: VerifyReport) -> None:
    """Failures first, the checks that hold after them, each item's custody, and the signer last:
    whether the signer is pinned is the question the verdict answers."""
    print_checks(args, report.checks)
    if not quiet(args):
        for timeline in report.items:
            print(f"custody of {timeline.item} ({timeline.file})")
            for event in timeline.events:
                print(f"  {event.day}  {event.action:<11}  {event.of:<10}  by {event.actor[:16]}")
                if event.note:
                    print(printable(f"    note: {event.note}"))
    if report.signer is not None:
        print()
        print_checks(args, [report.signer])


def _print_bundle_verdict(report: VerifyReport) -> None:
    print_verdict("bundle verified" if report.pinned else "bundle checks hold, but the signer is NOT pinned")


def submit_command(args: argparse.Namespace) -> int:
    from intake.bundle.submission import submit
    from intake.recipients import read_identity_file

    items = _items(args)
    editor = read_identity_file(args.to).identity
    vault = open_vault(args)
    keyring = unlock(args, vault)
    if not wants_json(args):
        print("\n".join(describe_identity(editor, "sealed to editor")))
    result = submit(vault, keyring, items, editor, args.output, args.gpg_recipient, progress(args, "sealing"))
    if wants_json(args):
        dump_json({"target": str(result.target), "items": list(result.items) or None, "entries": result.entries,
                   "editor": identity_to_dict(editor)})
        return 0
    what = f"{len(result.items)} item(s)" if result.items else "everything this vault took in (sealed; not readable here)"
    print(f"wrote submission {result.target}: {what}, {result.entries} custody entries")
    print("only the editor's key opens it; hand it over by any channel")
    return 0


def receive(args: argparse.Namespace) -> int:
    from intake.bundle.receive import receive_submission

    if args.trust and not args.check:
        raise IntakeError("--trust goes with --check; `receive` itself prints the sender's words to compare")
    vault = open_vault(args)
    keyring = unlock(args, vault)
    if args.check:
        return _check_only(vault, keyring, args)
    result = receive_submission(vault, keyring, args.file, progress(args, "importing"))
    if wants_json(args):
        dump_json({"sender": identity_to_dict(result.sender), "new_sender": result.new_sender,
                   "originals": list(result.originals), "clean_copies": list(result.clean_copies),
                   "skipped": result.skipped})
        return 0
    label = "new sender (compare these words with the field contact's)" if result.new_sender else "known sender"
    print("\n".join(describe_identity(result.sender, label)))
    print(f"received {len(result.originals)} original(s) and {len(result.clean_copies)} clean cop"
          f"{'y' if len(result.clean_copies) == 1 else 'ies'}; every signature, proof and the sender's checkpoint hold")
    for item in result.clean_copies:
        print(f"  {item}  clean copy, exportable")
    if result.skipped:
        print(f"  ({result.skipped} entries were already received earlier and were skipped)")
    return 0


def _check_only(vault: Vault, keyring: Keyring, args: argparse.Namespace) -> int:
    from intake.bundle.receive import check_submission
    from intake.bundle.verify import report_to_dict
    from intake.keys.pinning import parse_pin

    pin = parse_pin(args.trust) if args.trust else None
    report = check_submission(vault, keyring, args.file, pin, progress(args, "checking"))
    if wants_json(args):
        dump_json({**report_to_dict(report), "imported": False})
        return 0 if report.ok else 1
    _print_report(args, report)
    if not report.ok:
        raise CheckFailed("the submission did not pass its checks (see `FAIL` above); nothing was imported")
    if pin is None and report.custodian is not None:
        print(f"signed by the key with words: {report.custodian.words}")
        say(args, "compare them with the field contact's, or pin the key with --trust")
    print_verdict("submission verified; nothing was imported (`intake receive FILE` imports it)")
    return 0
