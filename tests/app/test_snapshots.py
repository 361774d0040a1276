"""Screenshots of the main screens, compared with the committed SVGs in __snapshots__.

Stable by construction: a vault with fixed keys and ledger origin, a fixed
clock, no blinking cursor, paths relative to the test's folder. Update them
with `pytest tests/app/test_snapshots.py --snapshot-update` after a deliberate
change, and look at the new SVGs before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyrage import x25519

import intake.vault
from intake import samples
from intake.vault import create_vault
from intake.keys.identity import SecretIdentity
from tuikit import PASSPHRASE, app_on, settle, type_into, unlock

FIXED_AGE = "AGE-SECRET-KEY-1C825AMHCC0K5AJDTZMSXAVLQZV7H92EV58NP4WMJ2DCN4ED6JH6SA3MP8G"


class FixedTokens:
    """Stands in for `secrets` inside intake.vault only, so the ledger origin is the same every run."""

    @staticmethod
    def token_hex(size: int) -> str:
        return "5e" * size


@pytest.fixture
def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with `vault` (fixed keys, empty ledger) and `inbox` (the sample files); the test runs in it."""
    fixed = SecretIdentity("kestrel", Ed25519PrivateKey.from_private_bytes(bytes(range(32))),
                           x25519.Identity.from_str(FIXED_AGE))
    with monkeypatch.context() as patch:
        patch.setattr(SecretIdentity, "generate", classmethod(lambda cls, name: fixed))
        patch.setattr(intake.vault, "secrets", FixedTokens)
        create_vault(tmp_path / "vault", "kestrel", PASSPHRASE)
    samples.write_samples(tmp_path / "inbox")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def unlocked_app():
    return app_on(Path("vault"), start_dir=Path("inbox"), passphrase_source=lambda: PASSPHRASE)


async def opened(pilot) -> None:
    await settle(pilot, lambda: pilot.app.session is not None)


def test_unlock_screen(stage: Path, snap_compare) -> None:
    assert snap_compare(app_on(Path("vault")), terminal_size=(100, 30))


def test_no_vault_screen_80x24(stage: Path, snap_compare) -> None:
    assert snap_compare(app_on(Path("new-vault")), terminal_size=(80, 24))


def test_create_screen_80x24(stage: Path, snap_compare) -> None:
    async def before(pilot) -> None:
        await pilot.press("c")
        await pilot.pause()

    assert snap_compare(app_on(Path("new-vault")), terminal_size=(80, 24), run_before=before)


def test_home_after_typing_the_passphrase(stage: Path, snap_compare) -> None:
    assert snap_compare(app_on(Path("vault")), terminal_size=(100, 30), run_before=unlock)


def test_help_screen(stage: Path, snap_compare) -> None:
    async def before(pilot) -> None:
        await opened(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(unlocked_app(), terminal_size=(100, 30), run_before=before)


def test_intake_findings(stage: Path, snap_compare) -> None:
    async def before(pilot) -> None:
        await opened(pilot)
        await pilot.press("i")
        await type_into(pilot, "#path", "inbox")
        await settle(pilot)
        pilot.app.screen.query_one("#tree").focus()
        await pilot.pause()

    assert snap_compare(unlocked_app(), terminal_size=(100, 30), run_before=before)


def test_intake_findings_80x24(stage: Path, snap_compare) -> None:
    async def before(pilot) -> None:
        await opened(pilot)
        await pilot.press("i")
        await type_into(pilot, "#path", "inbox/crate-0412.jpg")
        await settle(pilot)
        pilot.app.screen.query_one("#tree").focus()
        await pilot.pause()

    assert snap_compare(unlocked_app(), terminal_size=(80, 24), run_before=before)


def test_keys_screen(stage: Path, snap_compare) -> None:
    async def before(pilot) -> None:
        await opened(pilot)
        await pilot.press("k")
        await pilot.pause()

    assert snap_compare(unlocked_app(), terminal_size=(100, 30), run_before=before)


def test_ledger_screen_empty(stage: Path, snap_compare) -> None:
    async def before(pilot) -> None:
        await opened(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(unlocked_app(), terminal_size=(100, 30), run_before=before)


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
def test_export_screen(stage: Path, snap_compare, size: tuple[int, int]) -> None:
    """Empty vault: the layout of items, options and submit (items have random ids, so none here)."""
    async def before(pilot) -> None:
        await opened(pilot)
        await pilot.press("e")
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(unlocked_app(), terminal_size=size, run_before=before)


def test_verify_screen(stage: Path, snap_compare) -> None:
    async def before(pilot) -> None:
        await opened(pilot)
        await pilot.press("v")
        await pilot.pause()

    assert snap_compare(unlocked_app(), terminal_size=(100, 30), run_before=before)
