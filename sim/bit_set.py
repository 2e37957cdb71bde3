"""A set of int64 keys from a small range ``[0, universe)``, one bit a possible key: the dense
twin of :class:`sim.hash_set.HashSet`, with the same methods, for the who-knows-whom beliefs of
:mod:`sim.awareness` (``person * n + colleague``: a universe of n² keys).

Membership and insertion are one load and one bit test a key, in a table of ``universe / 8``
bytes that never grows or rehashes.  At 10,000 people that is 12.5 MB, where the hash set of
the same beliefs grows to 128 MB (16 bytes a key at about 600 beliefs a person) and its random
probes miss the cache; beyond :data:`DENSE_MAX_BYTES` the hash set is used instead.

>>> s = BitSet(100)
>>> s.add(np.array([5, 1, 5, 99]))
3
>>> s.contains(np.array([1, 2, 99])).tolist(), len(s), s.keys().tolist()
([True, False, True], 3, [1, 5, 99])
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .hash_set import KeyTable

__all__ = ["BitSet", "DENSE_MAX_BYTES"]

DENSE_MAX_BYTES = 128 << 20  # a bit table up to 128 MiB (a universe of about 32,000² keys)


@njit(cache=True)
def _insert_capped(bits, keys, owner_span, held, cap, new):
    """Set the keys' bits, each owner (``key // owner_span``) up to ``cap`` keys held; the keys
    set go to ``new`` in the order met, and their number is returned."""
    added = 0
    for i in range(len(keys)):
        k = keys[i]
        byte, bit = k >> 3, np.uint8(1 << (k & 7))
        if bits[byte] & bit == 0:
            owner = k // owner_span
            if held[owner] < cap:
                bits[byte] |= bit
                held[owner] += 1
                new[added] = k
                added += 1
    return added


@njit(cache=True)
def _contains(bits, keys, out):
    for i in range(len(keys)):
        k = keys[i]
        out[i] = bits[k >> 3] & np.uint8(1 << (k & 7)) != 0


class BitSet(KeyTable):
    """Keys in ``[0, universe)``; :meth:`add`, :meth:`add_capped`, :meth:`contains`, :meth:`keys`
    (sorted), as :class:`sim.hash_set.HashSet`.  A key outside the range is an error, never a
    write outside the table."""

    def __init__(self, universe: int):
        self.universe = int(universe)
        self.bits = np.zeros((self.universe + 7) // 8, np.uint8)
        self.size = 0

    def add_capped(self, keys: np.ndarray, owner_span: int, held: np.ndarray, cap: int) -> np.ndarray:
        """As :meth:`sim.hash_set.HashSet.add_capped`: insert while the key's owner holds fewer than
        ``cap`` keys; returns the keys inserted, in the order met."""
        return self._insert(_insert_capped, self.bits, self._checked(keys), owner_span, held, cap)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        keys = self._checked(keys)
        out = np.empty(len(keys), bool)
        _contains(self.bits, keys, out)
        return out

    def keys(self) -> np.ndarray:
        """All keys, sorted (reads the whole table: for inspection, not the hot path)."""
        return np.flatnonzero(np.unpackbits(self.bits, bitorder="little")[: self.universe]).astype(np.int64)

    def _checked(self, keys: np.ndarray) -> np.ndarray:
        keys = np.ascontiguousarray(keys, np.int64)
        if len(keys) and (keys.min() < 0 or keys.max() >= self.universe):
            raise ValueError(f"keys must lie in [0, {self.universe}); got {keys.min()}..{keys.max()}")
        return keys
