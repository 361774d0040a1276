"""`inspect` and `sanitize`: files on their own, no vault."""

from __future__ import annotations

from typing import TYPE_CHECKING

import argparse
import concurrent.futures
import functools
import hashlib
import multiprocessing
import os
import sys
from collections.abc import Callable
from pathlib import Path

from intake.cli.output import dump_json, quiet
from intake.cli.parser import Subcommands, add_json, command
from intake.text import printable
from intake.errors import IntakeError, Refused
from intake.support.fsutil import NewFile, fsync_dir, open_regular, resolved

if TYPE_CHECKING:
    from intake.clean import Inspection
    from intake.takein.sources import Source

CLEANED_MARK = ".cleaned"  # `photo.jpg` -> `photo.cleaned.jpg` beside it, as mat2 names its output


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
    work = functools.partial(_sanitize_one, with_hash=args.json, keep_hdr=args.keep_hdr)
    results = _map_files(work, sources, targets)
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


def _map_files(work: Callable[[Source, Path], dict], sources: list[Source], targets: list[Path]) -> list[dict]:
    """Files are independent: clean them on every core, results in input order."""
    from intake.formats import supported_media_types

    workers = min(len(sources), os.cpu_count() or 1)
    if workers < 2:
        return [work(source, target) for source, target in zip(sources, targets)]
    supported_media_types()  # import every format module once, before the workers fork
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(work, sources, targets))


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


def _sanitize_one(source: Source, target: Path, with_hash: bool = False, keep_hdr: bool = False) -> dict:
    """Cleaned by stream into the target, written nameless and linked in only when every check passed."""
    from intake.clean import clean_file_within

    result: dict = {"path": source.name, "output": None, "status": "refused", "reason": None}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise IntakeError(f"cannot write {target} ({error.strerror})") from error
    output = NewFile(target)
    try:
        with open_regular(source.path, "the file") as original:
            cleaned = clean_file_within(original, output.handle, keep_hdr=keep_hdr)
        if with_hash:
            output.handle.seek(0)
            result["sha256"] = hashlib.file_digest(output.handle, "sha256").hexdigest()
    except Refused as refusal:
        output.discard()
        result["reason"] = str(refusal)
        return result
    except BaseException:
        output.discard()
        raise
    output.commit()
    result.update(output=str(target), status="cleaned", media_type=cleaned.media_type, removed=cleaned.removed(),
                  size=cleaned.size)
    if cleaned.kept:
        result["kept"] = list(cleaned.kept)
    return result
