"""The `tsa` commands: the time-stamping authorities an export asks (kept in the sealing policy)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from intake.commands import _open, _unlock
from intake.display import printable
from intake.timestamp.authorities import add_tsa, ca_certificate, check_tsa_url, describe_ca, read_tsa_ca, remove_tsa
from intake.timestamp.stamps import StampOutcome, outcome_lines


def tsa_add(args: argparse.Namespace) -> int:
    url = check_tsa_url(args.url)
    ca_pem = read_tsa_ca(args.certfile)  # checked before the passphrase is asked
    vault = _open(args)
    keyring = add_tsa(vault, _unlock(args, vault), url, ca_pem)
    print(printable(f"every export now asks {url} to time-stamp its checkpoint"))
    print(printable(f"  its tokens must chain to {describe_ca(ca_certificate(keyring.policy.timestamp_authorities[-1]))}"))
    print("the TSA learns the checkpoint's hash and this machine's address at each export (docs/threat-model.md)")
    return 0


def tsa_list(args: argparse.Namespace) -> int:
    vault = _open(args)
    authorities = _unlock(args, vault).policy.timestamp_authorities
    if not authorities:
        print("no time-stamping authority: exports carry no trusted time (add one with `intake tsa add URL CERTFILE`)")
    for tsa in authorities:
        print(printable(tsa.url))
        print(printable(f"  CA: {describe_ca(ca_certificate(tsa))}"))
    return 0


def tsa_remove(args: argparse.Namespace) -> int:
    vault = _open(args)
    remove_tsa(vault, _unlock(args, vault), args.url)
    print(printable(f"exports no longer ask {args.url}"))
    return 0


def print_export_timestamps(outcomes: Sequence[StampOutcome]) -> None:
    for line in outcome_lines(outcomes):
        print(printable(line))
