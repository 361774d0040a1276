"""Peak memory of `ledger verify`'s audit alone, after the unlock, and CPU per entry in one worker.

    .venv/bin/python bench/verify_memory.py VAULT [--chunks 3]

The unlock's Argon2id peaks at about 100 MiB, above the audit of a ledger of
100,000 entries, so /usr/bin/time's peak says nothing of the audit there. This
resets the process's peak (VmHWM, through /proc/self/clear_refs) once the vault
is unlocked, runs the audit the command runs (`verify_ledger`, passphrase
"benchmark passphrase" as bench_ledger.py grows it) and prints its peak, the
workers' peak, and the CPU an entry costs in one worker (the first chunks opened
here, one after the other). Linux only.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from intake.custody import verify_ledger
from intake.ledger.opening import ChunkOpener, Opening
from intake.vault import Vault

PASSPHRASE = "benchmark passphrase"


def peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault", type=Path)
    parser.add_argument("--chunks", type=int, default=3, help="chunks opened one by one for the CPU per entry")
    args = parser.parse_args()
    vault = Vault.open(args.vault)
    keyring = vault.unlock(PASSPHRASE)
    Path("/proc/self/clear_refs").write_text("5")  # the peak from here on
    started, cpu = time.perf_counter(), time.process_time()
    report = verify_ledger(vault, keyring)
    print(f"verified: {report.ok} {report.failure or ''}")
    print(f"audit: {time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu:.1f} s CPU here, "
          f"peak {peak_kib() / 1024:.1f} MiB here, {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f}"
          " MiB in a worker")
    with vault.ledger() as ledger:
        opener = ChunkOpener.of(ledger.store, keyring, Opening(vault.blobs, False, True))
        assert opener is not None
        cpu = time.process_time()
        opened = sum(len(opener(number).links) for number in range(min(args.chunks, opener.chunks)))
        opener.close()
    print(f"one worker: {(time.process_time() - cpu) / max(1, opened) * 1e6:.0f} µs of CPU per entry ({opened} entries)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
