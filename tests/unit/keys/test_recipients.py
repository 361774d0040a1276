"""Adding an editor as a recipient through the library (as `keys add-recipient` and the TUI do)."""

from __future__ import annotations

import pytest

from intake.errors import IntakeError
from intake.recipients import add_recipient, find_recipient, read_identity_file, remove_recipient
from intake.text import grouped_hex
from intake.keys.identity import SecretIdentity
from conftest import PASSPHRASE
from intake.vault import create_vault
from intake.keys.pinning import parse_pin


def test_read_identity_file_checks_the_self_signature(tmp_path) -> None:
    editor = SecretIdentity.generate("editor-1")
    good = tmp_path / "editor.pub"
    good.write_text(editor.export_public(), encoding="utf-8")
    recipient = read_identity_file(good)
    assert recipient.identity == editor.public() and recipient.text == editor.export_public()
    forged = tmp_path / "forged.pub"
    forged.write_text(editor.export_public().replace("editor-1", "editor-2"), encoding="utf-8")
    with pytest.raises(IntakeError, match="self-signature"):
        read_identity_file(forged)
    with pytest.raises(IntakeError, match="cannot read"):
        read_identity_file(tmp_path / "missing.pub")


def test_add_recipient_saves_the_policy_once(unlocked, tmp_path) -> None:
    editor = SecretIdentity.generate("editor-1")
    path = tmp_path / "editor.pub"
    path.write_text(editor.export_public(), encoding="utf-8")
    recipient = read_identity_file(path)
    first = add_recipient(unlocked.vault, unlocked.keyring, recipient)
    assert first.added and first.keyring.policy.recipients == (editor.public(),)
    # What is saved is what the next unlock reads.
    assert unlocked.vault.unlock_policy(unlocked.keyring.secret).recipients == (editor.public(),)
    again = add_recipient(unlocked.vault, first.keyring, recipient)
    assert not again.added and again.keyring.policy.recipients == (editor.public(),)


def test_add_recipient_refuses_the_vault_itself(unlocked, tmp_path) -> None:
    path = tmp_path / "me.pub"
    path.write_text(unlocked.keyring.secret.export_public(), encoding="utf-8")
    with pytest.raises(IntakeError, match="own identity"):
        add_recipient(unlocked.vault, unlocked.keyring, read_identity_file(path))


def test_grouped_hex() -> None:
    assert grouped_hex("b794cff31533") == "b794 cff3 1533"


def _recipient_file(tmp_path, name: str):
    editor = SecretIdentity.generate(name)
    path = tmp_path / f"{name}.pub"
    path.write_text(editor.export_public(), encoding="utf-8")
    return editor, read_identity_file(path)


def test_remove_recipient_saves_the_policy_without_it(unlocked, tmp_path) -> None:
    first, first_file = _recipient_file(tmp_path, "editor-1")
    second, second_file = _recipient_file(tmp_path, "editor-2")
    keyring = add_recipient(unlocked.vault, unlocked.keyring, first_file).keyring
    keyring = add_recipient(unlocked.vault, keyring, second_file).keyring
    removed = remove_recipient(unlocked.vault, keyring, first.public().fingerprint)
    assert removed.removed == first.public()
    assert removed.keyring.policy.recipients == (second.public(),)
    assert first.public().age_recipient not in removed.keyring.seal_recipients()
    # The next unlock reads the policy as saved, and the recipient's file text is gone with it.
    saved = unlocked.vault.unlock_policy(unlocked.keyring.secret)
    assert saved.recipients == (second.public(),) and saved.exported == (second_file.text,)
    with pytest.raises(IntakeError, match="not a recipient"):
        remove_recipient(unlocked.vault, removed.keyring, first.public().fingerprint)


def test_remove_recipient_keeps_a_write_only_vault_sealing_to_someone(tmp_path) -> None:
    editor, editor_file = _recipient_file(tmp_path, "editor-1")
    vault = create_vault(tmp_path / "field", "fox", PASSPHRASE, write_only=True, recipients=(editor_file.text,))
    keyring = vault.unlock(PASSPHRASE)
    with pytest.raises(IntakeError, match="write-only"):
        remove_recipient(vault, keyring, editor.public().fingerprint)
    assert vault.unlock_policy(keyring.secret).recipients == (editor.public(),)


def test_find_recipient_by_pin(unlocked, tmp_path) -> None:
    editor, editor_file = _recipient_file(tmp_path, "editor-1")
    keyring = add_recipient(unlocked.vault, unlocked.keyring, editor_file).keyring
    assert find_recipient(keyring, parse_pin(editor.public().words).matches) == editor.public()
    assert find_recipient(keyring, parse_pin(editor.public().fingerprint.hex()).matches) == editor.public()
    stranger = SecretIdentity.generate("stranger").public()
    with pytest.raises(IntakeError, match="no recipient"):
        find_recipient(keyring, parse_pin(stranger.fingerprint.hex()).matches)
