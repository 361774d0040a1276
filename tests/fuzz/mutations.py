"""Binary mutations of a seed, as plain data so hypothesis can draw and shrink them.

A mutation is a tuple (operation, position, argument). Positions are fractions
of the current length in 1/65536ths, so one list of mutations applies to seeds
of any size. `apply` is deterministic: the same seed and mutations always give
the same bytes, which is what lets a campaign's finding be replayed and kept.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence

from hypothesis import strategies as st

Mutation = tuple[str, int, int]

# Values that make parsers take their edge cases: lengths of zero, all ones, sign bits.
INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
OPERATIONS = ("flip", "set", "insert", "delete", "duplicate", "number", "truncate", "swap")
SCALE = 1 << 16


def _at(data: bytearray | bytes, fraction: int, room: int = 0) -> int:
    return min(len(data) - room, fraction * max(len(data) - room, 0) // SCALE) if len(data) > room else 0


def _number(data: bytearray, at: int, argument: int) -> None:
    value = INTERESTING[argument % len(INTERESTING)]
    width, order = ((1, ">"), (2, ">"), (2, "<"), (4, ">"), (4, "<"))[(argument >> 8) % 5]
    packed = struct.pack(order + {1: "B", 2: "H", 4: "I"}[width], value & ((1 << (8 * width)) - 1))
    data[at:at + width] = packed


def apply_one(data: bytearray, mutation: Mutation) -> None:
    operation, fraction, argument = mutation
    at = _at(data, fraction)
    if operation == "flip" and data:
        data[min(at, len(data) - 1)] ^= 1 << (argument % 8)
    elif operation == "set" and data:
        data[min(at, len(data) - 1)] = argument % 256
    elif operation == "insert":
        data[at:at] = bytes([argument % 256]) * (1 + (argument >> 8) % 64)
    elif operation == "delete":
        del data[at:at + 1 + argument % 64]
    elif operation == "duplicate":
        data[at:at] = data[at:at + 1 + argument % 256]
    elif operation == "number":
        _number(data, at, argument)
    elif operation == "truncate":
        del data[at:]
    elif operation == "swap" and data:
        other = _at(data, argument % SCALE)
        span = 1 + (argument >> 16) % 32
        first, second = bytes(data[at:at + span]), bytes(data[other:other + span])
        if len(first) == len(second):
            data[at:at + span], data[other:other + span] = second, first


def apply(seed: bytes, mutations: Sequence[Mutation]) -> bytes:
    data = bytearray(seed)
    for mutation in mutations:
        apply_one(data, mutation)
    return bytes(data)


def mutation_lists(max_size: int = 6) -> st.SearchStrategy[list[Mutation]]:
    one = st.tuples(st.sampled_from(OPERATIONS), st.integers(0, SCALE - 1), st.integers(0, (1 << 24) - 1))
    return st.lists(one, min_size=1, max_size=max_size)


def random_mutations(rng: random.Random, max_size: int = 6) -> list[Mutation]:
    """The same shape as `mutation_lists`, drawn by a campaign without hypothesis."""
    count = 1 + min(int(rng.expovariate(0.5)), max_size - 1)
    return [(rng.choice(OPERATIONS), rng.randrange(SCALE), rng.randrange(1 << 24)) for _ in range(count)]
