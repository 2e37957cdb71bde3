"""Stream-style channel: posts to spaces, copied into the feed of every stream user who follows the
space, and @mentions, which are addressed (routed and screened like mail, :mod:`sim.routing`).

A feed copy is read by the same rule as mail (:mod:`sim.attention`).  ``stream.feed_attention_share``
(times ``restricted_attention_factor`` under a "not during work" policy) is the share of feed copies
a user ever looks at; the rest scroll by unseen and cost nothing.  Someone whose manager stays off
the stream looks at less of it (``adoption.managers_set_the_norm``).  @mentions are always seen.
"""

from __future__ import annotations

import numpy as np

from ..arrays import ColumnLog, csr_rows, unique_ints
from ..messages import Channel, audience_rows

__all__ = ["Stream", "feed_look_share"]


def feed_look_share(cfg) -> float:
    """Share of feed copies a stream user ever looks at: ``feed_attention_share``, times
    ``restricted_attention_factor`` under a "not during work" policy.  A function of the ``[stream]``
    settings alone, so a live change of them (:mod:`sim.controls`) recomputes it the same way."""
    return cfg.feed_attention_share * (cfg.restricted_attention_factor if cfg.policy == "restricted" else 1.0)


class Stream:
    """All posts of the organisation and their delivery into feeds."""

    channel = Channel.STREAM
    POST_FIELDS = {"space": np.int64, "author": np.int64, "tick": np.int64, "kind": np.int8, "payload": np.int64}

    def __init__(self, org, cfg, groups, router, attention, rng: np.random.Generator, boss: np.ndarray):
        self.org, self.cfg, self.groups, self.router, self.attention, self.rng = org, cfg, groups, router, attention, rng
        self.boss = boss  # whose copies a reader reads with addressed messages (their manager, or -1)
        self._posts = ColumnLog(self.POST_FIELDS)  # a post costs O(1), not a copy of all posts
        self.posted_by = np.zeros(org.n, np.int64)
        self.last_post = np.full(org.n, -(10**9), np.int64)  # tick each person last posted (managers' example)
        self.tick_posts = 0
        self.look_share = feed_look_share(cfg)
        self.look_norm = np.ones(org.n)  # per reader, what the local norm leaves of it (:meth:`sim.adoption.Adoption.norm`)

    @property
    def posts(self) -> dict[str, np.ndarray]:
        """Every post so far, in the order written (so by tick): one array per field of
        :attr:`POST_FIELDS` (views; they stay valid until the next post)."""
        return self._posts.view()

    @posts.setter
    def posts(self, columns: dict[str, np.ndarray]) -> None:
        self._posts.clear()
        self._posts.append(columns)

    def posts_since(self, tick: int) -> dict[str, np.ndarray]:
        """The posts written at ``tick`` or later (posts are kept in the order written)."""
        posts = self.posts
        start = int(np.searchsorted(posts["tick"], tick))
        return {k: v[start:] for k, v in posts.items()}

    def start_tick(self) -> None:
        self.tick_posts = 0

    def mention(self, author: np.ndarray, to: np.ndarray, kind: int, payload: np.ndarray, now: int) -> np.ndarray:
        """@mentions outside any space (``author[i]`` names ``to[i]``, e.g. a share to named ties):
        routed and screened like mail (:class:`sim.routing.Router`), and counted as posts of their
        authors, one per distinct (author, payload), as a mail to several people is one mail.
        Returns the author of each post."""
        if len(author) == 0:
            return np.empty(0, np.int64)
        self.attention.add(self.router.address(author, to, kind, payload, now, self.channel))
        span = int(payload.max()) + 1
        written = unique_ints(author * span + payload) // span
        self.posted_by += np.bincount(written, minlength=len(self.posted_by))
        self.last_post[written] = now
        self.tick_posts += len(written)
        return written

    def post(self, author, space, kind: int, payload, now: int, users: np.ndarray, mentions=(), internal: np.ndarray | None = None, leak_share: float = 0.0,
             via: int = -1, concerned=()) -> int:
        """Posts (arrays broadcast together), copied to the followers of each space who use the stream
        (``users``), the author and anyone @mentioned left out; ``mentions`` (people) of a single post
        are notified through :class:`sim.routing.Router`, by way of the relay ``via`` when given (the
        relay gets the notification to pass on; the people mentioned still see the post in their feed).
        A decision's thread post is read first only by the followers it ``concerned`` (who raised, own
        or hold the decision); to the other followers it is a shared post like any other.  Posts flagged ``internal`` reach partners and
        customers in the space only with chance ``leak_share``.  Returns the number of posts."""
        author, space, payload = (np.asarray(a, np.int64).ravel() for a in np.broadcast_arrays(np.atleast_1d(author), np.atleast_1d(space), np.atleast_1d(payload)))
        m = len(author)
        if m == 0:
            return 0
        self._posts.append({"space": space, "author": author, "tick": now, "kind": kind, "payload": payload})
        np.add.at(self.posted_by, author, 1)
        self.last_post[author] = now
        self.tick_posts += m
        which, reader = csr_rows(self.groups.members_indptr, self.groups.members_indices, space)
        keep = users[reader] & (reader != author[which])
        if len(mentions):
            keep &= ~np.isin(reader, np.asarray(mentions) if via < 0 else np.asarray([via]))
        if internal is not None:
            outside = np.broadcast_to(internal, (m,))[which] & (self.org.department[reader] < 0)
            keep &= ~outside | (self.rng.random(len(reader)) < leak_share)
        look = self.look_share * self.look_norm[reader]
        if (look < 1.0).any():
            keep &= self.rng.random(len(reader)) < look
        which, reader = which[keep], reader[keep]
        self.attention.add(audience_rows(author[which], reader, kind, payload[which], now, self.channel, self.cfg.delivery_delay_ticks, self.boss, concerned))
        if len(mentions):
            self.attention.add(self.router.address(author[0], np.asarray(mentions, np.int64), kind, payload[0], now, self.channel, via=via))
        return m
