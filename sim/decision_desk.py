"""The decision process of a run: decisions arise, inputs are produced, people follow up, deadlines
close what is left.  The rules each person follows are in :mod:`sim.agents`; the record and the
draw in :mod:`sim.decisions`.

Follow-ups are one rule for both channels: whoever waits (the originator for the owner to take a
request up, the owner for each input) sends the same message again after ``patience_ticks``, up to
``max_follow_ups`` times.  An originator whose follow-ups all go unanswered gives up, and the
decision is recorded as ``given_up_unanswered``.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .arrays import unique_ints
from .decisions import Decision, DecisionKind, choose_owner, draw_decision
from .knowledge import ItemKind
from .messages import DECISION_KINDS, HOP, KIND, ORIGIN, PAYLOAD, READER, TARGET, MessageKind
from .organisation import Role

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
        self.staff_by_dept = [np.flatnonzero(staff & (org.department == dd)) for dd in range(len(org.department_names))]
        self.decisions: list[Decision] = []
        self.open: list[Decision] = []
        self.closed = 0
        self.ownership: str | None = None  # set by an intervention (delegate / escalate); else the scenario's
        self.given_up = 0
        self.participant_keys = np.empty(0, np.int64)  # sorted decision_id * n + person, owners and holders
        self.inputs_due: dict[int, list[tuple[int, Decision]]] = defaultdict(list)

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
                originator, holders, scope = draw_decision(self.org, kind, d.inputs_per_decision, d.scope_shares, self.rng, self.staff_by_dept, self._team_members)
                owner = choose_owner(self.org, originator, holders, ownership)
                dec = Decision(len(self.decisions), kind, originator, owner, holders, now, scope=scope)
                dec.relevant = self._relevant_items(dec, now)
                dec.space = self._thread_space([originator, owner, *holders])
                dec.involved.add(originator)
                dec.given.add(originator)
                self.decisions.append(dec)
                self.open.append(dec)
                keys = dec.id * self.org.n + np.array([owner, *holders], np.int64)
                # = np.union1d(participant_keys, keys), as a merge of two sorted runs (see unique_ints)
                self.participant_keys = unique_ints(np.concatenate([self.participant_keys, np.sort(keys)]), sorted_runs=True)
                dec.last_request = now
                if originator == owner:
                    m.people[owner].become_aware(dec, now)
                else:
                    m.communicate(originator, [owner], MessageKind.REQUEST, dec, now)

    def _thread_space(self, people: list[int]) -> int:
        """The space most of the people involved follow (the smaller one on ties)."""
        g = self.model.groups
        counts: dict[int, int] = {}
        for p in set(people):
            for s in g.spaces_of(p).tolist():
                counts[s] = counts.get(s, 0) + 1
        if not counts:
            return -1
        size = g.size()
        return max(counts, key=lambda s: (counts[s], -size[s], -s))

    def _relevant_items(self, dec: Decision, now: int) -> np.ndarray:
        """The knowledge the decision needs (``decisions.relevant_items_per_kind``): the latest goals,
        the latest process know-how of each holder's department, and for customer issues and market
        opportunities the latest market signals that concern the anchor's department."""
        kb, k, org = self.model.knowledge, self.cfg.relevant_items_per_kind, self.org
        if k == 0:
            return np.empty(0, np.int64)
        parts = [kb.latest(ItemKind.GOAL, now, k)]
        for d in sorted({int(org.department[h]) for h in dec.holders if org.department[h] >= 0}):
            parts.append(kb.latest(ItemKind.PROCESS, now, k, home=d))
        if dec.kind != DecisionKind.INTERNAL_IMPROVEMENT:
            anchor = dec.originator if org.department[dec.originator] >= 0 else int(org.manager[dec.originator])
            parts.append(kb.latest(ItemKind.MARKET, now, k, home=int(org.department[anchor])))
        return np.unique(np.concatenate(parts)).astype(np.int64)

    def schedule_input(self, holder: int, decision: Decision, now: int) -> None:
        """The holder produces the input after an exponential effort (``input_effort_ticks``),
        shortened by ``knowing_saves_share`` times the share of the decision's process know-how the
        holder knows."""
        effort = self.rng.exponential(self.cfg.input_effort_ticks) if self.cfg.input_effort_ticks > 0 else 0.0
        process = decision.relevant[self.model.knowledge.kind[decision.relevant] == ItemKind.PROCESS]
        if len(process) and effort > 0:
            effort *= 1.0 - self.cfg.knowing_saves_share * self.model.knowledge.known[holder, process].mean()
        self.inputs_due[now + int(round(effort))].append((holder, decision))

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
            people[r[READER]].on_decision_message(self.decisions[r[PAYLOAD]], r[KIND], r[ORIGIN], now)

    # ------------------------------------------------------------------ the clock
    def step(self, now: int) -> None:
        """Inputs that are ready go out; whoever waited too long follows up; deadlines close."""
        people = self.model.people
        for holder, dec in self.inputs_due.pop(now, []):
            if dec.is_open:
                people[holder].give_input(dec, now)
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
                        self.model.communicate(dec.originator, [dec.owner], MessageKind.REQUEST, dec, now)
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
