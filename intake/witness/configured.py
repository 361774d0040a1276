"""A witness as the sealing policy names it: a local name, its cosigner key, its submission URL.

Apart from the client that contacts it (client.py), so the sealing policy (keys/keystore.py),
read at every unlock, loads no HTTP or TLS code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from intake.errors import IntakeError
from intake.witness.cosignature import CosignerKey


@dataclass(frozen=True)
class ConfiguredWitness:
    """A witness a desk sends its checkpoints to: a local name, its key, its submission URL."""

    name: str
    key: CosignerKey
    url: str

    def __post_init__(self) -> None:
        check_url(self.url)

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "vkey": self.key.vkey(), "url": self.url}

    @classmethod
    def from_dict(cls, data: Any) -> ConfiguredWitness:
        return cls(str(data["name"]), CosignerKey.from_vkey(str(data["vkey"])), str(data["url"]))


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise IntakeError("a witness URL is http(s)://HOST[:PORT][/PREFIX], without ?query or #fragment")
    try:
        parts.port
    except ValueError:
        raise IntakeError("a witness URL has a bad port number") from None
    return url
