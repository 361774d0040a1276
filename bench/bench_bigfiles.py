"""Peak memory and time of `intake` on big files (issue 12): one PDF, TIFF and PNG of --mb MiB each.

    .venv/bin/python bench/bench_bigfiles.py [--mb 1024] [--formats pdf,tif,png,docx,odt]

In a scratch folder under /tmp (removed at the end) it writes each file piece
by piece (tests/big_files.py: an author, a place and a time planted in the
metadata; docx and odt: a document of 8 MiB noise photos, deflated as Word and
LibreOffice store them, the first with an author and a GPS fix), then runs, each in its own wrapper process so the peak RSS is the
OS's figure for that command and every process under it (ru_maxrss of the
children, as /usr/bin/time -v reports it):

- `intake sanitize FILE -o DIR`   next to   `exiftool -all= -o OUT FILE`;
- `intake add FILE` into a fresh vault (seal the original, clean by stream, seal the copy);
- `intake export --all -o DIR` of that vault;
- `intake submit --all --to EDITOR` and `intake receive` into an editor vault,
  next to `age -d | tar x` of a tar of the same files the submission carries
  (the original and its clean copy) sealed with age, and next to the same
  followed by `sha256sum` and `sha512sum` of what it wrote: receive must hash
  every file with both (issue 12: "≤ 2× age -d | tar x plus the hashing it
  must do").

Default --mb is 64 for a quick run; the figures in docs/performance.md are
from --mb 1024. Prints a Markdown table. Needs exiftool, age and tar.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from big_files import png_size_for, tiff_size_for, write_docx, write_odt, write_pdf, write_png, write_tiff  # noqa: E402
from bench_bundles import PASSPHRASE, Sample, measure, q, run_cli, shell  # noqa: E402

PDF_IMAGE_MB = 16

WRITERS: dict[str, Callable[[Path, int], None]] = {
    "pdf": lambda path, mb: write_pdf(path, pages=max(1, mb // PDF_IMAGE_MB), image_mb=PDF_IMAGE_MB, level=0),
    "tif": lambda path, mb: write_tiff(path, *tiff_size_for(mb)),
    "png": lambda path, mb: write_png(path, *png_size_for(mb), level=0),
    "docx": lambda path, mb: write_docx(path, mb, deflated=True),
    "odt": lambda path, mb: write_odt(path, mb, deflated=True),
}

# exiftool reads these but cannot write them ("Can't write DOCX files"): no peer for sanitize.
NOT_WRITTEN_BY_EXIFTOOL = frozenset({"docx", "odt"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=64, help="size of each file in MiB (1024 for the documented run)")
    parser.add_argument("--formats", default="pdf,tif,png")
    args = parser.parse_args()
    for tool in ("exiftool", "age", "age-keygen", "tar", "sh"):
        if shutil.which(tool) is None:
            print(f"bench: {tool} is missing (apt-get install libimage-exiftool-perl age tar)", file=sys.stderr)
            return 2
    intake = str(Path(sys.executable).with_name("intake"))
    # Memory and time are measured, not the time-limit policy: a loaded machine must not refuse the file.
    env = {"INTAKE_TIME_LIMIT": "3600", **os.environ, "INTAKE_PASSPHRASE": PASSPHRASE, "LC_ALL": "C"}
    work = Path(tempfile.mkdtemp(prefix="intake-bench-big-"))
    try:
        print("| file | command | seconds | peak RSS (MiB) | peer | seconds | peak RSS (MiB) |")
        print("|---|---|---|---|---|---|---|")
        for kind in args.formats.split(","):
            for row in bench_one(work / kind, kind, args.mb, intake, env):
                print(row, flush=True)
            shutil.rmtree(work / kind)  # a few GiB per format at --mb 1024
    finally:
        shutil.rmtree(work)
    return 0


def bench_one(work: Path, kind: str, mb: int, intake: str, env: dict[str, str]) -> Iterator[str]:
    """The rows for one file, each as soon as it is measured."""
    work.mkdir()
    original = work / f"big.{kind}"
    started = time.perf_counter()
    WRITERS[kind](original, mb)
    size = f"{kind.upper()} {original.stat().st_size / (1 << 20):.0f} MiB"
    yield f"<!-- {size} written in {time.perf_counter() - started:.1f} s -->"
    field, editor = work / "field", work / "editor"
    run_cli(intake, field, "init", "--name", "field", env=env)
    run_cli(intake, editor, "init", "--name", "editor", env=env)
    run_cli(intake, editor, "keys", "export", "-o", str(work / "editor.pub"), env=env)
    sanitized = measure([intake, "sanitize", str(original), "-o", str(work / "clean")], env)
    if kind in NOT_WRITTEN_BY_EXIFTOOL:
        yield _row(size, "sanitize", sanitized)
    else:
        yield _row(size, "sanitize", sanitized, "exiftool -all=",
                   measure(["exiftool", "-q", "-all=", "-o", str(work / f"exiftool.{kind}"), str(original)], env))
    yield _row(size, "add", measure([intake, "--vault", str(field), "add", str(original)], env))
    yield _row(size, "export --all", measure([intake, "--vault", str(field), "export", "--all", "-o",
                                              str(work / "bundle")], env))
    submission = work / "submission.age"
    yield _row(size, "submit --all", measure([intake, "--vault", str(field), "submit", "--all", "--to",
                                              str(work / "editor.pub"), "-o", str(submission)], env))
    received = measure([intake, "--vault", str(editor), "receive", str(submission)], env)
    plain, hashed = _age_baseline(work, original.name, env)
    yield _row(size, "receive", received, "age -d \\| tar x", plain)
    yield _row(size, "receive", received, "age -d \\| tar x + sha256sum + sha512sum", hashed)


def _age_baseline(work: Path, original: str, env: dict[str, str]) -> tuple[Sample, Sample]:
    """The files a submission carries (the original and its clean copy), tarred and sealed with
    age, then opened the plain way; then the same, hashing what it wrote with both algorithms."""
    key = work / "age-key.txt"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(key)], check=True, capture_output=True, text=True).stdout.strip()
    sealed = work / "baseline.tar.age"
    subprocess.run(shell(f"tar cf - -C {q(work)} {q(original)} clean | age -r {q(recipient)} > {q(sealed)}"), check=True)
    samples = []
    for out, then in ((work / "untar", ""), (work / "untar-hashed", "; sha256sum -- {files} >/dev/null; sha512sum -- {files} >/dev/null")):
        out.mkdir()
        files = f"{q(out)}/{q(original)} {q(out)}/clean/*"
        samples.append(measure(shell(f"age -d -i {q(key)} {q(sealed)} | tar xf - -C {q(out)}" + then.format(files=files)), env))
        shutil.rmtree(out)
    return samples[0], samples[1]


def _row(size: str, command: str, ours: Sample, peer: str = "", theirs: Sample | None = None) -> str:
    peer_cells = f"{peer} | {theirs[0]:.1f} | {theirs[1]:.0f}" if theirs else "– | | "
    return f"| {size} | {command} | {ours[0]:.1f} | {ours[1]:.0f} | {peer_cells} |"


if __name__ == "__main__":
    sys.exit(main())
