"""Array idioms the channels and the model use everywhere: gathering rows of a CSR structure,
ranking items first-come-first-served within groups, and the distinct values of an integer array.
All are plain numpy, no Python loop.

>>> ranges(np.array([10, 3]), np.array([2, 3])).tolist()
[10, 11, 3, 4, 5]
>>> order, starts, counts, rank = fifo_rank(np.array([7, 5, 7, 5, 7]))
>>> order.tolist(), rank.tolist()
([1, 3, 0, 2, 4], [0, 1, 0, 1, 2])
>>> unique_ints(np.array([7, 5, 7, 1])).tolist()
[1, 5, 7]
"""

from __future__ import annotations

import numpy as np

__all__ = ["ranges", "csr_rows", "runs", "fifo_rank", "unique_ints", "count_pairs"]


def ranges(start: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Indices of the concatenated ranges ``[start[i], start[i] + lens[i])``."""
    return np.arange(lens.sum()) + np.repeat(start - (np.cumsum(lens) - lens), lens)


def csr_rows(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entries of the given CSR rows, concatenated: ``(position in rows, entry)``."""
    lens = indptr[np.asarray(rows) + 1] - indptr[rows]
    return np.repeat(np.arange(len(lens)), lens), indices[ranges(indptr[rows], lens)]


def runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal keys starts in a sorted array, and how long it is.

    >>> runs(np.array([3, 3, 5, 8, 8, 8]))[0].tolist(), runs(np.array([3, 3, 5, 8, 8, 8]))[1].tolist()
    ([0, 2, 3], [2, 1, 3])
    """
    new = np.ones(len(sorted_keys), bool)
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    return starts, np.diff(starts, append=len(sorted_keys))


def fifo_rank(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group items by key, keeping arrival order within a key.  Returns ``order`` (a stable sort by
    key), each group's ``starts`` and ``counts`` in that order, and each sorted item's ``rank`` in
    its group (0 = first come)."""
    order = np.argsort(keys, kind="stable")
    starts, counts = runs(keys[order])
    return order, starts, counts, np.arange(len(keys)) - np.repeat(starts, counts)


def unique_ints(values: np.ndarray, sorted_runs: bool = False) -> np.ndarray:
    """The distinct values of an integer array, sorted: the same result as ``np.unique(values)``.

    Why not ``np.unique``: since numpy 2.3 it finds distinct values with a hash table and sorts them
    afterwards, which for int64 keys is 5-15 times slower than sorting first (measured: 3 M keys
    5.6 s vs 0.4 s), and the model calls it on millions of belief and message keys.

    ``sorted_runs``: ``values`` is a few sorted arrays joined end to end.  A stable sort (timsort)
    then only merges the runs, in about linear time (3 M keys in two runs: 12 ms, against 190 ms
    for the default sort)."""
    values = np.sort(np.asarray(values).ravel(), kind="stable" if sorted_runs else None)
    return values[runs(values)[0]]


def count_pairs(first: np.ndarray, second: np.ndarray, size_first: int, size_second: int) -> np.ndarray:
    """How often each (first, second) pair occurs, as a (size_first, size_second) array: the same as
    ``np.add.at(out, (first, second), 1)`` on zeros, with one bincount instead of numpy's slow
    unbuffered ``add.at``."""
    return np.bincount(first * size_second + second, minlength=size_first * size_second).reshape(size_first, size_second)
