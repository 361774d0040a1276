"""Identities, recipients and write-only field vaults, end to end."""

from __future__ import annotations

import json
import sys
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PASSPHRASE, PROJECT
from intake.takein.original import receive_original
from intake.takein.sources import source_for
from intake.errors import IdentityError, SealError
from intake.keys.seal import unseal
from intake.vault import Vault, create_vault
from intake.keys.identity import PublicIdentity, SecretIdentity
from intake.keys.words import from_words


def test_public_identity_round_trip_and_tamper() -> None:
    secret = SecretIdentity.generate("editor-desk")
    text = secret.export_public()
    public = PublicIdentity.from_text(text)
    assert public == secret.public()
    assert from_words(public.words.split()) == public.fingerprint[:12]
    other = SecretIdentity.generate("mallory").public()
    swapped = text.replace(public.age_recipient, other.age_recipient)
    with pytest.raises(IdentityError, match="self-signature"):
        PublicIdentity.from_text(swapped)
    with pytest.raises(IdentityError):
        PublicIdentity.from_text(text.replace("editor-desk", "editor-dusk"))


def test_a_key_knows_its_own_signatures_by_making_them_again() -> None:
    """Ed25519 signing is deterministic (RFC 8032): a signature this key made is the one it makes
    again; anything else (another message, another key, one flipped bit) is not its own."""
    key, other = SecretIdentity.generate("desk"), SecretIdentity.generate("someone")
    message = b"intake-entry/v1\n" + bytes(range(32))
    signature = key.sign(message)
    assert key.public().verify(message, signature)
    assert key.made(message, signature)
    assert not key.made(message + b"!", signature)
    assert not key.made(message, other.sign(message))
    assert not key.made(message, signature[:-1] + bytes([signature[-1] ^ 1]))
    assert not key.made(message, signature[:32])


def test_secret_text_is_an_age_identity_file() -> None:
    secret = SecretIdentity.generate("kestrel")
    again = SecretIdentity.from_secret_text(secret.to_secret_text())
    assert again.public() == secret.public()
    lines = [line for line in secret.to_secret_text().splitlines() if not line.startswith("#")]
    assert lines == [str(secret.age_identity)]


def test_export_add_recipient_and_list(cli, tmp_path: Path, template_vault) -> None:
    field = tmp_path / "field"
    shutil.copytree(template_vault[0], field)
    editor = SecretIdentity.generate("editor-desk")
    editor_file = tmp_path / "editor.pub"
    editor_file.write_text(editor.export_public())

    exported = tmp_path / "me.pub"
    assert cli("--vault", field, "keys", "export", "-o", exported).returncode == 0
    assert PublicIdentity.from_text(exported.read_text()).fingerprint == template_vault[1].public.fingerprint
    assert cli("--vault", field, "keys", "export", "-o", exported).returncode == 2  # never overwrites

    added = cli("--vault", field, "keys", "add-recipient", editor_file)
    assert added.returncode == 0, added.stderr
    assert editor.public().words in added.stdout
    listed = cli("--vault", field, "keys", "list")
    assert "editor-desk" in listed.stdout and editor.public().words in listed.stdout

    # What is sealed from now on opens with the editor's key.
    (tmp_path / "a.txt").write_text("for the editor")
    assert cli("--vault", field, "add", tmp_path / "a.txt").returncode == 0
    blob = next((field / "blobs").iterdir())
    assert unseal(blob.read_bytes(), [editor.age_identity]) == b"for the editor"


def test_add_recipient_refuses_altered_file(cli, tmp_path: Path, template_vault) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    editor = SecretIdentity.generate("editor-desk")
    mallory = SecretIdentity.generate("mallory").public()
    forged = editor.export_public().replace(editor.public().age_recipient, mallory.age_recipient)
    (tmp_path / "forged.pub").write_text(forged)
    result = cli("--vault", vault, "keys", "add-recipient", tmp_path / "forged.pub")
    assert result.returncode == 2 and "self-signature" in result.stderr


def test_write_only_field_vault_cannot_open_what_it_took_in(cli, tmp_path: Path) -> None:
    editor = SecretIdentity.generate("editor-desk")
    (tmp_path / "editor.pub").write_text(editor.export_public())
    field = tmp_path / "field"
    made = cli("--vault", field, "init", "--name", "fox", "--write-only", "--recipient", tmp_path / "editor.pub")
    assert made.returncode == 0, made.stderr
    (tmp_path / "crate.jpg").write_bytes(b"\xff\xd8\xff" + b"crate serial 7731" * 50)
    assert cli("--vault", field, "add", tmp_path / "crate.jpg", "--note", "dockside").returncode == 0

    keyring = Vault.open(field).unlock(PASSPHRASE)
    blob = next((field / "blobs").iterdir()).read_bytes()
    with pytest.raises(SealError):
        unseal(blob, [keyring.secret.age_identity])
    assert b"crate serial 7731" in unseal(blob, [editor.age_identity])

    verified = cli("--vault", field, "ledger", "verify")
    assert verified.returncode == 0 and "write-only" in verified.stdout
    shown = cli("--vault", field, "ledger", "show")
    assert shown.returncode == 2 and "write-only" in shown.stderr
    # The editor can open the field vault's entries.
    import sqlite3
    with sqlite3.connect(field / "ledger.sqlite") as db:
        (sealed,) = db.execute("SELECT sealed FROM entries").fetchone()
    record = json.loads(unseal(sealed, [editor.age_identity]))
    assert record["entry"]["note"] == "dockside"


def test_write_only_needs_a_recipient(cli, tmp_path: Path) -> None:
    result = cli("--vault", tmp_path / "v", "init", "--write-only")
    assert result.returncode == 2 and "recipient" in result.stderr
    assert not (tmp_path / "v").exists()


def test_policy_cannot_be_swapped_without_the_key(tmp_path: Path, template_vault) -> None:
    """Someone with the vault's public age key seals a policy naming their own key."""
    vault_dir = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault_dir)
    other = tmp_path / "other"
    create_vault(other, "mallory", PASSPHRASE)
    shutil.copy(other / "keys" / "policy.age", vault_dir / "keys" / "policy.age")
    from intake.errors import IntakeError
    with pytest.raises(IntakeError):
        Vault.open(vault_dir).unlock(PASSPHRASE)


RECOVERY_MARKER = "<!-- recovery-recipe -->"


def recovery_recipe() -> str:
    """The recipe as docs/formats.md prints it: tested, so the doc cannot rot."""
    text = (PROJECT / "docs" / "formats.md").read_text(encoding="utf-8")
    block = text.split(RECOVERY_MARKER, 1)[1].split("```python\n", 1)[1]
    return block.split("```", 1)[0]


@pytest.mark.skipif(shutil.which("age") is None, reason="stock age is installed by ./dev test")
def test_documented_recovery_then_stock_age_opens_blob(tmp_path: Path, template_vault) -> None:
    """Without intake: unlock the identity by the documented recipe, open a blob with stock age."""
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    original = tmp_path / "a.txt"
    original.write_text("opened by stock age")
    unlocked = Vault.open(vault)
    with unlocked.locked(), unlocked.ledger() as ledger:
        receive_original(source_for(original), ledger, template_vault[1], unlocked.blobs)
    script = tmp_path / "recover.py"
    script.write_text(recovery_recipe())
    recovered = subprocess.run(
        [sys.executable, "-I", str(script), str(vault / "keys" / "identity.key")],
        input=PASSPHRASE + "\n", capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert recovered.returncode == 0, recovered.stderr
    identity = tmp_path / "id.txt"
    identity.write_text(recovered.stdout)
    blob = next((vault / "blobs").iterdir())
    opened = subprocess.run(["age", "-d", "-i", str(identity), str(blob)], capture_output=True, timeout=60)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout == b"opened by stock age"


def test_foreign_policy_file_is_a_failed_check(cli, tmp_path: Path, template_vault) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    (vault / "keys" / "policy.age").write_bytes(b"age-encryption.org/v1\ngarbage")
    result = cli("--vault", vault, "keys", "list")
    assert result.returncode == 1 and "sealing policy" in result.stderr


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "empty"])
def test_a_damaged_record_does_not_open(damage: str) -> None:
    """unseal goes through pyrage.decrypt_io, which reports a damaged payload as OSError, not
    DecryptError: every damage must still be the one SealError callers catch."""
    from intake.keys.seal import seal

    identity = SecretIdentity.generate("seal")
    sealed = seal(b"a custody record", [str(identity.age_identity.to_public())])
    assert unseal(sealed, [identity.age_identity]) == b"a custody record"
    damaged = {"truncated": sealed[:-5], "flipped": sealed[:-1] + bytes([sealed[-1] ^ 1]),
               "garbage": b"not age at all", "empty": b""}[damage]
    with pytest.raises(SealError):
        unseal(damaged, [identity.age_identity])
