"""Start-up stays fast: a command loads only what it uses (docs/performance.md, start-up)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from intake.formats import all_format_modules, handler_for

HEAVY = ("pikepdf", "textual", "gnupg", "cryptography", "pyrage", "rfc3161ng", "intake.bundle", "intake.ledger",
         "intake.witness", "intake.formats.pdf", "intake.formats.odf", "intake.keys.keystore", "platformdirs")


def loaded_after(arguments: list[str], env: dict[str, str] | None = None) -> set[str]:
    """The modules loaded once intake's command line has run these arguments."""
    script = ("import sys; from intake.cli import main\n"
              "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
              "sys.stderr.write('\\n'.join(sys.modules))")
    result = subprocess.run([sys.executable, "-c", script, *arguments], capture_output=True, text=True, check=True,
                            env=env)
    return set(result.stderr.split("\n"))


def test_the_registry_table_agrees_with_every_module() -> None:
    for media_type, module in all_format_modules().items():
        assert handler_for(media_type) is module
    assert handler_for("application/octet-stream") is None


def test_help_and_inspect_leave_the_vault_side_unloaded(tmp_path: Path) -> None:
    photo = tmp_path / "one.jpg"
    image = Image.new("RGB", (32, 32), "gray")
    exif = image.getexif()
    exif[0x010F] = "PlantedMake"
    image.save(photo, "JPEG", exif=exif.tobytes())
    for arguments in (["--help"], ["inspect", str(photo)]):
        loaded = loaded_after(arguments)
        assert not {name for name in loaded if name.startswith(HEAVY)}, arguments
    assert "intake.formats.jpeg" in loaded_after(["inspect", str(photo)])


def test_a_vault_command_still_loads_what_it_needs(tmp_path: Path) -> None:
    loaded = loaded_after(["--vault", str(tmp_path / "none"), "ledger", "checkpoint"])
    assert "intake.vault" in loaded



NETWORK_CLIENTS = {"http.client", "ssl", "urllib.request", "concurrent.futures", "cryptography.x509", "rfc3161_client"}


def test_export_without_witnesses_or_time_stamping_leaves_their_clients_unloaded(tmp_path: Path) -> None:
    """The witness and RFC 3161 clients (and X.509) load only for a desk that configured them."""
    env = {**os.environ, "INTAKE_PASSPHRASE": "a long test passphrase"}
    photo, vault, bundle = tmp_path / "one.jpg", tmp_path / "vault", tmp_path / "bundle"
    exif = Image.new("RGB", (32, 32)).getexif()
    exif[0x010F] = "PlantedMake"
    Image.new("RGB", (32, 32), "gray").save(photo, "JPEG", exif=exif.tobytes())
    for arguments in (["init", "--name", "desk"], ["add", str(photo)]):
        subprocess.run([sys.executable, "-m", "intake", "--vault", str(vault), *arguments], env=env, check=True,
                       capture_output=True)
    loaded = loaded_after(["--vault", str(vault), "export", "--all", "-o", str(bundle)], env)
    assert (bundle / "bagit.txt").is_file() and len(list((bundle / "data").iterdir())) == 1
    assert not loaded & NETWORK_CLIENTS, loaded & NETWORK_CLIENTS
