"""Driving the app's Verify screen: open it, pin a signer, check a bundle, read the checks."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from intake.app.screens.verify import VerifyScreen

from tuikit import settle, text_of, type_into


async def verify_on_screen(pilot, bundle: Path, trust: str = "", **more: str) -> str:
    """The checks' text; `more` fills the More checks fields by id (witnesses, tsa_ca, since)."""
    if not isinstance(pilot.app.screen, VerifyScreen):
        await pilot.press("v")
    assert isinstance(pilot.app.screen, VerifyScreen)
    pilot.app.screen.query_one("#trust", Input).value = trust
    for name in ("witnesses", "tsa_ca", "since"):
        pilot.app.screen.query_one(f"#{name.replace('_', '-')}", Input).value = more.get(name, "")
    await type_into(pilot, "#bundle", str(bundle))
    await settle(pilot)
    return text_of(pilot.app, "#checks")
