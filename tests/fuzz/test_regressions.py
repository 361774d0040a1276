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

from intake.clean import clean_bytes
from seeds import FIELD_TIP, pdf_extras
from targets import TARGETS, Case, Context, run_case, run_input

REGRESSIONS = Path(__file__).resolve().parent / "regressions"

OWNED_ELSEWHERE = {
    "pdf/pdf-a70544a779.bin": "pdf (issue 11 part 1): an annotation dictionary with a malformed key keeps a planted "
                              "author string in the clean copy; sanitize succeeds",
    "submission/submission-tar-9aea153aef.json": "receive (issue 11 part 4): a submission whose entry's tlog-proof `extra` "
                                   "line was altered passes every check of check_submission",
}


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


@pytest.mark.xfail(strict=True, reason="pdf (issue 11 part 1): a form field's tooltip (/TU) is not needed to render "
                                       "and is kept in the clean copy")
def test_form_field_tooltip_does_not_survive_cleaning() -> None:
    """Found by the pdf-extras seed itself, before any mutation."""
    assert FIELD_TIP.encode() not in clean_bytes(pdf_extras()).data
