"""Work the app can stop (Esc) is all or nothing: when the progress callback raises, as the
app's does once its worker is cancelled, export, submit, receive and checking leave nothing
behind and the vault as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_vault
from intake.bundle.export import export_bundle
from intake.bundle.receive import check_submission, receive_submission
from intake.bundle.submission import submit
from intake.bundle.verify import verify_bundle
from intake.vault import Vault


class Stop(Exception):
    pass


def stop_at(call: int):
    calls = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        if len(calls) == call:
            raise Stop()

    return progress, calls


def snapshot(vault: Vault) -> tuple[int, list[str]]:
    with vault.ledger() as ledger:
        size = ledger.size()
    files = sorted(str(p.relative_to(vault.root)) for p in vault.root.rglob("*") if p.name != "lock")
    return size, files


@pytest.mark.parametrize("as_zip", [False, True])
def test_a_stopped_export_leaves_no_bundle(journey: dict, tmp_path: Path, as_zip: bool) -> None:
    from intake.bundle.export import ExportOptions

    editor, keys = journey["editor"]
    progress, calls = stop_at(1)
    with pytest.raises(Stop):
        export_bundle(editor, keys, None, tmp_path / "out", ExportOptions(as_zip=as_zip), progress)
    assert len(calls) == 1 and calls[-1][0] < calls[-1][1]  # stopped halfway, not at the end
    assert list(tmp_path.iterdir()) == []


def test_a_stopped_submission_leaves_no_file(journey: dict, tmp_path: Path) -> None:
    field, keys = journey["field"]
    editor_keys = journey["editor"][1]
    progress, calls = stop_at(2)
    with pytest.raises(Stop):
        submit(field, keys, None, editor_keys.public, tmp_path / "s.age", progress=progress)
    assert len(calls) == 2 and calls[-1][0] < calls[-1][1] and list(tmp_path.iterdir()) == []


def test_a_stopped_receive_or_check_leaves_the_vault_as_it_was(
    journey: dict, editor_template, tmp_path: Path
) -> None:
    editor, keys = copy_vault(editor_template, tmp_path / "editor")
    before = snapshot(editor)
    for run in (receive_submission, lambda v, k, s, p: check_submission(v, k, s, None, p)):
        progress, calls = stop_at(2)
        with pytest.raises(Stop):
            run(editor, keys, journey["submission"], progress)
        assert len(calls) == 2 and calls[-1][0] < calls[-1][1] and snapshot(editor) == before
    assert len(receive_submission(editor, keys, journey["submission"]).clean_copies) > 0  # still receivable


def test_a_stopped_verification_changes_nothing(journey: dict) -> None:
    progress, calls = stop_at(1)
    with pytest.raises(Stop):
        verify_bundle(journey["bundle"], None, progress)
    assert verify_bundle(journey["bundle"], allow_unpinned=True).ok
