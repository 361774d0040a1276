"""Which originals a ledger holds, found by a keyed tag instead of by opening every entry.

`add` skips a file taken in before. Finding one by opening every sealed entry took a minute at
100,000 entries (issue 12: `add` must cost the same on a big ledger as on an empty one), so each
entry also gets one row in the table `originals (idx, tag)`:

    key = HMAC-SHA256(the custodian's Ed25519 seed, "intake-original-key/v1")
    tag = HMAC-SHA256(key, "intake-original/v1\\n" ‖ SHA-256 of the original)   for `received` and
          `transferred` entries, whose first output is an original
    tag = HMAC-SHA256(key, "intake-no-original/v1\\n" ‖ idx)                    for every other entry

Without the custodian's secret key a tag is random bytes: a seized vault does not answer "does it
hold this known file?", nor which entries took in an original (every row looks alike). Two rows
with one tag are the same original taken in twice (`--allow-duplicate`). A tag is a hint, never
evidence: the entry it names is opened, its commitment and signature checked and its original's
SHA-256 compared before a file is called a duplicate. A row deleted, never written or altered only
costs a missed duplicate, which is taken in again as `--allow-duplicate` would.

Vaults made before the table get it the first time they look a file up with the passphrase
(every entry opened once, the caller told how far it is); from then on each append adds its rows
in its own transaction.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from intake.errors import CheckFailed, EntryError, SealError
from intake.ledger.entries import ORIGINAL, RECEIVED, TRANSFERRED, CustodyEntry, Draft, SignedEntry

if TYPE_CHECKING:
    from intake.support.progress import Progress
    from intake.keys.identity import SecretIdentity
    from intake.ledger.custodian import Custodian
    from intake.ledger.store import LedgerStore

ORIGINAL_ACTIONS = frozenset({RECEIVED, TRANSFERRED})
_KEY_DOMAIN = b"intake-original-key/v1"
_TAG_DOMAIN = b"intake-original/v1\n"
_NO_ORIGINAL_DOMAIN = b"intake-no-original/v1\n"
_BUILD_CHUNK = 8192


def tag_key(secret: SecretIdentity) -> bytes:
    seed = secret.signing_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return hmac.digest(seed, _KEY_DOMAIN, "sha256")


def original_tag(key: bytes, sha256_hex: str) -> bytes:
    return hmac.digest(key, _TAG_DOMAIN + bytes.fromhex(sha256_hex), "sha256")


def entry_tag(key: bytes, idx: int, entry: CustodyEntry | Draft) -> bytes:
    held = original_of(entry)
    if held is not None:
        return original_tag(key, held)
    return hmac.digest(key, _NO_ORIGINAL_DOMAIN + str(idx).encode("ascii"), "sha256")


def original_of(entry: CustodyEntry | Draft) -> str | None:
    """The SHA-256 (hex) of the original an entry took in, if it took one in."""
    if entry.action not in ORIGINAL_ACTIONS or not entry.outputs:
        return None
    first = entry.outputs[0]
    if first.get("role", ORIGINAL) != ORIGINAL:
        return None
    digest = first.get("sha256")
    return digest if isinstance(digest, str) and len(digest) == 64 else None


def held(store: LedgerStore, keyring: Custodian, digests: Iterable[str]) -> dict[str, str]:
    """For each SHA-256 given that the ledger holds as an original, the item id that first took it
    in, each confirmed by opening its entry. The rows must be complete (`complete`; else the
    caller runs `build_missing` under the exclusive lock first), or some files go unnoticed."""
    key = tag_key(keyring.secret)
    found: dict[str, str] = {}
    for digest in set(digests):
        for idx in store.original_rows(original_tag(key, digest)):
            entry = _opened(store, keyring, idx)
            if entry is not None and original_of(entry) == digest:
                found[digest] = entry.item
                break
    return found


def complete(store: LedgerStore) -> bool:
    """Every entry has its row (so a lookup needs no building first)."""
    return store.originals_through() == store.count()


def build_missing(store: LedgerStore, keyring: Custodian, progress: Progress | None = None) -> None:
    """Rows for the entries that have none (a vault made before the table), each entry opened and
    checked; within the caller's exclusive lock, in one transaction. `progress` gets (entries
    done, entries to do) before the first and after each chunk: a minute at 100,000 entries."""
    key = tag_key(keyring.secret)
    with store.transaction():
        start, size = store.originals_through() or 0, store.count()
        rows = []
        for idx in range(start, size):
            if progress is not None and (idx - start) % _BUILD_CHUNK == 0:
                progress(idx - start, size - start)
            entry = _opened(store, keyring, idx)
            if entry is None:
                raise CheckFailed(f"ledger verification failed: entry {idx} does not open as this custodian's "
                                  "entry; run `intake ledger verify`")
            rows.append((idx, entry_tag(key, idx, entry)))
            if len(rows) == _BUILD_CHUNK:  # memory stays flat at any size
                store.insert_originals(rows)
                rows = []
        store.insert_originals(rows)
    if progress is not None and size > start:
        progress(size - start, size - start)


def _opened(store: LedgerStore, keyring: Custodian, idx: int) -> CustodyEntry | None:
    """The entry at idx if it opens, is what its stored commitment commits to, and is signed by
    this custodian; else None."""
    from intake.keys.seal import unseal

    stored = store.entry_at(idx)
    if stored is None:
        return None
    try:
        signed = SignedEntry.from_bytes(unseal(stored.sealed, [keyring.secret.age_identity]))
    except (SealError, EntryError):
        return None
    public = keyring.public
    if signed.commitment() != stored.commitment or not signed.verify(public) \
            or signed.entry.actor != public.fingerprint_hex or signed.entry.seq != idx:
        return None
    return signed.entry
