"""`keys`: this vault's identity, the editors it seals to, and the GPG key that co-signs exports."""

from __future__ import annotations


import argparse
import os
import sys
from pathlib import Path

from intake.cli.output import describe_identity, dump_json, identity_to_dict, wants_json
from intake.cli.parser import Subcommands, actions, add_json, command
from intake.cli.session import open_vault, unlock
from intake.text import printable
from intake.errors import IntakeError



def register(sub: Subcommands) -> None:
    keys = command(sub, "keys", "show, export and manage identities and recipients")
    chosen = actions(keys, "keys_command")
    show = command(chosen, "show", "fingerprints of this vault's identity, as hex and as words")
    add_json(show)
    show.set_defaults(handler=show_identity)
    export = command(chosen, "export", "write this vault's public identity to a file to give to others")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    export.set_defaults(handler=export_identity)
    add = command(chosen, "add-recipient", "seal everything from now on also to an editor's public identity",
                  "Everything this vault seals from now on (files, clean copies, custody entries) also opens with "
                  "the editor's key. What is sealed to them stays readable by them: removing them later stops "
                  "only what is sealed after, and a submission already handed over cannot be un-sealed.")
    add.add_argument("file", type=Path, metavar="FILE", help="the editor's public identity file")
    add.add_argument("--yes", action="store_true", help="do not ask to confirm the fingerprint words")
    add.set_defaults(handler=add_recipient_command)
    remove = command(chosen, "remove-recipient", "seal nothing more to a recipient from now on",
                     "Stop sealing to this recipient. What was already sealed to them (and any submission handed "
                     "over) stays readable by them: sealing cannot be undone. A write-only vault keeps at least "
                     "one recipient.")
    remove.add_argument("recipient", metavar="WORDS|HEX|FILE",
                        help="the recipient's 12 fingerprint words (quoted), hex fingerprint, or .pub file")
    remove.set_defaults(handler=remove_recipient_command)
    listing = command(chosen, "list", "this vault's identity and the recipients it seals to")
    add_json(listing)
    listing.set_defaults(handler=list_keys)
    gpg = command(chosen, "use-gpg", "link an existing GPG key: exports also carry OpenPGP signatures",
                  "Link a GPG secret key (from $GNUPGHOME or ~/.gnupg) by its full fingerprint. Bundles "
                  "exported afterwards also carry X.asc detached signatures and the OpenPGP public key.")
    gpg.add_argument("fingerprint", metavar="FINGERPRINT", help="the key's full 40-hex fingerprint (spaces allowed)")
    gpg.set_defaults(handler=use_gpg)


def show_identity(args: argparse.Namespace) -> int:
    vault = open_vault(args)
    keyring = unlock(args, vault)
    public = keyring.public
    if wants_json(args):
        dump_json({**identity_to_dict(public), "ledger": vault.config.origin, "write_only": not keyring.can_open_sealed})
        return 0
    lines = describe_identity(public, "identity")
    lines.append(f"  ed25519      {public.signing_key.hex()}")
    lines.append(f"  age          {public.age_recipient}")
    lines.append(f"  ledger       {vault.config.origin}")
    mode = "normal (seals to itself and its recipients)" if keyring.can_open_sealed else (
        "write-only (seals to its recipients only; cannot open what it takes in)")
    lines.append(f"  vault mode   {mode}")
    print("\n".join(lines))
    return 0


def export_identity(args: argparse.Namespace) -> int:
    vault = open_vault(args)
    keyring = unlock(args, vault)
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


def add_recipient_command(args: argparse.Namespace) -> int:
    from intake.recipients import add_recipient, check_not_self, read_identity_file

    recipient = read_identity_file(args.file)
    identity = recipient.identity
    vault = open_vault(args)
    keyring = unlock(args, vault)
    check_not_self(keyring, identity)
    print("\n".join(describe_identity(identity, "recipient")))
    print("adding means: everything sealed from now on also opens with this key, and what is sealed to it "
          "cannot be un-sealed later")
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


def remove_recipient_command(args: argparse.Namespace) -> int:
    from intake.keys.pinning import parse_pin
    from intake.recipients import find_recipient, remove_recipient

    pin = parse_pin(args.recipient)
    vault = open_vault(args)
    keyring = unlock(args, vault)
    identity = find_recipient(keyring, pin.matches)
    removed = remove_recipient(vault, keyring, identity.fingerprint)
    print("\n".join(describe_identity(removed.removed, "removed recipient")))
    print("nothing sealed from now on opens with their key; what was sealed to them before still does")
    return 0


def list_keys(args: argparse.Namespace) -> int:
    vault = open_vault(args)
    keyring = unlock(args, vault)
    if wants_json(args):
        dump_json({"identity": identity_to_dict(keyring.public), "seals_to_self": keyring.can_open_sealed,
                   "recipients": [identity_to_dict(r) for r in keyring.policy.recipients]})
        return 0
    lines = describe_identity(keyring.public, "identity (self)" if keyring.can_open_sealed else
                              "identity (not a recipient)")
    for recipient in keyring.policy.recipients:
        lines.extend(describe_identity(recipient, "recipient"))
    if not keyring.policy.recipients:
        lines.append("no other recipients: only this vault can open what it seals")
    print("\n".join(lines))
    return 0


def use_gpg(args: argparse.Namespace) -> int:
    from intake.recipients import link_gpg_key

    vault = open_vault(args)
    keyring = unlock(args, vault)
    linked = link_gpg_key(vault, keyring, args.fingerprint)
    uid = printable(linked.user_id) if linked.user_id else "(no user id)"
    print(f"linked OpenPGP key {linked.fingerprint} {uid}")
    print("exports now also carry OpenPGP detached signatures (.asc) and this public key")
    return 0
