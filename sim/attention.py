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

from .arrays import count_pairs, ranges, runs
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
        # person-major, so that one reader's cells are contiguous
        self.unread = np.zeros((n, LEVELS, self.slots), np.int32)  # tracked, per (person, level, arrival slot)
        self.background = np.zeros((n, LEVELS, self.channels, self.slots), np.int32) if background else None
        self.background_level = np.zeros((n, LEVELS, self.channels), np.int64)  # background totals over slots
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
            self.pending_count += np.bincount(rows[:, READER], minlength=self.n)

    def _add_background(self, now: int, counts: np.ndarray) -> None:
        s = now % self.slots
        per_person = counts.transpose(2, 1, 0)  # (people, levels, channels)
        self.background[:, :, :, s] += per_person.astype(np.int32)
        self.background_level += per_person
        self.level_queued += _add_up(per_person, 2)

    def in_transit(self) -> np.ndarray:
        """Entries written but not readable yet, per person."""
        return self.pending_count.copy()

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
        # the keys are sorted: each (reader, level) run starts where the key changes (one pass,
        # where two searchsorted calls of every key cost O(rows log rows))
        run_starts, run_lengths = runs(keys)
        pos = np.arange(len(keys)) - np.repeat(run_starts, run_lengths)
        length = np.repeat(run_lengths, run_lengths)
        unread = self.unread[keys // LEVELS, keys % LEVELS, s]
        return pos >= length - unread

    def _expire(self, now: int) -> None:
        for c, ttl in enumerate(self.ttl):
            if ttl > now:
                continue
            s = (now - ttl) % self.slots
            if self.background is not None:
                bg = self.background[:, :, c, s]  # (people, levels)
                if bg.any():
                    self.expired_background[c] += int(bg.sum())
                    self.level_queued -= bg
                    self.background_level[:, :, c] -= bg
                    bg[:] = 0
            rows = self.chunk_rows[s]
            if rows is None or len(rows) == 0:
                continue
            gone = self._unread_mask(s) & (rows[:, CHANNEL] == c)
            if not gone.any():
                continue
            lost = np.bincount(self.chunk_keys[s][gone], minlength=self.n * LEVELS).reshape(self.n, LEVELS)
            self.unread[:, :, s] -= lost.astype(np.int32)
            self.level_queued -= lost
            self.tracked_queued -= _add_up(lost, 1)
            self.expired[c] += int(gone.sum())
            keep = ~gone
            self.chunk_rows[s], self.chunk_keys[s] = rows[keep], self.chunk_keys[s][keep]

    def _pack(self, now: int) -> None:
        """This tick's readable arrivals become the chunk of slot ``now % slots``."""
        s = now % self.slots  # its previous hour outlived every channel's time-to-live (dropped above)
        self.chunk_rows[s] = self.chunk_keys[s] = None
        self.unread[:, :, s] = 0
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
        self.chunk_rows[s], self.chunk_keys[s] = rows, keys
        counts = np.bincount(keys, minlength=self.n * LEVELS).reshape(self.n, LEVELS)
        self.unread[:, :, s] = counts
        self.level_queued += counts
        self.tracked_queued += _add_up(counts, 1)

    # ------------------------------------------------------------------ reading
    def _read(self, now: int, budget: np.ndarray) -> Read:
        """Level by level: the levels a reader's budget covers are read whole; in the level where it
        runs out, newest hour first, at random within an hour (a hypergeometric draw splits a cell's
        take between tracked entries and each channel's background)."""
        per_channel = np.zeros((self.channels, self.n), np.int64)
        queued = _add_up(self.level_queued, 1)
        readers = np.flatnonzero((budget > 0) & (queued > 0))
        if len(readers) == 0:
            return Read(np.empty((0, len(COLUMNS)), np.int64), per_channel)
        lq = self.level_queued[readers]
        before = np.cumsum(lq, axis=1) - lq
        left = np.clip(budget[readers][:, None] - before, 0, None)  # budget left when a level starts
        whole = left >= lq  # levels read whole (empty ones included)
        taken = [self._read_whole(readers, lvl, whole[:, lvl] & (lq[:, lvl] > 0), per_channel) for lvl in range(LEVELS)]
        cut = ~whole & (left > 0)  # at most one level per reader
        r, lvl = np.nonzero(cut)
        taken.append(self._read_cut(readers[r], lvl, left[r, lvl], now, per_channel))
        rows = np.concatenate(taken)
        if len(rows):
            per_channel += count_pairs(rows[:, CHANNEL], rows[:, READER], self.channels, self.n)
        self.read_total += per_channel
        return Read(rows, per_channel)

    def _read_whole(self, readers: np.ndarray, level: int, mask: np.ndarray, per_channel: np.ndarray) -> np.ndarray:
        """These readers read all of one level: no ordering or draw needed."""
        people = readers[mask]
        if len(people) == 0:
            return np.empty((0, len(COLUMNS)), np.int64)
        if self.background is not None:
            per_channel[:, people] += self.background_level[people, level].T
            self.background_level[people, level] = 0
            self.background[people, level] = 0
        self.level_queued[people, level] = 0
        tracked = people[self.tracked_queued[people] > 0]
        if len(tracked) == 0:
            return np.empty((0, len(COLUMNS)), np.int64)
        k = self.unread[tracked, level, :]  # (people, slots)
        r, slot = np.nonzero(k)
        return self._take_tracked(tracked[r], np.full(len(r), level), slot, k[r, slot])

    def _read_cut(self, people: np.ndarray, level: np.ndarray, budget: np.ndarray, now: int, per_channel: np.ndarray) -> np.ndarray:
        """Each reader reads ``budget`` entries of their ``level``, newest hour first."""
        if len(people) == 0:
            return np.empty((0, len(COLUMNS)), np.int64)
        age_order = (now - np.arange(self.slots)) % self.slots  # slot of age 0, 1, ...
        r, a, tracked, bg, take = self._cut_cells(people, level, budget, age_order)
        total = tracked if bg is None else tracked + _add_up(bg, 1)
        take_tracked = take
        if bg is not None:
            # cells in (reader, age) order: the draws come in the order of a row-major pass
            take_tracked = np.where(tracked == total, take, 0)
            mixed = (tracked > 0) & (tracked < total)
            take_tracked[mixed] = self.rng.hypergeometric(tracked[mixed], total[mixed] - tracked[mixed], take[mixed])
            left_bg, left_take = total - tracked, take - take_tracked
            for c in range(self.channels):  # which channel's background: one draw per channel in turn
                here = bg[:, c]
                if c == self.channels - 1:
                    got = left_take
                else:
                    got = np.where(here == left_bg, left_take, 0)
                    m = (left_take > 0) & (here > 0) & (here < left_bg)
                    got[m] = self.rng.hypergeometric(here[m], left_bg[m] - here[m], left_take[m])
                    left_bg, left_take = left_bg - here, left_take - got
                if got.any():
                    per_person = np.bincount(r, weights=got, minlength=len(people)).astype(np.int64)
                    per_channel[c, people] += per_person
                    self.background_level[people, level, c] -= per_person
                    g = got > 0
                    self.background[people[r[g]], level[r[g]], c, age_order[a[g]]] -= got[g].astype(np.int32)
        # one cut level per reader: no repeated pairs
        self.level_queued[people, level] -= np.bincount(r, weights=take, minlength=len(people)).astype(np.int64)
        t = take_tracked > 0
        return self._take_tracked(people[r[t]], level[r[t]], age_order[a[t]], take_tracked[t])

    # ages looked at per round: most readers' budgets run out within the newest hours, so the
    # older hours are gathered only for the readers still reading
    CUT_ROUNDS = (2, 6)

    def _cut_cells(self, people, level, budget, age_order):
        """The cells (reader index ``r``, age ``a``) the budgets reach, in (reader, age) order, with
        their unread tracked counts, background counts per channel (None without background) and how
        many entries each gives (> 0).  Newest first, hour by hour, until each budget runs out."""
        left = budget.astype(np.int64)
        active = np.arange(len(people))
        found, start = [], 0
        for width in (*self.CUT_ROUNDS, self.slots):
            ages = np.arange(start, min(start + width, self.slots))
            if len(active) == 0 or len(ages) == 0:
                break
            p, lv, slots = people[active][:, None], level[active][:, None], age_order[ages][None, :]
            tracked = self.unread[p, lv, slots].astype(np.int64)  # (readers, ages)
            total, bg = tracked, None
            if self.background is not None:
                bg = self.background[p, lv, :, slots]  # (readers, ages, channels)
                total = tracked + bg.sum(axis=2)
            before = np.cumsum(total, axis=1) - total
            take = np.clip(left[active][:, None] - before, 0, total)
            rr, aa = np.nonzero(take)
            found.append((active[rr], ages[aa], tracked[rr, aa], None if bg is None else bg[rr, aa], take[rr, aa]))
            left[active] -= take.sum(axis=1)
            active = active[left[active] > 0]
            start += len(ages)
        r, a, tracked, bg, take = (np.concatenate([f[i] for f in found]) if found[0][i] is not None else None for i in range(5))
        order = np.argsort(r * self.slots + a, kind="stable")
        return r[order], a[order], tracked[order], None if bg is None else bg[order], take[order]

    def _take_tracked(self, person: np.ndarray, level: np.ndarray, slot: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Advance the read pointers of cells (person, level, slot) by ``k`` and return those rows."""
        out = []
        k = np.asarray(k, np.int64)
        for s in np.unique(slot).tolist():
            here = slot == s
            p, lv, kk = person[here], level[here], k[here]
            end = np.searchsorted(self.chunk_keys[s], p * LEVELS + lv, "right")
            first = end - self.unread[p, lv, s].astype(np.int64)
            out.append(self.chunk_rows[s][ranges(first, kk)])
            self.unread[p, lv, s] -= kk.astype(np.int32)
        if len(person):
            self.tracked_queued -= np.bincount(person, weights=k, minlength=self.n).astype(np.int64)  # exact: counts < 2**53
        return np.concatenate(out) if out else np.empty((0, len(COLUMNS)), np.int64)


def _add_up(x: np.ndarray, axis: int) -> np.ndarray:
    """Sum over a short axis (levels, channels) slice by slice: numpy's reduction over a short inner
    axis of a large array is several times slower than a few additions."""
    parts = np.moveaxis(x, axis, 0)
    out = parts[0].copy()
    for part in parts[1:]:
        out += part
    return out
