"""Decisions: triggered over time, need inputs held by several people, taken by an owner.

A decision arises at an *originator* (a customer with an issue, a partner with an opportunity, an
employee with an improvement).  It needs inputs from ``inputs_per_decision`` *holders*: the
originator (and an external originator's internal contact), then people of the anchor's team, its
department, or other departments, by the decision's scope.  Who decides:

- ``escalation``: the lowest manager over all holders in the reporting tree (Radner 1993, VDT's
  "exceptions escalate").  The originator's request has to reach them, usually through channels.
- ``involved``: the originator, or for an external originator their internal contact.

The mix of scopes (``decisions.scope_shares``: inputs from one team, one department, or across
departments) decides how high escalation climbs, so the top does not own every decision.

The owner learns of the decision from a request, asks the holders it has no input from (through a
relay when it is not aware of them, :mod:`sim.awareness`), and decides
when every input has arrived, or ``deadline_ticks`` after learning of it, with what arrived.  Whoever
waits follows up after ``patience_ticks`` (the originator re-sends the request, the owner re-asks a
holder), up to ``max_follow_ups`` times, on either channel, so a filtered message delays rather than
loses.  A decision stays open only while its people wait, or when the originator gave up (recorded).

The protocol steps themselves are the agents' rules (``agents.py``); this module holds the record
and draws new decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from .organisation import Organisation, Role

__all__ = ["Decision", "DecisionKind", "draw_decision", "choose_owner", "SCOPES"]


class DecisionKind(IntEnum):
    CUSTOMER_ISSUE = 0
    MARKET_OPPORTUNITY = 1
    INTERNAL_IMPROVEMENT = 2


ORIGIN_ROLE = {
    DecisionKind.CUSTOMER_ISSUE: Role.CUSTOMER,
    DecisionKind.MARKET_OPPORTUNITY: Role.PARTNER,
    DecisionKind.INTERNAL_IMPROVEMENT: Role.EMPLOYEE,
}


@dataclass
class Decision:
    """One decision and its history (ticks are absolute)."""

    id: int
    kind: DecisionKind
    originator: int
    owner: int
    holders: list[int]
    created: int
    scope: str = "cross"
    space: int = -1  # stream space for its thread, -1 if none
    owner_aware: int | None = None
    decided: int | None = None
    gave_up: int | None = None  # tick the originator stopped following up an unanswered request
    received: set[int] = field(default_factory=set)  # holders whose input the owner has
    given: set[int] = field(default_factory=set)  # holders who have sent their input at least once
    working: set[int] = field(default_factory=set)  # holders producing their input
    asked: dict[int, int] = field(default_factory=dict)  # holder -> tick last asked
    involved: set[int] = field(default_factory=set)
    last_request: int = 0
    follow_ups: int = 0
    gatekeepers_passed: int = 0
    messages_used: int = 0
    relevant: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # knowledge items it needs
    quality: float | None = None  # share of ``relevant`` the owner and contributors knew when it was taken
    found_by_search: int = 0  # relevant items the owner found by searching before deciding
    in_thread: set[int] = field(default_factory=set)  # who wrote or was @mentioned in its stream thread so far
    detours: int = 0  # asks (and requests) sent by way of a relay because the writer was not aware of the recipient

    @property
    def is_open(self) -> bool:
        return self.decided is None and self.gave_up is None

    @property
    def complete(self) -> bool:
        return self.received.issuperset(self.holders)

    def concerned(self) -> list[int]:
        """Whom the decision concerns: its originator, owner and holders (they read its thread first,
        :func:`sim.messages.entry_level`)."""
        return [self.originator, self.owner, *self.holders]

    @property
    def status(self) -> str:
        if self.decided is not None:
            return "decided" if self.complete else "decided_at_deadline"
        if self.gave_up is not None:
            return "given_up_unanswered"
        return "waiting_for_owner" if self.owner_aware is None else "waiting_for_inputs"

    def record(self) -> dict:
        latency = None if self.decided is None else self.decided - self.created
        return {
            "decision_id": self.id,
            "kind": self.kind.name.lower(),
            "scope": self.scope,
            "originator": self.originator,
            "owner": self.owner,
            "created_tick": self.created,
            "owner_aware_tick": self.owner_aware,
            "decided_tick": self.decided,
            "latency_ticks": latency,
            "status": self.status,
            "inputs_required": len(self.holders),
            "inputs_received": len(self.received),
            "contributors": len(self.received - {self.owner}),
            "follow_ups": self.follow_ups,
            "people_involved": len(self.involved),
            "gatekeepers_passed": self.gatekeepers_passed,
            "messages_used": self.messages_used,
            "relevant_items": len(self.relevant),
            "quality": self.quality,
            "found_by_search": self.found_by_search,
            "detours": self.detours,
        }


def choose_owner(org: Organisation, originator: int, holders: list[int], ownership: str) -> int:
    """The owner under the ownership rule (see module docstring)."""
    if ownership == "involved":
        return originator if org.department[originator] >= 0 else int(org.manager[originator])
    owner = org.lowest_common_manager(holders)
    while org.role[owner] not in (Role.MANAGER, Role.EXECUTIVE) and org.manager[owner] >= 0:
        owner = int(org.manager[owner])
    return owner


SCOPES = ("team", "department", "cross")


def draw_decision(org: Organisation, kind: DecisionKind, inputs: int, scope_shares: dict, rng: np.random.Generator,
                  staff_by_dept: list[np.ndarray], team_members, pool: np.ndarray | None = None) -> tuple[int, list[int], str]:
    """Draw an originator, the holders of the inputs a decision needs and its scope.

    The anchor is the originator, or an external originator's internal contact (who holds the first
    input).  The other inputs come from the anchor's team, its department, or (``cross``) one from
    the department and the rest from other departments.  ``pool``: the people of the kind's
    originating role (:data:`ORIGIN_ROLE`), when the caller keeps them."""
    if pool is None:
        pool = org.members(ORIGIN_ROLE[kind])
    originator = int(pool[rng.integers(len(pool))])
    holders = [originator]
    anchor = originator
    if org.department[originator] < 0:
        anchor = int(org.manager[originator])
        if inputs > 1:
            holders.append(anchor)
    weights = np.array([scope_shares.get(s, 0.0) for s in SCOPES], float)
    scope = SCOPES[int(rng.choice(len(SCOPES), p=weights / weights.sum()))]
    home = int(org.department[anchor])
    others = [d for d in range(len(staff_by_dept)) if len(staff_by_dept[d]) and d != home]
    for i in range(inputs - len(holders)):
        if scope == "team":
            candidates = team_members(anchor)
        elif scope == "department" or i == 0 or not others:
            candidates = staff_by_dept[home]
        else:
            candidates = staff_by_dept[others[rng.integers(len(others))]]
        candidates = _without(candidates, holders)
        if not len(candidates) and scope == "team":
            candidates = _without(staff_by_dept[home], holders)
        if len(candidates):
            holders.append(int(candidates[rng.integers(len(candidates))]))
    return originator, holders, scope


def _without(people: np.ndarray, holders: list[int]) -> np.ndarray:
    """``people`` but the holders, in their order (a comparison per holder: there are a few, and
    ``np.isin`` would sort a whole department each time)."""
    people = np.asarray(people, np.int64)
    keep = np.ones(len(people), bool)
    for h in holders:
        keep &= people != h
    return people[keep]
