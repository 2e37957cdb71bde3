"""Who acts: one Mesa agent per person, keeping identity, role and the decision rules.

The bulk traffic (knowledge passed on, inboxes served, feeds read) is vectorised in the channels;
agents act on the few messages that need judgement: decision requests, asks and inputs.

Rules (``Person.on_decision_message``):
- the owner, on any message about a decision, becomes aware of it and asks every holder whose
  input it lacks (its own input it has already): directly when aware of the holder, else by way of
  a relay who passes the ask on, a detour (:mod:`sim.awareness`);
- a holder, asked (or seeing the decision's thread in the stream), puts its input on its priority
  list and sends it to the owner when done (:mod:`sim.priority_list`); asked again after giving it (an ask
  naming them; someone else's ask seen in the thread does not count, as by mail), it sends it again;
- the owner, on an input, records it and decides when all inputs are in.
Follow-ups and deadlines are the decision desk's (:mod:`sim.decision_desk`).
"""

from __future__ import annotations

import numpy as np

import mesa

from .messages import MessageKind
from .decisions import Decision
from .organisation import Role

__all__ = ["Person", "Employee", "Manager", "Executive", "Gatekeeper", "Partner", "Customer", "AGENT_CLASS"]


class Person(mesa.Agent):
    """Anyone in or around the organisation.  ``index`` is the person's row in every array."""

    role = Role.EMPLOYEE

    def __init__(self, model, index: int, department: int):
        super().__init__(model)
        self.index = index
        self.department = department

    @property
    def uses_stream(self) -> bool:
        return bool(self.model.adopted[self.index])

    def on_decision_message(self, decision: Decision, kind: int, sender: int, now: int, named: bool = True) -> None:
        """React to a decision message read in an inbox or a feed (addressed, or seen in its thread)."""
        me = self.index
        if not decision.is_open:
            return
        if me == decision.owner:
            if decision.owner_aware is None:
                self.become_aware(decision, now)
            if kind in (MessageKind.INPUT, MessageKind.REQUEST) and sender in decision.holders and sender not in decision.received:
                decision.received.add(sender)  # a request carries the originator's input
                decision.involved.add(sender)
                if decision.complete:
                    self.decide(decision, now)
        elif me in decision.holders and kind in (MessageKind.ASK, MessageKind.REQUEST):
            if named or me not in decision.given:  # re-send only when asked oneself, as by mail
                self.work_on_input(decision, now)

    def become_aware(self, decision: Decision, now: int) -> None:
        decision.owner_aware = now
        decision.involved.add(self.index)
        if self.index in decision.holders:
            decision.given.add(self.index)
            decision.received.add(self.index)
        missing = [h for h in decision.holders if h not in decision.received]
        if missing:
            self.ask(decision, missing, now)
        elif decision.complete:
            self.decide(decision, now)

    def ask(self, decision: Decision, holders: list[int], now: int) -> None:
        """Ask holders for their input (again, on a follow-up): directly those the owner is aware
        of, in one message; each of the others by way of a relay (one detour each)."""
        for h in holders:
            decision.asked[h] = now
        self.model.decision_desk.send(self.index, holders, MessageKind.ASK, decision, now)

    def work_on_input(self, decision: Decision, now: int) -> None:
        """Asked (or seeing the thread): the input joins the holder's priority list and is sent when
        done (:mod:`sim.priority_list`); an input already given is sent again at once (the first may
        have been lost)."""
        me = self.index
        if me in decision.working:
            return
        if me in decision.given:
            self.give_input(decision, now)
            return
        decision.working.add(me)
        self.model.decision_desk.schedule_input(me, decision, now)

    def give_input(self, decision: Decision, now: int) -> None:
        decision.working.discard(self.index)
        decision.given.add(self.index)
        decision.involved.add(self.index)
        self.model.communicate(self.index, [decision.owner], MessageKind.INPUT, decision, now)

    def decide(self, decision: Decision, now: int) -> None:
        """Take the decision with what the owner and the contributors know now (its quality)."""
        decision.decided = now
        if len(decision.relevant):
            kb = self.model.knowledge
            people = np.array(sorted(decision.received | {decision.owner}), np.int64)
            missing = decision.relevant[~kb.known[np.ix_(people, decision.relevant)].any(axis=0)]
            found = self.model.search.find(self.index, missing, now)  # look before deciding without it
            if len(found):
                kb.learn(np.full(len(found), self.index), found, now)
                decision.found_by_search = len(found)
            decision.quality = float(kb.known[np.ix_(people, decision.relevant)].any(axis=0).mean())
        self.model.decision_desk.closed += 1


class Employee(Person):
    role = Role.EMPLOYEE


class Manager(Person):
    role = Role.MANAGER


class Executive(Manager):
    role = Role.EXECUTIVE


class Gatekeeper(Person):
    """Guards a bridge: gated mail waits in this inbox (served at the gatekeepers' own capacity)."""

    role = Role.GATEKEEPER


class Partner(Person):
    role = Role.PARTNER


class Customer(Person):
    role = Role.CUSTOMER


AGENT_CLASS = {cls.role: cls for cls in (Employee, Manager, Executive, Gatekeeper, Partner, Customer)}
