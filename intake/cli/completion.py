"""`completion SHELL`: a completion script generated from the parser itself (shtab), so it never
lags behind the commands."""

from __future__ import annotations

import argparse
import sys

from intake.cli.parser import Subcommands, command

SHELLS = ("bash", "zsh", "fish")
INSTALL = {
    "bash": "intake completion bash > ~/.local/share/bash-completion/completions/intake",
    "zsh": "intake completion zsh > ~/.zfunc/_intake  (with fpath+=~/.zfunc before compinit)",
    "fish": "intake completion fish > ~/.config/fish/completions/intake.fish",
}


def register(sub: Subcommands) -> None:
    p = command(sub, "completion", "print a shell completion script (bash, zsh, fish)",
                "Print a completion script for SHELL on stdout. " + " ".join(f"{shell}: {how}." for shell, how in INSTALL.items()))
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help=" or ".join(SHELLS))
    p.set_defaults(handler=print_completion)


def print_completion(args: argparse.Namespace) -> int:
    import shtab  # only here: every other command starts without it

    sys.stdout.write(shtab.complete(args.parser_root, shell=args.shell))
    return 0
