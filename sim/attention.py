"""Attention: everyone's unread entries, from both channels, read by one rule.

A message that reaches a reader, by mail or on the stream, becomes an *entry* in that reader's
queue (:mod:`sim.messages`).  Each tick every person reads up to a budget of entries (their reading
capacity that hour; zero when away from the desk), in this order, the same for both channels:

1. priority level: addressed to me / from my manager / about my decision, then what reached me as
   a member of an audience, then routine;
2. within a level, newest first (the hour's arrivals, then older hours); within one hour, at random.

Entries older than their channel's time-to-live (``email.expire_after_ticks``,
``stream.feed_ttl_ticks``) are never read: under load people read a smaller share, not later
(Kooti et al. 2015).  Reading the newest first under load starves old entries, which gives the
heavy-tailed waiting times of Barabasi (2005).

Background traffic (mail and feed items the model does not track one by one) is queued too, as
counts per channel, level, arrival hour and person, and competes for the same budget; where a
level and hour hold both kinds, which ones are read is a hypergeometric draw.

Storage: one *chunk* per arrival hour in a ring as long as the longest time-to-live.  A chunk holds
that hour's entries as rows sorted by (reader, level), in random order within; ``unread[level,
slot, person]`` counts the unread tail of each (reader, level) run, so reading advances a pointer
and no row moves.  Nothing is a Python object per message.

>>> import numpy as np
>>> from sim.messages import new_rows, READER, READY, LEVEL
>>> att = Attention(n=3, ttl=(5, 5), rng=np.random.default_rng(0))
>>> rows = new_rows(4); rows[:, READER] = [1, 1, 1, 2]; rows[:, READY] = 1; rows[:, LEVEL] = 1
>>> att.add(rows)
>>> read = att.step(1, np.array([0, 2, 5]))
>>> np.bincount(read.rows[:, READER], minlength=3).tolist(), att.queued.tolist()
([0, 2, 1], [0, 1, 0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import ranges
from .messages import CHANNEL, LEVEL, LEVELS, READER, READY, COLUMNS

__all__ = ["Attention", "Read"]

MAX_RING_CELLS = 400_000_000  # levels x ring slots x people: about 1.6 GB of counters at most


@dataclass
class Read:
    """What was read in one tick: the tracked entries (rows) and, per channel and person, how many
    entries in all (tracked and background) were read."""

    rows: np.ndarray
    per_channel: np.ndarray  # (channels, people)


class Attention:
    """Unread queues of the whole organisation, both channels, served once per tick.

    ``ttl`` holds each channel's time-to-live in ticks (entries aged ``ttl`` or more are dropped).
    """

    def __init__(self, n: int, ttl: tuple[int, ...], rng: np.random.Generator, background: bool = False, horizon: int | None = None):
        self.n, self.rng = n, rng
        self.ttl = tuple(int(t) for t in ttl)
        self.channels = len(self.ttl)
        # the ring need not outlast the run: nothing older than the run exists
        self.slots = max(1, min(max(self.ttl), (horizon + 1) if horizon is not None else max(self.ttl)))
        if LEVELS * self.slots * n > MAX_RING_CELLS:
            raise MemoryError(f"{n} people x {self.slots} hours of unread entries exceed the memory allowed; shorten the time-to-live")
        self.unread = np.zeros((LEVELS, self.slots, n), np.int32)
        self.background = np.zeros((self.channels, LEVELS, self.slots, n), np.int32) if background else None
        self.chunk_rows: list[np.ndarray | None] = [None] * self.slots
        self.chunk_keys: list[np.ndarray | None] = [None] * self.slots
        self.slot_load = np.zeros(self.slots, np.int64)  # unread entries per slot (tracked + background)
        self.pending: list[np.ndarray] = []  # rows not yet readable (delivery delay)
        self.queued = np.zeros(n, np.int64)  # unread and readable, per person (tracked and background)
        self.tracked_unread = 0  # unread and readable tracked entries, everyone
        self.expired = np.zeros(self.channels, np.int64)  # tracked entries dropped unread
        self.expired_background = np.zeros(self.channels, np.int64)
        self.read_total = np.zeros((self.channels, n), np.int64)

    # ------------------------------------------------------------------ arrivals
    def add(self, rows: np.ndarray) -> None:
        """Queue entries; each becomes readable at its ``ready`` tick."""
        if len(rows):
            self.pending.append(rows)

    def _add_background(self, now: int, counts: np.ndarray) -> None:
        s = now % self.slots
        self.background[:, :, s, :] += counts.astype(np.int32)
        total = counts.sum(axis=(0, 1))
        self.queued += total
        self.slot_load[s] += int(total.sum())

    def in_transit(self) -> np.ndarray:
        """Entries written but not readable yet, per person."""
        if not self.pending:
            return np.zeros(self.n, np.int64)
        return np.bincount(np.concatenate(self.pending)[:, READER], minlength=self.n)

    # ------------------------------------------------------------------ the tick
    def step(self, now: int, budget: np.ndarray, background: np.ndarray | None = None) -> Read:
        """Expire, take in this tick's arrivals (``background[channel, level, person]`` counts too),
        and read up to ``budget[person]`` entries each."""
        self._expire(now)
        self._pack(now)
        if background is not None:
            self._add_background(now, background)
        return self._read(now, np.asarray(budget, np.int64))

    def _cell_keys(self, rows: np.ndarray) -> np.ndarray:
        return rows[:, READER] * LEVELS + rows[:, LEVEL]

    def _unread_mask(self, s: int) -> np.ndarray:
        """Which rows of chunk ``s`` are still unread (the tail of each (reader, level) run)."""
        keys = self.chunk_keys[s]
        start = np.searchsorted(keys, keys, "left")
        end = np.searchsorted(keys, keys, "right")
        pos = np.arange(len(keys)) - start
        unread = self.unread[keys % LEVELS, s, keys // LEVELS]
        return pos >= (end - start) - unread

    def _expire(self, now: int) -> None:
        for c, ttl in enumerate(self.ttl):
            if ttl > now:
                continue
            s = (now - ttl) % self.slots
            if self.background is not None:
                bg = self.background[c, :, s, :]
                dropped = bg.sum(axis=0)
                if dropped.any():
                    self.expired_background[c] += int(dropped.sum())
                    self.queued -= dropped
                    self.slot_load[s] -= int(dropped.sum())
                    bg[:] = 0
            rows = self.chunk_rows[s]
            if rows is None or len(rows) == 0:
                continue
            gone = self._unread_mask(s) & (rows[:, CHANNEL] == c)
            if not gone.any():
                continue
            keys = self.chunk_keys[s][gone]
            np.subtract.at(self.unread[:, s, :], (keys % LEVELS, keys // LEVELS), 1)
            self.queued -= np.bincount(keys // LEVELS, minlength=self.n)
            self.expired[c] += int(gone.sum())
            self.slot_load[s] -= int(gone.sum())
            self.tracked_unread -= int(gone.sum())
            keep = ~gone
            self.chunk_rows[s], self.chunk_keys[s] = rows[keep], self.chunk_keys[s][keep]

    def _pack(self, now: int) -> None:
        """This tick's readable arrivals become the chunk of slot ``now % slots``."""
        s = now % self.slots  # its previous hour outlived every channel's time-to-live (dropped above)
        self.chunk_rows[s] = self.chunk_keys[s] = None
        self.unread[:, s, :] = 0
        if not self.pending:
            return
        rows = np.concatenate(self.pending)
        due = rows[:, READY] <= now
        self.pending = [rows[~due]] if (~due).any() else []
        rows = rows[due]
        if len(rows) == 0:
            return
        keys = self._cell_keys(rows)
        order = np.lexsort((self.rng.random(len(rows)), keys))
        rows, keys = rows[order], keys[order]
        self.chunk_rows[s], self.chunk_keys[s] = rows, keys
        counts = np.bincount(keys, minlength=self.n * LEVELS).reshape(self.n, LEVELS)
        self.unread[:, s, :] = counts.T
        self.queued += counts.sum(axis=1)
        self.slot_load[s] += len(rows)
        self.tracked_unread += len(rows)

    def _read(self, now: int, budget: np.ndarray) -> Read:
        per_channel = np.zeros((self.channels, self.n), np.int64)
        empty = Read(np.empty((0, len(COLUMNS)), np.int64), per_channel)
        readers = np.flatnonzero((budget > 0) & (self.queued > 0))
        active = np.flatnonzero(self.slot_load > 0)
        if len(readers) == 0 or len(active) == 0:
            return empty
        age = (now - active) % self.slots
        active = active[np.argsort(age, kind="stable")]  # newest first
        tracked = self.unread[np.ix_(np.arange(LEVELS), active, readers)]  # (levels, slots, readers)
        if self.background is not None:
            bg = self.background[np.ix_(np.arange(self.channels), np.arange(LEVELS), active, readers)]  # (channels, levels, slots, readers)
            total = tracked + bg.sum(axis=0)
        else:
            bg, total = None, tracked
        flat = total.reshape(-1, len(readers))
        before = np.cumsum(flat, axis=0) - flat
        take = np.clip(budget[readers][None, :] - before, 0, flat).reshape(total.shape)
        if bg is None:
            take_tracked = take
        else:
            take_tracked = np.zeros_like(take)
            mixed = (take > 0) & (tracked > 0)
            take_tracked[mixed] = self.rng.hypergeometric(tracked[mixed], total[mixed] - tracked[mixed], take[mixed])
            take_bg = take - take_tracked
            # which channel's background: one hypergeometric draw per channel in turn
            left_bg, left_take = total - tracked, take_bg
            for c in range(self.channels):
                here = bg[c]
                if c == self.channels - 1:
                    got = left_take
                else:
                    got = np.zeros_like(left_take)
                    m = left_take > 0
                    got[m] = self.rng.hypergeometric(here[m], left_bg[m] - here[m], left_take[m])
                per_channel[c, readers] += got.sum(axis=(0, 1))
                if got.any():
                    self.background[c][np.ix_(np.arange(LEVELS), active, readers)] -= got.astype(np.int32)
                left_bg, left_take = left_bg - here, left_take - got
            self.slot_load[active] -= take_bg.sum(axis=(0, 2))
        self.queued[readers] -= take.sum(axis=(0, 1))
        rows = self._take_tracked(active, readers, take_tracked)
        if len(rows):
            np.add.at(per_channel, (rows[:, CHANNEL], rows[:, READER]), 1)
        self.read_total += per_channel
        return Read(rows, per_channel)

    def _take_tracked(self, active: np.ndarray, readers: np.ndarray, take: np.ndarray) -> np.ndarray:
        """Advance the read pointers by ``take[level, slot, reader]`` and return those rows."""
        out = []
        for j, s in enumerate(active.tolist()):
            level, r = np.nonzero(take[:, j, :])
            if len(level) == 0:
                continue
            k = take[level, j, r].astype(np.int64)
            person = readers[r]
            cells = person * LEVELS + level
            keys = self.chunk_keys[s]
            end = np.searchsorted(keys, cells, "right")
            unread = self.unread[level, s, person].astype(np.int64)
            first = end - unread
            out.append(self.chunk_rows[s][ranges(first, k)])
            self.unread[level, s, person] -= k.astype(np.int32)
            self.slot_load[s] -= int(k.sum())
            self.tracked_unread -= int(k.sum())
        return np.concatenate(out) if out else np.empty((0, len(COLUMNS)), np.int64)
