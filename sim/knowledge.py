"""Knowledge items: who knows what, and how fast each item spread.

Items are born at an origin (market signals at customers and partners, goals at executives,
process know-how at staff) and spread when people pass them on.  An item *concerns* part of the
staff (:meth:`KnowledgeBook.relevant`): a goal, the staff its executive leads (all staff for the
head of the organisation, the department for a department head); process know-how, its department;
a market signal, the department of the external's internal contact.  ``known`` is a person x item
boolean matrix (stored item by item, so that room for new items is added at the end of the array
and costs no memory until people learn them); coverage per group is counted as people learn, so the
per-tick readings never scan the matrix.  ``t50``/``t90`` are ticks from an item's birth until half /
nine in ten of the staff it concerns know it; ``t_first`` until anyone besides the origin does (the
delivery time of the origin's first message).
"""

from __future__ import annotations

import bisect
from enum import IntEnum

import numpy as np

from .arrays import unique_ints

from .organisation import Group, Organisation, Role

__all__ = ["ItemKind", "KnowledgeBook"]


class ItemKind(IntEnum):
    MARKET = 0
    GOAL = 1
    PROCESS = 2


class KnowledgeBook:
    """All knowledge items of a run and who knows them."""

    def __init__(self, org: Organisation, rng: np.random.Generator, capacity: int = 64):
        self.org, self.rng = org, rng
        self.n_groups = len(Group)
        self.group_size = np.bincount(org.group, minlength=self.n_groups)
        self.internal = ~org.is_external()
        self.n_internal = int(self.internal.sum())
        self.kind = np.empty(0, np.int8)
        self.origin = np.empty(0, np.int32)
        self.born = np.empty(0, np.int32)
        self.home = np.empty(0, np.int32)  # department an item concerns; -1: all staff (the head's goals)
        self.staff_of = np.bincount(org.department[self.internal], minlength=len(org.department_names))  # internal staff per department
        self._known_by_item = np.zeros((capacity, org.n), bool)
        self.count = np.zeros((capacity, self.n_groups), np.int64)
        self.concerned_count = np.zeros(capacity, np.int64)  # knowers among the staff an item concerns
        self.known_by_kind = np.zeros((len(ItemKind), self.n_groups), np.int64)  # sum of counts per kind
        self.items_by_kind = np.zeros(len(ItemKind), np.int64)
        self.relevant_known = np.zeros(org.n, np.int64)  # items each person knows that concern them (awareness)
        self.t_first = np.full(capacity, -1, np.int64)
        self._items_of = {kind: {} for kind in ItemKind}  # kind -> home department -> item ids, in order of birth
        self.t50 = np.full(capacity, -1, np.int64)
        self.t90 = np.full(capacity, -1, np.int64)
        self.origin_pools = {
            ItemKind.MARKET: org.members(Role.PARTNER, Role.CUSTOMER),
            ItemKind.GOAL: org.members(Role.EXECUTIVE),
            ItemKind.PROCESS: org.members(Role.EMPLOYEE),
        }

    @property
    def known(self) -> np.ndarray:
        """Who knows which item, ``known[person, item]`` (a view; writes go through)."""
        return self._known_by_item.T

    @property
    def n_items(self) -> int:
        return len(self.kind)

    def _grow(self, needed: int) -> None:
        cap = len(self._known_by_item)
        if needed <= cap:
            return
        new = max(needed, 2 * cap)
        grown = np.zeros((new, self.org.n), bool)  # zeroed pages: memory only once written
        grown[:cap] = self._known_by_item
        self._known_by_item = grown
        self.count = np.pad(self.count, ((0, new - cap), (0, 0)))
        self.concerned_count = np.pad(self.concerned_count, (0, new - cap))
        self.t_first = np.pad(self.t_first, (0, new - cap), constant_values=-1)
        self.t50 = np.pad(self.t50, (0, new - cap), constant_values=-1)
        self.t90 = np.pad(self.t90, (0, new - cap), constant_values=-1)

    def birth(self, rates: dict[ItemKind, float], now: int) -> tuple[np.ndarray, np.ndarray]:
        """Create this tick's new items (Poisson numbers per kind); returns (origins, item ids)."""
        kinds, origins = [], []
        for kind, rate in rates.items():
            pool = self.origin_pools[kind]
            k = self.rng.poisson(rate) if rate > 0 and len(pool) else 0
            kinds.append(np.full(k, kind, np.int8))
            origins.append(pool[self.rng.integers(0, len(pool), k)] if k else np.empty(0, np.int32))
        kinds, origins = np.concatenate(kinds), np.concatenate(origins).astype(np.int32)
        first = self.n_items
        ids = np.arange(first, first + len(kinds))
        self._grow(first + len(kinds))
        self.kind = np.concatenate([self.kind, kinds])
        self.origin = np.concatenate([self.origin, origins])
        self.born = np.concatenate([self.born, np.full(len(kinds), now, np.int32)])
        homes = self.home_department(kinds, origins)
        self.home = np.concatenate([self.home, homes])
        for item, kind, home in zip(ids.tolist(), kinds.tolist(), homes.tolist()):
            self._items_of[kind].setdefault(home, []).append(item)
        self.items_by_kind += np.bincount(kinds, minlength=len(ItemKind))
        self.learn(origins, ids, now)
        return origins, ids

    def home_department(self, kinds: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """Whom an item concerns (assumption): a goal, the staff its executive leads: all staff (-1)
        for the head of the organisation, the department for a department head (so a bigger
        organisation has more goals, as it has more executives, without each person's share of them
        growing); process know-how, the origin's department; a market signal, the department of the
        external's internal contact (sales for resellers, support for customers)."""
        org = self.org
        home = org.department[origins].astype(np.int32)
        market = kinds == ItemKind.MARKET
        home[market] = org.department[org.manager[origins[market]]]
        home[(kinds == ItemKind.GOAL) & (org.manager[origins] < 0)] = -1
        return home

    def concerned_coverage(self, items: np.ndarray) -> np.ndarray:
        """Share of the staff each item concerns who know it (its department's staff, or all
        internal staff for the head's goals)."""
        home = self.home[items]
        staff = np.where(home < 0, self.n_internal, self.staff_of[np.maximum(home, 0)])
        return self.concerned_count[items] / np.maximum(staff, 1)

    def relevant(self, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        """Whether each item concerns each person (pairs): an item of the whole organisation (the
        head's goals) all internal staff, the rest the staff of their home department."""
        home = self.home[item]
        return self.internal[person] & ((home < 0) | (home == self.org.department[person]))

    def latest(self, kind: ItemKind, before: int, count: int, home=None) -> np.ndarray:
        """The ``count`` most recent items of ``kind`` born before tick ``before`` (of the ``home``
        department, or of any of several, when given): what is current when a decision arises.
        Found by binary search on birth tick in per-(kind, home) lists of item ids, which are in
        order of birth, instead of a scan of every item born so far."""
        if count <= 0:
            return np.empty(0, np.int64)
        homes = self._items_of[kind].keys() if home is None else np.atleast_1d(home).tolist()
        tails = []
        for h in homes:
            ids = self._items_of[kind].get(h, [])
            end = bisect.bisect_left(ids, before, key=self.born.__getitem__)  # ids born before ``before``
            tails.extend(ids[max(end - count, 0) : end])
        return np.array(sorted(tails)[-count:], np.int64)

    def learn(self, person: np.ndarray, item: np.ndarray, now: int) -> tuple[np.ndarray, np.ndarray]:
        """Mark (person, item) pairs as known; returns the pairs that were new (each once)."""
        person, item = np.asarray(person, np.int64), np.asarray(item, np.int64)
        if len(person) == 0:
            return person, item
        new = ~self.known[person, item]
        person, item = person[new], item[new]
        key = unique_ints(item * self.org.n + person)
        item, person = key // self.org.n, key % self.org.n
        self.known[person, item] = True
        groups = self.org.group[person]
        np.add.at(self.count, (item, groups), 1)
        np.add.at(self.known_by_kind, (self.kind[item], groups), 1)
        concerned = self.relevant(person, item)
        self.relevant_known += np.bincount(person[concerned], minlength=self.org.n)
        np.add.at(self.concerned_count, item[concerned], 1)
        self._thresholds(unique_ints(item), now)
        return person, item

    def _thresholds(self, items: np.ndarray, now: int) -> None:
        reached = (self.count[items].sum(axis=1) >= 2) & (self.t_first[items] < 0)
        self.t_first[items[reached]] = now - self.born[items[reached]]
        share = self.concerned_coverage(items)
        for t, level in ((self.t50, 0.5), (self.t90, 0.9)):
            hit = (share >= level) & (t[items] < 0)
            t[items[hit]] = now - self.born[items[hit]]

    def coverage(self) -> np.ndarray:
        """Share of each group that knows each item, shape (items, groups)."""
        return self.count[: self.n_items] / np.maximum(self.group_size, 1)

    def mean_coverage(self) -> np.ndarray:
        """Mean coverage over all items born so far, by kind and group: shape (kinds, groups);
        NaN for a kind with no item yet.  Kept as running sums, so reading it costs nothing."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.known_by_kind / (self.items_by_kind[:, None] * np.maximum(self.group_size, 1))
