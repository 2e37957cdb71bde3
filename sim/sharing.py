"""Passing knowledge on: who shares, with which audience, over which channel.  One rule for both.

Whoever learns an item passes it on with chance ``share_propensity`` times their activity weight
(participation inequality, ``[people]``), times ``pass_on_unconcerned`` when the item does not
concern them (another department's know-how, market signal or goal: Wu et al. 2004 found that
relevance falls with organisational distance, so information spreads only so far instead of
reaching everyone, which would make each person's traffic grow with the organisation); the origin
of an item always passes it on.  The audience is drawn
from ``knowledge.audience`` (``stream_audience`` for stream users when a scenario sets it): named ties
(addressed: routed and screened), the team, the department, a community, or the company (lists or
spaces); a list or space bigger than ``knowledge.moderate_audiences_above`` takes a share only with
chance (that / its members), else it goes to the sharer's team.  A group that got the item within
the channel's time-to-live is not sent it again, on either channel.  Managers also send it to their team (``managers_share_with_team``).

Channel: a stream user posts in the group's space and mails the members who are not on the stream
(mixed adoption); a share to ties goes by stream to ties on the stream and by mail to the others;
everyone else mails.  A read-only stream user (``people.readers_write_privately``) posts nothing: an
item they originate goes out by mail, like an e-mail user's.  Internal items (goals, process know-how) reach partners and customers only
with chance ``knowledge.leak_share``; market signals may go anywhere.
"""

from __future__ import annotations

import numpy as np

from .arrays import csr_rows, unique_ints
from .groups import GroupKind
from .knowledge import ItemKind
from .messages import Channel, MessageKind
from .organisation import Role

__all__ = ["Sharing", "AUDIENCES", "activity_weights"]

AUDIENCES = ("ties", "team", "department", "community", "company")
TIES, TEAM, DEPARTMENT, COMMUNITY, COMPANY = range(len(AUDIENCES))


def activity_weights(n: int, read_only_share: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Per-person weight on the share propensity: 0 for read-only people, log-normal for the others,
    scaled to a mean of one over contributors."""
    weight = rng.lognormal(0.0, sigma, n)
    weight[rng.random(n) < read_only_share] = 0.0
    contributors = weight > 0
    if contributors.any():
        weight /= weight[contributors].mean()
    return weight


class Sharing:
    """Knowledge passed on, for the whole organisation, each tick."""

    def __init__(self, model):
        self.model = m = model
        cfg, org = model.config, model.org
        self.cfg, self.org, self.rng = cfg.knowledge, org, model.rngs["sharing"]
        self.weight = activity_weights(org.n, cfg.people.read_only_share, cfg.people.activity_sigma, model.rngs["people"])
        self.propensity = (cfg.knowledge.share_propensity, cfg.knowledge.share_propensity if cfg.knowledge.stream_share_propensity is None else cfg.knowledge.stream_share_propensity)
        mail_w = np.array([cfg.knowledge.audience.get(a, 0.0) for a in AUDIENCES])
        stream_w = mail_w if cfg.knowledge.stream_audience is None else np.array([cfg.knowledge.stream_audience.get(a, 0.0) for a in AUDIENCES])
        self.audience_weights = np.stack([mail_w, stream_w])
        self.internal = org.department >= 0
        self.index_groups()
        # per item and group: 1 + the tick the group last got the item, 0 if never.  Item by item and
        # zero for "never", so that room for new items is zeroed pages that cost memory only where
        # written (groups x items is 10,000 teams x 10,000 items at 100,000 people)
        self.last_got = np.zeros((64, m.groups.count), np.int32)
        self.ttl = (cfg.email.expire_after_ticks, cfg.stream.feed_ttl_ticks)
        self.written = np.zeros((2, org.n), np.int64)  # messages written per channel and person

    def index_groups(self) -> None:
        """Who has which audience (again after communities open to externals, same group ids)."""
        m, org = self.model, self.org
        g = m.groups
        gkind = g.kind[g.person_indices]
        person_of = np.repeat(np.arange(org.n), np.diff(g.person_indptr))
        communities = gkind == GroupKind.COMMUNITY
        self.community_indptr = np.r_[0, np.cumsum(np.bincount(person_of[communities], minlength=org.n))].astype(np.int64)
        self.community_indices = g.person_indices[communities]
        has = np.zeros((org.n, len(AUDIENCES)), bool)
        has[:, TIES] = org.degree > 0
        has[:, TEAM] = g.team_of >= 0
        has[:, DEPARTMENT] = self.internal & (g.department_group[np.maximum(org.department, 0)] >= 0)
        has[:, COMMUNITY] = np.diff(self.community_indptr) > 0
        has[:, COMPANY] = self.internal & (g.company >= 0)
        self.has = has
        self.leads = np.isin(org.role, (Role.MANAGER, Role.EXECUTIVE)) & (g.team_of >= 0)
        self.group_size = g.size()

    # ------------------------------------------------------------------ who shares
    def writes_in_spaces(self, person) -> np.ndarray:
        """Whether each person (an index, array or slice) would write into a space: not when they are
        read-only and ``people.readers_write_privately`` holds (then they write by mail)."""
        return ~(self.model.config.people.readers_write_privately & (self.weight[person] == 0))

    def posters(self) -> np.ndarray:
        """Stream users who post; a read-only origin passes its item on by mail."""
        return self.model.stream_users() & self.writes_in_spaces(slice(None))

    def concerns(self, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        """Whether each item concerns the person who learnt it: the items of their department and
        goals for staff (:meth:`sim.knowledge.KnowledgeBook.relevant`), market signals for partners and customers."""
        kb = self.model.knowledge
        return kb.relevant(person, item) | (~self.internal[person] & (kb.kind[item] == ItemKind.MARKET))

    def share(self, person: np.ndarray, item: np.ndarray, now: int, always: bool = False, bump: bool = False) -> None:
        if len(person) == 0:
            return
        m = self.model
        on_stream = self.posters()[person]
        if not always:
            p = np.where(on_stream, self.propensity[1], self.propensity[0]) * self.weight[person]
            p = np.where(self.concerns(person, item), p, p * self.cfg.pass_on_unconcerned)
            go = self.rng.random(len(person)) < np.minimum(p, 1.0)
            person, item, on_stream = person[go], item[go], on_stream[go]
        if len(person) == 0:
            return
        internal_item = m.knowledge.kind[item] != ItemKind.MARKET
        weights = self.audience_weights[on_stream.astype(int)] * self.has[person]
        total = weights.sum(axis=1)
        ok = total > 0
        person, item, on_stream, internal_item, weights, total = person[ok], item[ok], on_stream[ok], internal_item[ok], weights[ok], total[ok]
        u = self.rng.random(len(person)) * total
        audience = (np.cumsum(weights, axis=1) <= u[:, None]).sum(axis=1)
        audience = np.minimum(audience, len(AUDIENCES) - 1)
        ties = audience == TIES
        self._to_ties(person[ties], item[ties], on_stream[ties], internal_item[ties], now)
        groups = self._moderated(person, self._group_of(person, audience))
        team_too = self.leads[person] & (audience != TEAM) & self.cfg.managers_share_with_team
        sender = np.r_[person[~ties], person[team_too]]
        group = np.r_[groups[~ties], self.model.groups.team_of[person[team_too]]]
        self._to_groups(sender, group, np.r_[item[~ties], item[team_too]], now, bump)

    def _group_of(self, person: np.ndarray, audience: np.ndarray) -> np.ndarray:
        g = self.model.groups
        out = np.full(len(person), -1, np.int64)
        out[audience == TEAM] = g.team_of[person[audience == TEAM]]
        d = audience == DEPARTMENT
        out[d] = g.department_group[self.org.department[person[d]]]
        out[audience == COMPANY] = g.company
        c = np.flatnonzero(audience == COMMUNITY)
        if len(c):
            start = self.community_indptr[person[c]]
            count = self.community_indptr[person[c] + 1] - start
            out[c] = self.community_indices[start + (self.rng.random(len(c)) * count).astype(np.int64)]
        return out

    def _moderated(self, person: np.ndarray, group: np.ndarray) -> np.ndarray:
        """Shares meant for a list or space of more than ``moderate_audiences_above`` members go
        there with chance (that / members), else to the sharer's team (-1: none)."""
        cap = self.cfg.moderate_audiences_above
        size = self.group_size[np.maximum(group, 0)]
        big = np.flatnonzero((group >= 0) & (size > cap)) if cap is not None else np.empty(0, np.int64)
        if len(big) == 0:
            return group
        held = big[self.rng.random(len(big)) >= cap / size[big]]
        group = group.copy()
        group[held] = self.model.groups.team_of[person[held]]
        return group

    # ------------------------------------------------------------------ delivery
    def _to_ties(self, person, item, on_stream, internal_item, now: int) -> None:
        """``ties_per_share`` random ties each, one copy per recipient; by stream where both use it."""
        k = self.cfg.ties_per_share
        if len(person) == 0 or k == 0:
            return
        org, m = self.org, self.model
        deg = org.degree[person]
        pick = org.ties_indptr[person][:, None] + (self.rng.random((len(person), k)) * deg[:, None]).astype(np.int64)
        to = org.ties_indices[pick].ravel().astype(np.int64)
        sender, payload = np.repeat(person, k), np.repeat(item, k)
        blocked = np.repeat(internal_item, k) & ~self.internal[to]
        blocked &= self.rng.random(len(to)) >= self.cfg.leak_share
        blocked |= org.role[to] == Role.GATEKEEPER  # knowledge goes to colleagues, not to the screening desk
        sender, payload, to, stream_sender = sender[~blocked], payload[~blocked], to[~blocked], np.repeat(on_stream, k)[~blocked]
        first = np.unique((payload * org.n + sender) * org.n + to, return_index=True)[1]
        first.sort()
        sender, payload, to, stream_sender = sender[first], payload[first], to[first], stream_sender[first]
        by_stream = stream_sender & m.stream_users()[to]
        if by_stream.any():
            posted = m.stream.mention(sender[by_stream], to[by_stream], MessageKind.KNOWLEDGE, payload[by_stream], now)
            np.add.at(self.written[Channel.STREAM], posted, 1)
        if (~by_stream).any():
            m.mail.send(sender[~by_stream], to[~by_stream], MessageKind.KNOWLEDGE, payload[~by_stream], now)
            self._count_writes(Channel.EMAIL, sender[~by_stream], payload[~by_stream])

    def _count_writes(self, channel: int, sender: np.ndarray, message: np.ndarray) -> None:
        """One message written per distinct (sender, message) pair: a CC list or a list mail is one mail."""
        if len(sender) == 0:
            return
        key = unique_ints(sender * (int(message.max()) + 1) + message)
        np.add.at(self.written[channel], key // (int(message.max()) + 1), 1)

    def _to_groups(self, sender, group, item, now: int, bump: bool) -> None:
        """Each item once per group and tick (first sharer in random order), skipping groups that got
        it within the time-to-live, unless retelling (``bump``)."""
        ok = group >= 0
        sender, group, item = sender[ok], group[ok], item[ok]
        if len(sender) == 0:
            return
        m = self.model
        self._grow(int(item.max()) + 1)
        order = self.rng.permutation(len(sender))
        sender, group, item = sender[order], group[order], item[order]
        on_stream = self.posters()[sender] & m.groups.is_space[group]
        if not bump:
            ttl = np.where(on_stream, self.ttl[1], self.ttl[0])
            stamp = self.last_got[item, group]
            fresh = (stamp == 0) | (stamp - 1 <= now - ttl)
            sender, group, item, on_stream = sender[fresh], group[fresh], item[fresh], on_stream[fresh]
            once = np.unique(group * (int(item.max(initial=0)) + 1) + item, return_index=True)[1]
            once.sort()
            sender, group, item, on_stream = sender[once], group[once], item[once], on_stream[once]
        if len(sender) == 0:
            return
        self.last_got[item, group] = now + 1
        internal_item = m.knowledge.kind[item] != ItemKind.MARKET
        users = m.stream_users()
        if on_stream.any():
            m.stream.post(sender[on_stream], group[on_stream], MessageKind.KNOWLEDGE, item[on_stream], now, users,
                          internal=internal_item[on_stream], leak_share=self.cfg.leak_share)
            np.add.at(self.written[Channel.STREAM], sender[on_stream], 1)
        # mail: the whole list for email users; the members not on the stream for stream users
        which, reader = csr_rows(m.groups.members_indptr, m.groups.members_indices, group)
        keep = reader != sender[which]
        keep &= ~(on_stream[which] & users[reader])
        outside = internal_item[which] & ~self.internal[reader]
        keep &= ~outside | (self.rng.random(len(reader)) < self.cfg.leak_share)
        which, reader = which[keep], reader[keep]
        if len(reader):
            m.mail.send_list(sender[which], reader, MessageKind.KNOWLEDGE, item[which], now)
            mailed = np.bincount(which, minlength=len(group)) > 0  # one list mail per share
            np.add.at(self.written[Channel.EMAIL], sender[mailed], 1)

    def _grow(self, items: int) -> None:
        cap = len(self.last_got)
        if items > cap:
            grown = np.zeros((max(items, 2 * cap), self.last_got.shape[1]), np.int32)
            np.copyto(grown[:cap], self.last_got, where=self.last_got != 0)  # pages of zeros stay unwritten
            self.last_got = grown
