"""One fuzzing context per session: seeds are built once, the vaults on first use."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parent))  # after tests/: `conftest` stays the suite's own

from targets import Context  # noqa: E402


@pytest.fixture(scope="session")
def fuzz_context(tmp_path_factory: pytest.TempPathFactory) -> Context:
    return Context(tmp_path_factory.mktemp("fuzz"))
