"""docs/design.md's tree names every module of intake/, each under its own folder, and nothing
that is not there (issue 15: a newcomer finds where a thing is done from the tree alone)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
NAME_COLUMN = 25  # the tree's descriptions start here; a name left of it opens an entry


@dataclass
class Entry:
    """One line of the tree with a name in the name column, and the description that follows."""

    folder: str  # the folder it stands in, as "intake/formats/"
    names: list[str]  # "clean.py", "pdf/", or two, as "demo.py, samples.py"
    text: str = ""
    words: set[str] = field(default_factory=set)


def tree_entries() -> list[Entry]:
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    block = design[design.index("```\nintake/") + 4:]
    block = block[:block.index("```")]
    entries: list[Entry] = []
    folders: list[tuple[int, str]] = []  # (indent, path) of the open folders
    for line in block.splitlines():
        head = line[:NAME_COLUMN]
        if head.strip():
            indent = len(head) - len(head.lstrip())
            name_part = line.strip().split("  ")[0]
            folders = [(i, path) for i, path in folders if i < indent]
            parent = folders[-1][1] if folders else ""
            entry = Entry(parent, [name.strip() for name in name_part.split(",")], line[len(head) - len(head.lstrip()) + len(name_part):])
            entries.append(entry)
            if name_part.endswith("/") and "," not in name_part:
                folders.append((indent, parent + name_part))
        elif entries:
            entries[-1].text += " " + line.strip()
    for entry in entries:
        entry.words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", entry.text))
    return entries


def test_every_module_is_named_under_its_folder() -> None:
    entries = tree_entries()
    named = {entry.folder + name for entry in entries for name in entry.names}
    described = {}
    for entry in entries:
        for name in entry.names:
            if name.endswith("/"):
                described[entry.folder + name] = entry.words
    missing = []
    for path in sorted((ROOT / "intake").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        folder, stem = relative.rsplit("/", 1)[0] + "/", path.stem
        if stem == "__init__" and folder in named:
            continue
        if relative in named or stem in described.get(folder, set()):
            continue
        missing.append(relative)
    assert missing == [], "modules the tree in docs/design.md does not name under their folder"


def test_every_file_and_folder_the_tree_names_exists() -> None:
    absent = [entry.folder + name for entry in tree_entries() for name in entry.names
              if not (ROOT / (entry.folder + name)).exists()]
    assert absent == []
