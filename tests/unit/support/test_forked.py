"""Work in chunks on every core: the same results as one process, in order, failures at their chunk,
workers ended and reaped however the caller leaves, and the ledger audit still finding a tampered
entry or sealed file that a worker opened."""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from conftest import PASSPHRASE, no_children_left
from intake.forked import ForkedChunks
from intake.support.hashing import digest_bytes
from intake.ledger.audit import audit
from intake.ledger.entries import Draft
from intake.keys.seal import seal
from intake.vault import create_vault

TWO_CORES = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: nothing is forked")


def square_and_pid(number: int) -> tuple[int, int]:
    return number * number, os.getpid()


@TWO_CORES
def test_results_are_those_of_one_process_in_order() -> None:
    with ForkedChunks(square_and_pid, 50) as chunks:
        results = list(chunks)
    assert [square for square, _ in results] == [n * n for n in range(50)]
    pids = {pid for _, pid in results}
    assert len(pids) == len(os.sched_getaffinity(0)) and os.getpid() not in pids
    assert no_children_left()


def slow_then_fast(number: int) -> tuple[int, int]:
    """Chunk 0 is slow: the other worker must go on with later chunks meanwhile."""
    if number == 0:
        time.sleep(0.5)
    return number, os.getpid()


@TWO_CORES
def test_a_slow_chunk_does_not_hold_the_other_workers() -> None:
    with ForkedChunks(slow_then_fast, 12, ahead=4) as chunks:
        results = list(chunks)
    assert [n for n, _ in results] == list(range(12))
    slow = results[0][1]
    assert sum(pid != slow for _, pid in results) > len(results) // 2  # the fast worker took most chunks


def fails_at_7(number: int) -> int:
    if number == 7:
        raise ValueError("chunk 7 is bad")
    return number


@TWO_CORES
def test_an_error_in_a_worker_is_raised_at_its_chunk() -> None:
    seen = []
    with pytest.raises(ValueError, match="chunk 7 is bad"):
        with ForkedChunks(fails_at_7, 20) as chunks:
            for result in chunks:
                seen.append(result)
    assert seen == list(range(7))
    assert no_children_left()


def interrupted_at_3(number: int) -> int:
    if number == 3:
        raise KeyboardInterrupt
    return number


@TWO_CORES
def test_an_interrupt_in_a_worker_is_raised_at_its_chunk_too() -> None:
    """Not only Exception: a worker interrupted in a chunk (a bag's writer stopped by Ctrl-C) hands
    the interrupt back, and the caller stops as it would have in one process."""
    seen = []
    with pytest.raises(KeyboardInterrupt):
        with ForkedChunks(interrupted_at_3, 10) as chunks:
            for result in chunks:
                seen.append(result)
    assert seen == [0, 1, 2]
    assert no_children_left()


@TWO_CORES
def test_leaving_early_ends_and_reaps_every_worker() -> None:
    with ForkedChunks(slow_then_fast, 40) as chunks:
        assert next(iter(chunks))[0] == 0
    assert no_children_left()


@TWO_CORES
def test_workers_start_before_the_first_result_is_asked_for() -> None:
    """The audit checks its checkpoints meanwhile: the workers must be at work already."""
    started = time.monotonic()
    with ForkedChunks(lambda number: time.sleep(0.3) or number, 8) as chunks:
        time.sleep(0.7)  # two rounds of two chunks on two workers: the chunks each one holds
        chunks.poll()    # the caller between two steps: two more each
        time.sleep(0.7)
        waited = time.monotonic()
        assert list(chunks) == list(range(8))
    assert time.monotonic() - waited < 0.25 < waited - started


def test_with_other_threads_everything_runs_here() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with ForkedChunks(square_and_pid, 10) as chunks:
            results = list(chunks)
    finally:
        stop.set()
        thread.join()
    assert {pid for _, pid in results} == {os.getpid()}
    assert [square for square, _ in results] == [n * n for n in range(10)]


def test_one_chunk_runs_here() -> None:
    with ForkedChunks(square_and_pid, 1) as chunks:
        assert list(chunks) == [(0, os.getpid())]


ENTRIES = 2000  # two chunks of 1,024 entries and less: each opened by a worker


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
def test_a_swapped_entry_in_the_second_chunk_is_named(big_vault: Path, tmp_path: Path) -> None:
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
def test_a_replaced_blob_in_the_second_chunk_is_named(big_vault: Path, tmp_path: Path) -> None:
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
