"""Leftovers and content loss per file: intake vs `exiftool -all=` vs mat2.

    .venv/bin/python bench/compare_corpus.py [CORPUS_DIR]   (default: $INTAKE_CORPUS or ../shared/corpus)

For each file of a format intake cleans, each tool writes a copy; then:
- leftovers: tags exiftool still finds that identify a person, device, place
  or time (tests/exiftool_judge.py decides, the same judge the tests use);
- content: images decoded with Pillow and compared pixel by pixel (largest
  difference in levels, or size change); PDFs by page count and pdftotext
  text; office files by their text (zip members' XML text).
Prints a Markdown table for docs/sanitizing.md. Needs exiftool, mat2 and
pdftotext (Debian: libimage-exiftool-perl mat2 poppler-utils); a missing
tool's column says so.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import exiftool_judge  # noqa: E402
from PIL import Image  # noqa: E402

try:  # decodes HEIC for the pixel comparison (a test extra); without it HEIC copies "do not open"
    import pillow_heif  # noqa: E402

    pillow_heif.register_heif_opener()
except ImportError:
    pass

from intake.clean import clean_bytes  # noqa: E402
from intake.formats import handler_for  # noqa: E402
from intake.errors import Refused  # noqa: E402
from intake.support.sniff import sniff_bytes  # noqa: E402


def run_intake(source: Path, out: Path) -> Path | str:
    try:
        out.write_bytes(clean_bytes(source.read_bytes()).data)
    except Refused as refusal:
        return f"refused: {refusal}"
    return out


def run_exiftool(source: Path, out: Path) -> Path | str:
    result = subprocess.run(["exiftool", "-q", "-all=", "-o", str(out), str(source)], capture_output=True, text=True)
    return out if out.exists() else f"failed: {(result.stderr.strip() or 'no output')[:80]}"


def run_mat2(source: Path, out: Path) -> Path | str:
    work = out.parent / f"mat2-{source.name}"
    shutil.copy(source, work)
    result = subprocess.run(["mat2", str(work)], capture_output=True, text=True)
    cleaned = work.with_name(work.stem + ".cleaned" + work.suffix)
    if not cleaned.exists():
        return f"failed: {(result.stdout + result.stderr).strip()[:80]}"
    cleaned.rename(out)
    return out


def text_of_office(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [n for n in archive.namelist() if re.match(r"(word/document|xl/sharedStrings|ppt/slides/slide\d+|content)\.xml$", n)]
        texts = (re.sub(r"<[^>]+>", " ", archive.read(n).decode("utf-8", "replace")) for n in sorted(parts))
        return " ".join(" ".join(text.split()) for text in texts)


def content_change(media_type: str, before: Path, after: Path) -> str:
    try:
        if media_type.startswith("image/"):
            a, b = Image.open(before), Image.open(after)
            if a.size != b.size:
                return f"size {a.size} -> {b.size}"
            pa, pb = a.convert("RGBA").tobytes(), b.convert("RGBA").tobytes()
            worst = max((abs(x - y) for x, y in zip(pa, pb)), default=0)
            return "identical pixels" if worst == 0 else f"pixels differ by up to {worst} levels"
        if media_type == "application/pdf":
            texts = [subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True).stdout for p in (before, after)]
            if texts[0] == texts[1]:
                return "same text"
            return f"text {len(texts[0].split())} -> {len(texts[1].split())} words"
        if "zip" in media_type or "officedocument" in media_type or "opendocument" in media_type:
            same = text_of_office(before.read_bytes()) == text_of_office(after.read_bytes())
            return "same text" if same else "text changed"
    except Exception as error:  # a tool's output that no longer opens is itself the finding
        return f"does not open ({type(error).__name__})"
    return "?"


def describe(media_type: str, source: Path, result: Path | str) -> str:
    if isinstance(result, str):
        return result
    left = exiftool_judge.identifying(result) if exiftool_judge.AVAILABLE else {}
    leftovers = f"{len(left)} left ({', '.join(sorted(k.split(':')[-1] for k in left)[:4])})" if left else "0 left"
    return f"{leftovers}; {content_change(media_type, source, result)}"


def main() -> int:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("INTAKE_CORPUS", "../shared/corpus"))
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.name != "README.md")
    tools = [("intake", run_intake), ("exiftool -all=", run_exiftool), ("mat2", run_mat2)]
    available = {"intake": True, "exiftool -all=": shutil.which("exiftool") is not None, "mat2": shutil.which("mat2") is not None}
    print("| file | type | " + " | ".join(name for name, _ in tools) + " |")
    print("|---|---|" + "---|" * len(tools))
    with tempfile.TemporaryDirectory() as scratch:
        for source in files:
            media_type = sniff_bytes(source.read_bytes())
            if handler_for(media_type) is None:
                continue
            cells = []
            for name, run in tools:
                out = Path(scratch) / f"{name.split()[0]}-{source.parent.name}-{source.name}"
                cells.append(describe(media_type, source, run(source, out)) if available[name] else "not installed")
            print(f"| {source.parent.name}/{source.name} | {media_type.split('/')[-1][:24]} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
