"""Canonical JSON for everything that is signed or committed to.

Sorted keys, no insignificant whitespace, UTF-8. Floats are refused rather
than canonicalised: with integers and strings only, this output is also the
RFC 8785 (JCS) form, so other tools can reproduce the exact signed bytes.
"""

from __future__ import annotations

import json
from typing import Any

_PLAIN = frozenset({str, int, bool, type(None)})


# One encoder for every call: json.dumps with options builds a new one each time, which
# was a good part of committing to a ledger entry (canonical_json runs several times per field).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> bytes:
    _refuse_floats(value)
    return _ENCODER.encode(value).encode("utf-8")


def canonical_json_with(fields: dict[str, Any], key: str, encoded: bytes) -> bytes:
    """canonical_json({**fields, key: value}) for `encoded` = canonical_json(value), which is not
    walked or encoded again (a statement's disclosures arrive encoded from the audit's workers).
    `key` must not be in `fields`."""
    if key in fields:
        raise ValueError(f"{key!r} is given twice")
    before = canonical_json({k: v for k, v in fields.items() if k < key})  # sort_keys' order
    after = canonical_json({k: v for k, v in fields.items() if k > key})
    member = canonical_json(key) + b":" + encoded
    return (before[:-1] + (b"," if len(before) > 2 else b"") + member
            + (b"," if len(after) > 2 else b"") + after[1:])


def _refuse_floats(value: Any) -> None:
    if type(value) in _PLAIN:
        return
    if isinstance(value, float):
        raise TypeError("canonical JSON carries no floats; use integers or strings")
    # Plain members are passed over here, not in a call each: a statement holds thousands of
    # strings in small lists (its disclosures), and a call per member was most of this check.
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("canonical JSON object keys must be strings")
            if type(item) not in _PLAIN:
                _refuse_floats(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            if type(item) not in _PLAIN:
                _refuse_floats(item)
