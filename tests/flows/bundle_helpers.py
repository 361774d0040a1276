"""Submissions re-sealed with altered contents, for the tests of what receive refuses."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pyrage


def reseal_bytes(journey: dict, target: Path, rewrite) -> Path:
    """The same, with `rewrite` turning the manifest's bytes into any bytes at all."""
    editor_keys = journey["editor"][1]
    plain = pyrage.decrypt(journey["submission"].read_bytes(), [editor_keys.secret.age_identity])
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(plain)) as source, tarfile.open(fileobj=out, mode="w") as tar:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "submission.json":
                data = rewrite(data)
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    target.write_bytes(pyrage.encrypt(out.getvalue(), [pyrage.x25519.Recipient.from_str(editor_keys.public.age_recipient)]))
    return target
