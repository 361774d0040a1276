"""The Ledger screen (entries, detail, verify) and the Keys screen (identity, adding a recipient)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select

from intake import samples
from intake.takein.sources import collect_sources
from intake.takein import take_in
from intake.vault import Vault
from intake.keys.identity import PublicIdentity, SecretIdentity
from intake.app.screens.confirm import ConfirmScreen
from intake.app.screens.keys import KeysScreen
from intake.app.screens.ledger import LedgerScreen
from tuikit import SIZE, app_on, copy_vault, notifications, run, settle, text_of, type_into, unlock


def filled_vault(tmp_path: Path, template_vault) -> Path:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    samples.write_samples(tmp_path / "inbox")
    sources = collect_sources([tmp_path / "inbox"]).sources[:2]
    list(take_in(Vault.open(vault), template_vault[1], sources, "by the river"))
    return vault


def test_ledger_shows_entries_and_verifies(tmp_path: Path, template_vault) -> None:
    app = app_on(filled_vault(tmp_path, template_vault))

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("l")
            await settle(pilot)
            assert isinstance(app.screen, LedgerScreen)
            table = app.screen.query_one("#entries", DataTable)
            assert table.row_count == 4
            assert [table.get_row_at(i)[2] for i in range(4)] == ["received", "sanitized", "received", "sanitized"]
            assert table.get_row_at(0)[4] == template_vault[1].public.fingerprint_hex[:8]
            detail = text_of(app, "#detail")
            assert "inbox/crate-0412.jpg" in detail and "note      by the river" in detail
            await pilot.press("down")
            detail = text_of(app, "#detail")
            assert "  removed 5 location, 2 device" in detail, detail
            await pilot.press("c")
            await settle(pilot)
            checks = text_of(app, "#ledger-checks")
            assert "4 entries opened" in checks and "6 sealed files" in checks
            assert checks.rstrip().endswith("ledger verified") and "FAIL" not in checks

    run(flow)



def test_a_held_lock_is_a_notice_and_the_work_waits(tmp_path: Path, template_vault) -> None:
    """Another command holding the vault: the app says so on screen (stderr would garble it)
    and the ledger opens once the other command lets go."""
    vault = filled_vault(tmp_path, template_vault)
    app = app_on(vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            holder = os.open(vault / "lock", os.O_RDWR)
            fcntl.flock(holder, fcntl.LOCK_EX)
            try:
                await pilot.press("l")
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 30
                while not any("Waiting for another intake command" in n for n in notifications(app)):
                    assert loop.time() < deadline, notifications(app)
                    await pilot.pause(0.05)
                assert app.screen.query_one("#entries", DataTable).row_count == 0
            finally:
                os.close(holder)
            await settle(pilot, lambda: app.screen.query_one("#entries", DataTable).row_count == 4)

    run(flow)


def test_ledger_names_an_altered_entry(tmp_path: Path, template_vault) -> None:
    vault = filled_vault(tmp_path, template_vault)
    with sqlite3.connect(vault / "ledger.sqlite") as db:
        (sealed,) = db.execute("SELECT sealed FROM entries WHERE idx = 1").fetchone()
        changed = bytearray(sealed)
        changed[len(changed) // 2] ^= 1
        db.execute("UPDATE entries SET sealed = ? WHERE idx = 1", (bytes(changed),))
    app = app_on(vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("l")
            await settle(pilot)
            assert app.screen.query_one("#entries", DataTable).row_count == 0
            assert notifications(app)[-1].startswith("ledger verification failed: entry 1")
            await pilot.press("c")
            await settle(pilot)
            checks = text_of(app, "#ledger-checks")
            assert "FAIL" in checks and "entry 1" in checks and "ledger verification FAILED" in checks

    run(flow)


def test_keys_shows_words_and_adds_a_confirmed_recipient(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    editor = SecretIdentity.generate("editor-1")
    identity_file = tmp_path / "editor.pub"
    identity_file.write_text(editor.export_public(), encoding="utf-8")
    app = app_on(vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("k")
            assert isinstance(app.screen, KeysScreen)
            shown = flat(text_of(app, "#identity"))
            assert template_vault[1].public.words in shown and "no other recipients" in shown
            # First the words are shown for confirmation; saying no adds nothing.
            await type_into(pilot, "#recipient-file", str(identity_file))
            assert isinstance(app.screen, ConfirmScreen)
            assert editor.public().words in text_of(app, "#confirm-details")
            assert "cannot be undone" in text_of(app, "#confirm-details")
            await pilot.press("n")
            await settle(pilot)
            assert Vault.open(vault).unlock_policy(template_vault[1].secret).recipients == ()
            await type_into(pilot, "#recipient-file", str(identity_file))
            await pilot.press("y")
            await settle(pilot)
            assert "Added recipient editor-1" in notifications(app)[-1]
            assert editor.public().words in flat(text_of(app, "#identity"))
            assert app.session.keyring.policy.recipients == (editor.public(),)
            assert app.screen.focused is app.screen.query_one("#keys-body")  # the section keys work again

    run(flow)
    assert Vault.open(vault).unlock_policy(template_vault[1].secret).recipients == (editor.public(),)


def test_keys_refuses_a_forged_identity_file(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    forged = tmp_path / "forged.pub"
    forged.write_text(SecretIdentity.generate("editor-1").export_public().replace("editor-1", "editor-2"),
                      encoding="utf-8")
    app = app_on(vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("k")
            await type_into(pilot, "#recipient-file", str(forged))
            assert isinstance(app.screen, KeysScreen)
            assert "self-signature does not verify" in notifications(app)[-1]
            assert app.screen.query_one("#recipient-file", Input).value == str(forged)

    run(flow)


def test_linking_a_gpg_key_updates_the_session_and_the_policy(
    tmp_path: Path, template_vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real gpg in a throwaway home: an unknown fingerprint is refused in plain words; a key
    with its secret part is linked, shown, and used by this session's next export."""
    from gpg_helpers import discard_home, make_home, new_key

    home = make_home()
    try:
        fingerprint = new_key(home, "Desk <desk@example.invalid>")
        monkeypatch.setenv("GNUPGHOME", str(home))
        vault = copy_vault(template_vault[0], tmp_path / "vault")
        app = app_on(vault)

        async def flow() -> None:
            async with app.run_test(size=SIZE) as pilot:
                await unlock(pilot)
                await pilot.press("k", "g")
                await pilot.press(*"0123456789ABCDEF0123456789ABCDEF01234567", "enter")
                await settle(pilot)
                assert "0123456789ABCDEF" in notifications(app)[-1] and app.session.keyring.policy.openpgp is None
                await type_into(pilot, "#gpg-fingerprint", fingerprint.lower())
                await settle(pilot)
                assert notifications(app)[-1].startswith(f"Linked GPG key {fingerprint}")
                assert app.session.keyring.policy.openpgp == fingerprint
                assert fingerprint[:4] in text_of(app, "#identity")

        run(flow)
        assert Vault.open(vault).unlock_policy(template_vault[1].secret).openpgp == fingerprint
    finally:
        discard_home(home)


def flat(text: str) -> str:
    """Words and hex groups are shown over two lines; compared as one."""
    return " ".join(text.split())


def test_keys_saves_the_public_identity_to_a_named_file(tmp_path: Path, template_vault,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    monkeypatch.chdir(tmp_path)
    app = app_on(vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("k", "p")
            field = app.screen.query_one("#save-target", Input)
            assert app.screen.focused is field and field.value == f"{template_vault[1].public.name}.pub"
            await type_into(pilot, "#save-target", "for-the-desk.pub")
            assert notifications(app)[-1].startswith(f"Saved this vault's public identity to {tmp_path}")
            await type_into(pilot, "#save-target", "for-the-desk.pub")
            assert notifications(app)[-1].endswith("already exists; choose another file name")

    run(flow)
    saved = tmp_path / "for-the-desk.pub"
    assert PublicIdentity.from_text(saved.read_text(encoding="utf-8")) == template_vault[1].public
    assert saved.stat().st_mode & 0o777 == 0o644


def test_keys_removes_a_recipient_after_saying_what_it_does_not_undo(tmp_path: Path, template_vault) -> None:
    from intake.recipients import add_recipient, read_identity_file

    vault = copy_vault(template_vault[0], tmp_path / "vault")
    editor = SecretIdentity.generate("editor-1")
    identity_file = tmp_path / "editor.pub"
    identity_file.write_text(editor.export_public(), encoding="utf-8")
    add_recipient(Vault.open(vault), template_vault[1], read_identity_file(identity_file))
    app = app_on(vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("k", "d")
            choice = app.screen.query_one("#remove-choice", Select)
            assert app.screen.focused is choice
            choice.value = 0
            await pilot.pause()
            await pilot.click("#remove")
            assert isinstance(app.screen, ConfirmScreen)
            details = text_of(app, "#confirm-details")
            assert editor.public().words in details and "cannot be undone" in details
            await pilot.press("y")
            await settle(pilot)
            assert notifications(app)[-1] == ("Removed recipient editor-1: nothing sealed from now on opens with "
                                              "their key.")
            assert app.session.keyring.policy.recipients == ()
            assert "no other recipients" in text_of(app, "#identity")

    run(flow)
    assert Vault.open(vault).unlock_policy(template_vault[1].secret).recipients == ()
