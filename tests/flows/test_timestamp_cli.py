"""The `tsa` commands, `export` saying what trusted time it got, and `verify --tsa-ca`, run as a user
would: the real `intake` command against a TSA the test starts on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from conftest import copy_vault, take_in
from intake.samples import write_letter_photo_notes
from local_tsa import LocalTsa, closed_port_url, make_authority, serve


@pytest.fixture
def vault(tmp_path: Path, template_vault) -> Path:
    desk, keyring = copy_vault(template_vault, tmp_path / "vault")
    take_in(desk, keyring, write_letter_photo_notes(tmp_path / "inbox")[1:2])
    return desk.root


def test_tsa_add_list_export_verify_remove(cli, vault: Path, tmp_path: Path) -> None:
    alpha = make_authority("Alpha")
    ca = alpha.ca_pem(tmp_path / "alpha-ca.pem")
    with serve(LocalTsa(alpha)) as url:
        added = cli("--vault", vault, "tsa", "add", url, ca)
        assert added.returncode == 0 and "learns the checkpoint's hash" in added.stdout, added.stderr
        assert url.encode() not in b"".join(p.read_bytes() for p in vault.rglob("*") if p.is_file())  # sealed
        listed = cli("--vault", vault, "tsa", "list")
        assert url in listed.stdout and "Alpha Root CA" in listed.stdout
        exported = cli("--vault", vault, "export", "--all", "-o", tmp_path / "bundle.zip", "--zip")
    assert exported.returncode == 0, exported.stderr
    assert f"time-stamped by {url}: the checkpoint existed by" in exported.stdout

    verified = cli("verify", tmp_path / "bundle.zip", "--allow-unpinned", "--tsa-ca", ca)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "ok    provenance/timestamps/1.tsr: the checkpoint existed by" in verified.stdout
    assert "CN=Alpha Time Stamping" in verified.stdout

    as_json = json.loads(cli("verify", tmp_path / "bundle.zip", "--allow-unpinned", "--json").stdout)
    [stamp] = as_json["timestamps"]
    assert stamp["ok"] and not stamp["pinned"] and stamp["file"] == "provenance/timestamps/1.tsr"
    assert stamp["gen_time"].endswith("Z") and "Alpha Time Stamping" in stamp["tsa"]

    other = make_authority("Other").ca_pem(tmp_path / "other-ca.pem")
    wrong = cli("verify", tmp_path / "bundle.zip", "--allow-unpinned", "--tsa-ca", other)
    assert wrong.returncode == 1 and "FAIL  provenance/timestamps/1.tsr" in wrong.stdout

    removed = cli("--vault", vault, "tsa", "remove", url)
    assert removed.returncode == 0 and "no time-stamping authority" in cli("--vault", vault, "tsa", "list").stdout
    again = cli("--vault", vault, "tsa", "remove", url)
    assert again.returncode == 2 and again.stderr.startswith("intake: error: no time-stamping authority")


def test_an_export_says_when_a_tsa_gave_no_time(cli, vault: Path, tmp_path: Path) -> None:
    ca = make_authority("Alpha").ca_pem(tmp_path / "alpha-ca.pem")
    down = closed_port_url()
    assert cli("--vault", vault, "tsa", "add", down, ca).returncode == 0
    exported = cli("--vault", vault, "export", "--all", "-o", tmp_path / "bundle")
    assert exported.returncode == 0, exported.stderr
    assert f"NO trusted time from {down}" in exported.stdout and "carries no time stamp from it" in exported.stdout
    wanted = cli("verify", tmp_path / "bundle", "--allow-unpinned", "--tsa-ca", ca)
    assert wanted.returncode == 1 and "the bundle carries no time stamp" in wanted.stdout


def given_file(kind: str, path: Path) -> Path:
    authority = make_authority("Alpha")
    contents = {
        "the TSA's own certificate": authority.tsa.public_bytes(Encoding.PEM),
        "text": b"not a certificate\n",
        "two CAs": authority.ca.public_bytes(Encoding.PEM) * 2,
    }
    path.write_bytes(contents[kind])
    return path


@pytest.mark.parametrize("kind, says", [
    ("the TSA's own certificate", "is not a CA certificate"),
    ("text", "holds no readable PEM certificate"),
    ("two CAs", "exactly one certificate"),
])
def test_tsa_add_refuses_what_is_not_a_ca_certificate(cli, vault: Path, tmp_path: Path, kind: str, says: str) -> None:
    certfile = given_file(kind, tmp_path / "given.pem")
    refused = cli("--vault", vault, "tsa", "add", "http://127.0.0.1:1/tsa", certfile)
    assert refused.returncode == 2 and refused.stderr.startswith("intake: error:") and says in refused.stderr
    assert refused.stderr.count("\n") == 1


@pytest.mark.parametrize("url", ["ftp://tsa.example/", "tsa.example", "https://user:secret@tsa.example/"])
def test_tsa_add_refuses_a_url_it_would_not_use(cli, vault: Path, tmp_path: Path, url: str) -> None:
    ca = make_authority("Alpha").ca_pem(tmp_path / "ca.pem")
    refused = cli("--vault", vault, "tsa", "add", url, ca)
    assert refused.returncode == 2 and "intake: error: the TSA's URL" in refused.stderr
    assert "secret" not in refused.stderr
