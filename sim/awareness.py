"""Who knows what and who knows whom (transactive memory): beliefs learned from what people read.

Every person holds two sets of beliefs, updated by one rule on both channels from every tracked
entry they read (background traffic has no sender, so it shows nobody):

- *who knows whom*: the colleagues a person is aware of.  Reading a copy shows that its sender
  (``by``: the writer, a relay or a gatekeeper), its writer (``origin``) and, for a copy read on the
  way, its final recipient exist.  A decision message shows the people visible where it is read: in
  its stream thread (any copy read on the stream, feed copies of followers included) everyone who
  has written or been @mentioned in the thread so far (:attr:`sim.decisions.Decision.in_thread`; who
  took part only by mail is not on view there); on a mail, the names on it: sender, writer and, for
  an ask, the holders asked in the same mail (the CC line).  People start aware of their ties, their team (the team they lead, else the one they are
  in) and their manager.
- *who knows what*: which people know which knowledge items.  Reading a knowledge copy shows that
  its sender and its writer know the item (a copy forwarded by a relay or a gatekeeper makes the
  reader believe the forwarder knows it, which may be wrong: relays do not learn what they pass
  on).  An input (or the request that carries the originator's) shows which of its decision's
  relevant items (:attr:`sim.decisions.Decision.relevant`) its writer knows: whoever reads it, the
  owner or a follower of the decision's thread, learns that.  Nobody starts with any.

Gatekeepers hold no beliefs (screening is their job, and the desks route by the org chart, not by
what they believe: assumption).  ``awareness.initially_aware = "everyone"`` makes everyone aware of
everyone from the start (the textbook setting, no detours) and tracks no who-knows-whom beliefs.

*Asking uses the beliefs* (:meth:`Awareness.relay_for`, used by :meth:`sim.agents.Person.ask`): an
owner aware of a holder asks the holder; otherwise the ask goes to the nearest manager of the holder
(walking up the holder's reporting line) the owner is aware of, who passes it on; if the owner
knows none of them, to the owner's own manager.  Assumption: the org chart is public, so an owner
who does not know a holder knows whose report they are, and a manager passes an ask on to the
holder whether or not they know them (routed like any addressed message, :mod:`sim.routing`).  The
detour costs the relay's reading and a hop; on the stream the thread post is also seen by holders
who follow the space, who may answer unasked.  A CEO with no manager and nobody known asks directly.
An originator's request to the owner takes the same way (:meth:`sim.decision_desk.DecisionDesk.request`).

*Measured* (:meth:`Awareness.readings`), per person, then averaged over a group:

- who knows what: of the (person, item) pairs where the item concerns me (:meth:`sim.knowledge.
  KnowledgeBook.relevant`) and the person, not me, knows it, the share I believe correctly: recall
  pooled over my items.  People with no such pair are left out of the mean.
- who knows whom: the share of my colleagues (internal staff, gatekeepers not counted) in my own
  department, and in the other departments, I am aware of.

Who-knows-what beliefs steer nobody, so in an organisation with more staff than
``awareness.what_panel_size`` (2,000) they are tracked and measured for a random panel of that many
staff only, as a survey would (its own random stream, so no other draw moves); the readings are then
sample means.  Who-knows-whom beliefs are used for asking and are kept for everyone.

Storage: who knows what is an int64 hash set (:mod:`sim.hash_set`) of keys ``(person * n + knower)
* 2**21 + item``, 11-21 bytes a belief (tables half to three quarters full).  Who knows whom
(``person * n + colleague``) is a bit table of n² bits (:mod:`sim.bit_set`: 12.5 MB at 10,000
people, where its hash set grew to 128 MB and most of its probes missed the cache) up to
:data:`sim.bit_set.DENSE_MAX_BYTES`, and a hash set beyond.  The keys new since the last
measurement are kept aside so that the counters behind the readings are updated once a key.  At
most two who-knows-what and a few who-knows-whom beliefs are made per tracked entry read.  Measured
(seed 1, 2,000 ticks, at `c54c498`), social_business ends with 0.15 M who-knows-what and 0.12 M
who-knows-whom beliefs at the default size (1,041 people; at most 287 and 230 for one person), and
with 2.4 M and 7.5 M at 10,000 people in eight departments of 1,250.  ``awareness.max_beliefs_per_person`` (1,500
of each kind, assumption after Dunbar's layer of about 1,500 people one can put a name to) keeps at
most 2 x 1,500 beliefs a person, the first ones met kept: it does not bind at the default size and
binds for some people in the departments of 1,250.
Keys fit int64 for up to about 2 million people and 2**21 items; beyond, the model refuses to start.
"""

from __future__ import annotations

import numpy as np

from .arrays import csr_rows
from .bit_set import DENSE_MAX_BYTES, BitSet
from .hash_set import NO_CAP, UNCAPPED_SPAN, HashSet
from .messages import BY, CHANNEL, KIND, ORIGIN, PAYLOAD, READER, SENT, TARGET, Channel, DECISION_KINDS, MessageKind
from .organisation import Role

__all__ = ["Awareness", "KeySet", "READING_GROUPS", "READING_COLUMNS"]

ITEM_BITS = 21  # items per run that fit a who-knows-what key (2,097,152 > the cap of 2,000,000)
IS_DECISION = np.isin(np.arange(len(MessageKind)), DECISION_KINDS)  # by message kind
INPUT_KINDS = (MessageKind.REQUEST, MessageKind.INPUT)  # messages that carry their writer's input
READING_GROUPS = ("staff", "employees", "managers", "stream_users", "email_only")
READING_COLUMNS = [f"awareness_{what}_{g}" for what in ("what", "whom_department", "whom_across") for g in READING_GROUPS]


class KeySet:
    """A set of int64 keys that remembers which keys are new since the last :meth:`take_new`, for
    the counters behind the readings.  Stored as a :class:`sim.bit_set.BitSet` when the keys'
    ``universe`` (all keys lie in ``[0, universe)``) fits :data:`sim.bit_set.DENSE_MAX_BYTES`, else
    as a :class:`sim.hash_set.HashSet`; the two behave the same.

    With ``cap``, each owner (``key // owner_span``: the believer) keeps at most ``cap`` keys; keys
    met once an owner holds ``cap`` are not kept (first come, first kept).

    >>> s = KeySet(np.array([5, 1]))
    >>> s.add(np.array([3, 5, 3])); s.contains(np.array([3, 4, 5])).tolist()
    [True, False, True]
    >>> s.take_new().tolist(), s.keys.tolist()
    ([3], [1, 3, 5])
    >>> capped = KeySet(np.array([10, 11, 12, 20]), cap=2, owner_span=10, owners=3)  # owners 1 and 2
    >>> capped.keys.tolist(), capped.held.tolist()
    ([10, 11, 20], [0, 2, 1])
    >>> dense = KeySet(np.array([10, 11, 12, 20]), cap=2, owner_span=10, owners=3, universe=30)
    >>> dense.keys.tolist(), type(dense.table).__name__
    ([10, 11, 20], 'BitSet')
    """

    def __init__(self, keys: np.ndarray | None = None, cap: int | None = None, owner_span: int = 1, owners: int = 0, universe: int | None = None):
        if cap is None:
            cap, owner_span, owners = NO_CAP, UNCAPPED_SPAN, 1
        self.cap, self.owner_span = int(cap), owner_span
        self.held = np.zeros(owners, np.int64)  # keys kept per owner
        # keys known to lie in [0, universe): a bit table when it is small enough, else a hash set
        dense = universe is not None and universe <= 8 * DENSE_MAX_BYTES
        self.table = BitSet(universe) if dense else HashSet()
        self.new: list[np.ndarray] = []  # keys kept since the last take_new
        if keys is not None:
            self.add(np.asarray(keys, np.int64))
            self.take_new()

    @property
    def keys(self) -> np.ndarray:
        """All keys kept, sorted."""
        return self.table.keys()

    def __len__(self) -> int:
        return len(self.table)

    def add(self, keys: np.ndarray) -> None:
        if len(keys) == 0:
            return
        new = self.table.add_capped(keys, self.owner_span, self.held, self.cap)
        if len(new):
            self.new.append(new)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        return self.table.contains(np.asarray(keys, np.int64))

    def take_new(self) -> np.ndarray:
        """The keys kept since the last call, each once, in the order kept (the counters that take
        them are sums, so no sort is paid for)."""
        new = np.concatenate(self.new) if self.new else np.empty(0, np.int64)
        self.new = []
        return new


class Awareness:
    """Everyone's beliefs about who knows what and whom, and the readings of their accuracy."""

    def __init__(self, model):
        self.model = model
        org = self.org = model.org
        self.cfg = model.config.awareness
        n = self.n = org.n
        if n * n > 2 ** (62 - ITEM_BITS):
            raise MemoryError(f"{n} people: who-knows-what keys would overflow; awareness is tracked up to 2 million people")
        self.believer = org.role != Role.GATEKEEPER  # who holds beliefs
        self.colleague = (org.department >= 0) & (org.role != Role.GATEKEEPER)
        self.staff = np.isin(org.role, (Role.EMPLOYEE, Role.MANAGER, Role.EXECUTIVE))
        departments = len(org.department_names)
        self.colleagues_in = np.bincount(org.department[self.colleague], minlength=departments)
        dept = np.maximum(org.department, 0)
        mine = np.where(self.colleague, 1, 0)  # a colleague does not count themselves
        self.whom_within_total = np.where(org.department >= 0, self.colleagues_in[dept] - mine, 0)
        self.whom_across_total = np.where(org.department >= 0, int(self.colleague.sum()) - self.colleagues_in[dept], 0)
        self.everyone = self.cfg.initially_aware == "everyone"
        self.whom_within = np.zeros(n, np.int64)  # colleagues in one's department one is aware of
        self.whom_across = np.zeros(n, np.int64)
        self.whom = KeySet(cap=self.cfg.max_beliefs_per_person, owner_span=n, owners=n, universe=n * n)
        if not self.everyone:
            self.whom.add(self._starting_pairs(model))
            self._count_whom(self.whom.take_new())
        self.what_holder = self._what_panel(model.rngs["awareness panel"])
        self.what_sampled = bool((self.what_holder != self.believer).any())
        self.what = KeySet(cap=self.cfg.max_beliefs_per_person, owner_span=n << ITEM_BITS, owners=n)
        self.what_true = np.zeros(n, np.int64)  # correct beliefs about items that concern one
        self.what_unconfirmed = np.empty(0, np.int64)  # relevant beliefs wrong when made (may come true)
        self.last_reading = np.full(len(READING_COLUMNS), np.nan)
        self.read_at = -1

    # ------------------------------------------------------------------ start
    def _what_panel(self, rng: np.random.Generator) -> np.ndarray:
        """Who holds who-knows-what beliefs: every belief holder, or a random panel of
        ``awareness.what_panel_size`` staff when there are more staff than that."""
        staff = np.flatnonzero(self.staff)
        if len(staff) <= self.cfg.what_panel_size:
            return self.believer.copy()
        panel = np.zeros(self.n, bool)
        panel[rng.choice(staff, self.cfg.what_panel_size, replace=False)] = True
        return panel

    def _starting_pairs(self, model) -> np.ndarray:
        """Ties, team and manager of every belief holder, as who-knows-whom keys."""
        org, g = self.org, model.groups
        people = np.flatnonzero(self.believer)
        at, tie = csr_rows(org.ties_indptr, org.ties_indices, people)
        pairs = [people[at] * self.n + tie]
        team = g.team_of[people]
        has_team = team >= 0
        at, member = csr_rows(g.members_indptr, g.members_indices, team[has_team])
        pairs.append(people[has_team][at] * self.n + member)
        boss = org.manager[people]
        pairs.append(people[boss >= 0] * self.n + boss[boss >= 0])
        keys = np.concatenate(pairs).astype(np.int64)
        return keys[keys // self.n != keys % self.n]

    # ------------------------------------------------------------------ reading
    def on_read(self, rows: np.ndarray) -> None:
        """Beliefs shown by this tick's tracked reads (see the module docstring)."""
        rows = rows[self.believer[rows[:, READER]]]
        if len(rows) == 0:
            return
        n, reader = self.n, rows[:, READER]
        if not self.everyone:
            by, origin, target = rows[:, BY], rows[:, ORIGIN], rows[:, TARGET]
            seen = [reader * n + by, (reader * n + origin)[origin != by], (reader * n + target)[target != reader]]
            decision = IS_DECISION[rows[:, KIND]]
            if decision.any():
                pairs = self._decision_participants(rows[decision])
                seen.append(pairs[0] * n + pairs[1])
            keys = np.concatenate(seen)
            self.whom.add(keys[keys // n != keys % n])
        if self.what_sampled:
            rows = rows[self.what_holder[rows[:, READER]]]
        know = rows[rows[:, KIND] == MessageKind.KNOWLEDGE]
        if len(know):
            reader, item = np.tile(know[:, READER], 2), np.tile(know[:, PAYLOAD], 2)
            knower = np.concatenate([know[:, BY], know[:, ORIGIN]])
            other = knower != reader
            self.what.add(((reader[other] * n + knower[other]) << ITEM_BITS) + item[other])
        reader, knower, item = self._knowledge_in_inputs(rows[np.isin(rows[:, KIND], INPUT_KINDS)])
        other = knower != reader
        if other.any():
            self.what.add(((reader[other] * n + knower[other]) << ITEM_BITS) + item[other])

    def _knowledge_in_inputs(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(reader, writer, item) triples that inputs show: an input (or the originator's request,
        which carries theirs) shows which of its decision's relevant items its writer knows, to
        whoever reads it.  Worked out once per (decision, writer) read this tick."""
        if len(rows) == 0:
            return (np.empty(0, np.int64),) * 3
        decisions, known, n = self.model.decisions, self.model.knowledge.known, self.n
        messages, which = np.unique(rows[:, PAYLOAD] * n + rows[:, ORIGIN], return_inverse=True)
        which = which.ravel()
        shown = []
        for key in messages.tolist():
            items = decisions[key // n].relevant
            shown.append(items[known[key % n, items]])
        reader, writer, item = _spread(which, shown, rows[:, READER], rows[:, ORIGIN])
        return reader, writer, item.astype(np.int64)

    def _decision_participants(self, rows: np.ndarray) -> np.ndarray:
        """(reader, participant) pairs a decision message shows: its stream thread's participants so
        far, or the holders asked in the same mail (the CC line of an ask).  Worked out once per
        thread or mail read this tick, then given to each of its readers."""
        decisions = self.model.decisions
        stream = rows[:, CHANNEL] == Channel.STREAM
        pick = stream | (rows[:, KIND] == MessageKind.ASK)
        rows = rows[pick]
        if len(rows) == 0:
            return np.empty((2, 0), np.int64)
        sent = np.where(stream[pick], -1, rows[:, SENT])  # one thread per decision; one mail per sending
        messages, which = np.unique((rows[:, PAYLOAD] << 32) + (sent + 1), return_inverse=True)
        shown = []
        for key in messages.tolist():
            dec, tick = decisions[key >> 32], (key & 0xFFFFFFFF) - 1
            if tick < 0:
                people = dec.in_thread  # who wrote or was @mentioned there, not who took part by mail
            else:
                people = {h for h, t in dec.asked.items() if t == tick}
            shown.append(np.fromiter(people, np.int64, len(people)))
        reader, people = _spread(which.ravel(), shown, rows[:, READER])
        return np.stack([reader, people])

    # ------------------------------------------------------------------ asking
    def aware(self, person: int, others) -> np.ndarray:
        """Whether ``person`` is aware of each of ``others``."""
        others = np.asarray(others, np.int64)
        if self.everyone:
            return np.ones(len(others), bool)
        return self.whom.contains(person * self.n + others) | (others == person)

    def believes_knows(self, person: int, knower: int, item: int) -> bool:
        """Whether ``person`` believes ``knower`` knows ``item``."""
        return bool(self.what.contains(np.array([((person * self.n + knower) << ITEM_BITS) + item]))[0])

    def relay_for(self, owner: int, holder: int) -> int:
        """Whom an owner not aware of ``holder`` asks to pass the ask on: the nearest manager up the
        holder's reporting line the owner is aware of, else the owner's manager; -1 to ask directly
        (the owner is aware of the holder, or has no manager and knows nobody above the holder)."""
        if self.aware(owner, [holder])[0]:
            return -1
        org = self.org
        chain = org.ancestors[: org.level[holder], holder][::-1]  # the holder's managers, nearest first
        chain = chain[chain != owner]
        if len(chain):
            known = self.aware(owner, chain)
            if known.any():
                return int(chain[known.argmax()])
        return int(org.manager[owner])

    # ------------------------------------------------------------------ readings
    def _count_whom(self, new: np.ndarray) -> None:
        person, other = new // self.n, new % self.n
        ok = self.colleague[other]
        person, other = person[ok], other[ok]
        same = self.org.department[person] == self.org.department[other]
        self.whom_within += np.bincount(person[same], minlength=self.n)
        self.whom_across += np.bincount(person[~same], minlength=self.n)

    def _count_what(self, new: np.ndarray) -> None:
        """Correct beliefs about items that concern the believer, from new keys and from earlier
        wrong ones that came true since (the knower learned the item later)."""
        kb = self.model.knowledge
        keys = np.concatenate([self.what_unconfirmed, new])
        item = keys & ((1 << ITEM_BITS) - 1)
        pair = keys >> ITEM_BITS
        person, knower = pair // self.n, pair % self.n
        relevant = kb.relevant(person, item)
        true = relevant & kb.known[knower, item]
        self.what_true += np.bincount(person[true], minlength=self.n)
        self.what_unconfirmed = keys[relevant & ~true]

    def update_counts(self) -> None:
        """Bring the counters behind the readings up to date with the beliefs added since last time."""
        self._count_what(self.what.take_new())
        if not self.everyone:
            self._count_whom(self.whom.take_new())

    def per_person(self) -> dict[str, np.ndarray]:
        """Each person's accuracy now (NaN where a person has nothing to be right about)."""
        self.update_counts()
        kb, org = self.model.knowledge, self.org
        k = kb.n_items
        knowers = kb.count[:k].sum(axis=1)
        home = kb.home[:k]
        goal_pairs = knowers[home < 0].sum()
        dept_pairs = np.bincount(home[home >= 0], weights=knowers[home >= 0], minlength=len(org.department_names))
        internal = org.department >= 0
        possible = np.where(internal, goal_pairs + dept_pairs[np.maximum(org.department, 0)], 0) - kb.relevant_known
        with np.errstate(invalid="ignore", divide="ignore"):
            measured = (possible > 0) & self.what_holder if self.what_sampled else possible > 0
            what = np.where(measured, self.what_true / possible, np.nan)
            if self.everyone:
                within = np.where(self.whom_within_total > 0, 1.0, np.nan)
                across = np.where(self.whom_across_total > 0, 1.0, np.nan)
            else:
                within = np.where(self.whom_within_total > 0, self.whom_within / self.whom_within_total, np.nan)
                across = np.where(self.whom_across_total > 0, self.whom_across / self.whom_across_total, np.nan)
        return {"what": what, "whom_department": within, "whom_across": across}

    def readings(self, now: int) -> np.ndarray:
        """The timeseries columns (:data:`READING_COLUMNS`): measured every
        ``awareness.measure_every_ticks`` and on the first tick, the latest measurement held between."""
        if self.read_at >= 0 and now - self.read_at < self.cfg.measure_every_ticks:
            return self.last_reading
        values = self.per_person()
        org, users = self.org, self.model.adopted
        groups = {
            "staff": self.staff, "employees": org.role == Role.EMPLOYEE, "managers": np.isin(org.role, (Role.MANAGER, Role.EXECUTIVE)),
            "stream_users": self.staff & users, "email_only": self.staff & ~users,
        }
        out = []
        for what in ("what", "whom_department", "whom_across"):
            v = values[what]
            for g in READING_GROUPS:
                x = v[groups[g]]
                x = x[~np.isnan(x)]
                out.append(float(x.mean()) if len(x) else np.nan)
        self.last_reading, self.read_at = np.array(out), now
        return self.last_reading


def _spread(which: np.ndarray, shown: list[np.ndarray], *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Give every read row what its message shows: row ``i`` read message ``which[i]``, which shows
    the values ``shown[which[i]]``.  Returns each of ``columns`` repeated once per value shown, then
    the values, row by row in message order."""
    sizes = np.array([len(x) for x in shown], np.int64)
    order = np.argsort(which, kind="stable")  # rows grouped by message, matching the values below
    repeated = [np.repeat(c[order], sizes[which[order]]) for c in columns]
    counts = np.bincount(which, minlength=len(shown))
    values = np.concatenate([np.tile(x, c) for x, c in zip(shown, counts)]) if shown else np.empty(0, np.int64)
    return (*repeated, values)
