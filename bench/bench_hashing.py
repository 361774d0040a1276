"""Streaming hashing against a plain hashlib loop, on one core.

    .venv/bin/python bench/bench_hashing.py [--size-mb 256] [--runs 7]

Both read the same file (in the page cache after a first read) in 1 MiB
chunks and compute SHA-256 and SHA-512: the plain loop with
`f.read(CHUNK)` and two `update` calls, intake with `digest_stream` (the
reader behind `add`, `receive` and bundle hashing). Runs alternate; the
medians and the throughput ratio (intake / plain) are printed as Markdown.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from pathlib import Path

from intake.support.hashing import CHUNK, digest_stream


def plain(path: Path) -> tuple[str, str]:
    sha256, sha512 = hashlib.sha256(), hashlib.sha512()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha256.update(chunk)
            sha512.update(chunk)
    return sha256.hexdigest(), sha512.hexdigest()


def ours(path: Path) -> tuple[str, str]:
    with open(path, "rb") as handle:
        digests = digest_stream(handle)
    return digests.sha256, digests.sha512


def timed(work, path: Path) -> float:
    started = time.perf_counter()
    work(path)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the goal says
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data"
        with open(path, "wb") as handle:
            for _ in range(args.size_mb):
                handle.write(os.urandom(1 << 20))
        assert plain(path) == ours(path)
        times: dict[str, list[float]] = {"plain": [], "intake": []}
        for _ in range(args.runs):
            times["plain"].append(timed(plain, path))
            times["intake"].append(timed(ours, path))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.size_mb} MiB, SHA-256 + SHA-512, one core, median of {args.runs} runs\n")
    print("| reader | seconds | MiB/s |\n|---|---|---|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds:.3f} | {args.size_mb / seconds:.0f} |")
    print(f"\nintake / plain (throughput): {medians['plain'] / medians['intake']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
