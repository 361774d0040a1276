"""The command line: `main` parses, runs one command, and is the one place an error becomes
one line (or, with --json, one JSON document) and an exit code. Each command group lives in
its own module: files, vault, keys, ledger, bundle, witness, tsa, completion."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from intake.cli import bundle, completion, files, keys, ledger, tsa, vault, witness
from intake.cli.output import dump_json, wants_json
from intake.cli.parser import OneLineParser, build_parser as _build
from intake.text import printable
from intake.errors import IntakeError
from intake.support.process import forbid_core_dumps

GROUPS = [vault.register, keys.register, files.register, ledger.register, bundle.register, tsa.register,
          witness.register, completion.register]


def build_parser() -> OneLineParser:
    parser = _build(GROUPS)
    parser.set_defaults(parser_root=parser)  # `completion` generates its script from the whole parser
    return parser


def quiet_libraries() -> None:
    """exifread and qpdf log their complaints about hostile files; the user
    gets our one-line verdict instead."""
    for name in ("exifread", "pikepdf", "pikepdf._core", "gnupg"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _on_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)
    forbid_core_dumps()
    quiet_libraries()
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None and _on_terminal():
        args.handler = vault.tui
    if getattr(args, "handler", None) is None:
        parser.print_usage(sys.stderr)
        sys.stderr.write("intake: error: a command is needed (see `intake --help`)\n")
        return 2
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        return args.handler(args)
    except IntakeError as error:
        return _fail(args, error.one_line(), error.exit_code)
    except BrokenPipeError:
        # The reader went away (`| head`): what it wanted, it got.
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt:
        return _fail(args, "interrupted; the vault holds only what was reported as done", 130)
    except Exception as error:  # the contract: no traceback reaches a user
        if args.debug:
            traceback.print_exc()
        return _fail(args, f"unexpected {type(error).__name__}; run again with --debug for details", 2)


def _fail(args: argparse.Namespace, message: str, exit_code: int) -> int:
    """The one error exit: a line on stderr, and with --json also a JSON document on stdout."""
    sys.stderr.write(f"intake: error: {printable(message)}\n")
    if wants_json(args):
        dump_json({"error": message, "exit_code": exit_code})
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
