"""Stream-style channel: posts to spaces, read from followers' feeds with limited attention.

A post made during tick t lands in the feed of every stream user who follows its space at tick
t+1.  Each tick a user reads ``attention`` items (stochastically rounded), newest first: first the
batch that arrived this tick, then, with attention to spare, older unread items hour by hour back
to ``feed_ttl_ticks``; older items age out unread.  Within one hour's batch the order is random,
so when attention runs out part-way through a batch, a reader takes exactly as many items as
attention is left, drawn at random from the batch (modelled posts and background items alike).  A post may @mention people (a decision's ask or input): they get a
notification, read first from the same attention budget, oldest first, kept until read.  Feeds also fill with background items (activity the model does
not represent), which take attention exactly like modelled posts: they are counted per person
and hour in a ring buffer, modelled posts are kept as (person, post) entries.

Nothing here is a Python object per post or per reader.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..arrays import csr_rows, fifo_rank, ranges
from .email import stochastic_round

__all__ = ["StreamChannel", "Spaces", "build_spaces", "Reads"]


@dataclass
class Spaces:
    """Who follows which space.  ``names[s]``; CSR ``members_indptr/indices`` space -> people;
    ``person_spaces`` CSR person -> spaces, widest space first."""

    names: list[str]
    members_indptr: np.ndarray
    members_indices: np.ndarray
    person_indptr: np.ndarray
    person_indices: np.ndarray

    @property
    def count(self) -> int:
        return len(self.names)

    def of_person(self, p: int) -> np.ndarray:
        return self.person_indices[self.person_indptr[p] : self.person_indptr[p + 1]]

    def size(self) -> np.ndarray:
        return np.diff(self.members_indptr)


def build_spaces(org, stream_cfg, rng: np.random.Generator) -> Spaces:
    """Company space (all staff), one space per department, and community spaces across
    departments (with partners and customers when ``externals_in_communities``)."""
    internal = np.flatnonzero(org.department >= 0)
    external = np.flatnonzero(org.department < 0)
    names, rows, cols = [], [], []

    def add(name, people):
        rows.append(np.full(len(people), len(names)))
        cols.append(np.asarray(people))
        names.append(name)

    if stream_cfg.company_space:
        add("company", internal)
    if stream_cfg.department_spaces:
        for d, dname in enumerate(org.department_names):
            people = internal[org.department[internal] == d]
            if len(people):
                add(f"department:{dname}", people)
    c = stream_cfg.communities
    if c:
        inside = rng.random((c, len(internal))) < stream_cfg.community_membership_share
        if stream_cfg.externals_in_communities and len(external):
            ext = rng.random((c, len(external))) < stream_cfg.community_membership_share
            ext[rng.integers(0, c, len(external)), np.arange(len(external))] = True  # each in one at least
        else:
            ext = np.zeros((c, len(external)), bool)
        for k in range(c):
            add(f"community:{k}", np.concatenate([internal[inside[k]], external[ext[k]]]))
    s_count, n = len(names), org.n
    if s_count == 0:
        empty = np.zeros(1, np.int64)
        return Spaces(names, empty, np.empty(0, np.int32), np.zeros(n + 1, np.int64), np.empty(0, np.int32))
    r, cidx = np.concatenate(rows), np.concatenate(cols)
    mat = sp.csr_matrix((np.ones(len(r), np.int8), (r, cidx)), shape=(s_count, n))
    mat.sum_duplicates()
    mat.sort_indices()
    sizes = np.diff(mat.indptr)
    # person -> spaces, widest first (people post where most will see)
    t = mat.T.tocsr()
    order_key = np.argsort(np.argsort(-sizes, kind="stable"))
    idx = t.indices
    rowp = np.repeat(np.arange(n), np.diff(t.indptr))
    o = np.lexsort((order_key[idx], rowp))
    per_indices = idx[o].astype(np.int32)
    return Spaces(names, mat.indptr.astype(np.int64), mat.indices.astype(np.int32), t.indptr.astype(np.int64), per_indices)


@dataclass
class Reads:
    """Modelled posts read this tick: ``person`` read ``post``."""

    person: np.ndarray
    post: np.ndarray


class StreamChannel:
    """All feeds of the organisation, served once per tick."""

    POST_FIELDS = {"space": np.int32, "author": np.int32, "tick": np.int32, "kind": np.int8, "payload": np.int64}

    def __init__(self, org, spaces: Spaces, stream_cfg, rng: np.random.Generator):
        self.org, self.spaces, self.cfg, self.rng = org, spaces, stream_cfg, rng
        n, ttl = org.n, stream_cfg.feed_ttl_ticks
        self.ttl = ttl
        self.posts = {k: np.empty(0, t) for k, t in self.POST_FIELDS.items()}
        self.bg_ring = np.zeros((ttl, n), np.int32)  # unread background items by arrival hour
        empty = (np.zeros(n + 1, np.int64), np.empty(0, np.int64), np.zeros(n, np.int64))
        self.chunks = [empty] * ttl  # unread modelled posts by arrival hour: (indptr, posts, read pointer)
        self.unread_entries = 0
        self.mention_person = np.empty(0, np.int32)  # unread notifications, in arrival order
        self.mention_post = np.empty(0, np.int64)
        self.posted_by = np.zeros(n, np.int64)
        self.read_by = np.zeros(n, np.int64)
        self.tick_posts = 0
        self.tick_reads = 0

    # ---------------------------------------------------------------- posting
    def post(self, author, space, kind: int, payload, now: int, mentions=()) -> np.ndarray:
        """Post (arrays broadcast together); returns the new post ids.  ``mentions`` (people) are
        notified of the (single) post."""
        author, space, payload = (a.ravel() for a in np.broadcast_arrays(np.atleast_1d(author), np.atleast_1d(space), np.atleast_1d(payload)))
        m = len(author)
        cols = {"space": space, "author": author, "tick": np.full(m, now), "kind": np.full(m, kind), "payload": payload}
        first = len(self.posts["space"])
        for k, t in self.POST_FIELDS.items():
            self.posts[k] = np.concatenate([self.posts[k], np.asarray(cols[k], t)])
        np.add.at(self.posted_by, cols["author"], 1)
        self.tick_posts += m
        if len(mentions):
            self.mention_person = np.concatenate([self.mention_person, np.asarray(mentions, np.int32)])
            self.mention_post = np.concatenate([self.mention_post, np.full(len(mentions), first, np.int64)])
        return np.arange(first, first + m)

    def start_tick(self) -> None:
        """Reset the per-tick counters (posts are made before and after the feeds are served)."""
        self.tick_posts = self.tick_reads = 0

    def _read_mentions(self, now: int, budget: np.ndarray):
        """Notifications first: each reader spends budget on them, oldest first (budget is reduced)."""
        if len(self.mention_person) == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        ready = np.flatnonzero(self.posts["tick"][self.mention_post] < now)
        order, _, _, rank = fifo_rank(self.mention_person[ready])
        ready = ready[order]
        got = np.sort(ready[rank < budget[self.mention_person[ready]]])
        budget -= np.bincount(self.mention_person[got], minlength=len(budget))
        person, post = self.mention_person[got].astype(np.int64), self.mention_post[got]
        keep = np.ones(len(self.mention_person), bool)
        keep[got] = False
        self.mention_person, self.mention_post = self.mention_person[keep], self.mention_post[keep]
        return person, post

    def _fresh_entries(self, now: int, reading: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(person, post) for posts of the previous tick, for followers who read the stream."""
        ticks = self.posts["tick"]  # appended in time order
        new = np.arange(np.searchsorted(ticks, now - 1, "left"), np.searchsorted(ticks, now - 1, "right"))
        if len(new) == 0:
            return np.empty(0, np.int32), np.empty(0, np.int64)
        which, person = csr_rows(self.spaces.members_indptr, self.spaces.members_indices, self.posts["space"][new])
        post = new[which]
        keep = reading[person] & (person != self.posts["author"][post])
        return person[keep], post[keep]

    # ---------------------------------------------------------------- reading
    def step(self, now: int, attention: np.ndarray, background_rate: float) -> Reads:
        """Serve every feed once.  ``attention`` is items per tick per person (0 for non-users)."""
        n, ttl, rng = self.org.n, self.ttl, self.rng
        slot = now % ttl  # holds the hour that ages out now; this hour's unread items replace it
        self.unread_entries -= _unread(self.chunks[slot])
        budget = np.zeros(n, np.int64)
        reading = attention > 0
        budget[reading] = stochastic_round(attention[reading], rng)
        men_person, men_post = self._read_mentions(now, budget)
        bg_new = np.zeros(n, np.int64)
        if background_rate > 0:
            bg_new[reading] = rng.poisson(background_rate, reading.sum())
        person, post = self._fresh_entries(now, reading)
        m_new = np.bincount(person, minlength=n)
        take = np.minimum(budget, m_new + bg_new)
        m_take = rng.hypergeometric(m_new, bg_new, take)
        post = post[np.argsort(person + rng.random(len(person)), kind="stable")]  # person-major, random within
        first = np.repeat(np.cumsum(m_new) - m_new, m_new)
        read = np.arange(len(post)) - first < np.repeat(m_take, m_new)
        self.bg_ring[slot] = (bg_new - (take - m_take)).astype(np.int32)
        old_person, old_post = self._read_older(now, budget - take)
        left = m_new - m_take
        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(left, out=indptr[1:])
        self.chunks[slot] = (indptr, post[~read], np.zeros(n, np.int64))
        self.unread_entries += int(left.sum())
        person = np.concatenate([men_person, np.repeat(np.arange(n), m_take), old_person])
        post = np.concatenate([men_post, post[read], old_post])
        np.add.at(self.read_by, person, 1)
        self.tick_reads = len(person)
        return Reads(person=person, post=post)

    def _read_older(self, now: int, spare: np.ndarray):
        """Spend spare attention on unread items of earlier hours, newest hour first."""
        rows = np.flatnonzero(spare > 0)
        if self.ttl == 1 or len(rows) == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        slots = (now - np.arange(1, self.ttl)) % self.ttl  # ages 1 .. ttl-1
        chunks = [self.chunks[sl] for sl in slots]
        bg = self.bg_ring[np.ix_(slots, rows)].astype(np.int64)  # (ages, rows)
        ml = np.stack([ip[rows + 1] - ip[rows] - ptr[rows] for ip, _, ptr in chunks])
        total = bg + ml
        take = np.clip(spare[rows] - (np.cumsum(total, axis=0) - total), 0, total)
        m_take = self.rng.hypergeometric(ml, bg, take)
        self.bg_ring[np.ix_(slots, rows)] -= (take - m_take).astype(np.int32)
        got_person, got_post = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
        for (ip, posts, ptr), k in zip(chunks, m_take):
            if k.any():
                got_person.append(np.repeat(rows, k))
                got_post.append(posts[ranges(ip[rows] + ptr[rows], k)])
                ptr[rows] += k
        self.unread_entries -= int(m_take.sum())
        return np.concatenate(got_person), np.concatenate(got_post)


def _unread(chunk) -> int:
    indptr, _, ptr = chunk
    return int(indptr[-1] - ptr.sum())

