"""VERIFY.txt: how a stranger checks a bundle with standard tools, trusting neither us nor the editor."""

from __future__ import annotations

from intake.timestamp.stamps import timestamp_recipe
from keys.identity import PublicIdentity

_RECIPE = """\
HOW TO VERIFY THIS BUNDLE
=========================

This folder is a BagIt 1.0 bag (RFC 8493). data/ holds clean copies of
documents and photos: identifying metadata was removed, content was not
changed. provenance/ holds, for each file, a statement signed by the
custodian who kept it, and proofs that every custody step is recorded in the
custodian's append-only ledger.

The custodian's key
-------------------
fingerprint  {fingerprint}
words        {words}

Compare these words with the ones the custodian (or the publishing editor)
gave you through another channel. Everything below only proves that THIS key
signed; it is the comparison that tells you whose key it is.
With the intake tool, `intake verify BUNDLE --trust KEYFILE` pins the key.

1. The files are the ones listed (sha256sum, or any BagIt validator)
--------------------------------------------------------------------
    cd BUNDLE
    sha256sum -c tagmanifest-sha256.txt     # covers bagit.txt, the manifests, provenance/, this file
    sha256sum -c manifest-sha256.txt        # covers every file in data/
or: `bagit.py --validate BUNDLE` (pip install bagit), which also checks that
no file was added to data/ or removed from it.

2. The custodian signed the tag manifest (OpenSSL, Ed25519)
-----------------------------------------------------------
    openssl pkeyutl -verify -pubin -inkey provenance/custodian.pem -rawin \\
        -in tagmanifest-sha256.txt -sigfile tagmanifest-sha256.txt.sig
Prints "Signature Verified Successfully". Steps 1 and 2 together cover every
file of the bag. The same works for each statement:
    openssl pkeyutl -verify -pubin -inkey provenance/custodian.pem -rawin \\
        -in provenance/ITEM.json -sigfile provenance/ITEM.json.sig

3. With GnuPG, if the custodian linked an OpenPGP key (provenance/custodian.asc)
--------------------------------------------------------------------------------
    gpg --import provenance/custodian.asc
    gpg --verify tagmanifest-sha256.txt.asc
    gpg --verify provenance/ITEM.json.asc
Every X.asc is a detached signature of the file X beside it.

4. Each statement describes its file
------------------------------------
provenance/ITEM.json is one line of canonical JSON. Its "file" names the
clean copy; its "sha256", "sha512" and "size" must equal
    sha256sum data/ITEM.EXT ; sha512sum data/ITEM.EXT ; wc -c data/ITEM.EXT
(for example: python3 -m json.tool provenance/ITEM.json).
"removed" counts what was taken out, by kind; the values themselves never
leave the custodian's vault.

5. The custody trail is in the custodian's ledger (C2SP tlog-proof)
-------------------------------------------------------------------
"custody" lists each custody step as a disclosure: the fields shown with
their salts, the others as salted SHA-256 digests. For each step:
  - each field digest is SHA-256("intake-field/v1\\n" || salt ||
    canonical JSON of [path, value]);
  - the commitment is SHA-256("intake-commit/v2\\n" || canonical JSON of
    the list of [path, hex digest], sorted by the canonical JSON of path);
  - the custodian's Ed25519 signature is over "intake-entry/v2\\n" || commitment;
  - provenance/proofs/ENTRY.tlog-proof is a c2sp.org/tlog-proof@v1 file:
    its "extra" line is the leaf, commitment || sealed_sha256; the RFC 9162
    leaf hash SHA-256(0x00 || leaf) with the listed path must give the root
    of provenance/checkpoint.txt, a C2SP checkpoint signed by the custodian
    (signed-note format, key name = the ledger origin, its first line).
The exact rules are in intake's docs/bundles.md; `intake verify BUNDLE`
runs all of these checks offline and explains any failure.

What this does not prove
------------------------
That the original was authentic, or that the custodian is who they claim.
It proves that these exact files were signed by this key, that their custody
steps were recorded in an append-only ledger, and, by the salted commitment in
"original", that the custodian holds one specific original they can reveal
later to whoever needs it.

Files: {files}
"""


def verify_recipe(custodian: PublicIdentity, items: list[str], timestamps: int = 0) -> str:
    fingerprint = " ".join(custodian.fingerprint_hex[i:i + 4] for i in range(0, 64, 4))
    return _RECIPE.format(fingerprint=fingerprint, words=custodian.words, files=len(items)) \
        + timestamp_recipe(timestamps)
