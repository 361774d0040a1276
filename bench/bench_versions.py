"""Two versions of intake side by side on the same vaults: `add` on a big vault against an empty one,
and `export --all` against `cp -r` + `sha256sum`.

    .venv/bin/python bench/bench_versions.py add BIG EMPTY [--runs 5] [--code NAME=SRC ...]
    .venv/bin/python bench/bench_versions.py export VAULT CLEAN [--runs 3] [--code NAME=SRC ...]

Each `--code NAME=SRC` names a source tree holding the `intake` package (for
main: `git archive main intake | tar x -C SRC`); the default is this tree
alone. Every command runs as `python -m intake` from /tmp with PYTHONPATH=SRC,
under `/usr/bin/time`, versions in turn within each round, so both see the
same load; it prints wall and CPU (user + sys) medians and the peak RSS.
Compile each tree first (`python -m compileall -q SRC/intake`): with
PYTHONDONTWRITEBYTECODE set and no `.pyc`, every start compiles every module.

`add` adds a new 64-byte file to BIG and then to EMPTY in each round (the
first add of each version to each vault is printed apart: a vault made before
`partial/` searches `blobs/` once). `export` copies VAULT once per version
and round (before any is timed: ext4 makes files slowly just after thousands
were deleted), exports each copy, runs `intake keys list` (the unlock alone)
with the same code, and `cp -r CLEAN` + `sha256sum` of the copy, where CLEAN
is a folder of the same clean copies (a bundle's data/). Nothing is deleted
before the end.
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
from pathlib import Path

PASSPHRASE = "benchmark passphrase"
HERE = Path(__file__).resolve().parent.parent


def timed(command: list[str], code: Path | None) -> tuple[float, float, float]:
    """Wall s, CPU s (user + sys, children included) and peak RSS MiB of one command."""
    env = {**os.environ, "INTAKE_PASSPHRASE": PASSPHRASE, "LC_ALL": "C"}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    result = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", *command], env=env, cwd="/tmp",
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command[:6])} failed: {result.stderr.strip()[-400:]}")
    wall, user, system, kb = result.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(kb) / 1024


def intake(*args: str) -> list[str]:
    """`python -m intake`: the package comes from PYTHONPATH (the source tree timed)."""
    return [sys.executable, "-m", "intake", *args]


def summary(samples: list[tuple[float, float, float]]) -> str:
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    return f"{wall:.2f} s ({cpu:.2f} s CPU), {max(s[2] for s in samples):.0f} MiB"


def bench_add(big: Path, empty: Path, runs: int, codes: dict[str, Path], work: Path) -> None:
    def add(vault: Path, code: Path) -> tuple[float, float, float]:
        tiny = work / f"tiny-{secrets.token_hex(8)}.txt"
        tiny.write_bytes(secrets.token_bytes(64))
        return timed(intake("--vault", str(vault), "add", str(tiny)), code)

    for name, code in codes.items():
        print(f"- first add, {name}: big {summary([add(big, code)])}; empty {summary([add(empty, code)])}")
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for _ in range(runs):
        for name, code in codes.items():
            for label, vault in (("big", big), ("empty", empty)):
                results.setdefault((name, label), []).append(add(vault, code))
    print(f"\n| code | empty vault, median of {runs} | big vault | wall ratio | CPU ratio |\n|---|---|---|---|---|")
    for name in codes:
        big_runs, empty_runs = results[(name, "big")], results[(name, "empty")]
        wall = statistics.median(s[0] for s in big_runs) / statistics.median(s[0] for s in empty_runs)
        cpu = statistics.median(s[1] for s in big_runs) / statistics.median(s[1] for s in empty_runs)
        print(f"| {name} | {summary(empty_runs)} | {summary(big_runs)} | {wall:.2f}× | {cpu:.2f}× |")


def bench_export(vault: Path, clean: Path, runs: int, codes: dict[str, Path], work: Path) -> None:
    for run in range(runs):
        for name in codes:
            shutil.copytree(vault, work / f"vault-{name}-{run}")
    os.sync()
    results: dict[str, list[tuple[float, float, float]]] = {}
    for run in range(runs):
        for name, code in codes.items():
            copy = str(work / f"vault-{name}-{run}")
            results.setdefault(f"export {name}", []).append(
                timed(intake("--vault", copy, "export", "--all", "-o", str(work / f"out-{name}-{run}")), code))
            results.setdefault(f"unlock {name}", []).append(timed(intake("--vault", copy, "keys", "list"), code))
        target = work / f"cp-{run}"
        results.setdefault("cp", []).append(timed(["sh", "-c", f"mkdir '{target}' && cp -r '{clean}' '{target}/data' && "
                                                   f"cd '{target}' && sha256sum data/* > manifest-sha256.txt"], None))
    base = statistics.median(s[0] for s in results["cp"])
    base_cpu = statistics.median(s[1] for s in results["cp"])
    print(f"\n| code | export, median of {runs} | unlock alone | cp -r + sha256sum | ratio (wall) | "
          "without the unlock | ratio (CPU) |\n|---|---|---|---|---|---|---|")
    for name in codes:
        ours, unlock = results[f"export {name}"], results[f"unlock {name}"]
        wall, unlock_wall = statistics.median(s[0] for s in ours), statistics.median(s[0] for s in unlock)
        cpu = statistics.median(s[1] for s in ours)
        print(f"| {name} | {summary(ours)} | {summary(unlock)} | {summary(results['cp'])} | {wall / base:.1f}× | "
              f"{(wall - unlock_wall) / base:.1f}× | {cpu / base_cpu:.1f}× |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("add", "export"))
    parser.add_argument("vault", type=Path, help="add: the big vault; export: the vault to export")
    parser.add_argument("other", type=Path, help="add: the empty vault; export: the clean copies, for cp -r")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--code", action="append", default=[], metavar="NAME=SRC",
                        help="a source tree holding the intake package (default: this one)")
    args = parser.parse_args()
    codes = {}
    for given in args.code or [f"this tree={HERE}"]:
        name, _, source = given.partition("=")
        if not (Path(source) / "intake" / "__init__.py").is_file():
            print(f"bench: {source} holds no intake package", file=sys.stderr)
            return 2
        codes[name] = Path(source).resolve()
    work = Path(tempfile.mkdtemp(prefix="intake-bench-versions-"))
    try:
        print(f"load average {os.getloadavg()[0]:.1f} before")
        (bench_add if args.what == "add" else bench_export)(args.vault.resolve(), args.other.resolve(), args.runs,
                                                            codes, work)
        print(f"\nload average {os.getloadavg()[0]:.1f} after")
    finally:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
