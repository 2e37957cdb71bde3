"""The loops of the reading rule (:mod:`sim.attention`), compiled with numba.

Reading is one small decision per reader and cell (person, level, arrival hour): read the level
whole, or walk its hours newest first until the budget runs out.  In numpy that is a dozen passes
over gathered (readers x hours) arrays, each paying fancy indexing into the 3- and 4-dimensional
counters; here it is one pass over the cells a reader actually touches.  The kernels make no random
draws: the draws stay in numpy (:meth:`sim.attention.Attention._draw_cut`), in the same order, so
the results are the same as the numpy version's to the bit.

Compiled on first use (about a second) and cached beside this file (``__pycache__``), so later
processes load them in milliseconds.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["plan_reads", "stable_order", "cut_tracked_plan", "cut_channel_plan", "cut_channel_done", "take_rows", "add_background", "expire_background", "read_cut_background", "expire_rows", "count_arrivals"]


@njit(cache=True)
def plan_reads(now, readers, budget, level_queued, tracked_queued, unread, background, background_level, since, age_order, per_channel):
    """Split each reader's budget over their levels, in priority order.

    Levels the budget covers are read whole: their background is counted into ``per_channel`` and
    cleared, their queue emptied, and their unread tracked cells returned as *whole cells* (person,
    level, slot, count), ordered by level, then slot, then person.  In the level where the budget
    runs out (at most one per reader), the cells newest first until it is spent: *cut cells*
    (person, level, age, slot, tracked, take) and their background per channel, reader by reader,
    newest first.  ``background`` has no people (shape (0, ...)) when background traffic is off; the
    tracked cells of someone with no tracked entries queued (``tracked_queued``) are not looked at.
    The counters of cut cells are left for the caller, which draws what is read in them.

    One pass over the readers writes into arrays sized by a bound (a whole cell holds at least one
    tracked entry, a cut cell gives at least one read); the whole cells, met person by person, are
    then put in order by a counting sort."""
    levels, slots, channels = unread.shape[1], unread.shape[2], background_level.shape[2]
    whole_bound, cut_bound = 0, 0
    for p in readers:
        whole_bound += min(tracked_queued[p], levels * slots)
        cut_bound += min(budget[p], slots)
    whole = np.empty((whole_bound, 4), np.int64)
    cut = np.empty((cut_bound, 6), np.int64)
    cut_bg = np.empty((cut_bound, channels), np.int64)
    n_whole, n_cut = _walk(now, readers, budget, level_queued, tracked_queued, unread, background, background_level, since, age_order, per_channel, whole, cut, cut_bg)
    whole = whole[:n_whole]
    order = stable_order(whole[:, 1] * slots + whole[:, 2], levels * slots)
    return whole[order], cut[:n_cut], cut_bg[:n_cut]


@njit(cache=True)
def stable_order(keys, n_keys):
    """The permutation that sorts ``keys`` (each in ``[0, n_keys)``), ties in their given order: a
    counting sort, linear in ``len(keys) + n_keys``."""
    start = np.zeros(n_keys + 1, np.int64)
    for k in keys:
        start[k + 1] += 1
    for k in range(n_keys):
        start[k + 1] += start[k]
    order = np.empty(len(keys), np.int64)
    for i in range(len(keys)):
        k = keys[i]
        order[start[k]] = i
        start[k] += 1
    return order


@njit(cache=True)
def _walk(now, readers, budget, level_queued, tracked_queued, unread, background, background_level, since, age_order, per_channel, whole, cut, cut_bg):
    """The pass of :func:`plan_reads`: write the whole cells (person by person) and the cut cells,
    clear what is read whole, and return how many cells of each kind were written."""
    levels, slots, channels = unread.shape[1], unread.shape[2], background_level.shape[2]
    has_bg = background.shape[0] > 0
    bg_here = np.zeros(channels, np.bool_)
    w_at, c_at = 0, 0
    for i in range(len(readers)):
        p = readers[i]
        left = budget[p]
        any_tracked = tracked_queued[p] > 0
        for lv in range(levels):
            q = level_queued[p, lv]
            if left >= q:  # read whole
                left -= q
                if q == 0:
                    continue
                if has_bg:
                    for c in range(channels):
                        if background_level[p, lv, c]:  # else every slot of it is empty already
                            per_channel[c, p] += background_level[p, lv, c]
                            background_level[p, lv, c] = 0
                            # only the hours from the oldest that may hold some (``since``) to now
                            for a in range(min(slots - 1, now - since[p, lv, c]) + 1):
                                background[p, lv, c, age_order[a]] = 0
                level_queued[p, lv] = 0
                for s in range(slots if any_tracked else 0):
                    k = unread[p, lv, s]
                    if k > 0:
                        whole[w_at, 0], whole[w_at, 1], whole[w_at, 2], whole[w_at, 3] = p, lv, s, k
                        w_at += 1
            elif left > 0:  # the budget runs out here: newest hour first
                for c in range(channels):  # the channels with background in this level (the others' slots are empty)
                    bg_here[c] = has_bg and background_level[p, lv, c] > 0
                for a in range(slots):
                    s = age_order[a]
                    tracked = unread[p, lv, s] if any_tracked else 0
                    total = tracked
                    for c in range(channels):
                        if bg_here[c]:
                            total += background[p, lv, c, s]
                    if total == 0:
                        continue
                    take = min(left, total)
                    for c in range(channels):
                        cut_bg[c_at, c] = background[p, lv, c, s] if bg_here[c] else 0
                    cut[c_at, 0], cut[c_at, 1], cut[c_at, 2], cut[c_at, 3], cut[c_at, 4], cut[c_at, 5] = p, lv, a, s, tracked, take
                    c_at += 1
                    left -= take
                    if left == 0:
                        break
                left = 0
    return w_at, c_at


@njit(cache=True)
def take_rows(cells, person, level, count, start, slot, levels, unread, keys, rows, out):
    """The unread tracked rows of the given cells (``person[i]``, ``level[i]``, ``slot``), all in
    arrival slot ``slot``, whose rows ``rows`` are sorted by (reader, level) key (``keys``):
    ``count[i]`` of each, oldest unread first within a cell (its rows are in random order), written
    to ``out[start[i]:]``; the cells' read pointers advance.  Called once per slot read from, so no
    list of the slots' arrays has to be built (a numba typed list costs about 20 us an entry)."""
    for i in cells:
        p, lv, k = person[i], level[i], count[i]
        end = np.searchsorted(keys, p * levels + lv, "right")
        first = end - unread[p, lv, slot]
        out[start[i] : start[i] + k] = rows[first : first + k]
        unread[p, lv, slot] -= k


@njit(cache=True)
def add_background(counts, now, slot, expire, background, background_level, since, level_queued, gone):
    """This tick's background arrivals ``counts[channel, level, person]`` join arrival slot
    ``slot``.  For the channels flagged in ``expire``, whose entries in that slot have reached their
    time-to-live this tick, what is left of them unread is dropped first, in the same pass over the
    counters (``gone[channel]`` counts it), which saves a second walk over everyone.  ``since``
    (person, level, channel) keeps a tick no later than the oldest hour that may hold unread
    background: set to ``now`` when arrivals find none, so that reading a level whole clears only
    the hours from then on (:func:`plan_reads`)."""
    channels, levels, n = counts.shape
    for p in range(n):
        for lv in range(levels):
            for c in range(channels):
                if expire[c]:
                    b = background[p, lv, c, slot]
                    if b:
                        level_queued[p, lv] -= b
                        background_level[p, lv, c] -= b
                        background[p, lv, c, slot] = 0
                        gone[c] += b
                k = counts[c, lv, p]
                if k:
                    if background_level[p, lv, c] == 0:
                        since[p, lv, c] = now  # every earlier hour of it is empty
                    background[p, lv, c, slot] += k
                    background_level[p, lv, c] += k
                    level_queued[p, lv] += k


@njit(cache=True)
def expire_background(channel, slot, background, background_level, level_queued):
    """Drop the unread background of one channel that arrived in ``slot``; returns how much."""
    n, levels = background.shape[0], background.shape[1]
    gone = 0
    for p in range(n):
        for lv in range(levels):
            b = background[p, lv, channel, slot]
            if b:
                level_queued[p, lv] -= b
                background_level[p, lv, channel] -= b
                background[p, lv, channel, slot] = 0
                gone += b
    return gone


@njit(cache=True)
def cut_tracked_plan(cut, cut_bg, take_tracked, bg_total, mixed):
    """For each cut cell: its background in all (``bg_total``), and how many tracked entries it
    gives where no draw is needed (all, when it holds no background; none, when it holds no tracked
    entries).  The cells that hold both kinds, which need a hypergeometric draw, go to ``mixed``
    in cell order; their number is returned."""
    m = 0
    for i in range(len(cut)):
        tracked, take = cut[i, 4], cut[i, 5]
        b = 0
        for c in range(cut_bg.shape[1]):
            b += cut_bg[i, c]
        bg_total[i] = b
        take_tracked[i] = take if b == 0 else 0
        if tracked > 0 and b > 0:
            mixed[m] = i
            m += 1
    return m


@njit(cache=True)
def cut_channel_plan(c, last, cut_bg, left_bg, left_take, got, mixed):
    """The background read from channel ``c`` in each cut cell, out of ``left_take`` still to read
    from ``left_bg`` left (this channel's and the later ones'): all that is left on the last
    channel; all, or none, where the cell's remaining background is all, or none, of this channel.
    The cells that need a hypergeometric draw go to ``mixed``; their number is returned."""
    m = 0
    for i in range(len(left_take)):
        here = cut_bg[i, c]
        if last:
            got[i, c] = left_take[i]
            continue
        got[i, c] = left_take[i] if here == left_bg[i] else 0
        if left_take[i] > 0 and here > 0 and here < left_bg[i]:
            mixed[m] = i
            m += 1
    return m


@njit(cache=True)
def cut_channel_done(c, cut_bg, left_bg, left_take, got):
    """What channel ``c`` gave leaves the later channels."""
    for i in range(len(left_take)):
        left_bg[i] -= cut_bg[i, c]
        left_take[i] -= got[i, c]


@njit(cache=True)
def read_cut_background(cut, got, background, background_level, level_queued, per_channel):
    """Count what the cut cells gave: ``got[cell, channel]`` background entries read and ``cut[:,
    5]`` entries in all (tracked included)."""
    for i in range(len(cut)):
        p, lv, s, take = cut[i, 0], cut[i, 1], cut[i, 3], cut[i, 5]
        for c in range(got.shape[1]):
            g = got[i, c]
            if g:
                per_channel[c, p] += g
                background_level[p, lv, c] -= g
                background[p, lv, c, s] -= g
        level_queued[p, lv] -= take


@njit(cache=True)
def expire_rows(keys, channel_of_row, channel, slot, levels, unread, level_queued, tracked_queued, keep):
    """Drop the unread tracked rows of one channel from a chunk (``keys`` sorted by (reader,
    level); a run's unread rows are its tail): their counters go down and ``keep`` is set false for
    them.  Returns how many were dropped."""
    gone = 0
    start = 0
    while start < len(keys):
        key = keys[start]
        end = start
        while end < len(keys) and keys[end] == key:
            end += 1
        p, lv = key // levels, key % levels
        lost = 0
        for i in range(end - unread[p, lv, slot], end):
            if channel_of_row[i] == channel:
                keep[i] = False
                lost += 1
        if lost:
            unread[p, lv, slot] -= lost
            level_queued[p, lv] -= lost
            tracked_queued[p] -= lost
            gone += lost
        start = end
    return gone


@njit(cache=True)
def count_arrivals(keys, slot, levels, unread, level_queued, tracked_queued):
    """A new chunk's rows (``keys``: reader * levels + level) join the unread counters of ``slot``."""
    for i in range(len(keys)):
        p, lv = keys[i] // levels, keys[i] % levels
        unread[p, lv, slot] += 1
        level_queued[p, lv] += 1
        tracked_queued[p] += 1
