"""`intake add` against the tools a user would otherwise chain: time and peak memory.

    .venv/bin/python bench/bench_add.py [--size-mb 300] [--runs 3]

intake reads the file once and does three jobs in that pass (SHA-256,
SHA-512, age sealing); the baseline is sha256sum, sha512sum and age run one
after the other on the same file. Each command runs in its own wrapper
process so its peak RSS is measured alone. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "assert r.returncode == 0, r.returncode\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, env=env, check=True)
    seconds, kib = out.stdout.split()
    return float(seconds), int(kib) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    missing = [t for t in ("sha256sum", "sha512sum", "age") if shutil.which(t) is None]
    if missing:
        print(f"bench: missing {', '.join(missing)} (apt-get install coreutils age)", file=sys.stderr)
        return 2
    intake = str(Path(sys.executable).with_name("intake"))
    work = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    env = {**os.environ, "INTAKE_PASSPHRASE": "benchmark passphrase"}
    try:
        return run(args, work, env, intake)
    finally:
        shutil.rmtree(work)


def run(args: argparse.Namespace, work: Path, env: dict[str, str], intake: str) -> int:
    big = work / "big.bin"
    with open(big, "wb") as handle:
        for _ in range(args.size_mb):
            handle.write(os.urandom(1 << 20))
    vault = work / "vault"
    subprocess.run([intake, "--vault", str(vault), "init"], env=env, check=True, capture_output=True)
    identity = work / "id.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True).stdout.strip()
    # The unlock (scrypt) is a fixed cost; measure it so the per-file cost can be read apart.
    unlock = [measure([intake, "--vault", str(vault), "keys", "list"], env) for _ in range(args.runs)]
    intake_runs = [measure([intake, "--vault", str(vault), "add", str(big)], env) for _ in range(args.runs)]
    baseline = []
    for _ in range(args.runs):
        parts = [measure(cmd, env) for cmd in (["sha256sum", str(big)], ["sha512sum", str(big)],
                                               ["age", "-r", recipient, "-o", str(work / "out.age"), str(big)])]
        baseline.append((sum(p[0] for p in parts), max(p[1] for p in parts)))
    report(args, unlock, intake_runs, baseline)
    return 0


def report(args, unlock, intake_runs, baseline) -> None:
    med = lambda runs, i: statistics.median(r[i] for r in runs)  # noqa: E731
    print(f"file: {args.size_mb} MiB of random bytes, median of {args.runs} runs\n")
    print("| command | seconds | peak RSS (MiB) |")
    print("|---|---|---|")
    print(f"| intake add (hash ×2 + seal, one pass, includes unlock) | {med(intake_runs, 0):.2f} | {med(intake_runs, 1):.0f} |")
    print(f"| intake unlock alone (`keys list`, scrypt) | {med(unlock, 0):.2f} | {med(unlock, 1):.0f} |")
    print(f"| sha256sum + sha512sum + age -r, one after another | {med(baseline, 0):.2f} | {med(baseline, 1):.0f} |")
    print(f"\nratio intake add / baseline (time): {med(intake_runs, 0) / med(baseline, 0):.2f}")
    print(f"ratio intake add minus unlock / baseline (time): {(med(intake_runs, 0) - med(unlock, 0)) / med(baseline, 0):.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
