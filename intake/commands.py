"""What each command does, in terms of the library; output formatting lives here."""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import hashlib
import json
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import platformdirs

from intake.keys import passphrase
from intake.errors import CheckFailed, IntakeError, Refused
from intake.clean import MAX_CLEAN_BYTES, Inspection, clean_within
from intake.display import printable, recordable
from intake.formats import supported_media_types
from intake.support.fsutil import CHECKPOINT_FILE_LIMIT, fsync_dir, new_file, read_regular_text, resolved
from intake.text import EntryRow, grouped_hex, removed_summary
from intake.custody import read_entries, verify_ledger
from intake.ledger.audit import AuditReport
from intake.ledger.entries import CustodyEntry
from intake.pipeline import NotCleaned, Received, Sanitized, Source, collect_sources, read_source
from intake.recipients import add_recipient, check_not_self, read_identity_file
from intake.takein import NotTakenIn, inspect_source, take_in
from intake.vault import Vault, check_passphrase, create_vault
from intake.keys.identity import PublicIdentity
from intake.keys.keystore import Keyring

ENV_VAULT = "INTAKE_VAULT"


def vault_root(args: argparse.Namespace) -> Path:
    if args.vault is not None:
        return args.vault
    if os.environ.get(ENV_VAULT):
        return Path(os.environ[ENV_VAULT])
    return platformdirs.user_data_path("intake") / "vault"


def _open(args: argparse.Namespace) -> Vault:
    return Vault.open(vault_root(args))


def _unlock(args: argparse.Namespace, vault: Vault) -> Keyring:
    return vault.unlock(passphrase.obtain(args.passphrase_file))


def init(args: argparse.Namespace) -> int:
    root = vault_root(args)
    files = [read_identity_file(path) for path in args.recipient]
    recipients = tuple(file.text for file in files)
    for file in files:
        print("\n".join(_describe(file.identity, "recipient")))
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


def _describe(identity: PublicIdentity, label: str) -> list[str]:
    return [
        f"{label}  {identity.name}",
        f"  fingerprint  {grouped_hex(identity.fingerprint_hex)}",
        f"  words        {identity.words}",
    ]


def keys_show(args: argparse.Namespace) -> int:
    vault = _open(args)
    keyring = _unlock(args, vault)
    public = keyring.public
    lines = _describe(public, "identity")
    lines.append(f"  ed25519      {public.signing_key.hex()}")
    lines.append(f"  age          {public.age_recipient}")
    lines.append(f"  ledger       {vault.config.origin}")
    mode = "normal (seals to itself and its recipients)" if keyring.can_open_sealed else (
        "write-only (seals to its recipients only; cannot open what it takes in)")
    lines.append(f"  vault mode   {mode}")
    print("\n".join(lines))
    return 0


def keys_export(args: argparse.Namespace) -> int:
    vault = _open(args)
    keyring = _unlock(args, vault)
    try:
        with open(args.output, "x", encoding="utf-8") as handle:
            handle.write(keyring.secret.export_public())
    except FileExistsError as error:
        raise IntakeError(f"{args.output} already exists; choose another -o FILE") from error
    except OSError as error:
        raise IntakeError(f"cannot write {args.output} ({error.strerror})") from error
    os.chmod(args.output, 0o644)
    print(f"wrote public identity to {args.output}")
    print(f"words  {keyring.public.words}")
    return 0


def keys_add_recipient(args: argparse.Namespace) -> int:
    recipient = read_identity_file(args.file)
    identity = recipient.identity
    vault = _open(args)
    keyring = _unlock(args, vault)
    check_not_self(keyring, identity)
    print("\n".join(_describe(identity, "recipient")))
    _confirm_words(args.yes)
    if not add_recipient(vault, keyring, recipient).added:
        print(f"{printable(identity.name)} is already a recipient; nothing changed")
        return 0
    print(f"added recipient {printable(identity.name)}: everything sealed from now on also opens with their key")
    return 0


def _confirm_words(assume_yes: bool) -> None:
    if assume_yes:
        return
    if not sys.stdin.isatty():
        print("(no terminal to confirm on: compare the words above with the editor's before relying on them)")
        return
    answer = input("Do these words match the ones the editor read to you? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise IntakeError("not added: the fingerprint was not confirmed")


def keys_list(args: argparse.Namespace) -> int:
    vault = _open(args)
    keyring = _unlock(args, vault)
    lines = _describe(keyring.public, "identity (self)" if keyring.can_open_sealed else "identity (not a recipient)")
    for recipient in keyring.policy.recipients:
        lines.extend(_describe(recipient, "recipient"))
    if not keyring.policy.recipients:
        lines.append("no other recipients: only this vault can open what it seals")
    print("\n".join(lines))
    return 0


def add(args: argparse.Namespace) -> int:
    vault = _open(args)
    collected = collect_sources(args.paths, vault.root)
    for link in collected.skipped_links:
        sys.stderr.write(f"intake: skipped symbolic link {printable(str(link))}\n")
    keyring = _unlock(args, vault)
    progress = _progress_printer() if sys.stderr.isatty() else None
    note = recordable(args.note) if args.note is not None else None

    def show_received(received: Received) -> None:
        print(f"{received.item}  {received.media_type}  {printable(received.name)}", flush=True)

    refused = 0
    for result in take_in(vault, keyring, collected.sources, note, progress, show_received):
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


def _read_for_cleaning(source: Source) -> bytes | None:
    return None if source.size > MAX_CLEAN_BYTES else read_source(source)


def _collect_reporting_links(paths: list[Path]) -> list[Source]:
    collected = collect_sources(paths)
    for link in collected.skipped_links:
        sys.stderr.write(f"intake: skipped symbolic link {printable(str(link))}\n")
    return collected.sources


def inspect(args: argparse.Namespace) -> int:
    sources = _collect_reporting_links(args.paths)
    results = [(source, inspect_source(source)) for source in sources]
    if args.json:
        _dump({"files": [{"path": s.name, **i.to_dict()} for s, i in results]})
    else:
        for source, inspection in results:
            _print_inspection(source, inspection)
    return 1 if any(i.problem for _, i in results) else 0


def _print_inspection(source: Source, inspection: Inspection) -> None:
    count = len(inspection.findings)
    print(f"{printable(source.name)}  {inspection.media_type}  {count} finding{'s' if count != 1 else ''}")
    if inspection.problem:
        print(f"  {'refused' if inspection.supported else 'not supported'}: {inspection.problem}")
    for finding in inspection.findings:
        print(f"  {finding.category.value:<14} {printable(finding.field)} = {printable(finding.value)}"
              f"  ({printable(finding.where)})")


def sanitize(args: argparse.Namespace) -> int:
    sources = _collect_reporting_links(args.paths)
    targets = _output_paths(sources, args.output)
    work = functools.partial(_sanitize_one, with_hash=args.json)
    results = _map_files(work, sources, targets)
    for folder in {target.parent for target in targets if target.exists()}:
        fsync_dir(folder)
    if args.json:
        _dump({"files": results})
    else:
        for result in results:
            if result["status"] == "cleaned":
                print(f"cleaned  {printable(result['path'])} -> {printable(result['output'])}"
                      f"  (removed: {removed_summary(result['removed'])})")
            else:
                print(f"refused  {printable(result['path'])}: {printable(result['reason'])}")
    return 1 if any(r["status"] != "cleaned" for r in results) else 0


def _map_files(work: Callable[[Source, Path], dict], sources: list[Source], targets: list[Path]) -> list[dict]:
    """Files are independent: clean them on every core, results in input order."""
    workers = min(len(sources), os.cpu_count() or 1)
    if workers < 2:
        return [work(source, target) for source, target in zip(sources, targets)]
    supported_media_types()  # import every format module once, before the workers fork
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(work, sources, targets))


def _output_paths(sources: list[Source], folder: Path) -> list[Path]:
    """Decide every target first: nothing is overwritten, nothing half-done."""
    targets = [folder / source.relative for source in sources]
    inputs = {resolved(source.path) for source in sources}
    for target in targets:
        if not resolved(target).is_relative_to(resolved(folder)):
            raise IntakeError(f"{target} would fall outside {folder}; refused")
        if target.exists() or resolved(target) in inputs:
            raise IntakeError(f"{target} already exists; choose an empty -o folder")
    if len(set(targets)) != len(targets):
        raise IntakeError("two inputs would be written to the same output name; clean them separately")
    return targets


def _sanitize_one(source: Source, target: Path, with_hash: bool = False) -> dict:
    result: dict = {"path": source.name, "output": None, "status": "refused", "reason": None}
    data = _read_for_cleaning(source)
    if data is None:
        result["reason"] = f"files over {MAX_CLEAN_BYTES >> 20} MiB are not cleaned"
        return result
    try:
        cleaned = clean_within(data)
    except Refused as refusal:
        result["reason"] = str(refusal)
        return result
    _write_output(target, cleaned.data)
    result.update(output=str(target), status="cleaned", media_type=cleaned.media_type, removed=cleaned.removed(),
                  size=len(cleaned.data))
    if with_hash:
        result["sha256"] = hashlib.sha256(cleaned.data).hexdigest()
    return result


def _write_output(target: Path, data: bytes) -> None:
    """Nameless until complete (fsutil.new_file): a killed `sanitize` leaves no partial file."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise IntakeError(f"cannot write {target} ({error.strerror})") from error
    with new_file(target) as output:
        output.write(data)


def _dump(document: dict) -> None:
    # ASCII only: names and values from files may hold terminal control codes.
    json.dump(document, sys.stdout, ensure_ascii=True, indent=2)
    sys.stdout.write("\n")





def _progress_printer():
    last: dict[str, int] = {}

    def show(name: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if last.get(name) != percent:
            last[name] = percent
            end = "\n" if percent >= 100 else ""
            sys.stderr.write(f"\r  sealing {printable(name)[-50:]}  {percent:3d}%{end}")
            sys.stderr.flush()

    return show


def _audit(args: argparse.Namespace, vault: Vault, keyring: Keyring | None) -> AuditReport:
    against = _read_text(args.against) if getattr(args, "against", None) is not None else None
    return verify_ledger(vault, keyring, against)


def _read_text(path: Path) -> str:
    return read_regular_text(path, CHECKPOINT_FILE_LIMIT, "the saved checkpoint")


def ledger_verify(args: argparse.Namespace) -> int:
    vault = _open(args)
    secret = passphrase.optional(args.passphrase_file, "Passphrase to also open every entry (Enter to skip): ")
    keyring = vault.unlock(secret) if secret is not None else None
    report = _audit(args, vault, keyring)
    print(f"ledger of {grouped_hex(vault.public_keys().fingerprint_hex)}")
    for line in report.checked:
        print(f"ok    {line}")
    if keyring is None:
        print("note  entries were not opened (no passphrase): their signatures, links and originals were not checked")
    if report.orphans:
        print(f"note  {len(report.orphans)} sealed file(s) in blobs/ were left by an interrupted command before "
              "their entry was recorded; the next command that writes to the vault removes them")
    if report.unexplained:
        print(f"note  {len(report.unexplained)} sealed file(s) in blobs/ are named by no entry and were not left by "
              f"intake: {', '.join(report.unexplained[:5])}")
    if not report.ok:
        raise CheckFailed(f"ledger verification failed: {report.failure}")
    print("ledger verified")
    return 0


def ledger_show(args: argparse.Namespace) -> int:
    vault = _open(args)
    entries = read_entries(vault, _unlock(args, vault))
    if args.json:
        _dump({"entries": [e.to_dict() for e in entries]})
    else:
        _print_entries(entries)
    return 0


def _print_entries(entries: list[CustodyEntry]) -> None:
    if not entries:
        print("the ledger is empty")
    for row in map(EntryRow.of, entries):
        note = f"  note: {printable(row.note)}" if row.note else ""
        print(f"{row.seq:>5}  {row.time}  {row.action:<11} {row.item}  {row.sha256[:16]}  {printable(row.name)}{note}")


def ledger_checkpoint(args: argparse.Namespace) -> int:
    vault = _open(args)
    with vault.locked(exclusive=False), vault.ledger() as ledger:
        note = ledger.latest_checkpoint()
    if note is None:
        raise IntakeError("the ledger is empty: there is no checkpoint yet (add a file first)")
    sys.stdout.write(note)
    return 0


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
