"""Every parser against mutated seeds, briefly: a fixed number of derandomized examples per target.

The property is the target's (targets.py): only the documented refusals, no
input over the time limit or the memory bound, and fail-closed (nothing planted
survives a successful clean, nothing altered verifies). INTAKE_FUZZ_EXAMPLES
sets the number of examples for every target; tests/fuzz/run.py runs longer,
random campaigns and keeps what they find (docs/fuzzing.md).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mutations import mutation_lists
from targets import TARGETS, TIME_LIMIT, Case, Context

# Examples per target in ./dev test: a few seconds each on a shared machine.
EXAMPLES = {"bundle": 150, "submission": 150, "pdf": 400, "ooxml": 400, "odf": 400, "icc": 250, "metadata": 250}
DEFAULT_EXAMPLES = 500


def _examples(name: str) -> int:
    return int(os.environ.get("INTAKE_FUZZ_EXAMPLES") or EXAMPLES.get(name, DEFAULT_EXAMPLES))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_mutated_seeds_meet_the_property(name: str, fuzz_context: Context) -> None:
    target = TARGETS[name]
    seed_names = [seed.name for seed in fuzz_context.seeds_of(target)]
    members = st.none() | st.integers(0, 63) if target.container else st.none()

    @settings(max_examples=_examples(name), deadline=(TIME_LIMIT + 1) * 1000, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(seed=st.sampled_from(seed_names), member=members, mutations=mutation_lists())
    def fuzz(seed: str, member: int | None, mutations: list) -> None:
        fuzz_context_run(Case(name, seed, tuple(mutations), member))

    def fuzz_context_run(case: Case) -> None:
        from targets import run_case

        run_case(fuzz_context, target, case)

    fuzz()
