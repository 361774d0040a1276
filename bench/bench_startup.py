"""Start-up: import time of `intake --help`, `intake inspect one.jpg` and of what `add` imports, from `python -X importtime`.

    .venv/bin/python bench/bench_startup.py [--runs 7]

The import time counted is that of every module imported after the interpreter
started (the top-level entries of -X importtime, less those `python -c pass`
imports too), median of the runs; wall time of the whole command beside it.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image


# What `intake add` has imported by the time it opens the vault and takes files in (the command's
# own module imports these inside its function): a stand-in for the command, which needs a vault.
ADD_IMPORTS = ("import intake.cli.vault, intake.takein, intake.takein.sources, intake.takein.duplicates, "
               "intake.vault, intake.keys.keystore, intake.keys.passphrase")


def top_level_imports(arguments: list[str]) -> dict[str, float]:
    """Milliseconds per top-level import (each includes what it imports)."""
    result = subprocess.run([sys.executable, "-X", "importtime", *arguments], capture_output=True, text=True)
    found = {}
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if name.startswith(" ") and not name.startswith("  ") and cumulative.strip().isdigit():
                found[name.strip()] = int(cumulative) / 1000
    return found


def import_ms(arguments: list[str], interpreter: set[str]) -> float:
    return sum(ms for name, ms in top_level_imports(arguments).items() if name not in interpreter)


def wall_s(arguments: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *arguments], capture_output=True, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        photo = Path(folder) / "one.jpg"
        out = io.BytesIO()
        image = Image.effect_noise((640, 480), 64).convert("RGB")
        exif = image.getexif()
        exif[0x010F], exif[0x0110], exif[0x013B] = "BenchMake", "BenchModel", "Photographer"
        image.save(out, "JPEG", exif=exif.tobytes())  # EXIF, as a photo has: exifread loads too
        photo.write_bytes(out.getvalue())
        interpreter = set(top_level_imports(["-c", "pass"]))
        commands = {"intake --help": ["-m", "intake", "--help"],
                    "intake inspect one.jpg": ["-m", "intake", "inspect", str(photo)],
                    "what `add` imports before it works": ["-c", ADD_IMPORTS]}
        print(f"median of {args.runs} runs\n\n| command | import time (ms) | wall time (s) |\n|---|---|---|")
        for label, arguments in commands.items():
            imports = statistics.median(import_ms(arguments, interpreter) for _ in range(args.runs))
            wall = statistics.median(wall_s(arguments) for _ in range(args.runs))
            print(f"| {label} | {imports:.0f} | {wall:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
