"""Longer fuzzing campaigns than the suite runs, one worker process per target at a time.

    nice .venv/bin/python tests/fuzz/run.py                    # every target, INTAKE_FUZZ_SECONDS (60) each
    nice .venv/bin/python tests/fuzz/run.py --seconds 300 pdf png --jobs 2

Each worker draws random mutations of the target's seeds (the same mutations the
suite's hypothesis tests draw) and checks the target's property on each input.
A new failure (by exception type and the line it was raised at) is minimised
and written to tests/fuzz/regressions/<target>/, where tests/fuzz/test_regressions.py
replays it from then on. A worker that the per-input time limit cannot stop
(stuck in C code) or that dies is stopped by its watchdog; the input it was on
is kept as a hang or a crash.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import traceback
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from mutations import random_mutations  # noqa: E402
from targets import TARGETS, TIME_LIMIT, Case, Context, FailedOpen, Target, build_input, run_case, run_input  # noqa: E402

REGRESSIONS = HERE / "regressions"
MINIMISE_SECONDS = 60.0


def signature(error: BaseException) -> str:
    """Where a failure comes from: its type and the deepest line of intake's own code (for
    FailedOpen, what the harness saw), so one bug is kept once."""
    if isinstance(error, FailedOpen):
        return f"FailedOpen {error}"  # raised by the harness: what leaked says more than where
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/intake/" in f.filename or "/keys/" in f.filename] or frames[-1:]
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return f"{name} at {where}"


def failure(context: Context, target: Target, run: "callable") -> str | None:
    try:
        run()
    except Exception as error:  # noqa: BLE001 - any escaping exception is a finding
        return signature(error)
    return None


def _minimise_case(context: Context, target: Target, case: Case, wanted: str) -> Case:
    mutations = list(case.mutations)
    index = 0
    while index < len(mutations) and len(mutations) > 1:
        shorter = Case(case.target, case.seed, tuple(mutations[:index] + mutations[index + 1:]), case.member)
        if failure(context, target, lambda: run_case(context, target, shorter)) == wanted:
            mutations = list(shorter.mutations)
        else:
            index += 1
    return Case(case.target, case.seed, tuple(mutations), case.member)


def _minimise_bytes(context: Context, target: Target, case: Case, wanted: str) -> bytes:
    """Remove ever smaller chunks while the input still fails the same way."""
    seed = context.seed(target, case.seed)
    data = build_input(target, seed, case)
    deadline, chunk = time.monotonic() + MINIMISE_SECONDS, max(len(data) // 2, 1)
    while chunk >= 1 and time.monotonic() < deadline:
        start, shrunk = 0, False
        while start < len(data) and time.monotonic() < deadline:
            candidate = data[:start] + data[start + chunk:]
            if failure(context, target, lambda: run_input(context, target, seed, candidate)) == wanted:
                data, shrunk = candidate, True
            else:
                start += chunk
        if not shrunk:
            chunk //= 2
    return data


def keep(context: Context, target: Target, case: Case, wanted: str) -> Path:
    """Minimise a finding and write it where the regression tests replay it."""
    case = _minimise_case(context, target, case, wanted)
    folder = REGRESSIONS / target.name
    folder.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha256(wanted.encode()).hexdigest()[:10]
    if target.kept_as == "bytes":
        data = _minimise_bytes(context, target, case, wanted)
        path = folder / f"{case.seed}-{tag}.bin"
        path.write_bytes(data)
    else:
        path = folder / f"{case.seed}-{tag}.json"
        path.write_text(json.dumps({**case.to_dict(), "found": wanted}, indent=1) + "\n")
    return path


def worker(name: str, seconds: float, seed: int, current: Path) -> None:
    """Fuzz one target; one JSON line on stdout per new finding and a summary line at the end."""
    warnings.simplefilter("ignore")
    target, context, rng = TARGETS[name], Context(), random.Random(seed)
    seeds, seen, runs = context.seeds_of(target), set(), 0
    known = {path.stem.rsplit("-", 1)[-1] for path in (REGRESSIONS / name).glob("*")}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        member = rng.randrange(64) if target.container and rng.random() < 0.6 else None
        case = Case(name, rng.choice(seeds).name, tuple(random_mutations(rng)), member)
        current.write_text(json.dumps(case.to_dict()))
        runs += 1
        found = failure(context, target, lambda: run_case(context, target, case))
        if found is None or found in seen:
            continue
        seen.add(found)
        tag = hashlib.sha256(found.encode()).hexdigest()[:10]
        path = None if tag in known else keep(context, target, case, found)
        print(json.dumps({"target": name, "found": found, "kept": str(path) if path else None}), flush=True)
    print(json.dumps({"target": name, "runs": runs, "findings": sorted(seen)}), flush=True)


def _watch(name: str, seconds: float, seed: int, scratch: Path) -> list[dict]:
    current = scratch / f"current-{name}-{seed}.json"
    command = [sys.executable, __file__, "--worker", name, "--seconds", str(seconds), "--seed", str(seed),
               "--current", str(current)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        output, _ = process.communicate(timeout=seconds + MINIMISE_SECONDS * 4 + TIME_LIMIT * 4 + 60)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        output, _ = process.communicate()
        return [*_lines(output), _stuck(name, current, "Hang (watchdog)")]
    lines = _lines(output)
    if process.returncode != 0:
        lines.append(_stuck(name, current, f"Crash (exit {process.returncode})"))
    return lines


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def _stuck(name: str, current: Path, what: str) -> dict:
    """A worker that had to be killed: its last input is kept as a case for the regressions."""
    case = json.loads(current.read_text())
    folder = REGRESSIONS / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{case['seed']}-{hashlib.sha256(current.read_bytes()).hexdigest()[:10]}.json"
    path.write_text(json.dumps({**case, "found": what}, indent=1) + "\n")
    return {"target": name, "found": what, "kept": str(path)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", help=f"any of: {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("INTAKE_FUZZ_SECONDS", 60)),
                        help="per target and job (default: INTAKE_FUZZ_SECONDS or 60)")
    parser.add_argument("--jobs", type=int, default=1, help="workers per target, each with its own random seed")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--current", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    base_seed = arguments.seed if arguments.seed is not None else random.randrange(1 << 30)
    if arguments.worker:
        worker(arguments.worker, arguments.seconds, base_seed, Path(arguments.current))
        return 0
    unknown = set(arguments.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    scratch = Context().scratch
    new = 0
    from concurrent.futures import ThreadPoolExecutor
    jobs = [(name, base_seed + job) for name in arguments.targets or list(TARGETS) for job in range(arguments.jobs)]
    with ThreadPoolExecutor(max_workers=arguments.jobs) as pool:
        for lines in pool.map(lambda job: _watch(job[0], arguments.seconds, job[1], scratch), jobs):
            for line in lines:
                print(json.dumps(line), flush=True)
                new += bool(line.get("kept"))
    print(f"fuzz: {new} new finding(s) kept under {REGRESSIONS} (seed {base_seed})")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
