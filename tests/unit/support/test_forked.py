"""Work over slices on every core: the same results as one process, failures in order, and the ledger
audit still finding a tampered entry or sealed file that falls in a child's slice."""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from conftest import PASSPHRASE
from intake.forked import forked_map
from intake.support.hashing import digest_bytes
from intake.ledger.audit import audit
from intake.ledger.entries import Draft
from intake.keys.seal import seal
from intake.vault import create_vault

TWO_CORES = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: nothing is forked")


def squares_and_pids(items: Sequence[int]) -> list[tuple[int, int]]:
    return [(n * n, os.getpid()) for n in items]


@TWO_CORES
def test_results_are_those_of_one_process_in_order() -> None:
    items = list(range(5000))
    results = forked_map(squares_and_pids, items)
    assert [square for square, _ in results] == [n * n for n in items]
    assert len({pid for _, pid in results}) == min(os.cpu_count() or 1, 5)  # slices of at least 1000
    assert results[0][1] == os.getpid()


def fails_at_4321(items: Sequence[int]) -> list[int]:
    if 4321 in items:
        raise ValueError("item 4321 is bad")
    return list(items)


@TWO_CORES
def test_an_error_in_a_child_is_raised_here() -> None:
    with pytest.raises(ValueError, match="item 4321 is bad"):
        forked_map(fails_at_4321, list(range(5000)))
    assert forked_map(fails_at_4321, list(range(4000))) == list(range(4000))


def test_with_other_threads_everything_runs_here() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        results = forked_map(squares_and_pids, list(range(5000)))
    finally:
        stop.set()
        thread.join()
    assert {pid for _, pid in results} == {os.getpid()}


ENTRIES = 2000  # two slices of 1000: the second is opened in a child


@pytest.fixture(scope="module")
def big_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("forked") / "vault"
    vault = create_vault(root, "forked", PASSPHRASE)
    keyring = vault.unlock(PASSPHRASE)
    recipients = list(keyring.seal_recipients())
    with vault.locked(), vault.ledger() as ledger:
        for _ in range(ENTRIES // 500):
            drafts = []
            for _ in range(500):
                original, blob = secrets.token_bytes(32), f"{secrets.token_hex(16)}.age"
                (vault.blobs / blob).write_bytes(seal(original, recipients))
                drafts.append(Draft("received", f"itm_{secrets.token_hex(8)}",
                                    outputs=({"role": "original", **digest_bytes(original).to_dict(), "blob": blob},)))
            ledger.append_all(drafts, keyring)
    return root


def audited(root: Path):  # type: ignore[no-untyped-def]
    from intake.vault import Vault

    vault = Vault.open(root)
    keyring = vault.unlock(PASSPHRASE)
    with vault.ledger() as ledger:
        return audit(ledger.store, vault.config.origin, vault.verifier, keyring, vault.blobs)


@TWO_CORES
def test_an_intact_big_ledger_verifies(big_vault: Path) -> None:
    report = audited(big_vault)
    assert report.ok, report.failure
    assert len(report.signed) == ENTRIES


@TWO_CORES
def test_a_swapped_entry_in_the_second_slice_is_named(big_vault: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "vault"
    shutil.copytree(big_vault, root)
    db = sqlite3.connect(root / "ledger.sqlite")
    with db:
        (a,), (b,) = db.execute("SELECT sealed FROM entries WHERE idx IN (1700, 1800) ORDER BY idx").fetchall()
        db.execute("UPDATE entries SET sealed = ? WHERE idx = 1700", (b,))
    db.close()
    report = audited(root)
    assert not report.ok and report.failure is not None and report.failure.startswith("entry 1700:")


@TWO_CORES
def test_a_replaced_blob_in_the_second_slice_is_named(big_vault: Path, tmp_path: Path) -> None:
    import shutil

    from intake.vault import Vault

    root = tmp_path / "vault"
    shutil.copytree(big_vault, root)
    keyring = Vault.open(root).unlock(PASSPHRASE)
    report = audited(root)
    output = report.signed[1900].entry.outputs[0]
    (root / "blobs" / output["blob"]).write_bytes(seal(b"another file", list(keyring.seal_recipients())))
    report = audited(root)
    assert report.failure is not None and report.failure.startswith("entry 1900:") and "replaced" in report.failure
