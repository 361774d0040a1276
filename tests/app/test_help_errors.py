"""Help lists every binding; errors reach the screen in plain words only."""

from __future__ import annotations

from pathlib import Path

from intake.errors import CheckFailed, IntakeError
from intake.app.app import IntakeApp, key_groups
from intake.app.errors import UNEXPECTED, explain
from intake.app.screens.export import ExportScreen
from intake.app.screens.help import HelpScreen, help_text
from intake.app.screens.intake import IntakeScreen
from intake.app.screens.keys import KeysScreen
from intake.app.screens.ledger import LedgerScreen
from intake.app.screens.verify import VerifyScreen
from tuikit import PASSPHRASE, SIZE, app_on, copy_vault, run, settle


def test_help_lists_every_binding_of_every_screen() -> None:
    text = help_text(key_groups())
    for owner in (IntakeApp, IntakeScreen, LedgerScreen, VerifyScreen, ExportScreen, KeysScreen):
        for binding in owner.BINDINGS:
            if binding.description:  # the help gives the long form, the footer the short one
                shown = binding.tooltip or binding.description
                assert shown in text, (owner.__name__, shown)
    assert "Ctrl+Q" in text and "F1 / ?" in text and "Ctrl+L" in text


def test_help_opens_with_question_mark_and_closes_with_escape(tmp_path: Path, template_vault) -> None:
    app = app_on(copy_vault(template_vault[0], tmp_path / "vault"), passphrase_source=lambda: PASSPHRASE)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, lambda: app.session is not None)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)
            await pilot.press("f1")
            assert isinstance(app.screen, HelpScreen)

    run(flow)


def test_intake_errors_are_shown_as_written_and_others_never() -> None:
    assert explain(IntakeError("no vault at /x:\n create one")) == "no vault at /x: create one"
    assert explain(CheckFailed("ledger verification failed: entry 3")) == "ledger verification failed: entry 3"
    assert explain(IntakeError("name \x1b[31mred")) == "name \\x1b[31mred"
    shown = explain(ValueError("GPS 46.6354, 32.6169 of source K"))
    assert shown == UNEXPECTED and "46.6354" not in shown


def test_an_unexpected_crash_exits_with_one_plain_sentence(tmp_path: Path, template_vault, capfd) -> None:
    app = app_on(copy_vault(template_vault[0], tmp_path / "vault"))

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.call_later(lambda: 1 / 0)
            await pilot.pause()

    try:
        run(flow)
    except ZeroDivisionError:
        pass  # the test harness re-raises what the app caught; a user sees only the sentence
    assert app.return_code == 2
    shown = capfd.readouterr()
    assert " ".join(shown.err.split()) == f"intake: error: {UNEXPECTED}"
    assert "Traceback" not in shown.out + shown.err and "ZeroDivision" not in shown.out + shown.err
