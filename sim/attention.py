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
that hour's entries as int32 rows (60 bytes an entry with its key, half of int64) sorted by (reader,
level), in random order within; ``unread[person, level, slot]`` counts the unread tail of each
(reader, level) run, so reading advances a pointer and no row moves.  Nothing is a Python object
per message.

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

from .arrays import count_pairs, runs
from .messages import CHANNEL, LEVEL, LEVELS, READER, READY, COLUMNS
from .reading_kernels import add_background, count_arrivals, expire_background, cut_channel_done, cut_channel_plan, cut_tracked_plan, expire_rows, plan_reads, read_cut_background, stable_order, take_rows

__all__ = ["Attention", "Read"]

INT32_MAX = np.iinfo(np.int32).max  # queued rows are stored in 32 bits (half the memory); rows read come out as int64
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
        # entries are dropped at their time-to-live or when their slot comes round again, whichever
        # is first (the second only in a run continued past ``horizon``), so a slot is empty when reused
        self.drop_at_age = tuple(min(t, self.slots) for t in self.ttl)
        if LEVELS * self.slots * n > MAX_RING_CELLS:
            raise MemoryError(f"{n} people x {self.slots} hours of unread entries exceed the memory allowed; shorten the time-to-live")
        # person-major, so that one reader's cells are contiguous
        self.unread = np.zeros((n, LEVELS, self.slots), np.int32)  # tracked, per (person, level, arrival slot)
        self.background = np.zeros((n, LEVELS, self.channels, self.slots), np.int32) if background else None
        self.background_level = np.zeros((n, LEVELS, self.channels), np.int64)  # background totals over slots
        # a tick no later than the oldest hour holding unread background, per (person, level, channel)
        self.background_since = np.zeros((n, LEVELS, self.channels), np.int64)
        self.background_arrived = np.zeros((self.channels, self.slots), np.int64)  # background that arrived in each slot, per channel
        self.chunk_rows: list[np.ndarray | None] = [None] * self.slots
        self.chunk_keys: list[np.ndarray | None] = [None] * self.slots
        self.pending: list[np.ndarray] = []  # rows not yet readable (delivery delay)
        self.pending_count = np.zeros(n, np.int64)  # those rows per reader
        self.observer = None  # told of every entry queued (the network ledger, :class:`sim.ona.Traffic`)
        self.on_queue = None  # called with every entry queued (mailboxes, :meth:`sim.search.Search.note_queued`)
        self.level_queued = np.zeros((n, LEVELS), np.int64)  # unread and readable, tracked and background
        self.tracked_queued = np.zeros(n, np.int64)  # unread and readable tracked entries, per person
        self.expired = np.zeros(self.channels, np.int64)  # tracked entries dropped unread
        self.expired_background = np.zeros(self.channels, np.int64)
        self.read_total = np.zeros((self.channels, n), np.int64)
        # what the kernels get for the background counters: an array with no people when there is none
        self._kernel_background = self.background if background else np.zeros((0, LEVELS, self.channels, self.slots), np.int32)

    @property
    def queued(self) -> np.ndarray:
        """Unread and readable entries per person, tracked and background."""
        return _add_up(self.level_queued, 1)

    @property
    def tracked_unread(self) -> int:
        """Unread and readable tracked entries, everyone."""
        return int(self.tracked_queued.sum())

    # ------------------------------------------------------------------ arrivals
    def add(self, rows: np.ndarray) -> None:
        """Queue entries; each becomes readable at its ``ready`` tick."""
        if len(rows):
            if self.observer is not None:
                self.observer.delivered(rows)
            if self.on_queue is not None:
                self.on_queue(rows)
            self.pending.append(rows)
            np.add.at(self.pending_count, rows[:, READER], 1)  # a few rows a call: no people-long count

    def _add_background(self, now: int, counts: np.ndarray, expire: np.ndarray) -> None:
        """Background arrivals join this tick's slot, after what the ``expire`` channels left there
        unread is dropped (their hour reached its time-to-live: see :meth:`_expire`)."""
        counts = np.ascontiguousarray(counts, np.int64)
        s = now % self.slots
        gone = np.zeros(self.channels, np.int64)
        add_background(counts, now, s, expire, self.background, self.background_level, self.background_since, self.level_queued, gone)
        self.expired_background += gone
        self.background_arrived[:, s] = counts.reshape(len(counts), -1).sum(axis=1)

    def in_transit(self) -> np.ndarray:
        """Entries written but not readable yet, per person."""
        return self.pending_count.copy()

    # ------------------------------------------------------------------ the tick
    def step(self, now: int, budget: np.ndarray, background: np.ndarray | None = None) -> Read:
        """Expire, take in this tick's arrivals (``background[channel, level, person]`` counts too),
        and read up to ``budget[person]`` entries each."""
        arriving = background is not None
        deferred = self._expire(now, defer_background=arriving)
        self._pack(now)
        if arriving:
            self._add_background(now, background, deferred)
        return self._read(now, np.asarray(budget, np.int64))

    def _cell_keys(self, rows: np.ndarray) -> np.ndarray:
        return rows[:, READER] * LEVELS + rows[:, LEVEL]

    def _unread_mask(self, s: int) -> np.ndarray:
        """Which rows of chunk ``s`` are still unread (the tail of each (reader, level) run); for
        inspection and tests."""
        keys = self.chunk_keys[s]
        run_starts, run_lengths = runs(keys)
        pos = np.arange(len(keys)) - np.repeat(run_starts, run_lengths)
        length = np.repeat(run_lengths, run_lengths)
        unread = self.unread[keys // LEVELS, keys % LEVELS, s]
        return pos >= length - unread

    def _expire(self, now: int, defer_background: bool = False) -> np.ndarray:
        """Drop what has reached its time-to-live.  With ``defer_background``, background in this
        tick's own slot (a channel whose time-to-live is the ring's length) is left for
        :meth:`_add_background` to drop in its pass; returns the channels so deferred."""
        deferred = np.zeros(self.channels, np.bool_)
        for c, ttl in enumerate(self.drop_at_age):
            if ttl > now:
                continue
            s = (now - ttl) % self.slots
            if self.background is not None and self.background_arrived[c, s]:  # else that hour brought none
                if defer_background and s == now % self.slots:
                    deferred[c] = True
                else:
                    self.expired_background[c] += expire_background(c, s, self.background, self.background_level, self.level_queued)
            rows = self.chunk_rows[s]
            if rows is None or len(rows) == 0:
                continue
            keep = np.ones(len(rows), bool)
            gone = expire_rows(self.chunk_keys[s], np.ascontiguousarray(rows[:, CHANNEL]), c, s, LEVELS, self.unread, self.level_queued, self.tracked_queued, keep)
            if gone:
                self.expired[c] += gone
                self.chunk_rows[s], self.chunk_keys[s] = rows[keep], self.chunk_keys[s][keep]
        return deferred

    def _pack(self, now: int) -> None:
        """This tick's readable arrivals become the chunk of slot ``now % slots``."""
        s = now % self.slots  # its previous hour's entries were all dropped above: its counters are zero
        self.chunk_rows[s] = self.chunk_keys[s] = None
        if not self.pending:
            return
        rows = np.concatenate(self.pending)
        due = rows[:, READY] <= now
        self.pending = [rows[~due]] if (~due).any() else []
        rows = rows[due]
        if len(rows) == 0:
            return
        self.pending_count -= np.bincount(rows[:, READER], minlength=self.n)
        keys = self._cell_keys(rows)
        order = np.argsort(keys * (1 << 20) + self.rng.integers(0, 1 << 20, len(rows)))  # by cell, at random within
        rows, keys = rows[order], keys[order]
        if rows.max() > INT32_MAX or rows.min() < -INT32_MAX:
            raise OverflowError("an entry holds a value beyond 32 bits (people, ticks and items are limited to 2**31)")
        self.chunk_rows[s], self.chunk_keys[s] = rows.astype(np.int32), keys.astype(np.int32)
        count_arrivals(keys, s, LEVELS, self.unread, self.level_queued, self.tracked_queued)

    # ------------------------------------------------------------------ reading
    def _read(self, now: int, budget: np.ndarray) -> Read:
        """Level by level: the levels a reader's budget covers are read whole; in the level where it
        runs out, newest hour first, at random within an hour (a hypergeometric draw splits a cell's
        take between tracked entries and each channel's background).  The loops are compiled
        (:mod:`sim.reading_kernels`); the draws are made here."""
        per_channel = np.zeros((self.channels, self.n), np.int64)
        queued = _add_up(self.level_queued, 1)
        readers = np.flatnonzero((budget > 0) & (queued > 0))
        if len(readers) == 0:
            return Read(np.empty((0, len(COLUMNS)), np.int64), per_channel)
        age_order = (now - np.arange(self.slots)) % self.slots  # slot of age 0, 1, ...
        whole, cut, cut_bg = plan_reads(now, readers, budget, self.level_queued, self.tracked_queued, self.unread, self._kernel_background, self.background_level,
                                        self.background_since, age_order, per_channel)
        take_tracked = self._draw_cut(cut, cut_bg, per_channel)
        # rows in the order of the numpy original: levels read whole (by level, arrival slot and
        # reader, as plan_reads gives them), then the cut levels by arrival slot, reader and age
        t = np.flatnonzero(take_tracked > 0)
        t = t[stable_order(cut[t, 3], self.slots)]
        person = np.concatenate([whole[:, 0], cut[t, 0]])
        level = np.concatenate([whole[:, 1], cut[t, 1]])
        slot = np.concatenate([whole[:, 2], cut[t, 3]])
        count = np.concatenate([whole[:, 3], take_tracked[t]])
        rows = self._take_tracked(person, level, slot, count)
        if len(rows):
            per_channel += count_pairs(rows[:, CHANNEL], rows[:, READER], self.channels, self.n)
        self.read_total += per_channel
        return Read(rows, per_channel)

    def _draw_cut(self, cut: np.ndarray, cut_bg: np.ndarray, per_channel: np.ndarray) -> np.ndarray:
        """How many tracked entries each cut cell gives (:func:`sim.reading_kernels.plan_reads`):
        where a cell holds both kinds, a hypergeometric draw, then one per channel for the
        background; the background and queue counters go down by what is read."""
        if len(cut) == 0:
            return np.empty(0, np.int64)
        take = cut[:, 5]
        if self.background is None:
            got = np.zeros((len(cut), self.channels), np.int64)
            read_cut_background(cut, got, self._kernel_background, self.background_level, self.level_queued, per_channel)
            return take
        # cells in (reader, age) order: the draws come in the order of a row-major pass
        cells, rng = len(cut), self.rng
        take_tracked, left_bg, mixed = np.empty(cells, np.int64), np.empty(cells, np.int64), np.empty(cells, np.int64)
        m = cut_tracked_plan(cut, cut_bg, take_tracked, left_bg, mixed)
        if m:
            i = mixed[:m]
            take_tracked[i] = rng.hypergeometric(cut[i, 4], left_bg[i], take[i])
        left_take = take - take_tracked
        got = np.empty((cells, self.channels), np.int64)  # background read per cell and channel
        for c in range(self.channels):  # which channel's background: one draw per channel in turn
            last = c == self.channels - 1
            m = cut_channel_plan(c, last, cut_bg, left_bg, left_take, got, mixed)
            if m:
                i = mixed[:m]
                here = cut_bg[i, c]
                got[i, c] = rng.hypergeometric(here, left_bg[i] - here, left_take[i])
            if not last:
                cut_channel_done(c, cut_bg, left_bg, left_take, got)
        read_cut_background(cut, got, self._kernel_background, self.background_level, self.level_queued, per_channel)
        return take_tracked

    def _take_tracked(self, person: np.ndarray, level: np.ndarray, slot: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Advance the read pointers of cells (person, level, slot) by ``k`` and return those rows,
        cell by cell in the order given (the kernel runs once per slot read from)."""
        if len(person) == 0:
            return np.empty((0, len(COLUMNS)), np.int64)
        start = np.cumsum(k) - k  # where each cell's rows go
        out = np.empty((int(k.sum()), len(COLUMNS)), np.int64)
        by_slot = np.argsort(slot.astype(np.int16 if self.slots <= np.iinfo(np.int16).max else np.int64), kind="stable")
        first, length = runs(slot[by_slot])
        for a, m in zip(first.tolist(), length.tolist()):
            s = int(slot[by_slot[a]])
            take_rows(by_slot[a : a + m], person, level, k, start, s, LEVELS, self.unread, self.chunk_keys[s], self.chunk_rows[s], out)
        self.tracked_queued -= np.bincount(person, weights=k, minlength=self.n).astype(np.int64)  # exact: counts < 2**53
        return out


def _add_up(x: np.ndarray, axis: int) -> np.ndarray:
    """Sum over a short axis (levels, channels) slice by slice: numpy's reduction over a short inner
    axis of a large array is several times slower than a few additions."""
    at = [slice(None)] * x.ndim  # plain slices: np.moveaxis costs more than the sum at 1,000 people
    at[axis] = 0
    out = x[tuple(at)].copy()
    for i in range(1, x.shape[axis]):
        at[axis] = i
        out += x[tuple(at)]
    return out
