"""Trusted time (RFC 3161): exports time-stamp their checkpoint at the desk's TSAs, `intake verify`
and `openssl ts -verify` check the tokens. Real TSAs on 127.0.0.1 (pyHanko's test time-stamper
behind a throwaway CA), real vaults, real bundles, real openssl."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import bagit
import pytest

from conftest import copy_vault, take_in
from intake.bundle.export import ExportResult, export_bundle
from intake.bundle.recipe import recipe_commands
from intake.bundle.verify import VerifyReport, verify_bundle
from intake.samples import write_letter_photo_notes
from intake.timestamp.authorities import add_tsa
from intake.errors import TimeStampError
from intake.timestamp.rfc3161 import request_timestamp
from intake.timestamp.stamps import chain_file, token_file
from intake.vault import Vault
from intake.keys.keystore import Keyring
from local_tsa import Authority, LocalTsa, closed_port_url, make_authority, serve

CHECKPOINT = "provenance/checkpoint.txt"


@pytest.fixture(scope="module")
def alpha() -> Authority:
    return make_authority("Alpha")


@pytest.fixture(scope="module")
def beta() -> Authority:
    return make_authority("Beta")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory, template_vault) -> tuple[Path, Keyring]:
    """A desk vault holding one clean copy, copied for each test."""
    base = tmp_path_factory.mktemp("desk")
    vault, keyring = copy_vault(template_vault, base / "vault")
    take_in(vault, keyring, write_letter_photo_notes(base / "inbox")[1:2])
    return vault.root, keyring


@pytest.fixture
def desk(prepared: tuple[Path, Keyring], tmp_path: Path) -> tuple[Vault, Keyring]:
    return copy_vault(prepared, tmp_path / "vault")


def export_with(desk: tuple[Vault, Keyring], urls_and_cas: list[tuple[str, Authority]], target: Path) -> ExportResult:
    vault, keyring = desk
    for url, authority in urls_and_cas:
        keyring = add_tsa(vault, keyring, url, authority.ca_pem(target.parent / "ca.pem").read_text())
    return export_bundle(vault, keyring, None, target)


def openssl_ts_verify(bundle: Path, number: int, ca_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", "ts", "-verify", "-data", CHECKPOINT, "-in", token_file(number), "-CAfile", str(ca_file),
         "-untrusted", chain_file(number)],
        cwd=bundle, capture_output=True, text=True, timeout=60)


def failed(report: VerifyReport) -> list[str]:
    return [f"{c.what}: {c.reason}" for c in report.checks if not c.ok]


@pytest.fixture
def stamped(desk: tuple[Vault, Keyring], alpha: Authority, tmp_path: Path) -> tuple[Path, ExportResult]:
    tsa = LocalTsa(alpha)
    with serve(tsa) as url:
        result = export_with(desk, [(url, alpha)], tmp_path / "bundle")
    assert tsa.requests == 1
    return tmp_path / "bundle", result


def test_an_export_carries_a_token_that_intake_and_openssl_accept(stamped, alpha: Authority, tmp_path: Path) -> None:
    bundle, result = stamped
    [outcome] = result.timestamps
    assert outcome.token_file == "provenance/timestamps/1.tsr" and outcome.problem is None
    assert (bundle / "provenance/timestamps/1.tsr").is_file() and (bundle / "provenance/timestamps/1.chain.pem").is_file()

    report = verify_bundle(bundle, allow_unpinned=True, tsa_roots=[alpha.ca])
    assert report.ok, failed(report)
    [stamp] = report.timestamps
    assert stamp.ok and stamp.pinned and stamp.gen_time == outcome.gen_time and "Alpha Time Stamping" in stamp.tsa
    assert any(c.what.startswith(f"{stamp.file}: the checkpoint existed by {stamp.gen_time}") for c in report.checks)

    bagit.Bag(str(bundle)).validate()  # the tokens are tag files a second BagIt implementation covers too

    ca_file = alpha.ca_pem(tmp_path / "alpha-ca.pem")
    checked = openssl_ts_verify(bundle, 1, ca_file)
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr


def test_verify_txt_has_the_openssl_step_and_it_runs_as_written(stamped, alpha: Authority) -> None:
    bundle, _ = stamped
    recipe = (bundle / "VERIFY.txt").read_text()
    assert "never from this bundle" in recipe
    [(title, commands)] = [(t, c) for t, c in recipe_commands(recipe) if "RFC 3161" in t]
    assert any(c.startswith("openssl ts -verify") for c in commands)
    alpha.ca_pem(bundle / "TSA-CA.pem")  # the reader saves the TSA's CA certificate, from the TSA, first
    for command in commands:
        ran = subprocess.run(["bash", "-c", command], cwd=bundle, capture_output=True, text=True)
        assert ran.returncode == 0, (command, ran.stderr)
        assert "Verification: OK" in ran.stdout or "Time stamp:" in ran.stdout, (command, ran.stdout)


def test_without_a_tsa_ca_the_time_is_shown_but_not_pinned(stamped) -> None:
    bundle, _ = stamped
    report = verify_bundle(bundle, allow_unpinned=True)
    assert report.ok, failed(report)
    [stamp] = report.timestamps
    assert stamp.ok and not stamp.pinned
    assert any("the TSA is NOT pinned" in c.what for c in report.checks)


def test_an_altered_checkpoint_is_rejected_by_intake_and_openssl(stamped, alpha: Authority, tmp_path: Path) -> None:
    bundle, _ = stamped
    with open(bundle / CHECKPOINT, "ab") as checkpoint:
        checkpoint.write(b"\n")
    assert not verify_bundle(bundle, allow_unpinned=True, tsa_roots=[alpha.ca]).ok
    checked = openssl_ts_verify(bundle, 1, alpha.ca_pem(tmp_path / "alpha-ca.pem"))
    assert checked.returncode != 0 and "Verification: OK" not in checked.stdout


def test_a_token_for_another_checkpoint_fails(stamped, desk, alpha: Authority, tmp_path: Path) -> None:
    bundle, _ = stamped
    with serve(LocalTsa(alpha)) as url:
        later = export_with(desk, [(url, alpha)], tmp_path / "later").target  # the `exported` entries grew the log
    shutil.copy(later / token_file(1), bundle / token_file(1))
    report = verify_bundle(bundle, allow_unpinned=True, tsa_roots=[alpha.ca])
    [stamp] = report.timestamps
    assert not stamp.ok and "made for other data" in (stamp.reason or "")
    assert not verify_bundle(bundle, allow_unpinned=True).timestamps[0].ok  # nor against the bundle's own chain


def test_a_token_from_another_ca_fails(stamped, alpha: Authority, beta: Authority, tmp_path: Path) -> None:
    bundle, _ = stamped
    report = verify_bundle(bundle, allow_unpinned=True, tsa_roots=[beta.ca])
    assert not report.ok and not report.timestamps[0].ok
    assert "TSA CA you gave" in (report.timestamps[0].reason or "")
    assert openssl_ts_verify(bundle, 1, beta.ca_pem(tmp_path / "beta-ca.pem")).returncode != 0


def test_a_forged_token_with_its_own_ca_in_the_bundle_fails_when_pinned(
        desk, alpha: Authority, tmp_path: Path) -> None:
    """A forger time-stamps with a TSA of their own and ships its CA in the chain file: the bundle's own
    chain accepts it (reported unpinned), the reader's TSA CA does not, even beside the forger's CA."""
    forger = make_authority("Alpha")  # same names, other keys
    with serve(LocalTsa(forger)) as url:
        bundle = export_with(desk, [(url, forger)], tmp_path / "bundle").target
    unpinned = verify_bundle(bundle, allow_unpinned=True)
    assert unpinned.timestamps[0].ok and not unpinned.timestamps[0].pinned
    pinned = verify_bundle(bundle, allow_unpinned=True, tsa_roots=[alpha.ca])
    assert not pinned.ok and not pinned.timestamps[0].ok


def test_a_tsa_that_is_down_does_not_stop_the_export(desk, alpha: Authority, tmp_path: Path) -> None:
    result = export_with(desk, [(closed_port_url(), alpha)], tmp_path / "bundle")
    [outcome] = result.timestamps
    assert outcome.token_file is None and "could not be reached" in (outcome.problem or "")
    assert not (tmp_path / "bundle" / "provenance" / "timestamps").exists()
    assert "openssl ts" not in (tmp_path / "bundle" / "VERIFY.txt").read_text()
    assert verify_bundle(result.target, allow_unpinned=True).ok
    wanted = verify_bundle(result.target, allow_unpinned=True, tsa_roots=[alpha.ca])
    assert not wanted.ok and "carries no time stamp" in (wanted.timestamps[0].reason or "")


@pytest.mark.parametrize("mode, says", [
    ("garbage", "not an RFC 3161 time-stamp response"),
    ("huge", "larger than 256 KiB"),
    ("refuse", "did not grant the time stamp (status 2: rejection)"),
])
def test_a_tsa_answering_nonsense_is_reported_and_the_export_goes_on(
        desk, alpha: Authority, tmp_path: Path, mode: str, says: str) -> None:
    with serve(LocalTsa(alpha, mode)) as bad, serve(LocalTsa(alpha)) as good:
        result = export_with(desk, [(bad, alpha), (good, alpha)], tmp_path / "bundle")
    first, second = result.timestamps
    assert first.token_file is None and says in (first.problem or ""), first.problem
    assert second.token_file == token_file(1)
    report = verify_bundle(result.target, allow_unpinned=True, tsa_roots=[alpha.ca])
    assert report.ok and len(report.timestamps) == 1, failed(report)


def test_a_tsa_certificate_without_the_critical_eku_is_not_trusted(desk, tmp_path: Path) -> None:
    lax = make_authority("Lax", eku_critical=False)
    with serve(LocalTsa(lax)) as url:
        result = export_with(desk, [(url, lax)], tmp_path / "bundle")
    assert result.timestamps[0].token_file is None and "critical timeStamping EKU" in (result.timestamps[0].problem or "")


@pytest.mark.parametrize("mode, says", [
    ("silent", "could not be reached (timed out)"),
    ("drip", "did not finish its answer in time"),
])
def test_a_tsa_that_stalls_is_given_up_on_in_bounded_time(alpha: Authority, mode: str, says: str) -> None:
    with serve(LocalTsa(alpha, mode)) as url:
        started = time.monotonic()
        with pytest.raises(TimeStampError, match=re.escape(says)):
            request_timestamp(url, [alpha.ca], b"a checkpoint\n", timeout=1.0)
        assert time.monotonic() - started < 3.5
