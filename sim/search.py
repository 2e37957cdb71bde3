"""Finding instead of asking: before deciding, an owner searches what they can see.

What one can see differs by channel, and that is the point (the essay's structural advantage of open
spaces): on the stream, every post of every space one follows stays findable, whether or not it ever
reached one's feed; by mail, only one's own mailbox, here the mail that reached one and was never read
(what was read is known already).  The rule is the same on both: a search skims
``attention.search_items`` entries of the last ``search_window_ticks``, so an item that is there is
found with chance ``search_items / entries there`` (capped at 1).  Background traffic counts as
entries there, so noisy spaces and full mailboxes hide what one looks for; closed spaces (fewer
followed) hold less.  A search costs ``search_minutes`` of the owner's reading time.

Sizes are per person and window: background arrivals per tick on that channel (``[load]``) times the
window, plus the tracked entries there (posts in followed spaces; mail that reached the person unread).
"""

from __future__ import annotations

import numpy as np

from .messages import CHANNEL, KIND, PAYLOAD, READER, Channel, MessageKind

__all__ = ["Search"]


class Search:
    """The findable archives of the organisation and the searches made in them."""

    def __init__(self, model):
        self.model = model
        self.cfg = model.config.attention
        self.rng = model.rngs["search"]
        n = model.org.n
        # mail that reached a person and aged out unread: (reader, item, tick), oldest first
        self.unread_mail = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))
        self.minutes = np.zeros(n)  # reading time spent searching, per person
        self.searches = np.zeros(n, np.int64)
        self.found = 0  # items found, all searches

    def note_expired(self, rows: np.ndarray, now: int) -> None:
        """Knowledge mail that aged out unread stays in its reader's mailbox."""
        mail = rows[(rows[:, CHANNEL] == Channel.EMAIL) & (rows[:, KIND] == MessageKind.KNOWLEDGE)]
        if len(mail) == 0:
            return
        keep = self.unread_mail[2] >= now - self.cfg.search_window_ticks  # older ones are out of every window
        self.unread_mail = tuple(np.concatenate([a[keep], b]) for a, b in zip(self.unread_mail, (mail[:, READER], mail[:, PAYLOAD], np.full(len(mail), now))))

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
        # the mailbox: unread mail of the window
        reader, item, tick = self.unread_mail
        mine = (reader == person) & (tick >= since)
        users = m.stream_users()
        mail_rate = load.received_per_tick * ((1 - load.stream_share) if users[person] else 1.0)
        found |= self._draw(np.isin(items, item[mine]), mail_rate * cfg.search_window_ticks + int(mine.sum()))
        # the spaces one follows, if one is on the stream
        if users[person]:
            posts = m.stream.posts
            spaces = m.groups.spaces_of(person)
            recent = (posts["tick"] >= since) & np.isin(posts["space"], spaces)
            there = recent & (posts["kind"] == MessageKind.KNOWLEDGE)
            stream_rate = load.received_per_tick * load.stream_share
            found |= self._draw(np.isin(items, posts["payload"][there]), stream_rate * cfg.search_window_ticks + int(recent.sum()))
        hit = items[found]
        self.found += len(hit)
        return hit

    def _draw(self, present: np.ndarray, entries: float) -> np.ndarray:
        chance = min(1.0, self.cfg.search_items / entries) if entries > 0 else 1.0
        return present & (self.rng.random(len(present)) < chance)
