"""Shared pieces of the TUI tests: apps on copies of the session's template vault,
a fixed clock, and waiting for the app's workers instead of sleeping."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static

from intake.app.app import IntakeApp, create_app

PASSPHRASE = "a long test passphrase"  # the template vault's (tests/conftest.py)
SIZE = (100, 30)


def fixed_clock() -> datetime:
    return datetime(2026, 11, 23, 2, 14, tzinfo=timezone.utc)


def copy_vault(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


def app_on(vault: Path, start_dir: Path | None = None, **kwargs: object) -> IntakeApp:
    return create_app(vault, clock=fixed_clock, start_dir=start_dir, blink=False, **kwargs)  # type: ignore[arg-type]


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


async def settle(pilot: Pilot, until: Callable[[], bool] | None = None, timeout: float = 60) -> None:
    """Wait until the app's workers are done (and `until` holds), then let messages land."""
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        await pilot.pause(0.05)
        # Only the screens' own workers: the directory tree keeps a loader running.
        running = [w for w in app.workers if w.is_running and isinstance(w.node, Screen)]
        pending = any(getattr(screen, "pending", 0) for screen in app.screen_stack)
        if not running and not pending and (until is None or until()):
            await pilot.pause()
            return
    raise AssertionError("the app did not settle in time")


async def unlock(pilot: Pilot, passphrase: str = PASSPHRASE) -> None:
    await pilot.pause()
    await pilot.press(*passphrase, "enter")
    await settle(pilot, lambda: pilot.app.session is not None)


def notifications(app: IntakeApp) -> list[str]:
    return [n.message for n in app._notifications]


def text_of(app: IntakeApp, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render())


async def type_into(pilot: Pilot, selector: str, text: str, submit: bool = True) -> None:
    """Fill a field as pasting would (paths are long), then press Enter in it."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.pause()
    if submit:
        await pilot.press("enter")


async def open_create_form(pilot: Pilot) -> None:
    """No vault at the path: the app says so first; `c` asks for the form to create one there."""
    from intake.app.screens.create import CreateScreen
    from intake.app.screens.novault import NoVaultScreen

    await pilot.pause()
    assert isinstance(pilot.app.screen, NoVaultScreen)
    await pilot.press("c")
    await settle(pilot, lambda: isinstance(pilot.app.screen, CreateScreen))
