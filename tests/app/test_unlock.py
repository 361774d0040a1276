"""Opening the app: the passphrase prompt, right and wrong; creating a vault; quitting."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from intake.vault import Vault
from intake.app.screens.create import CreateScreen
from intake.app.screens.home import HomeScreen
from intake.app.screens.ledger import LedgerScreen
from intake.app.screens.novault import NoVaultScreen
from intake.app.screens.unlock import UnlockScreen
from tuikit import (
    PASSPHRASE, SIZE, app_on, copy_vault, notifications, open_create_form, run, settle, text_of, unlock,
)


def test_right_passphrase_opens_the_sections(tmp_path: Path, template_vault) -> None:
    app = app_on(copy_vault(template_vault[0], tmp_path / "vault"))

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            assert isinstance(app.screen, UnlockScreen)
            field = app.screen.query_one("#passphrase", Input)
            assert field.password and field.has_focus
            await unlock(pilot)
            assert isinstance(app.screen, HomeScreen)
            assert app.session.keyring.public == template_vault[1].public
            nav = text_of(app, "#nav")
            for section in ("Intake", "Ledger", "Verify", "Export", "Keys"):
                assert section in nav
            assert template_vault[1].public.words in text_of(app, "#home .muted")
            # The menu works with arrows and Enter, as the letter keys do; Esc comes back.
            await pilot.press("down", "enter")
            assert isinstance(app.screen, LedgerScreen)
            await settle(pilot)
            await pilot.press("escape")
            assert isinstance(app.screen, HomeScreen)
            await pilot.press("ctrl+q")
        assert app.return_code == 0

    run(flow)


def test_wrong_passphrase_is_refused_in_plain_words(tmp_path: Path, template_vault) -> None:
    app = app_on(copy_vault(template_vault[0], tmp_path / "vault"))

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press(*"not the passphrase", "enter")
            await settle(pilot)
            assert isinstance(app.screen, UnlockScreen) and app.session is None
            assert notifications(app) == ["wrong passphrase for this vault (nothing was changed)"]
            field = app.screen.query_one("#passphrase", Input)
            assert field.value == "" and not field.disabled and field.has_focus
            # A second try with the right one still works.
            await unlock(pilot)
            assert isinstance(app.screen, HomeScreen)

    run(flow)


def test_section_keys_do_nothing_before_unlocking(tmp_path: Path, template_vault) -> None:
    app = app_on(copy_vault(template_vault[0], tmp_path / "vault"))

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.screen.query_one("#passphrase").blur()
            await pilot.press("i", "l", "k")
            assert isinstance(app.screen, UnlockScreen)

    run(flow)


def test_passphrase_source_unlocks_without_asking(tmp_path: Path, template_vault) -> None:
    app = app_on(copy_vault(template_vault[0], tmp_path / "vault"), passphrase_source=lambda: PASSPHRASE)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, lambda: app.session is not None)
            assert isinstance(app.screen, HomeScreen)

    run(flow)


def test_no_vault_offers_to_create_one(tmp_path: Path) -> None:
    root = tmp_path / "new-vault"
    app = app_on(root)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_create_form(pilot)
            assert isinstance(app.screen, CreateScreen)
            screen = app.screen
            screen.query_one("#name", Input).value = "kestrel"
            screen.query_one("#passphrase", Input).value = "correct horse battery"
            screen.query_one("#repeat", Input).value = "correct horse battery!"
            await pilot.click("#create-button")
            await pilot.pause()
            assert notifications(app) == ["the two passphrases differ; nothing was created"]
            assert not root.exists()
            await pilot.pause(0.3)  # a button ignores clicks while it still shows the last one
            screen.query_one("#passphrase", Input).value = "correct horse battery"
            screen.query_one("#repeat", Input).value = "correct horse battery"
            await pilot.click("#create-button")
            await settle(pilot, lambda: app.session is not None)
            assert isinstance(app.screen, HomeScreen)

    run(flow)
    assert Vault.open(root).unlock("correct horse battery").public.name == "kestrel"


def test_a_folder_of_other_files_is_no_vault_and_is_not_offered(tmp_path: Path) -> None:
    """A mistyped --vault pointing at a folder of documents: said at once, no passphrase asked."""
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "letter.txt").write_text("not a vault", encoding="utf-8")
    app = app_on(folder)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, NoVaultScreen)
            assert text_of(app, "#no-vault .title") == f"No vault at {folder}"
            assert not app.screen.query("#create-here") and not app.screen.query(Input)
            await pilot.press("c")
            await pilot.pause()
            assert isinstance(app.screen, NoVaultScreen)

    run(flow)
    assert sorted(p.name for p in folder.iterdir()) == ["letter.txt"]


def test_no_vault_names_the_path_before_any_passphrase(tmp_path: Path) -> None:
    root = tmp_path / "typo-vault"
    app = app_on(root)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, NoVaultScreen)
            assert text_of(app, "#no-vault .title") == f"No vault at {root}"
            assert not app.screen.query(Input)  # nothing to type a passphrase into yet
            await pilot.press("c")
            await pilot.pause()
            assert isinstance(app.screen, CreateScreen)
            assert app.screen.focused is app.screen.query_one("#name", Input)  # the first field, top-down

    run(flow)
    assert not root.exists()


def test_write_only_needs_an_editor(tmp_path: Path) -> None:
    app = app_on(tmp_path / "field")

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_create_form(pilot)
            screen = app.screen
            screen.query_one("#passphrase", Input).value = "correct horse battery"
            screen.query_one("#repeat", Input).value = "correct horse battery"
            screen.query_one("#write-only").value = True
            await pilot.click("#create-button")
            await pilot.pause()
            assert notifications(app) == ["a write-only vault needs an editor's public identity file"]

    run(flow)
    assert not (tmp_path / "field").exists()


def test_field_vault_with_a_confirmed_editor(tmp_path: Path) -> None:
    from intake.keys.identity import SecretIdentity
    from intake.app.screens.confirm import ConfirmScreen

    editor = SecretIdentity.generate("editor-1")
    identity_file = tmp_path / "editor.pub"
    identity_file.write_text(editor.export_public(), encoding="utf-8")
    root = tmp_path / "field"
    app = app_on(root)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_create_form(pilot)
            screen = app.screen
            screen.query_one("#name", Input).value = "field-7"
            screen.query_one("#passphrase", Input).value = "correct horse battery"
            screen.query_one("#repeat", Input).value = "correct horse battery"
            screen.query_one("#write-only").value = True
            screen.query_one("#recipient", Input).focus()
            screen.query_one("#recipient", Input).value = str(identity_file)
            await pilot.press("enter")
            assert isinstance(app.screen, ConfirmScreen)
            assert editor.public().words in text_of(app, "#confirm-details")
            await pilot.press("y")
            await settle(pilot, lambda: app.session is not None)
            assert isinstance(app.screen, HomeScreen)
            assert "write-only" in text_of(app, "#home .title")

    run(flow)
    keyring = Vault.open(root).unlock("correct horse battery")
    assert not keyring.can_open_sealed and keyring.policy.recipients == (editor.public(),)
