"""Finding instead of asking: before deciding, an owner searches what they can see.

What one can see differs by channel, and that is the point (the essay's structural advantage of open
spaces): on the stream, every post of every space one follows stays findable, whether or not it ever
reached one's feed; by mail, only one's own mailbox: the mail that reached one, read or not (only
what was not read can be news).  Both archives hold what arrived in the window, dated when it was
written.  The rule is the same on both: a search skims
``attention.search_items`` entries of the last ``search_window_ticks``, so an item that is there is
found with chance ``search_items / entries there`` (capped at 1).  Background traffic counts as
entries there, so noisy spaces and full mailboxes hide what one looks for; closed spaces (fewer
followed) hold less.  A search costs ``search_minutes`` of the owner's reading time.

Sizes are per person and window: background arrivals per tick on that channel (``[load]``) times the
window, plus the tracked entries there (posts in followed spaces; knowledge mail that reached the
person).
"""

from __future__ import annotations

import numpy as np

from .arrays import ColumnLog, ranges
from .messages import CHANNEL, COLUMNS, KIND, PAYLOAD, READER, READY, SENT, Channel, MessageKind

__all__ = ["Search"]


class Search:
    """The findable archives of the organisation and the searches made in them."""

    def __init__(self, model):
        self.model = model
        self.cfg = model.config.attention
        self.rng = model.rngs["search"]
        n = self.n = model.org.n
        # knowledge mail queued for its readers, one row per queuing: key (tick queued * people +
        # reader, ascending, so one binary search finds a reader's mail of one tick), item, tick
        # written, tick readable.  This tick's queuings wait in ``_this_tick_rows``.
        self._mail = ColumnLog({"key": np.int64, "item": np.int64, "sent": np.int64, "ready": np.int64})
        self._this_tick_rows: list[np.ndarray] = []
        self._this_tick = -1
        self.minutes = np.zeros(n)  # reading time spent searching, per person
        self.searches = np.zeros(n, np.int64)
        self.found = 0  # items found, all searches

    def note_queued(self, rows: np.ndarray, now: int) -> None:
        """Entries queued for their readers (:meth:`sim.attention.Attention.add`, every hop of an
        addressed mail included): the knowledge mail among them lands in the readers' mailboxes
        (its columns picked out once a tick, when the tick's queuings are filed)."""
        if now != self._this_tick:
            self._close_tick(now)
        mail = (rows[:, CHANNEL] == Channel.EMAIL) & (rows[:, KIND] == MessageKind.KNOWLEDGE)
        if mail.any():
            self._this_tick_rows.append(rows[mail])

    def _this_tick_mail(self) -> np.ndarray:
        """The knowledge mail queued this tick so far: rows of (reader, item, tick written, tick readable)."""
        rows = np.concatenate(self._this_tick_rows) if self._this_tick_rows else np.empty((0, len(COLUMNS)), np.int64)
        return rows[:, [READER, PAYLOAD, SENT, READY]]

    def _close_tick(self, now: int) -> None:
        """File the queuings of the last tick and drop the mail queued before every window."""
        rows = self._this_tick_mail()
        if len(rows):
            rows = rows[np.argsort(rows[:, 0], kind="stable")]  # by reader, after every earlier tick's
            self._mail.append({"key": self._this_tick * self.n + rows[:, 0], "item": rows[:, 1], "sent": rows[:, 2], "ready": rows[:, 3]})
        self._this_tick_rows, self._this_tick = [], now
        self._mail.drop_front(int(np.searchsorted(self._mail.view()["key"], (now - self.cfg.search_window_ticks) * self.n)))

    def _mailbox(self, person: int, since: int, now: int) -> np.ndarray:
        """Knowledge items in ``person``'s mailbox written since ``since`` and readable by ``now``."""
        if self._this_tick_rows and now != self._this_tick:
            self._close_tick(now)
        keys, item, sent, ready = self._mail.view().values()
        # mail queued before ``since`` was written before it too: only the window's ticks are looked up
        first = np.arange(max(since, 0), now + 1) * self.n + person
        start, end = np.searchsorted(keys, first), np.searchsorted(keys, first + 1)
        at = ranges(start, end - start)
        found = [item[at][(sent[at] >= since) & (ready[at] <= now)]]
        if self._this_tick_rows:
            rows = self._this_tick_mail()
            found.append(rows[(rows[:, 0] == person) & (rows[:, 2] >= since) & (rows[:, 3] <= now), 1])
        return np.concatenate(found)

    def find(self, person: int, items: np.ndarray, now: int) -> np.ndarray:
        """Search for ``items`` on both channels; returns the items found (the searcher learns them)."""
        cfg, m = self.cfg, self.model
        if cfg.search_items == 0 or len(items) == 0:
            return np.empty(0, np.int64)
        self.minutes[person] += cfg.search_minutes
        self.searches[person] += 1
        since = now - cfg.search_window_ticks
        load = m.config.load
        found = np.zeros(len(items), bool)
        # the mailbox: knowledge mail of the window
        mailbox = self._mailbox(person, since, now)
        users = m.stream_users()
        mail_rate = load.received_per_tick * ((1 - load.stream_share) if users[person] else 1.0)
        found |= self._draw(np.isin(items, mailbox), mail_rate * cfg.search_window_ticks + len(mailbox))
        # the spaces one follows, if one is on the stream
        if users[person]:
            posts = m.stream.posts_since(since)
            spaces = m.groups.spaces_of(person)
            recent = np.isin(posts["space"], spaces)
            there = recent & (posts["kind"] == MessageKind.KNOWLEDGE)
            stream_rate = load.received_per_tick * load.stream_share
            found |= self._draw(np.isin(items, posts["payload"][there]), stream_rate * cfg.search_window_ticks + int(recent.sum()))
        hit = items[found]
        self.found += len(hit)
        return hit

    def _draw(self, present: np.ndarray, entries: float) -> np.ndarray:
        chance = min(1.0, self.cfg.search_items / entries) if entries > 0 else 1.0
        return present & (self.rng.random(len(present)) < chance)
