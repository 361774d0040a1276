"""`intake export`, `verify`, `submit` and `receive` against the standard tools a user would otherwise chain.

    .venv/bin/python bench/bench_bundles.py [--photos 20] [--big 3] [--big-mb 64] [--small 0] [--small-kb KB]
        [--runs 3] [--gpg] [--only LABEL]

`--small N` adds N small photos (64x48 JPEGs with EXIF and GPS, a few KB
each; with `--small-kb KB`, noise photos sized to about KB each): the per-item
costs (ledger, proofs, statements, signatures). `--only` runs only the
comparisons whose label starts with LABEL (e.g. `export`).

    .venv/bin/python bench/bench_bundles.py --fit 50,100,200,400 [--small-kb KB] [--runs 3]

`--fit` measures only `export --all -o DIR` of small photos, at each item
count given, each count in a vault of its own, each run on a fresh copy of it
(an export appends an `exported` entry per item, which the next would audit),
beside `cp -r` + `sha256sum` of the same clean copies, and fits a fixed cost
and a cost per item to each by least squares (median of the runs at each count).

Builds throwaway vaults with the real CLI: a field vault that takes in
generated files with `intake add` (camera-sized JPEGs made with Pillow, plus
a few large PNGs of random pixels, so every file has a clean copy that can
leave the vault) and an editor vault. Then, side by side in each run:

- `intake export --all` (folder, then --zip)  vs  `cp -r` of the same clean
  copies + `sha256sum` over them (+ `zip -r`, or Python's zipfile with
  deflate when zip is missing);
- `intake verify BUNDLE` (folder, then zip)  vs  `sha256sum -c` of the bag's
  manifest (+ `gpg --verify` of every .asc, when the bundle holds any; after
  `unzip` for the zip);
- `intake submit --all`  vs  `tar c FILES | age -r RECIPIENT > out`;
- `intake receive` (into a fresh copy of the empty editor vault each run)
  vs  `age -d -i KEY out | tar x` into an empty folder, and vs the same
  followed by `sha256sum` and `sha512sum` of every file (receive hashes each
  with both).

Each command runs in its own wrapper process so its peak RSS is its own (for
a shell pipeline: the largest process in it). The passphrase goes through
INTAKE_PASSPHRASE, never argv. --gpg links a throwaway GPG key (in its own
GNUPGHOME) to the field vault, so bundles carry OpenPGP signatures and both
sides of verify check them. A row whose baseline tool is missing is skipped
with a note. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import io
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from bench_sanitize import _tags, base_exif  # the same camera-sized JPEGs with EXIF and GPS

WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "assert r.returncode == 0, r.returncode\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime)\n"
)
PASSPHRASE = "benchmark passphrase"
Sample = tuple[float, float]  # seconds, peak RSS in MiB


def measure(command: list[str], env: dict[str, str]) -> Sample:
    seconds, peak, _ = measure_cpu(command, env)
    return seconds, peak


def measure_cpu(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS in MiB, and CPU seconds (user + system) of the command and its children."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"bench: {shlex.join(command)[:200]} failed: {out.stderr.strip()[-400:]}")
    seconds, kib, cpu = out.stdout.split()
    return float(seconds), int(kib) / 1024, float(cpu)


def shell(script: str) -> list[str]:
    return ["sh", "-c", f"set -e; {script}"]


def q(path: Path | str) -> str:
    return shlex.quote(str(path))


# --- the throwaway vaults ----------------------------------------------------------


def make_big_pngs(folder: Path, count: int, size_mb: int) -> None:
    """Random pixels, stored uncompressed: large files that intake can still clean (an Author text chunk goes)."""
    width = 4096
    height = max(1, (size_mb << 20) // (width * 3))
    for i in range(count):
        info = PngInfo()
        info.add_text("Author", f"Bench Author {i}")
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
        image.save(folder / f"scan-{i:02}.png", compress_level=0, pnginfo=info)


def make_photos(folder: Path, count: int) -> None:
    """bench_sanitize's camera-sized noise photos (4000x3000, EXIF, GPS, a thumbnail, XMP, IPTC,
    written by one exiftool process), each with its number drawn into its pixels: export publishes
    identical clean copies once, and bench_sanitize's photos differ only in their metadata."""
    if count == 0:
        return
    image = Image.effect_noise((4000, 3000), 64).convert("RGB")
    thumb = folder.parent / "thumbnail.jpg"
    image.resize((160, 120)).save(thumb, "JPEG", quality=80)
    exif = base_exif(image, synthetic_note=True)
    arguments: list[str] = []
    for i in range(count):
        photo = folder / f"photo-{i:03}.jpg"
        _draw_number(image, i)
        image.save(photo, "JPEG", quality=90, exif=exif)
        arguments += _tags(i, thumb) + [str(photo), "-execute"]
    args_file = folder.parent / "exiftool.args"
    args_file.write_text("\n".join(arguments) + "\n")
    subprocess.run(["exiftool", "-@", str(args_file), "-common_args", "-q", "-q", "-overwrite_original"], check=True)


def _draw_number(image: Image.Image, number: int) -> None:
    """The number's 16 bits as black or white 8x8 blocks (a JPEG block each), row by row from the
    top left. A 64-pixel-wide photo holds 8 blocks a row: drawn in one row, bits 8-15 fell outside
    it and the 500 small photos were 256 distinct images (export published 256 items)."""
    per_row = image.width // 8
    for bit in range(16):
        shade = (255, 255, 255) if (number >> bit) & 1 else (0, 0, 0)
        left, top = 8 * (bit % per_row), 8 * (bit // per_row)
        image.paste(shade, (left, top, left + 8, top + 8))


def make_small_photos(folder: Path, count: int, kb: int | None = None) -> None:
    """Small but real items: a few KB each (64x48), or about `kb` KB each (noise sized to that), every
    one with identifying EXIF to clean, and pixels of its own (its number drawn into the top left
    blocks), so no two clean copies are the same file: export publishes identical clean copies once,
    which would leave one item to export."""
    base = Image.effect_noise(_small_size(kb), 64).convert("RGB")
    for i in range(count):
        photo = base.copy()
        _draw_number(photo, i)
        exif = photo.getexif()
        exif[0x010F], exif[0x0110], exif[0x013B] = "BenchMake", "BenchModel", f"Photographer {i}"
        photo.save(folder / f"small-{i:04}.jpg", "JPEG", quality=85, exif=exif.tobytes())


def _small_size(kb: int | None) -> tuple[int, int]:
    """64x48, or a 4:3 noise photo whose JPEG (quality 85) is about `kb` KB: the bytes per pixel of
    this noise at this quality, measured on one 256x192 sample."""
    if kb is None:
        return 64, 48
    sample = io.BytesIO()
    Image.effect_noise((256, 192), 64).convert("RGB").save(sample, "JPEG", quality=85)
    pixels = kb * 1024 / (len(sample.getvalue()) / (256 * 192))
    width = max(64, round((pixels * 4 / 3) ** 0.5))
    return width, max(48, width * 3 // 4)


def run_cli(intake: str, vault: Path, *args: str, env: dict[str, str]) -> str:
    result = subprocess.run([intake, "--vault", str(vault), *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"bench: intake {args[0]} failed: {result.stderr.strip()[-400:]}")
    return result.stdout


def link_gpg_key(work: Path, intake: str, field: Path, env: dict[str, str]) -> None:
    """A throwaway key without a passphrase, in its own GNUPGHOME, so export signs without asking."""
    home = work / "gnupg"
    home.mkdir(mode=0o700)
    env["GNUPGHOME"] = str(home)
    subprocess.run(["gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
                    "bench <bench@example.invalid>", "ed25519", "sign", "never"], env=env, check=True, capture_output=True)
    listing = subprocess.run(["gpg", "--batch", "--with-colons", "--list-secret-keys"], env=env, check=True,
                             capture_output=True, text=True).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    run_cli(intake, field, "keys", "use-gpg", fingerprint, env=env)


@dataclass(frozen=True)
class Setup:
    field: Path           # the sender's vault, holding every generated file and its clean copy
    editor: Path          # an empty editor vault, copied fresh for each receive
    editor_public: Path   # its exported public identity (`submit --to`)
    originals: Path       # the generated files
    clean: Path           # the clean copies, exactly as they are in a bundle's data/
    bundle: Path          # a folder bundle, for verify
    bundle_zip: Path      # a zip bundle, for verify
    submission: Path      # a submission sealed to the editor, for receive
    age_key: Path         # the baseline's age identity
    age_recipient: str
    age_tar: Path         # the baseline's tar | age file, for the receive baseline


def build(work: Path, args: argparse.Namespace, intake: str, env: dict[str, str]) -> Setup:
    originals = work / "originals"
    originals.mkdir()
    make_photos(originals, args.photos)
    make_big_pngs(originals, args.big, args.big_mb)
    make_small_photos(originals, args.small, args.small_kb)
    field, editor = work / "field", work / "editor"
    run_cli(intake, field, "init", "--name", "field", env=env)
    run_cli(intake, editor, "init", "--name", "editor", env=env)
    editor_public = work / "editor.pub"
    run_cli(intake, editor, "keys", "export", "-o", str(editor_public), env=env)
    if args.gpg:
        link_gpg_key(work, intake, field, env)
    run_cli(intake, field, "add", str(originals), env=env)
    bundle, bundle_zip, submission = work / "bundle", work / "bundle.zip", work / "submission.age"
    run_cli(intake, field, "export", "--all", "-o", str(bundle), env=env)
    run_cli(intake, field, "export", "--all", "--zip", "-o", str(bundle_zip), env=env)
    run_cli(intake, field, "submit", "--all", "--to", str(editor_public), "-o", str(submission), env=env)
    clean = work / "clean"
    shutil.copytree(bundle / "data", clean)
    age_key = work / "age-key.txt"
    subprocess.run(["age-keygen", "-o", str(age_key)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(age_key)], check=True, capture_output=True, text=True).stdout.strip()
    age_tar = work / "baseline.tar.age"
    subprocess.run(shell(f"tar cf - -C {q(work)} originals clean | age -r {q(recipient)} > {q(age_tar)}"), check=True)
    return Setup(field, editor, editor_public, originals, clean, bundle, bundle_zip, submission, age_key, recipient, age_tar)


# --- the comparisons -----------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    label: str
    intake: Callable[[int], list[str]]     # the command for run i
    baseline: Callable[[int], list[str]] | None  # None: intake alone, for reference
    baseline_label: str
    needs: tuple[str, ...] = ()            # tools the baseline needs
    unlocks: bool = True                   # intake pays the fixed Argon2id unlock first
    prepare: Callable[[int], None] | None = None  # untimed, before run i


def comparisons(s: Setup, work: Path, intake: str) -> list[Comparison]:
    zipper = ("zip -qr {out}.zip {out}" if shutil.which("zip") else
              f"{q(sys.executable)} -c 'import shutil, sys; shutil.make_archive(sys.argv[1], \"zip\", root_dir=\".\", base_dir=sys.argv[1])' {{out}}")
    unzipper = ("unzip -q {zip} -d {out}" if shutil.which("unzip") else f"{q(sys.executable)} -m zipfile -e {{zip}} {{out}}")
    gpg_check = gpg_verify_script(s.bundle)

    def copy_and_hash(i: int, zipped: bool) -> list[str]:
        out = f"cp-{i}"
        script = (f"cd {q(work)}; mkdir {out}; cp -r {q(s.clean)} {out}/data; "
                  f"(cd {out} && sha256sum data/* > manifest-sha256.txt)")
        return shell(script + ("; " + zipper.format(out=out) if zipped else ""))

    def fresh_editor(i: int) -> None:
        shutil.copytree(s.editor, work / f"editor-{i}")

    field = [intake, "--vault", str(s.field)]
    return [
        Comparison("unlock alone (keys list)", lambda i: [*field, "keys", "list"], None, "–"),
        Comparison("export --all -o DIR", lambda i: [*field, "export", "--all", "-o", str(work / f"export-{i}")],
                   lambda i: copy_and_hash(i, zipped=False), "cp -r + sha256sum", ("cp", "sha256sum")),
        Comparison("export --all --zip -o ZIP", lambda i: [*field, "export", "--all", "--zip", "-o", str(work / f"export-{i}.zip")],
                   lambda i: copy_and_hash(i, zipped=True), "cp -r + sha256sum + " + ("zip -r" if shutil.which("zip") else "Python zipfile (deflate)"),
                   ("cp", "sha256sum")),
        Comparison("verify DIR", lambda i: [intake, "verify", "--allow-unpinned", str(s.bundle)],
                   lambda i: shell(f"cd {q(s.bundle)}; sha256sum -c --quiet manifest-sha256.txt{gpg_check}"),
                   "sha256sum -c" + (" + gpg --verify" if gpg_check else ""), ("sha256sum",) + (("gpg",) if gpg_check else ()),
                   unlocks=False),
        Comparison("verify DIR (baseline checks both manifests)", lambda i: [intake, "verify", "--allow-unpinned", str(s.bundle)],
                   lambda i: shell(f"cd {q(s.bundle)}; sha256sum -c --quiet manifest-sha256.txt; "
                                   f"sha512sum -c --quiet manifest-sha512.txt{gpg_check}"),
                   "sha256sum -c + sha512sum -c" + (" + gpg --verify" if gpg_check else ""),
                   ("sha256sum", "sha512sum") + (("gpg",) if gpg_check else ()), unlocks=False),
        Comparison("verify ZIP", lambda i: [intake, "verify", "--allow-unpinned", str(s.bundle_zip)],
                   lambda i: shell(unzipper.format(zip=q(s.bundle_zip), out=q(work / f"unzip-{i}")) +
                                   f"; cd {q(work / f'unzip-{i}')}/*; sha256sum -c --quiet manifest-sha256.txt{gpg_check}"),
                   ("unzip" if shutil.which("unzip") else "Python zipfile -e") + " + sha256sum -c" + (" + gpg --verify" if gpg_check else ""),
                   ("sha256sum",) + (("gpg",) if gpg_check else ()), unlocks=False),
        Comparison("submit --all --to EDITOR -o FILE",
                   lambda i: [*field, "submit", "--all", "--to", str(s.editor_public), "-o", str(work / f"submit-{i}.age")],
                   lambda i: shell(f"tar cf - -C {q(work)} originals clean | age -r {q(s.age_recipient)} > {q(work / f'tar-{i}.age')}"),
                   "tar c \\| age -r", ("tar", "age")),
        Comparison("receive FILE (fresh editor vault)",
                   lambda i: [intake, "--vault", str(work / f"editor-{i}"), "receive", str(s.submission)],
                   lambda i: shell(f"mkdir {q(work / f'untar-{i}')}; age -d -i {q(s.age_key)} {q(s.age_tar)} | "
                                   f"tar xf - -C {q(work / f'untar-{i}')}"),
                   "age -d \\| tar x", ("tar", "age"), prepare=fresh_editor),
        Comparison("receive FILE (baseline hashes too)",
                   lambda i: [intake, "--vault", str(work / f"editor-{i}"), "receive", str(s.submission)],
                   lambda i: shell(f"mkdir {q(work / f'untar-{i}')}; age -d -i {q(s.age_key)} {q(s.age_tar)} | "
                                   f"tar xf - -C {q(work / f'untar-{i}')}; cd {q(work / f'untar-{i}')}; "
                                   "sha256sum originals/* clean/* >/dev/null; sha512sum originals/* clean/* >/dev/null"),
                   "age -d \\| tar x + sha256sum + sha512sum", ("tar", "age", "sha256sum", "sha512sum"),
                   prepare=fresh_editor),
    ]


def gpg_verify_script(bundle: Path) -> str:
    """`gpg --verify` of every .asc in a throwaway GNUPGHOME holding only the bundle's key; empty without .asc."""
    signatures = sorted(p.relative_to(bundle) for p in bundle.rglob("*.asc") if p.name != "custodian.asc")
    if not signatures:
        return ""
    checks = "; ".join(f"gpg --batch -q --verify {q(p)} {q(p.with_suffix(''))} 2>/dev/null" for p in signatures)
    return (f"; export GNUPGHOME=$(mktemp -d); gpg --batch -q --import provenance/custodian.asc 2>/dev/null; {checks}; "
            "gpgconf --kill gpg-agent; rm -rf \"$GNUPGHOME\"")


def remove_outputs(work: Path, run: int) -> None:
    """Untimed: each run writes into fresh names, and the big outputs go before the next command."""
    for path in work.iterdir():
        if path.name.split(".")[0].endswith(f"-{run}"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


# --- fixed and per-item costs of export -----------------------------------------------------


def fit_export(counts: list[int], runs: int, work: Path, intake: str, env: dict[str, str], kb: int | None) -> None:
    """Export N small items for each N, and fit seconds = fixed + N x per item, for intake and the
    baseline, in wall time and in CPU time (which a loaded machine disturbs less)."""
    rows = [_export_at(count, runs, work / f"fit-{count}", intake, env, kb) for count in counts]
    unlock = [measure_cpu([intake, "--vault", str(work / f"fit-{counts[0]}" / "field"), "keys", "list"], env)
              for _ in range(runs)]
    size = "64x48 JPEGs" if kb is None else "JPEGs of about {} KB".format(kb)
    print(f"`export --all -o DIR` of N small photos ({size} with EXIF), each run on a fresh copy of a vault "
          f"holding N items; median of {runs} runs; CPU = user + system\n")
    print("| N | items exported | intake wall s | CPU s | peak MiB | cp -r + sha256sum wall s | CPU s | ratio (wall) |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row.count} | {row.exported} | {row.ours[0]:.2f} | {row.ours[2]:.2f} | {row.ours[1]:.0f} | "
              f"{row.theirs[0]:.3f} | {row.theirs[2]:.3f} | {row.ours[0] / row.theirs[0]:.0f}× |")
    print()
    for label, side in (("intake export", "ours"), ("cp -r + sha256sum", "theirs")):
        fits = [statistics.linear_regression([r.count for r in rows], [getattr(r, side)[column] for r in rows])
                for column in (0, 2)]
        print(f"- {label}: wall fixed {fits[0].intercept:.3f} s + {fits[0].slope * 1000:.2f} ms per item; "
              f"CPU fixed {fits[1].intercept:.3f} s + {fits[1].slope * 1000:.2f} ms per item")
    print(f"- unlock alone (keys list): wall {statistics.median(u[0] for u in unlock):.2f} s, "
          f"CPU {statistics.median(u[2] for u in unlock):.2f} s")


@dataclass(frozen=True)
class FitRow:
    count: int
    exported: int
    ours: tuple[float, float, float]    # medians: wall s, peak MiB, CPU s
    theirs: tuple[float, float, float]


def _export_at(count: int, runs: int, work: Path, intake: str, env: dict[str, str], kb: int | None) -> FitRow:
    originals, field = work / "originals", work / "field"
    originals.mkdir(parents=True)
    make_small_photos(originals, count, kb)
    run_cli(intake, field, "init", "--name", "field", env=env)
    run_cli(intake, field, "add", str(originals), env=env)
    clean = work / "clean"
    ours, theirs, exported = [], [], 0
    for i in range(runs):
        vault, out, copy = work / f"vault-{i}", work / f"export-{i}", work / f"cp-{i}"
        shutil.copytree(field, vault)
        ours.append(measure_cpu([intake, "--vault", str(vault), "export", "--all", "-o", str(out)], env))
        exported = len(list((out / "data").iterdir()))
        if not clean.exists():
            shutil.copytree(out / "data", clean)
        theirs.append(measure_cpu(shell(f"mkdir {q(copy)}; cp -r {q(clean)} {q(copy)}/data; "
                                        f"(cd {q(copy)} && sha256sum data/* > manifest-sha256.txt)"), env))
        # Nothing is deleted before the end: ext4 skips inodes freed in the last 5-35 s when it
        # creates a file (recently_deleted), and a run just after deleting thousands of files
        # paid up to 1.5 s of system time for it, on both sides.
    return FitRow(count, exported, _medians(ours), _medians(theirs))


def _medians(samples: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    wall, peak, cpu = (statistics.median(column) for column in zip(*samples))
    return wall, peak, cpu


# --- main ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20, help="4000x3000 noise JPEGs (about 8 MiB each)")
    parser.add_argument("--big", type=int, default=3, help="large PNGs of random pixels")
    parser.add_argument("--big-mb", type=int, default=64, help="size of each large PNG in MiB")
    parser.add_argument("--small", type=int, default=0, help="small JPEGs with EXIF (per-item costs)")
    parser.add_argument("--small-kb", type=int, metavar="KB",
                        help="size of each small JPEG (noise sized to about KB); default 64x48, a few KB")
    parser.add_argument("--only", default="", help="only the comparisons whose label starts with this")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gpg", action="store_true", help="link a throwaway GPG key, so bundles carry .asc signatures")
    parser.add_argument("--fit", type=_counts, metavar="N1,N2,...",
                        help="only export of N small photos for each N: fixed and per-item costs")
    args = parser.parse_args()
    for tool in ("age-keygen", "age", "tar", "sh") + (("gpg",) if args.gpg else ()):
        if shutil.which(tool) is None:
            print(f"bench: {tool} is missing, the set-up needs it (apt-get install age tar gnupg)", file=sys.stderr)
            return 2
    intake = str(Path(sys.executable).with_name("intake"))
    work = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    env = {**os.environ, "INTAKE_PASSPHRASE": PASSPHRASE, "LC_ALL": "C"}
    try:
        if args.fit:
            fit_export(args.fit, args.runs, work, intake, env, args.small_kb)
            return 0
        setup = build(work, args, intake, env)
        chosen = [c for i, c in enumerate(comparisons(setup, work, intake)) if i == 0 or c.label.startswith(args.only)]
        rows = [compare(c, args.runs, work, env) for c in chosen]
        report(args, setup, rows)
    finally:
        if args.gpg:
            subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, capture_output=True)
        shutil.rmtree(work)
    return 0


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of item counts: {text!r}") from None
    if len(counts) < 2 or min(counts) < 1:
        raise argparse.ArgumentTypeError("give at least two item counts, each 1 or more")
    return counts


@dataclass(frozen=True)
class Row:
    comparison: Comparison
    intake: Sample
    baseline: Sample | None
    missing: tuple[str, ...]


def compare(c: Comparison, runs: int, work: Path, env: dict[str, str]) -> Row:
    missing = tuple(t for t in c.needs if shutil.which(t) is None)
    ours, theirs = [], []
    for i in range(runs):
        if c.prepare:
            c.prepare(i)
        ours.append(measure(c.intake(i), env))
        if c.baseline is not None and not missing:
            theirs.append(measure(c.baseline(i), env))
        remove_outputs(work, i)
    return Row(c, median(ours), median(theirs) if theirs else None, missing)


def median(samples: list[Sample]) -> Sample:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def mib(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / (1 << 20)


def report(args: argparse.Namespace, s: Setup, rows: list[Row]) -> None:
    clean_count = len(list(s.clean.iterdir()))
    small = "small JPEGs" if args.small_kb is None else f"JPEGs of about {args.small_kb} KB"
    print(f"{args.photos} JPEGs of 4000x3000, {args.small} {small} and {args.big} PNGs of {args.big_mb} MiB of random pixels: "
          f"originals {mib(s.originals):.0f} MiB, clean copies {mib(s.clean):.0f} MiB ({clean_count} files), "
          f"submission {mib(s.submission):.0f} MiB; median of {args.runs} runs"
          f"{'; bundles carry OpenPGP signatures' if args.gpg else ''}\n")
    unlock = rows[0].intake[0]
    print("| intake | s | peak MiB | baseline | s | peak MiB | time intake/baseline | same, intake minus unlock |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows[1:] + rows[:1]:
        ours = f"{row.intake[0]:.2f} | {row.intake[1]:.0f}"
        if row.baseline is None:
            skipped = f"skipped: {', '.join(row.missing)} missing" if row.missing else "–"
            print(f"| {row.comparison.label} | {ours} | {skipped} | – | – | – | – |")
            continue
        theirs = f"{row.baseline[0]:.2f} | {row.baseline[1]:.0f}"
        ratio = row.intake[0] / row.baseline[0]
        net = f"{(row.intake[0] - unlock) / row.baseline[0]:.2f}" if row.comparison.unlocks else "– (no unlock)"
        print(f"| {row.comparison.label} | {ours} | {row.comparison.baseline_label} | {theirs} | **{ratio:.2f}** | {net} |")
    for row in rows:
        if row.missing:
            print(f"\nnote: {row.comparison.label}: baseline skipped, {', '.join(row.missing)} not installed")


if __name__ == "__main__":
    raise SystemExit(main())
