"""Adding an editor as a recipient through the library (as `keys add-recipient` and the TUI do)."""

from __future__ import annotations

import pytest

from intake.errors import IntakeError
from intake.recipients import add_recipient, read_identity_file
from intake.text import grouped_hex
from intake.keys.identity import SecretIdentity


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
