"""Every input a fuzzing campaign found (crash, hang, memory blowup, fail-open), replayed.

Inputs of the format and media targets are kept as the minimised file itself,
named after the seed whose planted values it carries (<seed>-<tag>.bin). The
targets that need a vault (bundle, submission, ledger texts) are kept as their
seed's name and mutations (<seed>-<tag>.json): their seeds are signed with keys
made fresh each run, so the mutations are applied again to this run's seeds.

Findings in modules that other work owns are expected to fail until it lands:
they are listed in OWNED_ELSEWHERE (strict, so a fix shows up as XPASS and the
entry must go).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import base64
import re

from containers import tar_members
from intake.clean import clean_bytes
from seeds import FIELD_TIP, pdf_extras
from targets import TARGETS, Case, Context, FailedOpen, run_case, run_input

REGRESSIONS = Path(__file__).resolve().parent / "regressions"

OWNED_ELSEWHERE: dict[str, str] = {}  # every finding so far is fixed; a new one owned by another module goes here


def _kept() -> list:
    params = []
    for path in sorted(REGRESSIONS.glob("*/*")):
        key = f"{path.parent.name}/{path.name}"
        marks = [pytest.mark.xfail(strict=True, reason=OWNED_ELSEWHERE[key])] if key in OWNED_ELSEWHERE else []
        params.append(pytest.param(path, id=key, marks=marks))
    return params


@pytest.mark.parametrize("path", _kept())
def test_kept_input_meets_the_property(path: Path, fuzz_context: Context) -> None:
    target = TARGETS[path.parent.name]
    if path.suffix == ".json":
        run_case(fuzz_context, target, Case.from_dict(json.loads(path.read_text())))
        return
    seed_name = path.stem.rsplit("-", 1)[0]
    run_input(fuzz_context, target, fuzz_context.seed(target, seed_name), path.read_bytes())


def test_every_kept_xfail_exists() -> None:
    assert all((REGRESSIONS / key).is_file() for key in OWNED_ELSEWHERE)


def test_a_replaced_proof_extra_does_not_pass_check_submission(fuzz_context: Context) -> None:
    """Found by the submission target as a bit flip inside the base64 of `extra`; kept in this
    form because which flips stay valid base64 depends on the run's fresh keys."""
    target = TARGETS["submission"]
    seed = fuzz_context.seed(target, "submission-tar")
    manifest = tar_members(seed.data)[0][1]
    other = base64.b64encode(bytes(64)).decode().encode()
    altered = re.sub(rb"extra [A-Za-z0-9+/=]+", b"extra " + other, manifest, count=1)
    assert altered != manifest and len(altered) == len(manifest)
    run_input(fuzz_context, target, seed, seed.data.replace(manifest, altered))
