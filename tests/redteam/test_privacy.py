"""Nothing in the clear at rest: names, notes, contents and hashes stay sealed."""

from __future__ import annotations

import base64
import hashlib
import shutil
from pathlib import Path



def forms(text: str) -> list[bytes]:
    raw = text.encode("utf-8")
    return [raw, text.encode("utf-16-le"), text.upper().encode("utf-8"), base64.b64encode(raw)]


def test_no_plaintext_anywhere_in_the_vault(cli, tmp_path: Path, template_vault) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    inbox = tmp_path / "Ammunition-Manifest-Kherson"
    inbox.mkdir()
    secrets_to_find: list[bytes] = []
    for i, (name, content, note) in enumerate([
        ("Letter-From-General-Petrov.pdf", b"%PDF-1.7 shipment of 7.62mm rounds to Brigade 14", "source ORCHID met at depot"),
        ("crate_serial_AK-99812.jpg", b"\xff\xd8\xff\xe0 crate serial AK-99812 lot 7", "photographed by SPARROW"),
        ("notes.txt", b"Meeting point: 46.6354 N, 32.6169 E at 0300", "courier name Natalia Koval"),
    ]):
        path = inbox / name
        path.write_bytes(content)
        result = cli("--vault", vault, "add", path, "--note", note)
        assert result.returncode == 0, result.stderr
        secrets_to_find += forms(name) + forms(note) + [content, content[6:30]]
        secrets_to_find += [
            hashlib.sha256(content).hexdigest().encode(), hashlib.sha256(content).digest(),
            hashlib.sha512(content).hexdigest().encode(), hashlib.sha512(content).digest(),
        ]
    secrets_to_find += forms("Ammunition-Manifest-Kherson") + forms("tester")

    files = [p for p in vault.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.endswith(("-journal", "-wal"))], "SQLite left a journal behind"
    names = " ".join(str(p.relative_to(vault)) for p in vault.rglob("*"))
    for needle in secrets_to_find:
        for path in files:
            assert needle not in path.read_bytes(), f"{needle[:40]!r} found in {path.relative_to(vault)}"
        assert needle.decode("latin-1") not in names


def test_blob_names_are_random_not_content_hashes(cli, tmp_path: Path, template_vault) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    same = tmp_path / "same.txt"
    same.write_text("identical content")
    for _ in range(2):  # the second time on purpose: the same bytes again get a blob of their own
        assert cli("--vault", vault, "add", same, "--allow-duplicate").returncode == 0
    blobs = sorted(p.name for p in (vault / "blobs").iterdir())
    assert len(blobs) == 2 and blobs[0] != blobs[1]
    digest = hashlib.sha256(b"identical content").hexdigest()
    assert not any(digest[:16] in name for name in blobs)
