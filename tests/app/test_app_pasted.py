"""What a terminal pastes when files are dropped on it, read back as paths (intake/app/pasted.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.app.pasted import pasted_paths
from intake.errors import IntakeError


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    made = [tmp_path / "my scan.jpg", tmp_path / "plain.pdf", tmp_path / "it's here.txt"]
    for path in made:
        path.write_bytes(b"x")
    return made


def test_each_quoting_style_names_the_same_file(files: list[Path]) -> None:
    spaced = files[0]
    for text in (f"'{spaced}'", f'"{spaced}"', str(spaced).replace(" ", "\\ "), spaced.as_uri(),
                 f"  {spaced}  ", f"file://localhost{spaced.as_posix().replace(' ', '%20')}"):
        assert pasted_paths(text) == [spaced], text


def test_several_paths_in_one_paste(files: list[Path]) -> None:
    spaced, plain, apostrophe = files
    assert pasted_paths(f"'{spaced}' {plain} \"{apostrophe}\"") == files
    assert pasted_paths(f"{spaced.as_uri()}\n{plain.as_uri()}\n") == [spaced, plain]
    assert pasted_paths(f"{spaced}\n{apostrophe}") == [spaced, apostrophe]  # one per line, taken whole


def test_a_path_that_does_not_exist_is_still_returned_for_the_caller_to_refuse(tmp_path: Path) -> None:
    assert pasted_paths(f"'{tmp_path}/gone.jpg'") == [tmp_path / "gone.jpg"]
    assert pasted_paths("   \n") == []


def test_unclosed_quotes_and_other_hosts_are_refused_in_words(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="quote is not closed"):
        pasted_paths(f"'{tmp_path}/a b.jpg")
    with pytest.raises(IntakeError, match="another host"):
        pasted_paths("file://server/share/a.jpg")
