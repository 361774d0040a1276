"""Where `intake export --all` spends its time: wall and CPU of each phase, median of fresh copies.

    .venv/bin/python bench/bench_export_phases.py VAULT [--runs 3] [--code SRC]
    .venv/bin/python bench/bench_export_phases.py VAULT --audit [--runs 7] [--code SRC]

VAULT is a vault holding clean copies (as `bench_bundles.py` or `intake add`
makes one). Every copy is made before the first run (ext4 makes files slowly
just after thousands were deleted, so nothing is deleted before the end), then
each run exports its own copy in a new process, `python -m intake` from /tmp
with PYTHONPATH=SRC (default: this tree; compile it first, as
bench_versions.py says). In that process the phases are timed by wrapping
these functions:

- `unlock`: the Argon2id unlock of the vault's key (`Vault.unlock`);
- `audit`: the ledger audit and opening of every entry (`Custody.open`);
  `CPU, workers` is what the forked workers used;
- `statements`: statements, signatures and proofs (`export._bundle_files`);
- `bag files`: every file of the bag written and checked (`bagit._write_contents`);
- `exported entries`: the `exported` entry appended (`Ledger.append_all`);
- `sync`: a folder bag's files made durable (`_FolderSink.make_durable`, one `syncfs`);
- `rename`: the bag renamed into place and its folder synced (`_FolderSink.commit`);
- `whole`: from the first phase to the end of `main`; start-up (imports)
  is the process's wall time less this.

Prints one Markdown row per phase: median wall, median CPU of this process,
median CPU of its workers.

`--audit` times only the audit, as export calls it (`Custody.open`, every entry
opened, `exported` ones not checked in full, each other one disclosed as the
statements need it, where the code does that), and then the statements built
from what it opened (`build_statement` for every clean copy), `--runs` times in
one process on VAULT itself (it reads the vault and changes nothing): median and
fastest wall, median CPU of the process and of its workers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PASSPHRASE = "benchmark passphrase"
HERE = Path(__file__).resolve().parent.parent
# (label, module, attribute path) of each function timed in the child.
PHASES = [
    ("unlock", "intake.vault", "Vault.unlock"),
    ("audit", "intake.custody", "Custody.open"),
    ("statements", "intake.bundle.export", "_bundle_files"),
    ("bag files", "intake.bundle.bagit", "_write_contents"),
    ("exported entries", "intake.ledger.append", "Ledger.append_all"),
    ("sync", "intake.bundle.bagit", "_FolderSink.make_durable"),
    ("rename", "intake.bundle.bagit", "_FolderSink.commit"),
]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wrap(label: str, module_name: str, attribute: str, record: dict[str, list[float]]) -> None:
    import importlib

    owner = importlib.import_module(module_name)
    *owners, name = attribute.split(".")
    for part in owners:
        owner = getattr(owner, part)
    original = getattr(owner, name)

    def timed(*args: object, **kwargs: object) -> object:
        wall, cpu, workers = time.perf_counter(), time.process_time(), _children_cpu()
        try:
            return original(*args, **kwargs)
        finally:
            record[label] = [time.perf_counter() - wall, time.process_time() - cpu, _children_cpu() - workers]

    setattr(owner, name, timed)


def child(argv: list[str], report: Path) -> int:
    """In the timed process: wrap the phases, run the CLI, write the timings as JSON."""
    record: dict[str, list[float]] = {}
    for label, module_name, attribute in PHASES:
        _wrap(label, module_name, attribute, record)
    from intake.cli import main

    start, cpu, workers = time.perf_counter(), time.process_time(), _children_cpu()
    try:
        code = main(argv)
    finally:
        record["whole"] = [time.perf_counter() - start, time.process_time() - cpu, _children_cpu() - workers]
        report.write_text(json.dumps(record), encoding="utf-8")
    return code


def audit_child(vault: Path, runs: int) -> int:
    """In the timed process: the audit as export calls it, then the statements built from what it
    opened, `runs` times."""
    from intake.bundle.statement import DisclosureOptions, build_statement, public_fields
    from intake.vault import Vault

    opened = Vault.open(vault)
    keyring = opened.unlock(PASSPHRASE)
    shown, fingerprint = DisclosureOptions(), keyring.public.fingerprint_hex
    audits: list[list[float]] = []
    statements: list[list[float]] = []
    for _ in range(runs):
        with opened.ledger() as ledger:
            taken, custody = _timed(lambda: _open_as_export(opened, keyring, ledger,
                                                            lambda entry: public_fields(entry, shown)))
        audits.append(taken)
        statements.append(_timed(lambda: [build_statement(clean, f"data/{clean.item}", opened.config.origin,
                                                          fingerprint, shown) for clean in custody.clean_items()])[0])
    median = statistics.median
    print(f"{vault}, {runs} runs, load average {os.getloadavg()[0]:.1f}:")
    for label, times in (("audit", audits), ("statements", statements)):
        print(f"  {label}: wall {median(t[0] for t in times):.3f} s (fastest {min(t[0] for t in times):.3f} s), "
              f"CPU of this process {median(t[1] for t in times):.3f} s, of its workers {median(t[2] for t in times):.3f} s")
    return 0


def _timed(work: Callable[[], Any]) -> tuple[list[float], Any]:
    """Wall, CPU of this process and CPU of its workers while `work` ran, and what it gave."""
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    result = work()
    return [time.perf_counter() - wall, time.process_time() - cpu, _children_cpu() - children], result


def _open_as_export(vault: Any, keyring: Any, ledger: Any, disclose: Callable[[Any], Any]) -> Any:
    """Custody.open as export calls it. Code from before the audit made the disclosures (the
    eighth round) is called without them, as its export did."""
    from intake.custody import Custody

    try:
        return Custody.open(vault, keyring, ledger, every_entry=False, disclose=disclose)
    except TypeError:
        return Custody.open(vault, keyring, ledger, every_entry=False)


def run(vault: Path, bundle: Path, code: Path, report: Path) -> dict[str, list[float]]:
    env = {**os.environ, "INTAKE_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(code), "LC_ALL": "C"}
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(report), "--vault", str(vault),
               "export", "--all", "-o", str(bundle)]
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd="/tmp", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"bench: export failed: {result.stderr.strip()[-400:]}")
    timings: dict[str, list[float]] = json.loads(report.read_text(encoding="utf-8"))
    timings["process"] = [elapsed, 0.0, 0.0]
    return timings


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        return child(sys.argv[3:], Path(sys.argv[2]))
    if len(sys.argv) > 3 and sys.argv[1] == "--audit-child":
        return audit_child(Path(sys.argv[2]), int(sys.argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", type=Path, default=HERE, help="source tree holding the intake package")
    parser.add_argument("--audit", action="store_true", help="time only the audit, in one process")
    args = parser.parse_args()
    if args.audit:
        env = {**os.environ, "PYTHONPATH": str(args.code.resolve()), "LC_ALL": "C"}
        return subprocess.run([sys.executable, str(Path(__file__).resolve()), "--audit-child", str(args.vault.resolve()),
                               str(args.runs)], env=env, cwd="/tmp").returncode
    work = Path(tempfile.mkdtemp(prefix="export-phases-"))
    try:
        copies = [work / f"vault-{run_number}" for run_number in range(args.runs)]
        for copy in copies:
            shutil.copytree(args.vault, copy, symlinks=True)
        subprocess.run(["sync"], check=True)
        runs = [run(copy, work / f"bundle-{n}", args.code.resolve(), work / f"timings-{n}.json")
                for n, copy in enumerate(copies)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"{args.runs} runs of `export --all` on copies of {args.vault}, load average {load:.1f} after\n")
    print("| phase | wall s (median) | CPU s, this process | CPU s, workers |\n|---|---|---|---|")
    for label in [label for label, _, _ in PHASES] + ["whole", "process"]:
        values = [timings[label] for timings in runs if label in timings]
        if values:
            wall, cpu, workers = (statistics.median(v[i] for v in values) for i in range(3))
            shown = "—" if label == "process" else f"{cpu:.2f}"
            print(f"| {label} | {wall:.2f} | {shown} | {'—' if label == 'process' else f'{workers:.2f}'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
