"""Intake in the app: choose generated files, see their findings, confirm, see each result."""

from __future__ import annotations

import os
from pathlib import Path

from intake import samples
from intake.custody import read_entries, verify_ledger
from intake.vault import Vault
from tui.screens.confirm import ConfirmScreen
from tui.screens.intake import IntakeScreen
from tuikit import SIZE, app_on, copy_vault, notifications, run, settle, type_into, unlock


def report_text(app) -> str:
    return "\n".join(str(block.render()) for block in app.screen.query("#findings .block"))


def test_intake_of_generated_files_through_to_the_result(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    inbox = tmp_path / "inbox"
    samples.write_samples(inbox)
    app = app_on(vault, start_dir=tmp_path)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("i")
            assert isinstance(app.screen, IntakeScreen)
            await type_into(pilot, "#path", str(inbox))
            await settle(pilot)
            before = report_text(app)
            # Findings before anything is written: the GPS fix as coordinates, worst first.
            assert "GPS position = 46.635400, 32.616900" in before
            assert before.index("location") < before.index("device")
            assert "Author = J. Clerk" in before and "tracked change author" in before
            assert "not supported: text/plain" in before
            assert read_entries(Vault.open(vault), template_vault[1]) == []
            await type_into(pilot, "#note", "from the port contact", submit=False)
            app.screen.query_one("#tree").focus()
            await pilot.press("t")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await settle(pilot)
            after = report_text(app)
            assert after.count("cleaned    itm_") == 4 and after.count("refused    ") == 1
            assert "removed: 5 location, 2 device" in after
            assert "5 of 5 files taken in: 4 cleaned, 1 without a clean copy." in notifications(app)

    run(flow)
    entries = read_entries(Vault.open(vault), template_vault[1])
    assert [e.action for e in entries].count("received") == 5
    assert [e.action for e in entries].count("sanitized") == 4
    assert {e.note for e in entries if e.action == "received"} == {"from the port contact"}


def test_saying_no_writes_nothing(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    inbox = tmp_path / "inbox"
    samples.write_samples(inbox)
    app = app_on(vault, start_dir=inbox)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("i")
            await pilot.press("down", "a")  # the first file in the tree
            await settle(pilot)
            assert "crate-0412.jpg" in report_text(app)
            await pilot.press("t", "n")
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen)

    run(flow)
    assert read_entries(Vault.open(vault), template_vault[1]) == []


def test_cancel_stops_between_files_and_leaves_a_whole_ledger(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number in range(30):  # big enough that sealing them all takes longer than pressing Escape
        (inbox / f"scan-{number:02}.bin").write_bytes(os.urandom(2 << 20))
    app = app_on(vault, start_dir=tmp_path)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("i")
            await type_into(pilot, "#path", str(inbox))
            await settle(pilot)
            app.screen.query_one("#tree").focus()
            await pilot.press("t", "y")
            for _ in range(500):  # the answer reaches the screen a moment after the question closes
                if getattr(app.screen, "busy", False):
                    break
                await pilot.pause(0.01)
            await pilot.press("escape")  # cancel: the worker stops after its current file
            assert isinstance(app.screen, IntakeScreen)
            await settle(pilot)
            assert "The rest were not touched." in notifications(app)[-1]

    run(flow)
    opened = Vault.open(vault)
    assert verify_ledger(opened, template_vault[1]).ok
    entries = read_entries(opened, template_vault[1])
    received = [e for e in entries if e.action == "received"]
    assert 1 <= len(received) < 30
    # Nothing was left halfway: every sealed file in blobs/ belongs to an entry.
    assert len(list((vault / "blobs").iterdir())) == len(received)


def test_a_path_inside_the_vault_is_refused_in_plain_words(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    app = app_on(vault, start_dir=tmp_path)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("i")
            await type_into(pilot, "#path", str(vault / "blobs"))
            await settle(pilot)
            assert notifications(app)[-1].endswith("is or holds the vault itself; add files from outside it")

    run(flow)
