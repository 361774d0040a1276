"""The ledger at scale: `intake add` of a tiny file and `intake ledger verify`, on a big ledger vs an empty one.

    .venv/bin/python bench/bench_ledger.py [--entries 100000] [--runs 3] [--keep DIR]

The big ledger is grown through the real append path (Ledger.append_all:
each entry signed, sealed with age, its stored tree hashes and a signed
checkpoint), in batches, with entries shaped like `received` ones. Then the
real command runs in its own process, so its peak RSS is measured alone.
Prints a Markdown table: time and peak memory at N entries, at 0, and the ratio.
`--keep DIR` keeps the grown vaults in DIR and reuses them when run again
(growing 100,000 entries takes many minutes).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_add import measure  # noqa: E402

from intake.support.hashing import digest_bytes  # noqa: E402
from intake.ledger.entries import Draft  # noqa: E402
from intake.keys.seal import seal  # noqa: E402
from intake.vault import create_vault  # noqa: E402

PASSPHRASE = "benchmark passphrase"
BATCH = 500


def received_draft(blobs: Path, recipients: list[str]) -> Draft:
    """A `received` entry whose sealed original (64 random bytes) is really in blobs/: `ledger verify`
    with the passphrase opens every one."""
    original = secrets.token_bytes(64)
    blob = f"{secrets.token_hex(16)}.age"
    (blobs / blob).write_bytes(seal(original, recipients))
    return Draft("received", f"itm_{secrets.token_hex(8)}", outputs=({
        "role": "original", "name": f"IMG_{secrets.randbelow(9999):04d}.JPG", "media_type": "image/jpeg",
        **digest_bytes(original).to_dict(), "blob": blob,
    },))


def grow(vault_dir: Path, entries: int) -> None:
    vault = create_vault(vault_dir, "bench", PASSPHRASE)
    keyring = vault.unlock(PASSPHRASE)
    recipients = list(keyring.seal_recipients())
    started = time.perf_counter()
    with vault.locked(), vault.ledger() as ledger:
        for done in range(0, entries, BATCH):
            ledger.append_all([received_draft(vault.blobs, recipients) for _ in range(min(BATCH, entries - done))],
                              keyring)
    print(f"grew a ledger of {entries} entries in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def median(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    results = [measure(command, env) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the grown vaults here, and reuse them")
    args = parser.parse_args()
    intake = str(Path(sys.executable).with_name("intake"))
    work = args.keep or Path(tempfile.mkdtemp(prefix="intake-bench-ledger-"))
    env = {**os.environ, "INTAKE_PASSPHRASE": PASSPHRASE}
    try:
        work.mkdir(parents=True, exist_ok=True)
        big, empty = work / f"big-{args.entries}", work / "empty"
        if not big.exists():
            grow(big, args.entries)
        if not empty.exists():
            create_vault(empty, "bench", PASSPHRASE)
        tiny = work / "tiny.txt"
        rows = []
        for label, command in (
            ("add a tiny file", lambda v: [intake, "--vault", str(v), "add", str(tiny)]),
            ("ledger verify, no passphrase", lambda v: [intake, "--vault", str(v), "ledger", "verify"]),
            ("ledger verify, with passphrase", lambda v: [intake, "--vault", str(v), "ledger", "verify"]),
        ):
            quiet = {k: v for k, v in env.items() if k != "INTAKE_PASSPHRASE"} if "no passphrase" in label else env
            timings = []
            for vault in (big, empty):
                tiny.write_bytes(secrets.token_bytes(64))  # a new file each time: `add` warns on repeats
                timings.append(median(command(vault), quiet, args.runs))
            (t_big, m_big), (t_empty, m_empty) = timings
            rows.append(f"| {label} | {t_big:.2f} s, {m_big:.0f} MiB | {t_empty:.2f} s, {m_empty:.0f} MiB | "
                        f"{t_big / t_empty:.2f}× |")
        print(f"| {args.entries} entries vs empty | at {args.entries} | at 0 | ratio |")
        print("|---|---|---|---|")
        print("\n".join(rows))
    finally:
        if args.keep is None:
            shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
