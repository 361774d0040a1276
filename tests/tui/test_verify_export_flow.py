"""Verify and Export screens. They call intake.bundle (built on another branch): the flows
are tested when it is present; without it, the screens must say so in plain words."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from textual.widgets import Input, SelectionList

from intake import samples
from intake.pipeline import collect_sources
from intake.takein import take_in
from intake.vault import Vault
from tui.screens.export import ExportScreen
from tui.screens.verify import VerifyScreen
from tuikit import SIZE, app_on, copy_vault, notifications, run, settle, text_of, type_into, unlock

HAVE_BUNDLES = importlib.util.find_spec("intake.bundle") is not None


def filled_vault(tmp_path: Path, template_vault) -> Path:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    samples.write_samples(tmp_path / "inbox")
    list(take_in(Vault.open(vault), template_vault[1], collect_sources([tmp_path / "inbox"]).sources))
    return vault


def export_with_library(vault: Path, keyring, target: Path) -> Path:
    from intake.bundle.export import ExportOptions, export_bundle

    return export_bundle(Vault.open(vault), keyring, None, target, ExportOptions()).target


async def verify_on_screen(pilot, bundle: Path) -> str:
    await pilot.press("v")
    assert isinstance(pilot.app.screen, VerifyScreen)
    await type_into(pilot, "#bundle", str(bundle))
    await settle(pilot)
    return text_of(pilot.app, "#checks")


def test_export_writes_a_bundle_after_confirmation(tmp_path: Path, template_vault) -> None:
    pytest.importorskip("intake.bundle.export")
    app = app_on(filled_vault(tmp_path, template_vault))
    target = tmp_path / "bundle"

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("e")
            await settle(pilot)
            assert isinstance(app.screen, ExportScreen)
            assert app.screen.query_one("#items", SelectionList).option_count == 4  # the clean copies
            await type_into(pilot, "#target", str(target), submit=False)
            app.screen.query_one("#items").focus()
            await pilot.press("b", "y")
            await settle(pilot)
            assert notifications(app)[-1].startswith("Bundle of 4 item(s) written to")

    run(flow)
    assert target.exists()


def test_verifying_a_good_and_a_tampered_bundle(tmp_path: Path, template_vault) -> None:
    pytest.importorskip("intake.bundle.verify")
    pytest.importorskip("intake.bundle.export")
    vault = filled_vault(tmp_path, template_vault)
    bundle = export_with_library(vault, template_vault[1], tmp_path / "bundle")
    app = app_on(vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            good = await verify_on_screen(pilot, bundle)
            assert " ok " in good and "FAIL" not in good and "bundle verified" in good
            assert "itm_" in text_of(app, "#timeline")
            payload = next(p for p in sorted((bundle / "data").rglob("*")) if p.is_file())
            data = bytearray(payload.read_bytes())
            data[len(data) // 2] ^= 1
            payload.write_bytes(bytes(data))
            app.screen.query_one("#bundle", Input).value = ""
            await pilot.press("escape")
            bad = await verify_on_screen(pilot, bundle)
            assert "FAIL" in bad and "NOT verified" in bad

    run(flow)


@pytest.mark.skipif(HAVE_BUNDLES, reason="bundles are built: the flows above run instead")
def test_without_bundles_the_screens_say_so(tmp_path: Path, template_vault) -> None:
    app = app_on(copy_vault(template_vault[0], tmp_path / "vault"))

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("e")
            await settle(pilot)
            assert notifications(app)[-1] == "exporting is not available in this version of intake"
            await pilot.press("escape", "v")
            await type_into(pilot, "#bundle", str(tmp_path / "bundle"))
            await settle(pilot)
            assert notifications(app)[-1] == "verifying bundles is not available in this version of intake"

    run(flow)
