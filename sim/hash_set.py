"""A set of non-negative int64 keys in an open-addressing hash table, for the belief sets of
:mod:`sim.awareness`: membership and insertion cost O(1) a key, where a sorted array costs a binary
search (a cache miss per step over millions of keys) and a merge that rewrites it.

The table is a numpy array (-1 marks an empty slot), at most three quarters full (half full right
after it grows: 11-21 bytes a key), probed linearly from a
mixed hash of the key (the splitmix64 finaliser, so keys that differ in a few low bits spread out);
the loops are compiled with numba.  Iteration order is the table's, so :meth:`HashSet.keys` sorts.

>>> s = HashSet()
>>> s.add(np.array([5, 1, 5, 2**40]))
3
>>> s.contains(np.array([1, 2, 2**40])).tolist(), len(s), s.keys().tolist()
([True, False, True], 3, [1, 5, 1099511627776])
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["HashSet", "KeyTable", "UNCAPPED_SPAN", "NO_CAP"]

EMPTY = -1
UNCAPPED_SPAN = 1 << 62  # an owner span that makes every key (all below 2**62) the one owner's
NO_CAP = np.iinfo(np.int64).max


@njit(cache=True, inline="always")
def _slot(key, mask):
    z = np.uint64(key) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.int64(z & np.uint64(mask))


@njit(cache=True, inline="always")
def _find(table, key, mask):
    """The slot holding ``key``, else the empty slot where it would go."""
    j = _slot(key, mask)
    while table[j] != key and table[j] != EMPTY:
        j = (j + 1) & mask
    return j


@njit(cache=True)
def _contains(table, keys, out):
    mask = len(table) - 1
    for i in range(len(keys)):
        out[i] = table[_find(table, keys[i], mask)] == keys[i]


@njit(cache=True)
def _insert(table, keys):
    """Insert keys; returns how many were not there yet."""
    mask = len(table) - 1
    added = 0
    for i in range(len(keys)):
        j = _find(table, keys[i], mask)
        if table[j] == EMPTY:
            table[j] = keys[i]
            added += 1
    return added


@njit(cache=True)
def _insert_capped(table, keys, owner_span, held, cap, new):
    """Insert keys, each owner (``key // owner_span``) up to ``cap`` keys held (``held`` counts
    them); the keys inserted go to ``new`` in the order met, and their number is returned."""
    mask = len(table) - 1
    added = 0
    for i in range(len(keys)):
        j = _find(table, keys[i], mask)
        if table[j] == EMPTY:
            owner = keys[i] // owner_span
            if held[owner] < cap:
                table[j] = keys[i]
                held[owner] += 1
                new[added] = keys[i]
                added += 1
    return added


class KeyTable:
    """What the storages of a key set share (:class:`HashSet`, :class:`sim.bit_set.BitSet`): the
    count of keys held, and :meth:`add` as :meth:`add_capped` with no cap."""

    size: int

    def __len__(self) -> int:
        return self.size

    def add(self, keys: np.ndarray) -> int:
        """Insert ``keys`` (non-negative); returns how many were new."""
        return len(self.add_capped(keys, UNCAPPED_SPAN, np.zeros(1, np.int64), NO_CAP))

    def add_capped(self, keys: np.ndarray, owner_span: int, held: np.ndarray, cap: int) -> np.ndarray:
        raise NotImplementedError

    def _insert(self, kernel, table: np.ndarray, keys: np.ndarray, owner_span: int, held: np.ndarray, cap: int) -> np.ndarray:
        """Run a compiled capped insertion; returns the keys inserted, in the order met."""
        new = np.empty(len(keys), np.int64)
        added = kernel(table, keys, owner_span, held, cap, new)
        self.size += added
        return new[:added]


class HashSet(KeyTable):
    """Non-negative int64 keys; :meth:`add`, :meth:`contains`, :meth:`keys` (sorted)."""

    MAX_LOAD = 0.75  # grown (to at most half full) beyond this

    def __init__(self, capacity: int = 1024):
        self.table = np.full(_room_for(max(capacity, 512)), EMPTY, np.int64)
        self.size = 0

    def add_capped(self, keys: np.ndarray, owner_span: int, held: np.ndarray, cap: int) -> np.ndarray:
        """Insert ``keys`` (non-negative) while their owner (``key // owner_span``) holds fewer than
        ``cap``; ``held`` (int64, per owner) counts what each holds.  Returns the keys inserted, in
        the order met.  (:data:`UNCAPPED_SPAN` and :data:`NO_CAP`: one owner of every key, no cap.)"""
        keys = np.ascontiguousarray(keys, np.int64)
        if self.size + len(keys) > self.MAX_LOAD * len(self.table):
            self._grow(self.size + len(keys))
        return self._insert(_insert_capped, self.table, keys, owner_span, held, cap)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        keys = np.ascontiguousarray(keys, np.int64)
        out = np.empty(len(keys), bool)
        _contains(self.table, keys, out)
        return out

    def keys(self) -> np.ndarray:
        """All keys, sorted."""
        return np.sort(self.table[self.table != EMPTY])

    def _grow(self, need: int) -> None:
        old = self.table[self.table != EMPTY]
        self.table = np.full(_room_for(need), EMPTY, np.int64)
        _insert(self.table, old)


def _room_for(keys: int) -> int:
    """Table size for ``keys`` keys: the power of two that holds them at most half full."""
    return 1 << int(2 * keys - 1).bit_length()
