"""How screens talk to the app: messages that bubble up from a screen and are handled with @on."""

from __future__ import annotations

from textual.message import Message

from intake.app.session import Session
from intake.vault import Vault
from intake.keys.keystore import Keyring


class Unlocked(Message):
    """The vault was opened (or created): the app makes the session and shows the home screen."""

    def __init__(self, vault: Vault, keyring: Keyring, created: bool = False) -> None:
        super().__init__()
        self.vault = vault
        self.keyring = keyring
        self.created = created


class SessionChanged(Message):
    """The keyring changed (a recipient added or removed, a GPG key linked)."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session


class OpenSection(Message):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class CreateWanted(Message):
    """There is no vault at the path, and the user asked to create one there."""
