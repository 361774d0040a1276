"""The bundle commands (export, verify, submit, receive, keys use-gpg), in terms of intake.bundle."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from intake.bundle.consistency import read_old_checkpoint
from intake.bundle.export import ExportOptions, export_bundle
from intake.bundle.receive import check_submission, receive_submission
from intake.bundle.submission import submit
from intake.bundle.verify import Check, VerifyReport, report_to_dict, verify_bundle
from intake.commands import _describe, _open, _unlock
from intake.display import printable
from intake.errors import CheckFailed, IntakeError
from intake.recipients import link_gpg_key, read_identity_file
from intake.timestamp.authorities import read_verifier_roots
from intake.tsa_commands import print_export_timestamps
from intake.vault import Vault
from intake.witness.desk import ExportWitnessing
from intake.witness.policy import WitnessPolicy
from intake.keys.keystore import Keyring
from intake.keys.pinning import parse_pin


def _items(args: argparse.Namespace) -> list[str] | None:
    if args.all and args.items:
        raise IntakeError("give ITEM ids or --all, not both")
    if not args.all and not args.items:
        raise IntakeError("name the items to include (ids from `intake ledger show`), or give --all")
    return None if args.all else list(args.items)


def _percent(label: str) -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        sys.stderr.write(f"\r  {label}  {percent:3d}%" + ("\n" if done >= total else ""))
        sys.stderr.flush()

    return show


def export(args: argparse.Namespace) -> int:
    items = _items(args)
    options = ExportOptions(args.with_notes, args.time_precision, args.zip)
    vault = _open(args)
    keyring = _unlock(args, vault)
    result = export_bundle(vault, keyring, items, args.output, options, _percent("exporting"))
    print(f"exported {len(result.items)} clean cop{'y' if len(result.items) == 1 else 'ies'} to {result.target}")
    for item in result.items:
        print(f"  {item}")
    if result.witnessing is not None:
        _print_witnessing(result.witnessing)
    print_export_timestamps(result.timestamps)
    print(f"check it with: intake verify {result.target}")
    return 0


def _print_witnessing(witnessing: ExportWitnessing) -> None:
    for outcome in witnessing.outcomes:
        print(printable(f"  witness {outcome.name}: {outcome.result}" + (f": {outcome.reason}" if outcome.reason else "")))
    print(witnessing.summary())


def verify(args: argparse.Namespace) -> int:
    pin = parse_pin(args.trust) if args.trust is not None else None
    since = read_old_checkpoint(args.since) if args.since is not None else None
    witnesses = WitnessPolicy.read(args.witnesses) if args.witnesses is not None else None
    report = verify_bundle(args.bundle, pin, allow_unpinned=args.allow_unpinned, since=since, witnesses=witnesses,
                           tsa_roots=read_verifier_roots(args.tsa_ca))
    if args.json:
        json.dump(report_to_dict(report), sys.stdout, ensure_ascii=True, indent=2)
        sys.stdout.write("\n")
    else:
        _print_report(report, trusted=pin is not None)
    if not report.ok:
        if report.only_unpinned:
            raise CheckFailed("every check holds, but the signer is NOT pinned: compare the words above with the "
                              "custodian's, published elsewhere, and give them with --trust")
        failed = sum(not check.ok for check in report.checks)
        raise CheckFailed(f"the bundle did not verify: {failed} check(s) failed (listed above with `FAIL`)")
    return 0


def _print_line(check: Check) -> None:
    print(printable(f"ok    {check.what}" if check.ok else f"FAIL  {check.what}: {check.reason}"))


def _print_report(report: VerifyReport, trusted: bool, kind: str = "bundle") -> None:
    for check in report.checks:
        _print_line(check)
    for timeline in report.items:
        print(f"custody of {timeline.item} ({timeline.file})")
        for event in timeline.events:
            print(f"  {event.day}  {event.action:<11}  {event.of:<10}  by {event.actor[:16]}")
    if report.signer is not None:
        print()
        _print_line(report.signer)
    if not report.ok:
        return
    if kind == "bundle":
        print("bundle verified" if report.pinned else "bundle checks hold, but the signer is NOT pinned")
        return
    print("submission verified")
    if not trusted and report.custodian is not None:
        print(f"signed by the key with words: {report.custodian.words}")
        print("compare them with the field contact's, or pin the key with --trust")


def submit_command(args: argparse.Namespace) -> int:
    items = _items(args)
    editor = read_identity_file(args.to).identity
    vault = _open(args)
    keyring = _unlock(args, vault)
    print("\n".join(_describe(editor, "sealed to editor")))
    result = submit(vault, keyring, items, editor, args.output, args.gpg_recipient, _percent("sealing"))
    what = f"{len(result.items)} item(s)" if result.items else "everything this vault took in (sealed; not readable here)"
    print(f"wrote submission {result.target}: {what}, {result.entries} custody entries")
    print("only the editor's key opens it; hand it over by any channel")
    return 0


def receive(args: argparse.Namespace) -> int:
    if args.trust and not args.check:
        raise IntakeError("--trust goes with --check; `receive` itself prints the sender's words to compare")
    vault = _open(args)
    keyring = _unlock(args, vault)
    if args.check:
        return _check_only(vault, keyring, args)
    result = receive_submission(vault, keyring, args.file, _percent("importing"))
    label = "new sender (compare these words with the field contact's)" if result.new_sender else "known sender"
    print("\n".join(_describe(result.sender, label)))
    print(f"received {len(result.originals)} original(s) and {len(result.clean_copies)} clean cop"
          f"{'y' if len(result.clean_copies) == 1 else 'ies'}; every signature, proof and the sender's checkpoint hold")
    for item in result.clean_copies:
        print(f"  {item}  clean copy, exportable")
    if result.skipped:
        print(f"  ({result.skipped} entries were already received earlier and were skipped)")
    return 0


def _check_only(vault: Vault, keyring: Keyring, args: argparse.Namespace) -> int:
    pin = parse_pin(args.trust) if args.trust else None
    report = check_submission(vault, keyring, args.file, pin, _percent("checking"))
    _print_report(report, trusted=pin is not None, kind="submission")
    if not report.ok:
        raise CheckFailed("the submission did not pass its checks (see `FAIL` above); nothing was imported")
    print("nothing was imported: run `intake receive FILE` to import it")
    return 0


def keys_use_gpg(args: argparse.Namespace) -> int:
    vault = _open(args)
    keyring = _unlock(args, vault)
    linked = link_gpg_key(vault, keyring, args.fingerprint)
    uid = printable(linked.user_id) if linked.user_id else "(no user id)"
    print(f"linked OpenPGP key {linked.fingerprint} {uid}")
    print("exports now also carry OpenPGP detached signatures (.asc) and this public key")
    return 0

