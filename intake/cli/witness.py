"""`witness`: run a witness (init, trust-log, serve) and configure a desk's (add, list, remove, quorum)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import argparse
import signal
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType

from intake.cli.output import dump_json
from intake.cli.parser import Subcommands, actions, add_json, command
from intake.cli.session import open_vault, unlock
from intake.text import printable
from intake.errors import IntakeError, NoteError

if TYPE_CHECKING:
    from intake.keys.keystore import SealingPolicy


def register(sub: Subcommands) -> None:
    witness = command(sub, "witness", "run a witness, or choose the witnesses that cosign this desk's exports",
                      "A witness (C2SP tlog-witness) cosigns a ledger's checkpoint only if it extends the one it "
                      "cosigned before, so two forks of one ledger cannot both be witnessed. init, trust-log and "
                      "serve run a witness (no vault); add, list, remove and quorum configure this desk's.")
    chosen = actions(witness, "witness_command")
    init = command(chosen, "init", "create a witness: a key and an empty state in DIR")
    init.add_argument("--state", type=Path, required=True, metavar="DIR")
    init.add_argument("--name", default="witness", help="the witness's key name, e.g. witness.example.org/w1")
    init.set_defaults(handler=witness_init)
    trust = command(chosen, "trust-log", "cosign a desk's ledger from now on (its `intake ledger vkey`)")
    trust.add_argument("--state", type=Path, required=True, metavar="DIR")
    trust.add_argument("vkey", metavar="VKEY")
    trust.set_defaults(handler=witness_trust_log)
    serve = command(chosen, "serve", "answer add-checkpoint requests over HTTP until SIGINT or SIGTERM",
                    "Serve POST /add-checkpoint (c2sp.org/tlog-witness) on HOST:PORT, one log line per request "
                    "on stderr, without the client's address.")
    serve.add_argument("--state", type=Path, required=True, metavar="DIR")
    serve.add_argument("--listen", required=True, metavar="HOST:PORT")
    serve.set_defaults(handler=witness_serve)
    add = command(chosen, "add", "send this desk's exported checkpoints to a witness")
    add.add_argument("name", metavar="NAME", help="a local name for the witness")
    add.add_argument("vkey", metavar="VKEY", help="the witness's key (from `intake witness init`)")
    add.add_argument("url", metavar="URL", help="its submission prefix, e.g. http://witness.example:8080")
    add.set_defaults(handler=witness_add)
    listing = command(chosen, "list", "this desk's witnesses and quorum")
    add_json(listing)
    listing.set_defaults(handler=witness_list)
    remove = command(chosen, "remove", "stop sending checkpoints to a witness")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=witness_remove)
    quorum = command(chosen, "quorum", "how many cosignatures an export needs to count as witnessed")
    quorum.add_argument("quorum", type=int, metavar="K")
    quorum.set_defaults(handler=witness_quorum)


def witness_init(args: argparse.Namespace) -> int:
    from intake.witness.home import create_witness

    home = create_witness(args.state, args.name)
    print(f"created witness {home.cosigner.name} in {args.state}")
    print("give this key to the desks and verifiers that rely on you:")
    print(home.cosigner.key.vkey())
    return 0


def witness_trust_log(args: argparse.Namespace) -> int:
    from intake.ledger.note import Verifier
    from intake.witness.home import open_witness

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
    from intake.witness.home import open_witness
    from intake.witness.server import Witness, make_server

    home = open_witness(args.state)
    host, port = _listen(args.listen)
    try:
        server = make_server(Witness(home), host, port, _log_line)
    except OSError as error:  # socket.gaierror too: a name that does not resolve
        raise IntakeError(f"cannot listen on {args.listen} ({error.strerror})") from None
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    bound_host, bound_port = server.server_address[:2]
    shown_host = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    _log_line(f"witness {home.cosigner.name} listening on http://{shown_host}:{bound_port}")
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
    if host.startswith("[") and host.endswith("]"):  # an IPv6 address, as in a URL: [::1]:8080
        host = host[1:-1]
    if not host or not port.isdigit() or int(port) > 65535:
        raise IntakeError("--listen takes HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080 (port 0: any free port)")
    return host, int(port)


def witness_add(args: argparse.Namespace) -> int:
    from intake.witness.configured import ConfiguredWitness
    from intake.witness.cosignature import CosignerKey
    from intake.witness.desk import with_witness

    witness = ConfiguredWitness(args.name, CosignerKey.from_vkey(args.vkey), args.url)
    vault = open_vault(args)
    keyring = vault.change_policy(unlock(args, vault), lambda policy: with_witness(policy, witness))
    print(f"added witness {args.name} ({witness.key.name}) at {args.url}")
    _print_quorum(keyring.policy)
    return 0


def witness_remove(args: argparse.Namespace) -> int:
    from intake.witness.desk import without_witness

    vault = open_vault(args)
    keyring = vault.change_policy(unlock(args, vault), lambda policy: without_witness(policy, args.name))
    print(f"removed witness {args.name}")
    _print_quorum(keyring.policy)
    return 0


def witness_quorum(args: argparse.Namespace) -> int:
    from intake.witness.desk import with_quorum

    vault = open_vault(args)
    keyring = vault.change_policy(unlock(args, vault), lambda policy: with_quorum(policy, args.quorum))
    _print_quorum(keyring.policy)
    return 0


def _print_quorum(policy: SealingPolicy) -> None:
    from intake.witness.desk import required

    if policy.witnesses:
        print(f"exports need {required(policy)} of {len(policy.witnesses)} witness cosignature(s)")
    else:
        print("no witnesses: exports are not witnessed")


def witness_list(args: argparse.Namespace) -> int:
    from intake.witness.desk import required

    vault = open_vault(args)
    policy = unlock(args, vault).policy
    if args.json:
        dump_json({"quorum": required(policy) if policy.witnesses else 0,
                   "witnesses": [w.to_dict() for w in policy.witnesses]})
        return 0
    for witness in policy.witnesses:
        print(printable(f"{witness.name}  {witness.url}  {witness.key.vkey()}"))
    _print_quorum(policy)
    return 0
