"""VERIFY.txt: how a stranger checks a bundle offline, trusting neither us nor whoever handed it over.

Every step is a few commands for bash in the bundle's folder, with stock tools
(sha256sum, openssl, gpg, python3): each prints what it found and exits
non-zero when its check fails. A command line is written `    $ COMMAND`, so
the steps can be read by people and run by tests as written. Other parts of
intake add their steps (witnesses, time stamps) as RecipeStep values.

The recipe never prints the custodian's fingerprint: a bundle cannot vouch for
its own signer, and an impostor would rewrite it. Step 0 computes the
fingerprint from the key file, for the reader to compare with the one the
desk published elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from intake.bundle.fileset import TAG_MANIFESTS
from intake.bundle.statement import CONTENTS_FILE, IDENTITY_FILE, OPENPGP_KEY_FILE, PEM_FILE

SCRIPT_FILE = "verify_provenance.py"
COMMAND_PREFIX = "    $ "


@dataclass(frozen=True)
class RecipeStep:
    title: str
    prose: str                   # what the step proves and what to look at; plain text, wrapped
    commands: tuple[str, ...]    # one line each, run by bash in the bundle's folder


def verify_script() -> bytes:
    """The bytes of verify_provenance.py, shipped in every bundle."""
    return (Path(__file__).parent / SCRIPT_FILE).read_bytes()


_INTRO = """\
HOW TO VERIFY THIS BUNDLE
=========================

This folder is a BagIt 1.0 bag (RFC 8493). data/ holds {files} clean copies
of documents and photos: identifying metadata was removed, content was not
changed. provenance/ holds, for each file, a statement signed by the
custodian who kept it, and proofs that every custody step is recorded in the
custodian's append-only ledger.

Run the commands below in bash, in this folder (unzip a .zip bundle
first and go into its one folder), offline. Each prints what it
found; a failing check prints FAIL or an error and exits non-zero. Read each
command before you run it: whoever handed you this bundle could have changed
this file too. With the intake tool, `intake verify BUNDLE --trust
FINGERPRINT` runs every check at once.
"""

_OUTRO = """\
What this does not prove
------------------------
That the original was authentic, or that the custodian is who they claim.
It proves that these exact files were signed by the key of step 0, that
their custody steps were recorded in that key's append-only ledger, and, by
the salted commitment in each statement's "original", that the custodian
holds one specific original they can reveal later to whoever needs it.
"""

def _unlisted(openpgp: bool) -> list[str]:
    """The files the signed list cannot name: itself, its signatures and the tag manifests (they list it)."""
    return [CONTENTS_FILE, f"{CONTENTS_FILE}.sig", *([f"{CONTENTS_FILE}.asc"] if openpgp else []), *TAG_MANIFESTS]


def _key_step(openpgp: bool) -> RecipeStep:
    prose = f"""\
Nothing inside a bundle can tell you who signed it: anyone can make a key
under any name and re-sign every file. So compute the fingerprint of the key
this bundle holds, and compare it with the fingerprint the desk published
OUTSIDE this bundle (its website, a printed card, a call). If they differ,
stop: this bundle is not the desk's, whatever the steps below say.

The first command prints the fingerprint as 64 hex digits (intake shows them
in groups of four): SHA-256 of "intake-fingerprint/v1", a newline, the raw
Ed25519 key of {PEM_FILE} (the last 32 bytes of its DER form;
every openssl step below uses this file) and the age recipient named in
{IDENTITY_FILE}. The second prints the same fingerprint and its 12
words (as `intake keys show` does) and checks both key files agree."""
    commands = [
        f"{{ printf 'intake-fingerprint/v1\\n'; openssl pkey -pubin -in {PEM_FILE} -outform DER | tail -c 32; "
        f"sed -n 's/^age: //p' {IDENTITY_FILE} | tr -d '\\n'; }} | sha256sum",
        f"python3 -I {SCRIPT_FILE} --key",
    ]
    if openpgp:
        prose += f"""

The custodian also linked an OpenPGP key: compare its fingerprint, printed
by the next command, with the OpenPGP fingerprint the desk published."""
        commands.append(f"gpg --show-keys --with-fingerprint {OPENPGP_KEY_FILE}")
    return RecipeStep("Whose key signed this bundle: compare its fingerprint", prose, tuple(commands))


def _signed_list_steps(openpgp: bool) -> list[RecipeStep]:
    verify = f"openssl pkeyutl -verify -pubin -inkey {PEM_FILE} -rawin"
    unlisted = _unlisted(openpgp)
    find_unlisted = " ".join(f"! -path ./{name}" for name in unlisted)
    return [
        RecipeStep("One signature covers every file", f"""\
{CONTENTS_FILE} lists the SHA-256 of every file of the bundle except
itself, its signature{"s" if openpgp else ""} and the two BagIt tag manifests (which list it).
Prints "Signature Verified Successfully".""",
                   (f"{verify} -in {CONTENTS_FILE} -sigfile {CONTENTS_FILE}.sig",)),
        RecipeStep("Every file is the one listed, and nothing was added", f"""\
The first command checks every listed file; the second that the folder
holds exactly those files and the {len(unlisted)} named here: it prints any file
added (<) or missing (>). Any BagIt validator (for example `bagit.py --validate .`)
also accepts the bag.""", (
            f"sha256sum --strict --quiet -c {CONTENTS_FILE} && echo 'every listed file matches'",
            f"diff <(find . \\( -type f -o -type l \\) {find_unlisted} | cut -c3- | LC_ALL=C sort) "
            f"<(cut -c67- {CONTENTS_FILE} | LC_ALL=C sort) && echo 'no file added, none missing'",
        )),
        RecipeStep("Every signature in the bundle", """\
Each X.sig is the custodian's Ed25519 signature (raw 64 bytes) of the file
X beside it: the statements, and the list of step 1.""", (
            "fail=0; for sig in $(find . -name '*.sig' | cut -c3- | LC_ALL=C sort); do "
            f"{verify} -in \"${{sig%.sig}}\" -sigfile \"$sig\" >/dev/null || {{ echo \"FAIL $sig\"; fail=1; }}; "
            "done; [ $fail = 0 ] && echo 'every .sig verifies'",
        )),
    ]


def _openpgp_step() -> RecipeStep:
    return RecipeStep("Every OpenPGP signature (GnuPG)", f"""\
Every signed file X also has X.asc, a detached OpenPGP signature by the key
of step 0. The first command makes a throwaway GnuPG home, so your own
keyring is left alone.""", (
        'export GNUPGHOME="$(mktemp -d)"',
        f"gpg --quiet --import {OPENPGP_KEY_FILE}",
        "fail=0; for sig in $(find . -name '*.sig' | cut -c3- | LC_ALL=C sort); do "
        "gpg --verify \"${sig%.sig}.asc\" \"${sig%.sig}\" || { echo \"FAIL ${sig%.sig}.asc\"; fail=1; }; "
        "done; [ $fail = 0 ] && echo 'every .asc verifies'",
    ))


def _script_step() -> RecipeStep:
    return RecipeStep("The statements, custody steps, proofs and checkpoint", f"""\
{SCRIPT_FILE} (python3 and its standard library only, one file
meant to be read) checks what the stock tools cannot: each statement's data
file (SHA-256, SHA-512, size); each custody step's salted field digests,
commitment and signature; each C2SP tlog-proof (RFC 9162 inclusion of the
leaf commitment || sealed_sha256) up to provenance/checkpoint.txt; that
checkpoint's signed-note signature; the signed list, the file set and every
.sig again. It prints one line per check and a verdict. Give it the
fingerprint the desk published, and it also fails on any other key:
`python3 -I {SCRIPT_FILE} --fingerprint HEX`. A signature cannot show that
the desk never kept two histories: if you hold an older bundle of this desk,
add `--since OLDER_BUNDLE_FOLDER` (a fork or a rollback fails), and if you
trust witnesses, `--witnesses FILE` (their keys, one per line).""", (f"python3 -I {SCRIPT_FILE}",))


def recipe_steps(openpgp: bool) -> list[RecipeStep]:
    steps = [_key_step(openpgp), *_signed_list_steps(openpgp)]
    if openpgp:
        steps.append(_openpgp_step())
    return [*steps, _script_step()]


def verify_recipe(files: int, openpgp: bool, extra_steps: Sequence[RecipeStep] = ()) -> str:
    """VERIFY.txt: step 0 (the key), the file set and signatures, the script, then `extra_steps`."""
    sections = [_INTRO.format(files=files)]
    for number, step in enumerate([*recipe_steps(openpgp), *extra_steps]):
        title = f"Step {number}. {step.title}"
        commands = "".join(f"{COMMAND_PREFIX}{command}\n" for command in step.commands)
        sections.append(f"{title}\n{'-' * len(title)}\n{step.prose}\n\n{commands}")
    sections.append(_OUTRO)
    return "\n".join(sections)


def recipe_commands(recipe: str) -> list[tuple[str, list[str]]]:
    """Each step's title and command lines, read back from VERIFY.txt as a reader would copy them."""
    steps: list[tuple[str, list[str]]] = []
    for line in recipe.splitlines():
        if line.startswith("Step ") and ". " in line:
            steps.append((line, []))
        elif line.startswith(COMMAND_PREFIX) and steps:
            steps[-1][1].append(line[len(COMMAND_PREFIX):])
    return steps
