"""`intake receive --check` / check_submission: every check receive makes, nothing written.

Uses the journey of conftest.py (a field vault's submission to an editor) and
fresh copies of the editor template, which has received nothing yet.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pyrage
import pytest

from conftest import copy_vault, take_in
from intake.errors import IntakeError, SubmissionRefused
from intake.bundle.receive import check_submission, receive_submission
from intake.bundle.submission import submit
from intake.samples import write_letter_photo_notes
from intake.vault import Vault
from intake.keys.keystore import Keyring


def state(vault: Vault) -> tuple[int, list[str], list[str]]:
    with vault.ledger() as ledger:
        size = ledger.size()
    names = sorted(p.name for p in vault.root.iterdir() if p.name != "lock")  # the lock file is made on first use
    return size, sorted(p.name for p in vault.blobs.iterdir()), names


def fresh_editor(editor_template, tmp_path: Path) -> tuple[Vault, Keyring]:
    return copy_vault(editor_template, tmp_path / "editor")


def failed(report) -> list[str]:
    return [f"{check.what}: {check.reason}" for check in report.checks if not check.ok]


def test_a_good_submission_passes_and_nothing_is_written(journey: dict, editor_template, tmp_path: Path) -> None:
    editor, keys = fresh_editor(editor_template, tmp_path)
    before = state(editor)
    report = check_submission(editor, keys, journey["submission"])
    assert report.ok, failed(report)
    assert state(editor) == before
    assert report.custodian is not None and report.custodian.fingerprint == journey["field"][1].public.fingerprint
    field = journey["field"][0]
    entries, files = state(field)[0], len(state(field)[1])
    passed = "\n".join(check.what for check in report.checks)
    assert "opens with this vault's key" in passed and f"{entries} entries: each signed by the sender" in passed
    assert f"{files} file(s) match the hashes" in passed and "every clean copy derives" in passed
    assert "extends what this sender showed before" not in passed  # a first submission has no history
    # a clean copy's history: its original received, then cleaned, on the sender's days
    received = journey["received"]
    by_item = {timeline.item: timeline for timeline in report.items}
    assert set(by_item) == set(received.originals) | set(received.clean_copies)
    for item in received.originals:
        assert [(e.action, e.of) for e in by_item[item].events] == [("received", "original")]
    for item in received.clean_copies:
        assert [(e.action, e.of) for e in by_item[item].events] == [("received", "original"),
                                                                     ("sanitized", "clean copy")]
        assert {event.actor for event in by_item[item].events} == {journey["field"][1].public.fingerprint_hex}
    # checking did not count as receiving
    result = receive_submission(editor, keys, journey["submission"])
    assert len(result.clean_copies) == len(received.clean_copies)


def test_an_already_received_submission_fails_its_check(journey: dict) -> None:
    editor, keys = journey["editor"]
    before = state(editor)
    report = check_submission(editor, keys, journey["submission"])
    assert not report.ok and failed(report) == ["the submission holds what it claims: this submission was already received"]
    assert state(editor) == before


def test_a_later_submission_is_checked_against_the_senders_history(journey: dict, tmp_path: Path) -> None:
    field, keys = copy_vault((journey["field"][0].root, journey["field"][1]), tmp_path / "field")
    editor, editor_keys = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
    take_in(field, keys, [write_letter_photo_notes(tmp_path / "new")[1]])
    submission = tmp_path / "second.age"
    submit(field, keys, None, editor_keys.public, submission)
    earlier = state(journey["field"][0])[0]
    report = check_submission(editor, editor_keys, submission)
    assert report.ok, failed(report)
    passed = "\n".join(check.what for check in report.checks)
    assert f"extends what this sender showed before ({earlier} entries)" in passed
    assert f"not received before (2 new entries, {earlier} already received)" in passed
    assert len(report.items) == 2


def _swap_a_file(submission: Path, keys: Keyring, target: Path) -> Path:
    """The same manifest, one carried file's bytes changed: only the hash check can catch it."""
    plain = pyrage.decrypt(submission.read_bytes(), [keys.secret.age_identity])
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(plain)) as source, tarfile.open(fileobj=out, mode="w") as tar:
        swapped = False
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("blobs/") and not swapped:
                data, swapped = bytes([data[0] ^ 1]) + data[1:], True
            tar.addfile(member, io.BytesIO(data))
    target.write_bytes(pyrage.encrypt(out.getvalue(), [pyrage.x25519.Recipient.from_str(keys.public.age_recipient)]))
    return target


def test_a_swapped_file_fails_after_the_manifest_checks_pass(journey: dict, editor_template, tmp_path: Path) -> None:
    editor, keys = fresh_editor(editor_template, tmp_path)
    swapped = _swap_a_file(journey["submission"], keys, tmp_path / "swapped.age")
    before = state(editor)
    report = check_submission(editor, keys, swapped)
    assert failed(report) == ["the submission holds what it claims: "
                              "a file in the submission does not match the hashes its entry recorded"]
    assert any("entries: each signed" in check.what for check in report.checks if check.ok)
    assert report.items == [] and state(editor) == before


def test_trust_names_the_expected_sender(journey: dict, editor_template, tmp_path: Path) -> None:
    editor, keys = fresh_editor(editor_template, tmp_path)
    assert check_submission(editor, keys, journey["submission"], trust=journey["field"][1].public).ok
    report = check_submission(editor, keys, journey["submission"], trust=keys.public)
    assert failed(report) == ["sent by the expected sender: it was sent by another key than the one you gave"]


def test_a_submission_for_another_vault_or_a_write_only_vault_is_an_error(
    journey: dict, template_vault, write_only_template, tmp_path: Path
) -> None:
    other, other_keys = copy_vault(template_vault, tmp_path / "other")
    with pytest.raises(IntakeError, match="does not open with this vault's key"):
        check_submission(other, other_keys, journey["submission"])
    write_only, write_only_keys = copy_vault(write_only_template, tmp_path / "wo")
    with pytest.raises(IntakeError, match="write-only"):
        check_submission(write_only, write_only_keys, journey["submission"])


def test_cli_check_prints_every_check_and_writes_nothing(
    journey: dict, editor_template, tmp_path: Path, cli
) -> None:
    editor, keys = fresh_editor(editor_template, tmp_path)
    before = state(editor)
    good = cli("--vault", editor.root, "receive", "--check", journey["submission"])
    assert good.returncode == 0, good.stderr
    assert "submission verified" in good.stdout and "nothing was imported" in good.stdout
    assert journey["field"][1].public.words in good.stdout and "custody of itm_" in good.stdout
    swapped = _swap_a_file(journey["submission"], keys, tmp_path / "swapped.age")
    bad = cli("--vault", editor.root, "receive", "--check", swapped)
    assert bad.returncode == 1 and "FAIL  the submission holds what it claims" in bad.stdout
    assert bad.stderr.count("\n") == 1 and "nothing was imported" in bad.stderr
    misuse = cli("--vault", editor.root, "receive", "--trust", swapped, swapped)
    assert misuse.returncode == 2 and "--trust goes with --check" in misuse.stderr
    assert state(editor) == before


@pytest.mark.parametrize("sender", ["normal", "write-only"])
def test_a_clean_copy_that_is_not_clean_is_refused(
    sender: str, template_vault, write_only_template, editor_template, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A field tool that signs a 'clean copy' which still carries the GPS fix (old, broken or
    altered): its signature and hashes hold, and only inspecting the file again catches it."""
    import intake.takein.clean_copy
    from intake.clean import Cleaned
    from intake.support.sniff import sniff_bytes

    editor, editor_keys = fresh_editor(editor_template, tmp_path)
    field, keys = copy_vault(write_only_template if sender == "write-only" else template_vault, tmp_path / "field")
    with monkeypatch.context() as rogue:
        rogue.setattr(intake.takein.clean_copy, "clean_within", lambda data, **_: Cleaned(sniff_bytes(data), [], data))
        take_in(field, keys, [write_letter_photo_notes(tmp_path / "inbox")[1]])  # the photo with a GPS fix
    submission = tmp_path / "rogue.age"
    submit(field, keys, None, editor_keys.public, submission)
    before = state(editor)
    report = check_submission(editor, editor_keys, submission)
    assert failed(report) == ["the submission holds what it claims: a clean copy in the submission still carries "
                              "identifying metadata (device, location): the sender's tool did not clean it; "
                              "nothing was imported"]
    assert any("entries: each signed by the sender" in c.what and c.ok for c in report.checks)
    with pytest.raises(SubmissionRefused, match="still carries identifying metadata"):
        receive_submission(editor, editor_keys, submission)
    assert state(editor) == before
    assert not list(editor.blobs.glob(".partial-*")) and not list((editor.root / "partial").iterdir())
