"""Decisions: triggered over time, need inputs held by several people, taken by an owner.

A decision arises at an *originator* (a customer with an issue, a partner with an opportunity, an
employee with an improvement).  It needs inputs from ``inputs_per_decision`` *holders*: the
originator, someone in the originator's (or their contact's) department, and people in other
departments.  Who decides:

- ``escalation``: the lowest manager over all holders in the reporting tree (Radner 1993, VDT's
  "exceptions escalate").  The originator's request has to reach them, usually through channels.
- ``involved``: the originator, or for an external originator their internal contact.

The owner learns of the decision from a request, asks the holders it has no input from, and decides
when every input has arrived, or ``deadline_ticks`` after learning of it, with what arrived.
A decision whose owner never hears of it (a request filtered out or unread) stays open.

The protocol steps themselves are the agents' rules (``agents.py``); this module holds the record
and draws new decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from .organisation import Organisation, Role

__all__ = ["Decision", "DecisionKind", "draw_decision", "choose_owner"]


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
    space: int = -1  # stream space for its thread, -1 if none
    owner_aware: int | None = None
    decided: int | None = None
    received: set[int] = field(default_factory=set)  # holders whose input the owner has
    given: set[int] = field(default_factory=set)  # holders who have sent their input
    involved: set[int] = field(default_factory=set)
    gatekeepers_passed: int = 0
    messages_used: int = 0

    @property
    def is_open(self) -> bool:
        return self.decided is None

    @property
    def complete(self) -> bool:
        return self.received.issuperset(self.holders)

    def record(self) -> dict:
        latency = None if self.decided is None else self.decided - self.created
        return {
            "decision_id": self.id,
            "kind": self.kind.name.lower(),
            "originator": self.originator,
            "owner": self.owner,
            "created_tick": self.created,
            "owner_aware_tick": self.owner_aware,
            "decided_tick": self.decided,
            "latency_ticks": latency,
            "inputs_required": len(self.holders),
            "inputs_received": len(self.received),
            "people_involved": len(self.involved),
            "gatekeepers_passed": self.gatekeepers_passed,
            "messages_used": self.messages_used,
        }


def choose_owner(org: Organisation, originator: int, holders: list[int], ownership: str) -> int:
    """The owner under the ownership rule (see module docstring)."""
    if ownership == "involved":
        return originator if org.department[originator] >= 0 else int(org.manager[originator])
    owner = org.lowest_common_manager(holders)
    while org.role[owner] not in (Role.MANAGER, Role.EXECUTIVE) and org.manager[owner] >= 0:
        owner = int(org.manager[owner])
    return owner


def draw_decision(org: Organisation, kind: DecisionKind, inputs: int, rng: np.random.Generator, staff_by_dept: list[np.ndarray]) -> tuple[int, list[int]]:
    """Draw an originator and the holders of the inputs a decision needs."""
    pool = org.members(ORIGIN_ROLE[kind])
    originator = int(pool[rng.integers(len(pool))])
    anchor = org.department[originator] if org.department[originator] >= 0 else org.department[org.manager[originator]]
    holders = [originator]
    depts = [d for d in range(len(staff_by_dept)) if len(staff_by_dept[d]) and d != anchor]
    for i in range(inputs - 1):
        d = anchor if i == 0 or not depts else depts[rng.integers(len(depts))]
        staff = staff_by_dept[d]
        choice = [p for p in staff[rng.permutation(len(staff))[:inputs + 1]] if p not in holders]
        if choice:
            holders.append(int(choice[0]))
    return originator, holders
