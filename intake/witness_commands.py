"""The witness commands: run a witness (init, trust-log, serve) and configure a desk's (add, list,
remove, quorum), plus `ledger vkey`, the key a desk gives to its witnesses."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from types import FrameType

from intake.commands import _open, _unlock
from intake.display import printable
from intake.errors import IntakeError, NoteError
from intake.ledger.note import Verifier
from intake.vault import Vault
from intake.witness.client import ConfiguredWitness
from intake.witness.cosignature import CosignerKey
from intake.witness.desk import required, with_quorum, with_witness, without_witness
from intake.witness.home import create_witness, open_witness
from intake.witness.server import Witness, make_server
from intake.keys.keystore import Keyring, SealingPolicy


def ledger_vkey(args: argparse.Namespace) -> int:
    print(_open(args).verifier.vkey())
    return 0


def witness_init(args: argparse.Namespace) -> int:
    home = create_witness(args.state, args.name)
    print(f"created witness {home.cosigner.name} in {args.state}")
    print("give this key to the desks and verifiers that rely on you:")
    print(home.cosigner.key.vkey())
    return 0


def witness_trust_log(args: argparse.Namespace) -> int:
    try:
        log = Verifier.from_vkey(args.vkey.strip())
    except NoteError as error:
        raise IntakeError(f"that is not a ledger key from `intake ledger vkey` ({error})") from None
    home = open_witness(args.state)
    if not home.state.trust_log(log):
        current = home.state.log_key(log.name)
        if current != log:
            raise IntakeError(f"this witness already trusts another key for {log.name!r}")
    print(f"witnessing ledger {log.name}")
    return 0


class _Stopping(Exception):
    pass


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopping


def witness_serve(args: argparse.Namespace) -> int:
    home = open_witness(args.state)
    host, port = _listen(args.listen)
    try:
        server = make_server(Witness(home), host, port, _log_line)
    except OSError as error:
        raise IntakeError(f"cannot listen on {args.listen} ({error.strerror})") from None
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    bound_host, bound_port = server.server_address[:2]
    _log_line(f"witness {home.cosigner.name} listening on http://{bound_host}:{bound_port}")
    try:
        server.serve_forever()
    except _Stopping:
        pass
    finally:
        server.server_close()
    _log_line("witness stopped")
    return 0


def _log_line(text: str) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sys.stderr.write(printable(f"{stamp} {text}") + "\n")
    sys.stderr.flush()


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise IntakeError("--listen takes HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free port)")
    return host, int(port)


def _change_policy(args: argparse.Namespace, change: Callable[[SealingPolicy], SealingPolicy]) -> Keyring:
    """Re-read the policy under the vault lock, change it, sign and seal it again."""
    vault: Vault = _open(args)
    keyring = _unlock(args, vault)
    with vault.locked():
        current = Keyring(keyring.secret, vault.unlock_policy(keyring.secret))
        return vault.save_policy(current, change(current.policy))


def witness_add(args: argparse.Namespace) -> int:
    witness = ConfiguredWitness(args.name, CosignerKey.from_vkey(args.vkey), args.url)
    keyring = _change_policy(args, lambda policy: with_witness(policy, witness))
    print(f"added witness {args.name} ({witness.key.name}) at {args.url}")
    _print_quorum(keyring.policy)
    return 0


def witness_remove(args: argparse.Namespace) -> int:
    keyring = _change_policy(args, lambda policy: without_witness(policy, args.name))
    print(f"removed witness {args.name}")
    _print_quorum(keyring.policy)
    return 0


def witness_quorum(args: argparse.Namespace) -> int:
    keyring = _change_policy(args, lambda policy: with_quorum(policy, args.quorum))
    _print_quorum(keyring.policy)
    return 0


def _print_quorum(policy: SealingPolicy) -> None:
    if policy.witnesses:
        print(f"exports need {required(policy)} of {len(policy.witnesses)} witness cosignature(s)")
    else:
        print("no witnesses: exports are not witnessed")


def witness_list(args: argparse.Namespace) -> int:
    vault = _open(args)
    policy = _unlock(args, vault).policy
    if args.json:
        json.dump({"quorum": required(policy) if policy.witnesses else 0,
                   "witnesses": [w.to_dict() for w in policy.witnesses]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for witness in policy.witnesses:
        print(printable(f"{witness.name}  {witness.url}  {witness.key.vkey()}"))
    _print_quorum(policy)
    return 0
