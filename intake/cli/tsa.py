"""`tsa`: the time-stamping authorities an export asks (kept in the sealing policy)."""

from __future__ import annotations


import argparse
from pathlib import Path

from intake.cli.parser import Subcommands, actions, command
from intake.cli.session import open_vault, unlock
from intake.text import printable



def register(sub: Subcommands) -> None:
    tsa = command(sub, "tsa", "the time-stamping authorities (RFC 3161) that exports ask for trusted time")
    chosen = actions(tsa, "tsa_command")
    add = command(chosen, "add", "time-stamp every exported checkpoint with this TSA",
                  "Every export from now on sends the SHA-256 of its checkpoint to URL and puts the signed "
                  "time stamp in the bundle. CERTFILE is the TSA's CA certificate (PEM), from the TSA itself; "
                  "its tokens must chain to it. The TSA learns the hash and this machine's address.")
    add.add_argument("url", metavar="URL", help="the TSA's http:// or https:// address")
    add.add_argument("certfile", type=Path, metavar="CERTFILE", help="the TSA's CA certificate (PEM)")
    add.set_defaults(handler=tsa_add)
    listing = command(chosen, "list", "the TSAs exports ask, and the CA each must chain to")
    listing.set_defaults(handler=tsa_list)
    remove = command(chosen, "remove", "stop asking this TSA")
    remove.add_argument("url", metavar="URL")
    remove.set_defaults(handler=tsa_remove)


def tsa_add(args: argparse.Namespace) -> int:
    from intake.timestamp.authorities import add_tsa, ca_certificate, check_tsa_url, describe_ca, read_tsa_ca

    url = check_tsa_url(args.url)
    ca_pem = read_tsa_ca(args.certfile)  # checked before the passphrase is asked
    vault = open_vault(args)
    keyring = add_tsa(vault, unlock(args, vault), url, ca_pem)
    print(printable(f"every export now asks {url} to time-stamp its checkpoint"))
    print(printable(f"  its tokens must chain to {describe_ca(ca_certificate(keyring.policy.timestamp_authorities[-1]))}"))
    print("the TSA learns the checkpoint's hash and this machine's address at each export (docs/threat-model.md)")
    return 0


def tsa_list(args: argparse.Namespace) -> int:
    from intake.timestamp.authorities import ca_certificate, describe_ca

    vault = open_vault(args)
    authorities = unlock(args, vault).policy.timestamp_authorities
    if not authorities:
        print("no time-stamping authority: exports carry no trusted time (add one with `intake tsa add URL CERTFILE`)")
    for tsa in authorities:
        print(printable(tsa.url))
        print(printable(f"  CA: {describe_ca(ca_certificate(tsa))}"))
    return 0


def tsa_remove(args: argparse.Namespace) -> int:
    from intake.timestamp.authorities import remove_tsa

    vault = open_vault(args)
    remove_tsa(vault, unlock(args, vault), args.url)
    print(printable(f"exports no longer ask {args.url}"))
    return 0

