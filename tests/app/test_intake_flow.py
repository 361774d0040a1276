"""Intake in the app: choose generated files, see their findings, confirm, see each result."""

from __future__ import annotations

import os
from pathlib import Path

from textual import events

from intake import samples
from intake.custody import read_entries, verify_ledger
from intake.vault import Vault
from intake.app.screens.confirm import ConfirmScreen
from intake.app.screens.intake import IntakeScreen
from tuikit import SIZE, app_on, copy_vault, notifications, run, settle, text_of, type_into, unlock


def report_text(app) -> str:
    return "\n".join(str(block.render()) for block in app.screen.query("#findings .block"))


def test_intake_of_generated_files_through_to_the_result(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    inbox = tmp_path / "inbox"
    samples.write_samples(inbox)
    app = app_on(vault, start_dir=tmp_path)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("i")
            assert isinstance(app.screen, IntakeScreen)
            await type_into(pilot, "#path", str(inbox))
            await settle(pilot)
            before = report_text(app)
            # Findings before anything is written: the GPS fix as coordinates, worst first.
            assert "GPS position = 46.635400, 32.616900" in before
            assert before.index("location") < before.index("device")
            assert "Author = J. Clerk" in before and "tracked change author" in before
            assert "not supported: text/plain" in before
            assert read_entries(Vault.open(vault), template_vault[1]) == []
            await type_into(pilot, "#note", "from the port contact", submit=False)
            app.screen.query_one("#tree").focus()
            await pilot.press("t")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await settle(pilot)
            after = report_text(app)
            assert after.count("cleaned    itm_") == 4 and after.count("refused    ") == 1
            assert "removed: 5 location, 2 device" in after
            assert "5 of 5 files taken in: 4 cleaned, 1 without a clean copy." in notifications(app)

    run(flow)
    entries = read_entries(Vault.open(vault), template_vault[1])
    assert [e.action for e in entries].count("received") == 5
    assert [e.action for e in entries].count("sanitized") == 4
    assert {e.note for e in entries if e.action == "received"} == {"from the port contact"}


def test_saying_no_writes_nothing(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    inbox = tmp_path / "inbox"
    samples.write_samples(inbox)
    app = app_on(vault, start_dir=inbox)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("i")
            await pilot.press("down", "a")  # the first file in the tree
            await settle(pilot)
            assert "crate-0412.jpg" in report_text(app)
            await pilot.press("t", "n")
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen)

    run(flow)
    assert read_entries(Vault.open(vault), template_vault[1]) == []


def test_cancel_stops_between_files_and_leaves_a_whole_ledger(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number in range(30):  # big enough that sealing them all takes longer than pressing Escape
        (inbox / f"scan-{number:02}.bin").write_bytes(os.urandom(2 << 20))
    app = app_on(vault, start_dir=tmp_path)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("i")
            await type_into(pilot, "#path", str(inbox))
            await settle(pilot)
            app.screen.query_one("#tree").focus()
            await pilot.press("t", "y")
            for _ in range(500):  # the answer reaches the screen a moment after the question closes
                if getattr(app.screen, "busy", False):
                    break
                await pilot.pause(0.01)
            await pilot.press("escape")  # cancel: the worker stops after its current file
            assert isinstance(app.screen, IntakeScreen)
            await settle(pilot)
            assert "The rest were not touched." in notifications(app)[-1]

    run(flow)
    opened = Vault.open(vault)
    assert verify_ledger(opened, template_vault[1]).ok
    entries = read_entries(opened, template_vault[1])
    received = [e for e in entries if e.action == "received"]
    assert 1 <= len(received) < 30
    # Nothing was left halfway: every sealed file in blobs/ belongs to an entry.
    assert len(list((vault / "blobs").iterdir())) == len(received)


def test_a_path_inside_the_vault_is_refused_in_plain_words(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    app = app_on(vault, start_dir=tmp_path)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("i")
            await type_into(pilot, "#path", str(vault / "blobs"))
            await settle(pilot)
            assert notifications(app)[-1].endswith("is or holds the vault itself; add files from outside it")

    run(flow)


def staged(tmp_path: Path, template_vault) -> tuple[Path, Path, object]:
    """A copy of the template vault, the sample files in inbox/, and the app on them."""
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    inbox = tmp_path / "inbox"
    samples.write_samples(inbox)
    return vault, inbox, app_on(vault, start_dir=tmp_path)


async def choose_on_intake(pilot, path: Path) -> None:
    await unlock(pilot)
    await pilot.press("i")
    await type_into(pilot, "#path", str(path))
    await settle(pilot)


def test_a_bad_path_is_refused_alone_and_a_retry_works(tmp_path: Path, template_vault) -> None:
    """A failed path is not kept: the earlier choice stays, and the next path is inspected."""
    vault, inbox, app = staged(tmp_path, template_vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("i")
            await type_into(pilot, "#path", str(tmp_path / "no-such-file.jpg"))
            await settle(pilot)
            assert "no-such-file.jpg" in notifications(app)[-1]
            assert app.screen.paths == [] and text_of(app, "#selection") == "Nothing chosen yet."
            await type_into(pilot, "#path", str(inbox / "crate-0412.jpg"))
            await settle(pilot)
            assert app.screen.paths == [inbox / "crate-0412.jpg"]
            assert "GPS position" in report_text(app)
            await type_into(pilot, "#path", str(tmp_path / "still-missing"))
            await settle(pilot)
            assert app.screen.paths == [inbox / "crate-0412.jpg"] and "GPS position" in report_text(app)
            assert app.screen.focused is app.screen.query_one("#tree")  # section keys work again
            await pilot.press("t", "y")
            await settle(pilot)
            assert "1 of 1 files taken in: 1 cleaned, 0 without a clean copy." in notifications(app)

    run(flow)
    received = [e for e in read_entries(Vault.open(vault), template_vault[1]) if e.action == "received"]
    assert [e.outputs[0]["name"] for e in received] == ["crate-0412.jpg"]


def test_dropped_files_are_chosen_however_the_terminal_quotes_them(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    inbox = tmp_path / "dropped files"
    written = samples.write_samples(inbox)
    photo, letter = (inbox / "crate-0412.jpg"), next(p for p in written if p.suffix == ".pdf")
    spaced = inbox / "scan of the port.jpg"
    spaced.write_bytes(photo.read_bytes())
    app = app_on(vault, start_dir=tmp_path)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await pilot.press("i")
            screen = app.screen
            # a drop while the tree has the focus: quoted, then one per line as URIs
            screen.query_one("#tree").post_message(events.Paste(f"'{photo}' \"{letter}\""))
            await settle(pilot, lambda: len(screen.paths) == 2)
            screen.query_one("#tree").post_message(events.Paste(spaced.as_uri() + "\n"))
            await settle(pilot, lambda: len(screen.paths) == 3)
            assert screen.paths == [photo, letter, spaced]
            await pilot.press("x")
            # typed or pasted into the path field: backslash escapes, and a bare path with spaces
            await type_into(pilot, "#path", str(spaced).replace(" ", "\\ "))
            await settle(pilot)
            await type_into(pilot, "#path", f"{photo}")
            await settle(pilot)
            assert screen.paths == [spaced, photo]
            assert report_text(app).count("GPS position") == 2

    run(flow)


def test_the_same_file_again_is_named_and_left_out(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    inbox = tmp_path / "inbox"
    samples.write_samples(inbox)
    again = tmp_path / "later" / "renamed.jpg"
    again.parent.mkdir()
    again.write_bytes((inbox / "crate-0412.jpg").read_bytes())
    app = app_on(vault, start_dir=tmp_path)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await choose_on_intake(pilot, inbox / "crate-0412.jpg")
            await pilot.press("t", "y")
            await settle(pilot)
            item = app.screen.results[0].received.item
            await type_into(pilot, "#path", str(again))
            await type_into(pilot, "#path", str(inbox / "field-notes.txt"))
            await settle(pilot, lambda: app.screen.inspected == 2)
            assert f"already in the vault as {item} (same SHA-256)" in report_text(app)
            await pilot.press("t")
            assert isinstance(app.screen, ConfirmScreen)
            assert f"renamed.jpg ({item})" in text_of(app, "#confirm-details")
            await pilot.press("y")
            await settle(pilot)
            await type_into(pilot, "#path", str(again))
            await settle(pilot)
            await pilot.press("t")
            assert notifications(app)[-1].startswith("Every chosen file is already in the vault")

    run(flow)
    received = [e for e in read_entries(Vault.open(vault), template_vault[1]) if e.action == "received"]
    assert sorted(e.outputs[0]["name"] for e in received) == ["crate-0412.jpg", "field-notes.txt"]


def test_esc_in_a_field_keeps_the_screen_the_selection_and_the_note(tmp_path: Path, template_vault) -> None:
    vault, inbox, app = staged(tmp_path, template_vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await choose_on_intake(pilot, inbox / "crate-0412.jpg")
            await type_into(pilot, "#note", "from the port", submit=False)
            await pilot.press("escape")
            assert isinstance(app.screen, IntakeScreen)
            assert app.screen.query_one("#note").value == "from the port"
            assert app.screen.paths == [inbox / "crate-0412.jpg"]
            assert app.screen.focused is app.screen.query_one("#tree")
            await pilot.press("l")  # a section key works once the field is left
            assert not isinstance(app.screen, IntakeScreen)

    run(flow)


def test_keep_hdr_gain_maps_is_a_tick_box_that_reaches_the_clean_copy(tmp_path: Path, template_vault) -> None:
    from heif_builders import coded, hdr_build, picture

    from intake.app.widgets.toggles import TickBox

    vault = copy_vault(template_vault[0], tmp_path / "vault")
    tiles = (coded(picture(64, 64, seed=1)), coded(picture(64, 64, seed=2)), coded(picture(32, 32, seed=4)))
    photos = tmp_path / "inbox"
    photos.mkdir()
    (photos / "hdr.heic").write_bytes(hdr_build(tiles).bytes())
    other = (coded(picture(64, 64, seed=3)), *tiles[1:])
    (photos / "also.heic").write_bytes(hdr_build(other).bytes())  # another photo, the same shape
    app = app_on(vault, start_dir=tmp_path)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await choose_on_intake(pilot, photos / "hdr.heic")
            app.screen.query_one("#keep-hdr", TickBox).value = True
            app.screen.query_one("#tree").focus()
            await pilot.press("t")
            assert isinstance(app.screen, ConfirmScreen)
            assert "HDR gain maps of HEIC photos are kept" in str(app.screen.query_one("#confirm-details").render())
            await pilot.press("y")
            await settle(pilot)
            kept = report_text(app)
            assert "cleaned    itm_" in kept and "kept: an HDR gain map" in kept
            app.screen.query_one("#keep-hdr", TickBox).value = False
            await type_into(pilot, "#path", str(photos / "also.heic"))
            await settle(pilot)
            app.screen.query_one("#tree").focus()
            await pilot.press("t", "y")
            await settle(pilot)
            assert "cleaned    itm_" in report_text(app) and "kept:" not in report_text(app)

    run(flow)


def test_an_older_vault_says_it_indexes_its_entries_once(tmp_path: Path, template_vault) -> None:
    import sqlite3

    vault, inbox, app = staged(tmp_path, template_vault)

    async def flow() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await choose_on_intake(pilot, inbox / "crate-0412.jpg")
            await pilot.press("t", "y")
            await settle(pilot)
            with sqlite3.connect(vault / "ledger.sqlite") as db:  # as an older intake left it
                db.execute("DROP TABLE originals")
            await type_into(pilot, "#path", str(inbox / "field-notes.txt"))
            await settle(pilot, lambda: app.screen.inspected == 1)
            assert any(n.startswith("Indexing the 2 earlier entries of this vault once") for n in notifications(app))

    run(flow)
