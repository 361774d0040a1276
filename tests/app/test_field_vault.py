"""A write-only field vault in the app: no alarming zeros, no red notices when nothing failed;
and what an editor sees of what a field contact sent."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select, SelectionList

from intake import samples
from intake.bundle.receive import check_submission
from intake.takein.sources import collect_sources
from intake.takein import take_in
from intake.vault import Vault
from intake.app.screens.confirm import ConfirmScreen
from intake.app.screens.export import ExportScreen
from intake.app.screens.ledger import LedgerScreen
from intake.app.widgets.checklist import checklist_text
from intake.errors import Check
from intake.keys.words import fingerprint_words
from tuikit import SIZE, app_on, copy_vault, run, settle, text_of, type_into, unlock


def field_vault(tmp_path: Path, write_only_template) -> tuple[Path, int]:
    root = copy_vault(write_only_template[0], tmp_path / "field")
    sources = collect_sources([samples.write_samples(tmp_path / "inbox")[0].parent]).sources
    list(take_in(Vault.open(root), write_only_template[1], sources))
    return root, len(sources)


def errors_shown(app) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


def test_ledger_of_a_field_vault_says_what_it_can_check(tmp_path: Path, write_only_template) -> None:
    root, _ = field_vault(tmp_path, write_only_template)
    app = app_on(root)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("l")
            await settle(pilot)
            assert isinstance(app.screen, LedgerScreen)
            status = text_of(app, "#ledger-status")
            assert "write-only field vault cannot open its entries" in status and "Press c" in status
            assert "fails" not in status and errors_shown(app) == []
            await pilot.press("c")
            await settle(pilot)
            checks = text_of(app, "#ledger-checks")
            assert "FAIL" not in checks and "ledger verified" in checks
            assert errors_shown(app) == []

    run(flow)


def test_field_vault_submits_everything_and_says_so(tmp_path: Path, write_only_template, editor_template) -> None:
    root, taken = field_vault(tmp_path, write_only_template)
    target = tmp_path / "to-desk.age"
    app = app_on(root)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("e")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ExportScreen) and errors_shown(app) == []
            assert "cannot export a bundle" in text_of(app, "#items-label")
            await pilot.press("b")
            assert not isinstance(app.screen, ConfirmScreen)  # no bundle from a vault that cannot read
            screen.query_one("#editor", Select).value = 0
            await type_into(pilot, "#submission-target", str(target), submit=False)
            screen.query_one("#editor").focus()
            await pilot.press("s")
            assert "everything this vault took in" in text_of(app, "#confirm-details")
            await pilot.press("y")
            await settle(pilot)
            done = text_of(app, "#progress-label")
            assert "0 item" not in done and "Submission of everything this vault took in" in done
            assert errors_shown(app) == []

    run(flow)
    editor = copy_vault(editor_template[0], tmp_path / "editor")
    report = check_submission(Vault.open(editor), editor_template[1], target)
    assert report.ok and len(report.items) == 2 * taken - 1  # each original, and a clean copy of each but the text


def test_the_editors_export_list_names_the_sender_of_the_highlighted_row(tmp_path: Path, journey: dict, editor_template) -> None:
    from intake.bundle.receive import receive_submission

    editor = copy_vault(editor_template[0], tmp_path / "editor")
    receive_submission(Vault.open(editor), editor_template[1], journey["submission"])
    sender = journey["field"][1].public
    app = app_on(editor)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("e")
            await settle(pilot)
            items = app.screen.query_one("#items", SelectionList)
            first_words = " ".join(fingerprint_words(sender.fingerprint).split()[:3])
            assert items.option_count
            for row in range(items.option_count):  # the highlighted row in full, under the list
                items.highlighted = row
                await pilot.pause()
                assert text_of(app, "#item-detail").endswith(f"from {first_words}…")

    run(flow)


def test_failed_checks_come_first_under_a_summary_with_the_reasons() -> None:
    lines = [Check(True, "manifests match"), Check(False, "signature", "made by another key"),
             Check(True, "tree consistent"), Check(False, "item list", "an item is missing")]
    text = checklist_text(lines, "bundle NOT verified").plain.splitlines()
    assert text[0] == "2 of 4 checks FAILED: made by another key; an item is missing"
    assert [line.split()[0] for line in text[2:] if line.startswith((" ok", "FAIL"))] == ["FAIL", "FAIL", "ok", "ok"]
    assert text[-1] == "bundle NOT verified"
    passed = checklist_text([Check(True, "manifests match")], "bundle verified").plain.splitlines()
    assert passed == [" ok   manifests match", "bundle verified"]
