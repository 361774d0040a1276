"""VERIFY.txt run as written, and verify_provenance.py run by a bare python3, on real bundles and on forgeries.

A stranger has bash, sha256sum, openssl, gpg and python3, an empty home and
no intake. Every command is read back out of VERIFY.txt and run by bash in a
copy of a real exported bundle; the shipped script runs with the system
python3 in isolated mode (`-I`), never the project's virtual environment.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import random
import shutil
import subprocess
import zipfile
from pathlib import Path

import bagit
import bagit_utils
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from conftest import PASSPHRASE, take_in
from intake.bundle import verify_provenance as script
from intake.bundle.export import ExportOptions, export_bundle
from intake.bundle.recipe import SCRIPT_FILE
from intake.bundle.statement import CONTENTS_FILE
from intake.bundle.verify import verify_bundle
from intake.samples import write_letter_photo_notes
from intake.vault import Vault, VaultConfig, create_vault
from intake.keys import words
from intake.keys.keystore import Keyring
from recipe_helpers import STRANGER_PATH, failed_steps, run_recipe, run_script


@pytest.fixture
def bundle(journey: dict, tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(journey["bundle"], copy)
    return copy


pytestmark = pytest.mark.skipif(
    any(shutil.which(tool, path=STRANGER_PATH) is None for tool in ("bash", "openssl", "sha256sum", "python3")),
    reason="needs bash, openssl, sha256sum and a system python3")


def script_failures(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("FAIL")]


def intake_failures(bundle: Path, keys: Keyring) -> list[str]:
    return [f"{c.what}: {c.reason}" for c in verify_bundle(bundle, trust=keys.public).checks if not c.ok]


@pytest.fixture(scope="module")
def forgery(journey: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Keyring]:
    """An impostor's bundle: a fresh key under the editor's name, the editor's ledger origin, all signed anew."""
    base = tmp_path_factory.mktemp("forger")
    real_editor = journey["editor"][0]
    root = base / "vault"
    keys = create_vault(root, journey["editor"][1].public.name, PASSPHRASE).unlock(PASSPHRASE)
    own = VaultConfig.from_bytes((root / "vault.json").read_bytes())
    (root / "vault.json").write_bytes(VaultConfig(real_editor.config.origin, own.signing_key, own.age_recipient).to_bytes())
    vault = Vault.open(root)
    take_in(vault, keys, write_letter_photo_notes(base / "inbox"))
    target = base / "bundle"
    export_bundle(vault, keys, None, target)
    return target, keys


# --- the recipe, run as written -----------------------------------------------------------------


def test_every_step_of_verify_txt_passes_on_a_real_bundle(journey: dict, bundle: Path, tmp_path: Path) -> None:
    keys = journey["editor"][1]
    runs = run_recipe(bundle, tmp_path / "home")
    assert len(runs) >= 5 and not failed_steps(runs), [(r.title, r.output) for r in runs if r.returncode]
    key_step = runs[0].output
    assert f"{keys.public.fingerprint_hex}  -" in key_step  # computed by openssl and sha256sum from the key file
    assert keys.public.words in key_step  # and by the shipped script, with the words
    assert runs[-1].output.rstrip().splitlines()[-1].startswith("VERIFIED")


def test_verify_txt_never_states_the_fingerprint_it_asks_to_compare(journey: dict) -> None:
    recipe = (journey["bundle"] / "VERIFY.txt").read_text()
    public = journey["editor"][1].public
    assert public.fingerprint_hex[:16] not in recipe.replace(" ", "")
    assert public.words.split()[0] not in recipe.split() and public.name not in recipe


def test_a_re_signed_forgery_passes_every_step_but_shows_another_fingerprint(
    journey: dict, forgery: tuple[Path, Keyring], tmp_path: Path,
) -> None:
    real = journey["editor"][1].public
    forged, forger = forgery
    assert forger.public.name == real.name and forger.public.fingerprint != real.fingerprint
    assert (forged / "VERIFY.txt").read_bytes() == (journey["bundle"] / "VERIFY.txt").read_bytes()
    assert (forged / "provenance/checkpoint.txt").read_text().split("\n")[0] == journey["editor"][0].config.origin
    runs = run_recipe(forged, tmp_path / "home")
    assert not failed_steps(runs)  # every signature holds: for the impostor's key
    shown = runs[0].output
    assert f"{forger.public.fingerprint_hex}  -" in shown and forger.public.words in shown
    assert real.fingerprint_hex not in shown and real.words not in shown  # the reader's comparison fails

    pinned = run_script(forged, tmp_path / "home", "--fingerprint", real.fingerprint_hex)
    assert pinned.returncode == 1
    assert any("--fingerprint" in line and "not by the key you gave" in line for line in script_failures(pinned))
    assert run_script(journey["bundle"], tmp_path / "home", "--fingerprint", real.fingerprint_hex).returncode == 0
    grouped = " ".join(real.fingerprint_hex[i:i + 4] for i in range(0, 64, 4)).upper()
    assert run_script(journey["bundle"], tmp_path / "home", "--fingerprint", grouped).returncode == 0
    assert any("pinned" in f or "trusted" in f for f in intake_failures(forged, journey["editor"][1]))


def _rewrite_bagit_manifests(bundle: Path) -> None:
    """What a careful attacker does after a change: recompute the (unsigned) BagIt manifests."""
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    for algorithm in ("sha256", "sha512"):
        def listing(paths: list[Path]) -> str:
            return "".join(f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.relative_to(bundle).as_posix()}\n"
                           for p in paths)
        (bundle / f"manifest-{algorithm}.txt").write_text(listing([p for p in files if p.parts[len(bundle.parts)] == "data"]))
    for algorithm in ("sha256", "sha512"):
        tags = [p for p in sorted(p for p in bundle.rglob("*") if p.is_file())
                if p.parts[len(bundle.parts)] != "data" and not p.name.startswith("tagmanifest-")]
        (bundle / f"tagmanifest-{algorithm}.txt").write_text(
            "".join(f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.relative_to(bundle).as_posix()}\n"
                    for p in tags))


def _add_to_data(bundle: Path) -> str:
    (bundle / "data" / "extra.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    return "data/extra.jpg"


def _add_at_root(bundle: Path) -> str:
    (bundle / "notes.txt").write_text("not from the custodian\n")
    return "notes.txt"


def _add_to_provenance(bundle: Path) -> str:
    (bundle / "provenance" / "witness.txt").write_text("a claim nobody signed\n")
    return "provenance/witness.txt"


def _remove_statement_signature(bundle: Path) -> str:
    victim = next((bundle / "provenance").glob("itm_*.json.sig"))
    victim.unlink()
    return str(victim.relative_to(bundle))


def _remove_list_signature(bundle: Path) -> str:
    (bundle / f"{CONTENTS_FILE}.sig").unlink()
    return f"{CONTENTS_FILE}.sig"


def _add_list_signature_without_openpgp_key(bundle: Path) -> str:
    (bundle / f"{CONTENTS_FILE}.asc").write_text("-----BEGIN PGP SIGNATURE-----\n")
    return f"{CONTENTS_FILE}.asc"


def _swap_data_file(bundle: Path) -> str:
    victim = next((bundle / "data").glob("*.jpg"))
    victim.write_bytes(victim.read_bytes()[:-2] + b"\x00\xd9")
    return str(victim.relative_to(bundle))


@pytest.mark.parametrize(("tamper", "failing_step"), [
    (_add_to_data, "Step 2."), (_add_at_root, "Step 2."), (_add_to_provenance, "Step 2."),
    (_remove_statement_signature, "Step 2."), (_remove_list_signature, "Step 1."), (_swap_data_file, "Step 2."),
    (_add_list_signature_without_openpgp_key, "Step 2."),
])
def test_added_removed_or_swapped_files_fail_the_recipe_the_script_and_intake_verify(
    journey: dict, bundle: Path, tmp_path: Path, tamper, failing_step: str,
) -> None:
    named = tamper(bundle)
    _rewrite_bagit_manifests(bundle)  # so the BagIt layer alone would not notice
    runs = run_recipe(bundle, tmp_path / "home")
    failed = failed_steps(runs)
    assert any(title.startswith(failing_step) for title in failed), [(r.title, r.output) for r in runs]
    assert any(named in run.output for run in runs if run.title.startswith(failing_step))
    result = run_script(bundle, tmp_path / "home")
    assert result.returncode == 1 and any(named in line for line in script_failures(result)), result.stdout
    assert result.stdout.rstrip().endswith("check(s) failed")
    assert any(named in failure for failure in intake_failures(bundle, journey["editor"][1]))


# --- what only the script (and intake verify) can check ------------------------------------------


def _resign(bundle: Path, keys: Keyring, statement: Path | None = None) -> None:
    """A rogue custodian signing what it altered: the statement and the list are signed, so only deeper checks fail."""
    if statement is not None:
        (bundle / f"{statement.relative_to(bundle)}.sig").write_bytes(keys.secret.sign(statement.read_bytes()))
    contents = bundle / CONTENTS_FILE
    lines = contents.read_text().splitlines()
    listing = "".join(f"{hashlib.sha256((bundle / line[66:]).read_bytes()).hexdigest()}  {line[66:]}\n" for line in lines)
    contents.write_text(listing)
    (bundle / f"{CONTENTS_FILE}.sig").write_bytes(keys.secret.sign(listing.encode()))
    _rewrite_bagit_manifests(bundle)


def test_an_altered_proof_fails(journey: dict, bundle: Path, tmp_path: Path) -> None:
    proof = sorted((bundle / "provenance" / "proofs").iterdir())[0]
    head, _, checkpoint = proof.read_text().partition("\n\n")
    lines = head.split("\n")
    lines[-1] = base64.b64encode(bytes(32)).decode()
    proof.write_text("\n".join(lines) + "\n\n" + checkpoint)
    _resign(bundle, journey["editor"][1])
    assert not failed_steps(run_recipe(bundle, tmp_path / "home")[:-1])  # the stock tools see signed files
    result = run_script(bundle, tmp_path / "home")
    assert [line for line in script_failures(result) if proof.name in line and "does not lead" in line], result.stdout
    assert any(proof.stem in f for f in intake_failures(bundle, journey["editor"][1]))


def test_an_altered_disclosure_fails_even_in_a_statement_the_custodian_signed(
    journey: dict, bundle: Path, tmp_path: Path,
) -> None:
    statement = next((bundle / "provenance").glob("itm_*.json"))
    document = json.loads(statement.read_text())
    shown = document["custody"][0]["disclosure"]["shown"]
    day = next(field for field in shown if field[0] == ["day"])
    day[1] = "1999-01-01"
    statement.write_bytes(json.dumps(document, sort_keys=True, separators=(",", ":")).encode())
    _resign(bundle, journey["editor"][1], statement)
    result = run_script(bundle, tmp_path / "home")
    assert result.returncode == 1
    assert [line for line in script_failures(result) if "custody step 1" in line and "commitment" in line], result.stdout
    assert any("custody step 1" in f for f in intake_failures(bundle, journey["editor"][1]))


def test_a_signature_by_another_key_on_the_list_fails(journey: dict, bundle: Path, tmp_path: Path) -> None:
    (bundle / f"{CONTENTS_FILE}.sig").write_bytes(Ed25519PrivateKey.generate().sign((bundle / CONTENTS_FILE).read_bytes()))
    assert "Step 1." in failed_steps(run_recipe(bundle, tmp_path / "home"))[0]
    assert any(CONTENTS_FILE in line for line in script_failures(run_script(bundle, tmp_path / "home")))
    assert any(f"{CONTENTS_FILE} is signed" in f for f in intake_failures(bundle, journey["editor"][1]))


def test_a_pem_holding_another_key_is_caught(journey: dict, bundle: Path, tmp_path: Path) -> None:
    """The openssl steps use custodian.pem: an impostor's key there changes the fingerprint step 0 prints."""
    impostor = Ed25519PrivateKey.generate()
    (bundle / "provenance" / "custodian.pem").write_bytes(
        impostor.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    runs = run_recipe(bundle, tmp_path / "home")
    assert journey["editor"][1].public.fingerprint_hex not in runs[0].output
    assert runs[0].returncode != 0  # the script's --key line refuses the disagreeing key files
    assert any("custodian.pem holds" in f for f in intake_failures(bundle, journey["editor"][1]))


# --- the shipped script itself ------------------------------------------------------------------


def test_the_bundle_ships_the_projects_script_covered_by_the_manifests(journey: dict) -> None:
    shipped = journey["bundle"] / SCRIPT_FILE
    assert shipped.read_bytes() == Path(script.__file__).read_bytes()
    digest = hashlib.sha256(shipped.read_bytes()).hexdigest()
    assert f"{digest}  {SCRIPT_FILE}\n" in (journey["bundle"] / "tagmanifest-sha256.txt").read_text()
    assert f"{digest}  {SCRIPT_FILE}\n" in (journey["bundle"] / CONTENTS_FILE).read_text()
    tree = ast.parse(shipped.read_text())
    imports = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names} | {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imports <= {"__future__", "argparse", "base64", "binascii", "hashlib", "json", "os", "sys", "typing"}


def test_the_scripts_ed25519_agrees_with_cryptography() -> None:
    rng = random.Random(8032)
    for _ in range(40):
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        message = rng.randbytes(rng.randrange(0, 200))
        signature = key.sign(message)
        bit = rng.randrange(512)
        cases = [(public, message, signature),
                 (public, message + b"x", signature),
                 (public, message, bytearray(signature)),
                 (Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw), message, signature)]
        cases[2][2][bit // 8] ^= 1 << (bit % 8)
        s = int.from_bytes(signature[32:], "little") + script.L  # the same S, not reduced: must be refused
        if s < 2**256:
            cases.append((public, message, signature[:32] + s.to_bytes(32, "little")))
        for case_public, case_message, case_signature in cases:
            assert script.ed25519_verify(case_public, case_message, bytes(case_signature)) == \
                _cryptography_verifies(case_public, case_message, bytes(case_signature))
        assert script.ed25519_verify(public, message, signature)


def _cryptography_verifies(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def test_the_scripts_words_are_intakes() -> None:
    assert script.EVEN_WORDS == list(words.EVEN_WORDS) and script.ODD_WORDS == list(words.ODD_WORDS)
    fingerprint = hashlib.sha256(b"any key").digest()
    assert script.fingerprint_words(fingerprint) == words.fingerprint_words(fingerprint)


# --- a second BagIt implementation ---------------------------------------------------------------


def test_bagit_utils_and_bagit_python_accept_the_bundle_and_reject_a_tampered_one(bundle: Path) -> None:
    """Every file is covered by a manifest (RFC 8493), so a validator that allows no unlisted file accepts it."""
    assert bagit_utils.Bag(bundle).validate().valid
    bagit.Bag(str(bundle)).validate()
    (bundle / "notes.txt").write_text("added\n")
    assert not bagit_utils.Bag(bundle).validate().valid
    (bundle / "notes.txt").unlink()
    _swap_data_file(bundle)
    assert not bagit_utils.Bag(bundle).validate().valid
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bundle)).validate()


def test_a_zip_bundle_unzipped_passes_every_step(journey: dict, tmp_path: Path) -> None:
    editor, keys = journey["editor"]
    export_bundle(editor, keys, None, tmp_path / "bundle.zip", ExportOptions(as_zip=True))
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        archive.extractall(tmp_path / "unzipped")
    runs = run_recipe(tmp_path / "unzipped" / "bundle", tmp_path / "home")
    assert not failed_steps(runs), [(r.title, r.output) for r in runs if r.returncode]
    assert f"{keys.public.fingerprint_hex}  -" in runs[0].output


@pytest.mark.parametrize("change", [
    {"custodian": 7}, {"original": []}, {"custody": [1]}, {"custody": [{"entry": "x", "disclosure": {"shown": 5}}]},
    {"file": None}, {"file": "../outside"}, {"size": 1.5},
])
def test_the_script_fails_a_hostile_signed_statement_without_crashing(
    journey: dict, bundle: Path, tmp_path: Path, change: dict,
) -> None:
    """A rogue custodian may sign anything: the script reports a failed check, never a traceback."""
    statement = next((bundle / "provenance").glob("itm_*.json"))
    document = {**json.loads(statement.read_text()), **change}
    statement.write_bytes(json.dumps(document).encode())
    _resign(bundle, journey["editor"][1], statement)
    result = run_script(bundle, tmp_path / "home")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.rstrip().endswith("check(s) failed")
