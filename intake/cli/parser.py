"""The parser shared by every command group: one-line usage errors, no abbreviations, the common options."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from intake import __version__

DESCRIPTION = """\
Take in documents and photos as sealed evidence, remove identifying metadata
without changing their content (or refuse them), keep a signed append-only
custody ledger, and prove it has not been altered.

Passphrases are read from the terminal, from --passphrase-file FILE, or from
the INTAKE_PASSPHRASE environment variable; never from the command line.
Exit codes: 0 success, 1 a check failed, 2 usage error or unusable input.
"""

Subcommands = argparse._SubParsersAction
Handler = Callable[[argparse.Namespace], int]


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as the single line the command-line contract promises, and no abbreviated
    options: `--w` must not silently mean `--with-notes` and publish the notes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"intake: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def add_common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Options accepted before and after the command name; after it they must not reset what was
    given before, hence SUPPRESS as the sub-parsers' default."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument("--vault", type=Path, default=default(None), metavar="DIR",
                        help="the vault directory (default: $INTAKE_VAULT, else your user data folder)")
    parser.add_argument("--passphrase-file", type=Path, default=default(None), metavar="FILE",
                        help="read the passphrase from the first line of FILE (for scripts)")
    parser.add_argument("--debug", action="store_true", default=default(False),
                        help="show a traceback on unexpected errors")
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=-1, default=default(0),
                          help="print only results, failures and the verdict (no notes, no progress, no checks that hold)")
    loudness.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=1, default=default(0),
                          help="print more detail (whole hashes in `ledger show`)")


def command(sub: Subcommands, name: str, help_text: str, description: str | None = None) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=description or help_text)
    add_common(parser, suppress=True)
    return parser


def actions(parser: argparse.ArgumentParser, dest: str) -> Subcommands:
    return parser.add_subparsers(dest=dest, metavar="ACTION", required=True, parser_class=OneLineParser)


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output (docs/cli.md)")


def build_parser(groups: list[Callable[[Subcommands], None]]) -> OneLineParser:
    parser = OneLineParser(prog="intake", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"intake {__version__}")
    add_common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for register in groups:
        register(sub)
    return parser
