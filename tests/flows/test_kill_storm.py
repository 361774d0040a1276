"""SIGKILL at random moments during `add`, `submit`, `receive` and `export`: no orphan blob
survives the next command, no partial file ever shows in the user's folder, and the vault
always verifies. INTAKE_KILLS sets the number of kills (default 40; 200 for the full run)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import cli_env, copy_vault, take_in
from intake.bundle.submission import submit
from intake.samples import write_letter_photo_notes
from intake.custody import verify_ledger
from intake.vault import Vault
from intake.keys.keystore import Keyring

KILLS = int(os.environ.get("INTAKE_KILLS", "40"))
KINDS = ("add", "submit", "receive", "export")


@dataclass
class Stage:
    field: Path
    editor: Path
    field_keys: Keyring
    editor_keys: Keyring
    inbox: Path
    editor_pub: Path
    submission: Path
    out: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory, template_vault, editor_template) -> Stage:
    base = tmp_path_factory.mktemp("storm")
    field, field_keys = copy_vault(template_vault, base / "field")
    editor, editor_keys = copy_vault(editor_template, base / "editor")
    inbox = base / "inbox"
    write_letter_photo_notes(inbox)
    (inbox / "bulk.bin").write_bytes(os.urandom(8 << 20))  # long enough sealing to land kills in
    take_in(field, field_keys, [p for p in sorted(inbox.iterdir()) if p.name != "bulk.bin"])
    submission = base / "to-editor.age"
    submit(field, field_keys, None, editor_keys.public, submission)
    editor_pub = base / "editor.pub"
    editor_pub.write_text(editor_keys.secret.export_public())
    out = base / "out"
    out.mkdir()
    return Stage(field.root, editor.root, field_keys, editor_keys, inbox, editor_pub, submission, out,
                 cli_env(base))


def _command(stage: Stage, kind: str, n: int) -> list[str]:
    if kind == "add":
        return ["--vault", str(stage.field), "add", str(stage.inbox)]
    if kind == "submit":
        return ["--vault", str(stage.field), "submit", "--all", "--to", str(stage.editor_pub),
                "-o", str(stage.out / f"sub-{n}.age")]
    if kind == "receive":
        return ["--vault", str(stage.editor), "receive", str(stage.submission)]
    return ["--vault", str(stage.editor), "export", "--all", "--zip", "-o", str(stage.out / f"bundle-{n}.zip")]


def _start(stage: Stage, args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "intake", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=stage.env)


def _duration(stage: Stage, kind: str) -> float:
    started = time.monotonic()
    _start(stage, _command(stage, kind, -1)).wait(timeout=300)
    return time.monotonic() - started


def _assert_whole(vault: Path, keyring: Keyring) -> list[str]:
    """The vault verifies in full, and every sealed file is named by an entry or provably an
    orphan (listed as unrecorded: the next exclusive lock removes it). Returns the orphans."""
    report = verify_ledger(Vault.open(vault), keyring)
    assert report.ok, report.failure
    assert report.unexplained == []
    return report.orphans


def _assert_no_partial_output(out: Path) -> None:
    hidden = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert hidden == [], hidden


def test_random_sigkills_leave_no_orphan_no_partial_file_and_a_verified_vault(stage: Stage) -> None:
    rng = random.Random(int(os.environ.get("INTAKE_KILL_SEED", "11")))
    durations = {kind: _duration(stage, kind) for kind in KINDS}
    killed = 0
    for n in range(KILLS):
        kind = KINDS[n % len(KINDS)]
        child = _start(stage, _command(stage, kind, n))
        time.sleep(rng.uniform(0, durations[kind]))
        child.send_signal(signal.SIGKILL)
        if child.wait(timeout=60) == -signal.SIGKILL:
            killed += 1
        else:  # it ended first: repeats run shorter (a known submission is refused early), or the load fell
            durations[kind] *= 0.7
        _assert_whole(stage.field, stage.field_keys)
        _assert_whole(stage.editor, stage.editor_keys)
        _assert_no_partial_output(stage.out)
    assert killed >= KILLS // 2, f"only {killed} of {KILLS} commands were still running when killed"
    # The next writing command on each vault removes every orphan and partial file.
    for vault, keys in ((stage.field, stage.field_keys), (stage.editor, stage.editor_keys)):
        (stage.inbox.parent / "last.txt").write_text(f"after the storm {vault.name}")
        last = subprocess.run([sys.executable, "-m", "intake", "--vault", str(vault), "add",
                               str(stage.inbox.parent / "last.txt")], capture_output=True, text=True,
                              env=stage.env, timeout=120)
        assert last.returncode == 0, last.stderr
        assert _assert_whole(vault, keys) == []
        assert not [p for p in vault.rglob(".partial-*")] and not list((vault / "partial").iterdir())


def test_a_stale_folder_export_staging_is_removed_by_the_next_export(tmp_path: Path, journey: dict) -> None:
    """A folder bundle is built in a hidden staging folder named after its process; SIGKILL leaves it,
    and the next export into the same folder removes it once that process is gone."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f".bundle.partial-{gone.pid}-0123abcd"
    (stale / "data").mkdir(parents=True)
    live = tmp_path / f".other.partial-{os.getpid()}-0123abcd"
    live.mkdir()
    editor, keys = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
    from intake.bundle.export import export_bundle

    export_bundle(editor, keys, None, tmp_path / "bundle2")
    assert not stale.exists()
    assert live.exists()


KILLED_AROUND_THE_RECORD = """
import os, signal, sys
from intake.ledger.append import Ledger
from intake.cli import main

recording = Ledger.append_all

def killed_around_the_record(self, drafts, keyring):
    if sys.argv[1] == "after":
        recording(self, drafts, keyring)
    os.kill(os.getpid(), signal.SIGKILL)

Ledger.append_all = killed_around_the_record
sys.exit(main(sys.argv[2:]))
"""


def _exported_entries(vault: Vault, keys: Keyring) -> list[str]:
    report = verify_ledger(vault, keys, keep_entries=True)
    assert report.ok, report.failure
    return [opened.signed.entry.outputs[0]["tagmanifest_sha256"] for opened in report.opened
            if opened.signed.entry.action == "exported"]


@pytest.mark.parametrize("bag", ["folder", "zip"])
@pytest.mark.parametrize("moment", ["before", "after"])
def test_a_kill_around_the_export_record_never_leaves_a_bundle_the_ledger_does_not_record(
        tmp_path: Path, journey: dict, moment: str, bag: str) -> None:
    """The export's entry is written once the bag is on disk and before it is named: SIGKILL
    just before them leaves neither record nor bundle; just after, a record and no bundle."""
    editor, keys = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
    recorded_before = _exported_entries(editor, keys)
    out = tmp_path / "out"
    out.mkdir()
    target = out / ("bundle.zip" if bag == "zip" else "bundle")
    args = ["--vault", str(editor.root), "export", "--all", "-o", str(target), *(["--zip"] if bag == "zip" else [])]
    child = subprocess.run([sys.executable, "-c", KILLED_AROUND_THE_RECORD, moment, *args],
                           capture_output=True, text=True, env=cli_env(tmp_path), timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert not os.path.lexists(target)
    recorded_after = _exported_entries(editor, keys)
    new_records = len(recorded_after) - len(recorded_before)
    assert new_records == (1 if moment == "after" else 0)  # one `exported` entry per bundle
    leftovers = [p.name for p in out.iterdir()]
    if bag == "zip":
        assert leftovers == []  # it was nameless
    else:
        assert len(leftovers) == 1 and leftovers[0].startswith(".bundle.partial-")
    finished = subprocess.run([sys.executable, "-m", "intake", *args], capture_output=True, text=True,
                              env=cli_env(tmp_path), timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert [p.name for p in out.iterdir()] == [target.name]
