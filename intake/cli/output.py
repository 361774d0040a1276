"""What every command group prints the same way: JSON, progress, identities, checks and verdicts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from intake.support.progress import FileProgress, Progress
from intake.text import printable
from intake.errors import Check

if TYPE_CHECKING:
    from intake.keys.identity import PublicIdentity


def quiet(args: argparse.Namespace) -> bool:
    return getattr(args, "verbosity", 0) < 0


def verbose(args: argparse.Namespace) -> bool:
    return getattr(args, "verbosity", 0) > 0


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def dump_json(document: dict) -> None:
    # ASCII only: names and values from files may hold terminal control codes.
    json.dump(document, sys.stdout, ensure_ascii=True, indent=2)
    sys.stdout.write("\n")


def say(args: argparse.Namespace, text: str) -> None:
    """An explanatory line: left out with -q and in --json mode (stdout then holds one JSON document)."""
    if not quiet(args) and not wants_json(args):
        print(printable(text))


@dataclass
class _ProgressLine:
    """One updating `\\r` line on stderr, rewritten only when the percentage changes."""

    shown: dict[str, int] = field(default_factory=dict)

    def show(self, label: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if self.shown.get(label) == percent:
            return
        self.shown[label] = percent
        end = "\n" if percent >= 100 else ""
        sys.stderr.write(f"\r  {printable(label)[-60:]}  {percent:3d}%{end}")
        sys.stderr.flush()


def _shows_progress(args: argparse.Namespace) -> bool:
    return sys.stderr.isatty() and not quiet(args)


def progress(args: argparse.Namespace, label: str) -> Progress | None:
    """Progress of one long step (exporting, sealing...), or None off a terminal or with -q."""
    if not _shows_progress(args):
        return None
    line = _ProgressLine()
    return lambda done, total: line.show(label, done, total)


def file_progress(args: argparse.Namespace, verb: str) -> FileProgress | None:
    """Progress per file (`sealing NAME  42%`), or None off a terminal or with -q."""
    if not _shows_progress(args):
        return None
    line = _ProgressLine()
    return lambda name, done, total: line.show(f"{verb} {name}", done, total)


def describe_identity(identity: PublicIdentity, label: str) -> list[str]:
    from intake.text import grouped_hex

    return [
        f"{label}  {printable(identity.name)}",
        f"  fingerprint  {grouped_hex(identity.fingerprint_hex)}",
        f"  words        {identity.words}",
    ]


def identity_to_dict(identity: PublicIdentity) -> dict:
    return {"name": identity.name, "fingerprint": identity.fingerprint_hex, "words": identity.words,
            "ed25519": identity.signing_key.hex(), "age": identity.age_recipient}


def print_checks(args: argparse.Namespace, checks: Iterable[Check]) -> None:
    """Failures first, so the reason is the first thing read; the checks that hold after them
    (left out with -q)."""
    listed = list(checks)
    for check in listed:
        if not check.ok:
            print(printable(f"FAIL  {check.what}: {check.reason or 'failed'}"))
    if quiet(args):
        return
    for check in listed:
        if check.ok:
            print(printable(f"ok    {check.what}"))


def print_verdict(text: str) -> None:
    """The last line of a check: one sentence saying whether it holds."""
    print(printable(text))
