"""The decision process of a run: decisions arise, inputs are produced, people follow up, deadlines
close what is left.  Inputs wait on their holders' priority lists (:mod:`sim.priority_list`).
The rules each person follows are in :mod:`sim.agents`; the record and the
draw in :mod:`sim.decisions`.

Follow-ups are one rule for both channels: whoever waits (the originator for the owner to take a
request up, the owner for each input) sends the same message again after ``patience_ticks``, up to
``max_follow_ups`` times.  An originator whose follow-ups all go unanswered gives up, and the
decision is recorded as ``given_up_unanswered``.
"""

from __future__ import annotations

import numpy as np

from .decisions import ORIGIN_ROLE, Decision, DecisionKind, choose_owner, draw_decision
from .knowledge import ItemKind
from .messages import DECISION_KINDS, HOP, KIND, ORIGIN, PAYLOAD, READER, SENT, TARGET, MessageKind
from .organisation import Role
from .priority_list import PriorityLists

__all__ = ["DecisionDesk"]


class DecisionDesk:
    """All decisions of a run and the clock that drives follow-ups, inputs and deadlines."""

    def __init__(self, model):
        self.model = model
        org, d = model.org, model.config.decisions
        self.cfg, self.org, self.rng = d, org, model.rngs["decisions"]
        staff = int(np.isin(org.role, (Role.EMPLOYEE, Role.MANAGER, Role.EXECUTIVE)).sum())
        self.rates = {  # decisions per tick: per-1,000 rates times the group where they arise
            DecisionKind.CUSTOMER_ISSUE: d.customer_issues_per_1000_per_tick * int((org.role == Role.CUSTOMER).sum()) / 1000,
            DecisionKind.MARKET_OPPORTUNITY: d.market_opportunities_per_1000_per_tick * int((org.role == Role.PARTNER).sum()) / 1000,
            DecisionKind.INTERNAL_IMPROVEMENT: d.internal_improvements_per_1000_per_tick * staff / 1000,
        }
        staff = np.isin(org.role, (Role.EMPLOYEE, Role.MANAGER))
        self.originators = {kind: org.members(ORIGIN_ROLE[kind]) for kind in DecisionKind}  # who can raise each kind
        self.staff_by_dept = [np.flatnonzero(staff & (org.department == dd)) for dd in range(len(org.department_names))]
        self.decisions: list[Decision] = []
        self.open: list[Decision] = []
        self.closed = 0
        self.ownership: str | None = None  # set by an intervention (delegate / escalate); else the scenario's
        self.given_up = 0
        self.participant_keys = np.empty(0, np.int64)  # sorted decision_id * n + person, owners and holders
        self.work = PriorityLists(org.n, d.priority_list_length, model.rngs["priority lists"])  # inputs wait here

    def _team_members(self, person: int) -> np.ndarray:
        g = self.model.groups
        team = g.team_of[person]
        return g.members(team) if team >= 0 else np.empty(0, np.int64)

    # ------------------------------------------------------------------ new decisions
    def arise(self, now: int) -> None:
        d, m = self.cfg, self.model
        ownership = self.ownership or d.ownership
        for kind, rate in self.rates.items():
            for _ in range(self.rng.poisson(rate) if rate > 0 else 0):
                originator, holders, scope = draw_decision(self.org, kind, d.inputs_per_decision, d.scope_shares, self.rng, self.staff_by_dept, self._team_members, self.originators[kind])
                owner = choose_owner(self.org, originator, holders, ownership)
                dec = Decision(len(self.decisions), kind, originator, owner, holders, now, scope=scope)
                dec.relevant = self._relevant_items(dec, now)
                dec.space = self._thread_space(originator, [originator, owner, *holders])
                dec.involved.add(originator)
                dec.given.add(originator)
                self.decisions.append(dec)
                self.open.append(dec)
                keys = dec.id * self.org.n + np.array([owner, *holders], np.int64)
                # = np.union1d(participant_keys, keys): the newest decision's keys sort after all others
                self.participant_keys = np.concatenate([self.participant_keys, np.unique(keys)])
                dec.last_request = now
                if originator == owner:
                    m.people[owner].become_aware(dec, now)
                else:
                    self.request(dec, now)

    def request(self, dec: Decision, now: int) -> None:
        """The originator asks the owner to decide (again, on a follow-up), as owners ask holders."""
        self.send(dec.originator, [dec.owner], MessageKind.REQUEST, dec, now)

    def send(self, sender: int, recipients: list[int], kind: int, dec: Decision, now: int) -> None:
        """A decision message to people the sender may not know (:meth:`sim.awareness.Awareness.
        relay_for`): directly, in one message, to those the sender is aware of; to each of the others
        by way of their nearest manager the sender knows, or the sender's own manager (a detour)."""
        direct = []
        for r in recipients:
            relay = self.model.awareness.relay_for(sender, r)
            if relay < 0:
                direct.append(r)
            else:
                dec.detours += 1
                self.model.communicate_via(sender, relay, r, kind, dec, now)
        if direct:
            self.model.communicate(sender, direct, kind, dec, now)

    def _thread_space(self, originator: int, people: list[int]) -> int:
        """Where the decision's thread lives: a space its originator follows (they raise it where they
        can post, so a customer in a community raises an issue there, with whoever of the people
        involved follow it), the one most of the people involved follow, the smaller one on ties.  An
        originator in no space leaves it to the space most of the others follow.  Spaces moderated
        for their size (more members than ``knowledge.moderate_audiences_above``) are left out while
        a smaller one is there: a decision of a few people is not discussed in front of an all-staff
        space of tens of thousands (assumption; no space of the shipped scenarios is that big, so
        it changes nothing there); with none smaller, the smallest is used."""
        g = self.model.groups
        counts: dict[int, int] = {}
        for p in set(people):
            for s in g.spaces_of(p).tolist():
                counts[s] = counts.get(s, 0) + 1
        own = set(g.spaces_of(originator).tolist())
        if own:
            counts = {s: c for s, c in counts.items() if s in own}
        if not counts:
            return -1
        size = g.size()
        cap = self.model.config.knowledge.moderate_audiences_above
        if cap is not None and any(size[s] > cap for s in counts):
            small = {s: c for s, c in counts.items() if size[s] <= cap}
            counts = small or {min(counts, key=lambda s: (size[s], s)): 1}
        return max(counts, key=lambda s: (counts[s], -size[s], -s))

    def _relevant_items(self, dec: Decision, now: int) -> np.ndarray:
        """The knowledge the decision needs (``decisions.relevant_items_per_kind``): the latest goals
        that concern a holder (the whole organisation's and their departments'), the latest process
        know-how of each holder's department, and for customer issues and market opportunities the
        latest market signals that concern the anchor's department."""
        kb, k, org = self.model.knowledge, self.cfg.relevant_items_per_kind, self.org
        if k == 0:
            return np.empty(0, np.int64)
        departments = sorted({int(org.department[h]) for h in dec.holders if org.department[h] >= 0})
        parts = [kb.latest(ItemKind.GOAL, now, k, home=[-1, *departments])]
        for d in departments:
            parts.append(kb.latest(ItemKind.PROCESS, now, k, home=d))
        if dec.kind != DecisionKind.INTERNAL_IMPROVEMENT:
            anchor = dec.originator if org.department[dec.originator] >= 0 else int(org.manager[dec.originator])
            parts.append(kb.latest(ItemKind.MARKET, now, k, home=int(org.department[anchor])))
        return np.unique(np.concatenate(parts)).astype(np.int64)

    def schedule_input(self, holder: int, decision: Decision, now: int) -> None:
        """The input becomes a task on the holder's priority list (:mod:`sim.priority_list`), done in
        a later tick at the desk (or this one) and then sent.  Its priority is uniform on [0, 1),
        moved towards the top by ``knowing_saves_share`` times the share of the decision's process
        know-how the holder knows.  The same whichever channel carried the ask."""
        priority = self.rng.random()
        process = decision.relevant[self.model.knowledge.kind[decision.relevant] == ItemKind.PROCESS]
        if len(process):
            priority = 1.0 - (1.0 - priority) * (1.0 - self.cfg.knowing_saves_share * self.model.knowledge.known[holder, process].mean())
        self.work.add(holder, decision.id, priority)

    # ------------------------------------------------------------------ reading
    def on_read(self, rows: np.ndarray, now: int) -> None:
        """Decision messages read this tick: relays and gatekeepers book their part; owners and
        holders act on what is theirs (addressed, or seen in the decision's thread)."""
        dec_rows = rows[np.isin(rows[:, KIND], DECISION_KINDS)]
        if len(dec_rows) == 0:
            return
        final = dec_rows[:, READER] == dec_rows[:, TARGET]
        for r in dec_rows[~final].tolist():  # a relay or a gatekeeper handled it
            dec = self.decisions[r[PAYLOAD]]
            dec.involved.add(r[READER])
            dec.messages_used += 1
            dec.gatekeepers_passed += int(r[READER] != r[HOP])
        mine = dec_rows[final]
        keys = mine[:, PAYLOAD] * self.org.n + mine[:, READER]
        pos = np.minimum(np.searchsorted(self.participant_keys, keys), max(len(self.participant_keys) - 1, 0))
        mine = mine[self.participant_keys[pos] == keys] if len(self.participant_keys) else mine[:0]
        people = self.model.people
        for r in mine.tolist():
            dec = self.decisions[r[PAYLOAD]]
            # an ask names the reader when they were asked at the tick it was written (a thread post
            # seen by a holder it does not name is not a reminder to them)
            named = r[KIND] == MessageKind.ASK and dec.asked.get(r[READER]) == r[SENT]
            people[r[READER]].on_decision_message(dec, r[KIND], r[ORIGIN], now, named=named)

    # ------------------------------------------------------------------ the clock
    def step(self, now: int) -> None:
        """People at the desk do one task each, and inputs done go out (dropped if their decision was
        taken meanwhile); whoever waited too long follows up; deadlines close."""
        people = self.model.people
        for holder, dec_id in self.work.step(self.model.at_desk, self.cfg.highest_priority_first_share):
            dec = self.decisions[dec_id]
            if dec.is_open:
                people[holder].give_input(dec, now)
            else:
                dec.working.discard(holder)
        patience, most, limit = self.cfg.patience_ticks, self.cfg.max_follow_ups, self.cfg.deadline_ticks
        still = []
        for dec in self.open:
            if not dec.is_open:
                continue
            if dec.owner_aware is None:
                if now - dec.last_request >= patience:
                    if dec.follow_ups < most:
                        dec.follow_ups += 1
                        dec.last_request = now
                        self.request(dec, now)
                    else:
                        dec.gave_up = now
                        self.given_up += 1
                        continue
            else:
                if now - dec.owner_aware >= limit:
                    people[dec.owner].decide(dec, now)
                    continue
                late = [h for h, t in dec.asked.items() if h not in dec.received and now - t >= patience and dec.follow_ups < most * len(dec.holders)]
                if late:
                    dec.follow_ups += len(late)
                    people[dec.owner].ask(dec, late, now)
            if dec.is_open:
                still.append(dec)
        self.open = still
