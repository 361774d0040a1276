"""`inspect` and `sanitize`: files on their own, no vault."""

from __future__ import annotations

from typing import TYPE_CHECKING

import argparse
import contextlib
import functools
import hashlib
import os
import sys
from pathlib import Path

from intake.cli.output import dump_json, quiet
from intake.cli.parser import Subcommands, add_json, command
from intake.text import printable
from intake.errors import IntakeError, Refused
from intake.support.fsutil import (
    NewFile, fsync_dir, open_regular, remove_partials, resolved, start_writeback, sync_open_files,
)

if TYPE_CHECKING:
    from intake.budget import Done
    from intake.clean import Inspection
    from intake.takein.sources import Source

CLEANED_MARK = ".cleaned"  # `photo.jpg` -> `photo.cleaned.jpg` beside it, as mat2 names its output
# Clean copies held nameless until one sync makes the batch durable and names it: this bounds
# the descriptors held open, and how much a kill throws away.
NAMED_PER_SYNC = 64


def register(sub: Subcommands) -> None:
    inspect_cmd = command(sub, "inspect", "list the identifying metadata in files; nothing is written",
                          "Findings per file (location, person, device, hidden content, time, software, other), "
                          "worst first, with the field, its value and where it was found. The type comes from the "
                          "content, never the name. Exit 1 when a file cannot be parsed.")
    inspect_cmd.add_argument("paths", type=Path, nargs="+", metavar="FILE|DIR")
    add_json(inspect_cmd)
    inspect_cmd.set_defaults(handler=inspect)
    sanitize_cmd = command(sub, "sanitize", "write clean copies of files (no vault needed)",
                           "Remove identifying metadata without changing the content and check the result again. "
                           "With -o DIR the clean copies go under DIR with the same names (a DIR inside a given "
                           "folder is skipped as input); without it each goes beside its file as "
                           "NAME.cleaned.EXT. A file that cannot be cleaned completely is refused, never copied "
                           "(exit 1). Existing files are never overwritten.")
    sanitize_cmd.add_argument("paths", type=Path, nargs="+", metavar="FILE|DIR")
    sanitize_cmd.add_argument("-o", "--output", type=Path, metavar="DIR",
                              help="folder for the clean copies (default: beside each file, NAME.cleaned.EXT)")
    sanitize_cmd.add_argument("--keep-hdr", action="store_true",
                              help="keep the HDR gain maps of HEIC photos (an HDR screen shows them as taken); "
                                   "depth maps, mattes and thumbnails still go")
    add_json(sanitize_cmd)
    sanitize_cmd.set_defaults(handler=sanitize)


def _collect_reporting_links(paths: list[Path], args: argparse.Namespace) -> list[Source]:
    from intake.takein.sources import collect_sources

    collected = collect_sources(paths)
    if not quiet(args):
        for link in collected.skipped_links:
            sys.stderr.write(f"intake: skipped symbolic link {printable(str(link))}\n")
    return collected.sources


def inspect(args: argparse.Namespace) -> int:
    from intake.takein.sources import inspect_source

    sources = _collect_reporting_links(args.paths, args)
    results = [(source, inspect_source(source)) for source in sources]
    if args.json:
        dump_json({"files": [{"path": s.name, **i.to_dict()} for s, i in results]})
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
    from intake.text import removed_summary

    sources = _collect_reporting_links(args.paths, args)
    if args.output is not None:
        sources = _outside(sources, args.output)
        targets = _output_paths(sources, args.output)
    else:
        targets = _beside_paths(sources)
    results = _clean_all(sources, targets, with_hash=args.json, keep_hdr=args.keep_hdr)
    for folder in {target.parent for target in targets if target.exists()}:
        fsync_dir(folder)
    if args.json:
        dump_json({"files": results})
    else:
        for result in results:
            if result["status"] == "cleaned":
                print(f"cleaned  {printable(result['path'])} -> {printable(result['output'])}"
                      f"  (removed: {removed_summary(result['removed'])})"
                      + "".join(f"\n         kept: {printable(text)}" for text in result.get("kept", ())))
            else:
                print(f"refused  {printable(result['path'])}: {printable(result['reason'])}")
    return 1 if any(r["status"] != "cleaned" for r in results) else 0


def _outside(sources: list[Source], folder: Path) -> list[Source]:
    """An output folder inside an input folder is not input: cleaning it again would nest copies."""
    output = resolved(folder)
    kept = [source for source in sources if not resolved(source.path).is_relative_to(output)]
    if not kept:
        raise IntakeError(f"nothing to do: every file given is inside the output folder {folder}")
    return kept


def _output_paths(sources: list[Source], folder: Path) -> list[Path]:
    """Decide every target first: nothing is overwritten, nothing half-done."""
    targets = [folder / source.relative for source in sources]
    for target in targets:
        if not resolved(target).is_relative_to(resolved(folder)):
            raise IntakeError(f"{target} would fall outside {folder}; refused")
    _refuse_taken(sources, targets, "choose an empty -o folder")
    return targets


def _beside_paths(sources: list[Source]) -> list[Path]:
    targets = [source.path.with_name(f"{source.path.stem}{CLEANED_MARK}{source.path.suffix}") for source in sources]
    _refuse_taken(sources, targets, "move it away or give -o DIR")
    return targets


def _refuse_taken(sources: list[Source], targets: list[Path], advice: str) -> None:
    inputs = {resolved(source.path) for source in sources}
    for target in targets:
        if target.exists() or resolved(target) in inputs:
            raise IntakeError(f"{target} already exists; {advice}")
    if len(set(targets)) != len(targets):
        raise IntakeError("two inputs would be written to the same output name; clean them separately")


def _clean_all(sources: list[Source], targets: list[Path], with_hash: bool, keep_hdr: bool = False) -> list[dict]:
    """Files are independent: budgeted workers (intake/budget.py), one per core, each clean one
    file at a time straight into a nameless file in its output folder and hand it over; here
    each batch is synced once, then named. Results in input order."""
    from intake.budget import BudgetedPool, configured_time_limit

    limits = [configured_time_limit(source.size) for source in sources]
    _import_handlers(sources)
    work = functools.partial(_clean_into, with_hash=with_hash, keep_hdr=keep_hdr)
    pool = BudgetedPool(work, list(zip(sources, targets)), min(len(sources), os.cpu_count() or 1))
    results: list[dict] = [{}] * len(sources)
    written: list[NewFile] = []
    try:
        with contextlib.closing(pool.run(limits)) as outcomes:  # its workers stopped at once on an error
            for done in outcomes:
                results[done.index] = _outcome(sources[done.index], targets[done.index], done, written)
                if len(written) >= NAMED_PER_SYNC:
                    _name_all(written)
        _name_all(written)
    finally:
        for output in written:  # not named: a refusal elsewhere stopped the command
            output.discard()
    return results


def _import_handlers(sources: list[Source]) -> None:
    """The format modules these files need, imported once before the workers fork (not once in
    each, and not every format: a folder of JPEGs does not load pikepdf)."""
    import importlib

    from intake.formats import handler_for
    from intake.support.sniff import sniff_handle

    importlib.import_module("intake.clean")
    for source in sources:
        try:
            with open_regular(source.path, "the file") as handle:
                handler_for(sniff_handle(handle))
        except (OSError, IntakeError):
            pass  # its worker reports it


def _outcome(source: Source, target: Path, done: Done, written: list[NewFile]) -> dict:
    if done.error is not None:
        if not isinstance(done.error, Refused):
            raise done.error
        remove_partials(target)
        return {"path": source.name, "output": None, "status": "refused", "reason": str(done.error)}
    result: dict = done.report  # type: ignore[assignment]
    if done.fds:
        written.append(NewFile.adopt(target, done.fds[0], result.pop("partial")))
        start_writeback(written[-1].handle)  # the disk works while the workers clean the next files
    return result


def _name_all(written: list[NewFile]) -> None:
    sync_open_files([output.handle for output in written])
    while written:
        written.pop(0).commit(synced=True)


def _clean_into(job: tuple[Source, Path], with_hash: bool = False, keep_hdr: bool = False) -> tuple[dict, list[int]]:
    """In a worker: the clean copy written nameless beside its target, checked, and handed over
    (the descriptor goes to the parent, which names it once synced)."""
    from intake.clean import clean_file

    source, target = job
    result: dict = {"path": source.name, "output": None, "status": "refused", "reason": None}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise IntakeError(f"cannot write {target} ({error.strerror})") from error
    output = NewFile(target)
    try:
        with open_regular(source.path, "the file") as original:
            cleaned = clean_file(original, output.handle, keep_hdr=keep_hdr)
        if with_hash:
            output.handle.seek(0)
            result["sha256"] = hashlib.file_digest(output.handle, "sha256").hexdigest()
    except Refused as refusal:
        output.discard()
        result["reason"] = str(refusal)
        return result, []
    except BaseException:
        output.discard()
        raise
    fd, partial = output.hand_over()
    result.update(output=str(target), status="cleaned", media_type=cleaned.media_type, removed=cleaned.removed(),
                  size=cleaned.size, partial=partial)
    if cleaned.kept:
        result["kept"] = list(cleaned.kept)
    return result, [fd]
