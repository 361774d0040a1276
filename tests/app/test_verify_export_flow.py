"""Verify and Export screens: bundles exported and verified, submissions checked and received."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, SelectionList

from intake import samples
from intake.takein.sources import collect_sources
from intake.takein import take_in
from intake.bundle.verify import verify_bundle
from intake.vault import Vault
from intake.app.screens.confirm import ConfirmScreen
from intake.app.screens.export import ExportScreen
from intake.bundle.export import exportable_items
from intake.app.screens.verify import VerifyScreen
from tuikit import SIZE, app_on, copy_vault, notifications, run, settle, text_of, type_into, unlock
from verify_screen_helpers import verify_on_screen


def filled_vault(tmp_path: Path, template_vault) -> Path:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    samples.write_samples(tmp_path / "inbox")
    list(take_in(Vault.open(vault), template_vault[1], collect_sources([tmp_path / "inbox"]).sources))
    return vault


def export_with_library(vault: Path, keyring, target: Path) -> Path:
    from intake.bundle.export import ExportOptions, export_bundle

    return export_bundle(Vault.open(vault), keyring, None, target, ExportOptions()).target


def test_export_writes_a_bundle_after_confirmation(tmp_path: Path, template_vault) -> None:
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
            await pilot.press("space", "b")  # the first item is highlighted: Space ticks it at once
            assert "1 item(s) to " in str(app.screen.query_one("#confirm-details").render())
            await pilot.press("y")
            await settle(pilot)
            assert notifications(app)[-1].startswith("Bundle of 1 item(s) written to")
            await pilot.press("l")  # the export is recorded in the ledger
            await settle(pilot)
            table = app.screen.query_one("#entries", DataTable)
            assert table.get_row_at(table.row_count - 1)[2] == "exported"
            table.move_cursor(row=table.row_count - 1)
            await pilot.pause()
            assert "tag manifest sha256 " in text_of(app, "#detail")

    run(flow)
    report = verify_bundle(target, allow_unpinned=True)
    assert report.ok and len(report.items) == 1


def test_at_80_columns_each_row_shows_name_and_day_and_the_detail_says_the_rest(tmp_path: Path, template_vault) -> None:
    app = app_on(filled_vault(tmp_path, template_vault))
    listed = {item.item: item for item in exportable_items(Vault.open(tmp_path / "vault"), template_vault[1])}

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await pilot.press("e")
            await settle(pilot)
            choices = app.screen.query_one("#items", SelectionList)
            for row in range(choices.option_count):
                choices.highlighted = row
                await pilot.pause()
                item = listed[choices.get_option_at_index(row).value]
                shown = choices.render_line(row - choices.scroll_offset.y).text
                assert item.name[:12] in shown and shown.rstrip().endswith(item.day), shown
                detail = text_of(app, "#item-detail")
                assert detail.splitlines()[0] == item.name
                assert f"{item.media_type}  {item.day}" in detail and f"id {item.item}" in detail

    run(flow)


def test_verifying_a_good_and_a_tampered_bundle(tmp_path: Path, template_vault) -> None:
    vault = filled_vault(tmp_path, template_vault)
    bundle = export_with_library(vault, template_vault[1], tmp_path / "bundle")
    words = template_vault[1].public.words
    app = app_on(vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            unpinned = await verify_on_screen(pilot, bundle)
            assert unpinned.count("FAIL ") == 1 and "the signer is NOT pinned" in unpinned
            assert unpinned.startswith("1 of ") and "checks FAILED:" in unpinned.splitlines()[0]  # failures first
            assert "bundle verified" not in unpinned
            assert words in text_of(app, "#signer") and "NOT pinned" in text_of(app, "#signer")
            app.screen.query_one("#bundle", Input).value = ""
            await pilot.press("escape")
            good = await verify_on_screen(pilot, bundle, trust=words)
            assert " ok " in good and "FAIL" not in good and "bundle verified" in good
            assert "the signer is pinned: the words you gave" in good
            assert "itm_" in text_of(app, "#timeline")
            payload = next(p for p in sorted((bundle / "data").rglob("*")) if p.is_file())
            data = bytearray(payload.read_bytes())
            data[len(data) // 2] ^= 1
            payload.write_bytes(bytes(data))
            app.screen.query_one("#bundle", Input).value = ""
            await pilot.press("escape")
            bad = await verify_on_screen(pilot, bundle, trust=words)
            assert "FAIL" in bad and "NOT verified" in bad

    run(flow)


def test_an_editor_checks_a_submission_then_receives_it(tmp_path: Path, journey: dict, editor_template) -> None:
    editor_root = copy_vault(editor_template[0], tmp_path / "editor")
    submission = journey["submission"]
    app = app_on(editor_root)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            checks = await verify_on_screen(pilot, submission)
            assert "FAIL" not in checks and "submission verified; nothing is imported yet" in checks
            assert journey["field"][1].public.words in text_of(app, "#signer")
            assert "received" in text_of(app, "#timeline") and "sanitized" in text_of(app, "#timeline")
            assert ledger_size(editor_root) == 0
            await pilot.press("r")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await settle(pilot)
            clean = journey["received"].clean_copies
            assert notifications(app)[-1].startswith(f"Received {len(journey['received'].originals)} original(s)")
            assert all(item in text_of(app, "#checks") for item in clean)
            assert ledger_size(editor_root) == ledger_size(journey["field"][0].root)  # one per sender entry
            await pilot.press("l")
            await settle(pilot)
            sender = journey["field"][1].public.fingerprint_hex
            assert f"sender    {sender[:4]} {sender[4:8]}" in text_of(app, "#detail")
            assert "their seq 0 in sub_" in text_of(app, "#detail")
            await pilot.press("escape")
            again = await verify_on_screen(pilot, submission)
            assert "FAIL" in again and "already received" in again
            await pilot.press("r")
            assert not isinstance(app.screen, ConfirmScreen)  # a failed check cannot be received

    run(flow)


def test_a_write_only_vault_cannot_check_a_submission(tmp_path: Path, journey: dict, write_only_template) -> None:
    app = app_on(copy_vault(write_only_template[0], tmp_path / "field"))

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await verify_on_screen(pilot, journey["submission"])
            assert "write-only field vault cannot receive submissions" in notifications(app)[-1]
            assert text_of(app, "#checks") == ""

    run(flow)


def ledger_size(root: Path) -> int:
    with Vault.open(root).ledger() as ledger:
        return ledger.size()


def test_tab_goes_from_the_path_to_the_signer_so_typed_words_stay_in_the_field(tmp_path: Path, template_vault) -> None:
    vault = filled_vault(tmp_path, template_vault)
    app = app_on(vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("v")
            await settle(pilot, lambda: isinstance(app.screen, VerifyScreen))
            await pilot.press(*"bundle", "tab", *"swelter deckhand")
            await settle(pilot)
            assert isinstance(app.screen, VerifyScreen)
            assert app.screen.query_one("#bundle", Input).value == "bundle"
            assert app.screen.query_one("#trust", Input).value == "swelter deckhand"

    run(flow)


def test_more_checks_an_older_bundle_and_a_witness_policy(tmp_path: Path, template_vault) -> None:
    from intake.witness.cosignature import Cosigner

    vault = filled_vault(tmp_path, template_vault)
    keyring = template_vault[1]
    older = export_with_library(vault, keyring, tmp_path / "older")
    samples.write_samples(tmp_path / "more")
    list(take_in(Vault.open(vault), keyring, collect_sources([tmp_path / "more"]).sources[:1]))
    newer = export_with_library(vault, keyring, tmp_path / "newer")
    policy = tmp_path / "witnesses.txt"
    policy.write_text(f"{Cosigner.generate('w.example/w1').key.vkey()}\n")
    words = keyring.public.words
    app = app_on(vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            extends = await verify_on_screen(pilot, newer, trust=words, since=str(older))
            assert "FAIL" not in extends and "bundle verified" in extends
            assert "extends the older checkpoint" in extends and "consistency proof" in extends
            rollback = await verify_on_screen(pilot, older, trust=words, since=str(newer))
            assert "ROLLBACK" in rollback and "NOT verified" in rollback
            unwitnessed = await verify_on_screen(pilot, newer, trust=words, witnesses=str(policy))
            assert "FAIL" in unwitnessed and "witness" in unwitnessed.lower() and "NOT verified" in unwitnessed
            await verify_on_screen(pilot, newer, trust=words, since=str(tmp_path / "nowhere"))
            assert "nowhere" in notifications(app)[-1] and "Traceback" not in notifications(app)[-1]

    run(flow)
