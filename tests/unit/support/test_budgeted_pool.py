"""Budgeted pool workers (intake/budget.py): each item within its own time limit, a worker past
it killed and replaced, a crash a refusal, and the files a worker writes handed over nameless,
so that nothing it half-wrote can ever carry a name."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from conftest import no_children_left
from intake.budget import BudgetedPool
from intake.errors import TimeLimitExceeded
from intake.errors import IntakeError, Refused
from intake.support.fsutil import NewFile, sync_open_files


def _act(item: str) -> tuple[object, list[int]]:
    """What each test item does in a worker."""
    if item == "slow":
        time.sleep(30)
    if item == "slowish":
        time.sleep(0.3)
    if item == "crash":  # as a segfault in a C library would
        os.kill(os.getpid(), signal.SIGKILL)
    if item == "refuse":
        raise Refused("the walker refused it")
    if item == "broken":
        raise IntakeError("cannot write there")
    return (item.upper(), os.getpid()), []


def _outcomes(items: list[str], limits: list[float], size: int = 2) -> dict[str, object]:
    outcomes: dict[str, object] = {}
    for done in BudgetedPool(_act, items, size).run(limits):
        outcomes[items[done.index]] = done.error if done.error is not None else done.report
    return outcomes


def test_an_item_past_its_limit_is_refused_and_the_others_go_on() -> None:
    items = ["a", "slow", "b", "crash", "c", "refuse", "d", "broken", "e"]
    limits = [0.5 if item == "slow" else 20.0 for item in items]
    started = time.monotonic()
    outcomes = _outcomes(items, limits)
    assert time.monotonic() - started < 10
    assert isinstance(outcomes["slow"], TimeLimitExceeded)
    assert str(outcomes["slow"]) == "took longer than 0.5 s; refused (the limit is INTAKE_TIME_LIMIT)"
    assert isinstance(outcomes["crash"], Refused) and "stopped abruptly" in str(outcomes["crash"])
    assert isinstance(outcomes["refuse"], Refused) and str(outcomes["refuse"]) == "the walker refused it"
    assert isinstance(outcomes["broken"], IntakeError) and not isinstance(outcomes["broken"], Refused)
    reports = {item: outcomes[item] for item in "abcde"}
    assert {item: report[0] for item, report in reports.items()} == {item: item.upper() for item in "abcde"}
    assert os.getpid() not in {report[1] for report in reports.values()}  # done in the workers
    assert no_children_left()


def test_items_queued_behind_one_past_its_limit_go_to_a_new_worker() -> None:
    """One worker holds its next item in its channel while it works; killed at the first
    item's limit, the next one is not refused but done by the worker that replaces it."""
    items = ["slow", "a", "b", "crash", "c"]
    outcomes = _outcomes(items, [0.5, 10.0, 10.0, 10.0, 10.0], size=1)
    assert isinstance(outcomes["slow"], TimeLimitExceeded)
    assert isinstance(outcomes["crash"], Refused) and "stopped abruptly" in str(outcomes["crash"])
    finished = {item: outcomes[item] for item in "abc"}
    assert {item: report[0] for item, report in finished.items()} == {"a": "A", "b": "B", "c": "C"}
    assert finished["a"][1] != finished["c"][1]  # the crash took its worker down: c had a new one
    assert no_children_left()


def test_a_worker_that_dies_before_its_next_item_is_sent_has_its_item_reported() -> None:
    """The caller is slow to take each outcome, so the worker crashes on its queued item before
    the next is sent to it: that send fails, and the crashed item is still reported, not lost."""
    items = ["a", "crash", "b"]
    outcomes: dict[str, object] = {}
    for done in BudgetedPool(_act, items, 1).run([10.0] * len(items)):
        outcomes[items[done.index]] = done.error if done.error is not None else done.report
        time.sleep(0.5)
    assert sorted(outcomes) == sorted(items)
    assert isinstance(outcomes["crash"], Refused) and "stopped abruptly" in str(outcomes["crash"])
    assert outcomes["a"][0] == "A" and outcomes["b"][0] == "B"
    assert no_children_left()


def test_a_result_waiting_for_a_slow_caller_is_still_held_to_its_limit() -> None:
    """The worker finishes its queued item (0.3 s, limit 0.2 s) while the caller dwells on the one
    before: the result is there when the pool looks, and is refused all the same."""
    items = ["a", "slowish"]
    outcomes: dict[str, object] = {}
    for done in BudgetedPool(_act, items, 1).run([0.2, 0.2]):
        outcomes[items[done.index]] = done.error if done.error is not None else done.report
        time.sleep(0.6)
    assert outcomes["a"][0] == "A"
    assert isinstance(outcomes["slowish"], TimeLimitExceeded)
    assert no_children_left()


def test_one_worker_takes_the_items_one_at_a_time_in_order() -> None:
    items = [f"item{n}" for n in range(6)]
    order = [items[done.index] for done in BudgetedPool(_act, items, 1).run([10.0] * len(items))]
    assert order == items
    assert no_children_left()


def _write(item: tuple[Path, bytes]) -> tuple[object, list[int]]:
    target, data = item
    output = NewFile(target)
    output.handle.write(data)
    if data == b"stop":
        time.sleep(30)  # killed at its limit, the file written but never handed over
    fd, partial = output.hand_over()
    return partial, [fd]


def test_files_written_in_a_worker_are_named_here_and_a_killed_one_leaves_nothing(tmp_path: Path) -> None:
    items = [(tmp_path / "one.bin", b"first"), (tmp_path / "killed.bin", b"stop"), (tmp_path / "two.bin", b"x" * 70000)]
    written: list[NewFile] = []
    refused = []
    for done in BudgetedPool(_write, items, 2).run([20.0, 0.5, 20.0]):
        target = items[done.index][0]
        if done.error is not None:
            refused.append((target.name, type(done.error)))
            continue
        assert list(tmp_path.iterdir()) == []  # handed over nameless: nothing shows before it is named
        written.append(NewFile.adopt(target, done.fds[0], done.report))  # type: ignore[arg-type]
    sync_open_files([output.handle for output in written])
    for output in written:
        output.commit(synced=True)
    assert refused == [("killed.bin", TimeLimitExceeded)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.bin", "two.bin"]
    assert (tmp_path / "one.bin").read_bytes() == b"first"
    assert (tmp_path / "two.bin").read_bytes() == b"x" * 70000
    assert oct((tmp_path / "two.bin").stat().st_mode & 0o777) == "0o600"


def test_a_name_taken_meanwhile_is_never_replaced(tmp_path: Path) -> None:
    output = NewFile(tmp_path / "taken.bin")
    output.handle.write(b"new")
    adopted = NewFile.adopt(tmp_path / "taken.bin", *output.hand_over())
    (tmp_path / "taken.bin").write_bytes(b"someone else's")
    with pytest.raises(IntakeError, match="appeared while it was being written"):
        adopted.commit(synced=True)
    assert (tmp_path / "taken.bin").read_bytes() == b"someone else's"
