"""Locking: Ctrl+L and a time without keys take the app back to the passphrase and drop the keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.app.screens.home import HomeScreen
from intake.app.screens.intake import IntakeScreen
from intake.app.screens.unlock import UnlockScreen
from intake.app.session import DEFAULT_LOCK_AFTER, lock_after_from
from intake.errors import IntakeError
from tuikit import SIZE, app_on, copy_vault, notifications, run, settle, type_into, unlock


def test_ctrl_l_locks_from_a_section_and_drops_the_session(tmp_path: Path, template_vault) -> None:
    app = app_on(copy_vault(template_vault[0], tmp_path / "vault"), start_dir=tmp_path)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("i")
            await type_into(pilot, "#note", "a note", submit=False)
            await pilot.press("ctrl+l")  # even from inside a text field
            await pilot.pause()
            assert isinstance(app.screen, UnlockScreen) and app.session is None
            assert not any(isinstance(screen, (HomeScreen, IntakeScreen)) for screen in app.screen_stack)
            await pilot.press("i", "l")  # section keys do nothing while locked
            assert isinstance(app.screen, UnlockScreen)
            app.screen.query_one("#passphrase").value = ""
            await unlock(pilot)
            assert isinstance(app.screen, HomeScreen)

    run(flow)


def test_the_app_locks_itself_after_a_time_without_keys(tmp_path: Path, template_vault) -> None:
    app = app_on(copy_vault(template_vault[0], tmp_path / "vault"), lock_after=0.6)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            for _ in range(6):  # keys keep it open
                await pilot.press("down")
                await pilot.pause(0.2)
            assert isinstance(app.screen, HomeScreen)
            await settle(pilot, lambda: isinstance(app.screen, UnlockScreen), timeout=5)
            assert app.session is None
            assert notifications(app) == ["Locked after a while without a key press."]

    run(flow)


def test_lock_minutes_come_from_the_environment() -> None:
    assert lock_after_from({}) == DEFAULT_LOCK_AFTER == 600
    assert lock_after_from({"INTAKE_LOCK_MINUTES": "2.5"}) == 150
    assert lock_after_from({"INTAKE_LOCK_MINUTES": "0"}) is None
    for bad in ("soon", "-1", "100000"):
        with pytest.raises(IntakeError, match="INTAKE_LOCK_MINUTES must be a number of minutes"):
            lock_after_from({"INTAKE_LOCK_MINUTES": bad})
