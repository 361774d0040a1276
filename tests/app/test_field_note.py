"""The field contact's note reaches the editor in the app: in Verify before receiving, and in the
Ledger's `transferred` entries after; escaped, since a note is untrusted text."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from intake.bundle.submission import submit
from intake.takein.sources import collect_sources
from intake.takein import take_in
from intake.vault import Vault
from intake.app.screens.confirm import ConfirmScreen
from intake.app.screens.ledger import LedgerScreen
from tuikit import SIZE, app_on, copy_vault, run, settle, text_of, unlock
from verify_screen_helpers import verify_on_screen

# An escape that would turn the terminal red and a right-to-left override that would reverse what follows.
NOTE = "from source K\x1b[31m, met at the\u202e port"
ESCAPED = "from source K\\x1b[31m, met at the\\u202e port"


def submission_with_note(tmp_path: Path, template_vault, editor_template) -> Path:
    field = copy_vault(template_vault[0], tmp_path / "field")
    letter = tmp_path / "inbox" / "letter.txt"
    letter.parent.mkdir()
    letter.write_text("Crates marked LOT 7.\n", encoding="utf-8")
    list(take_in(Vault.open(field), template_vault[1], collect_sources([letter]).sources, NOTE))
    target = tmp_path / "to-editor.age"
    submit(Vault.open(field), template_vault[1], None, editor_template[1].public, target)
    return target


def test_the_editor_sees_the_field_contacts_note_escaped(tmp_path: Path, template_vault, editor_template) -> None:
    submission = submission_with_note(tmp_path, template_vault, editor_template)
    app = app_on(copy_vault(editor_template[0], tmp_path / "editor"))

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await verify_on_screen(pilot, submission)
            timeline = text_of(app, "#timeline")
            assert f"note: {ESCAPED}" in timeline and "\x1b" not in timeline and "\u202e" not in timeline
            await pilot.press("r")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await settle(pilot)
            await pilot.press("l")
            await settle(pilot)
            assert isinstance(app.screen, LedgerScreen)
            table = app.screen.query_one("#entries", DataTable)
            details = []
            for row in range(table.row_count):
                table.move_cursor(row=row)
                await pilot.pause()
                details.append(text_of(app, "#detail"))
            transferred = [d for d in details if "transferred" in d and "original" in d]
            assert transferred, details
            assert all(f"  note    {ESCAPED}" in d for d in transferred)  # under the sender
            assert not any("\x1b" in d or "\u202e" in d for d in details)

    run(flow)
