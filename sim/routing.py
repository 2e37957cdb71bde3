"""Addressed messages: who holds them on the way, and who screens them, on either channel.

A message addressed to a person (a mail's To / CC, an @mention on the stream) travels in logical
hops: straight to the recipient (``routing = "direct"``), "through channels" up the reporting tree
to the lowest common manager and down again when the writer has no tie with the recipient
(``"through_channels"``), or to whichever contact is closest to the recipient in the tree
(``"closest_contact"``, Dodds, Watts & Sabel 2003).  Each channel has its own routing field
(``email.routing``, ``stream.routing``), with the same choices.

Before a logical hop lands it passes every gatekeeper on the bridge it crosses, in this order: the
partner / customer desk, the receiving department's gatekeeper, the receiving person's assistant.
Gatekeepers screen addressed messages on both channels alike (an assistant screens @mentions as
well as mail) unless ``stream.mentions_bypass_gatekeepers`` is set.  Each holder on the way reads
the message from their own queue (:mod:`sim.attention`), so relaying and screening cost attention;
a gatekeeper drops ``filter_share`` of what it screens.  Audience copies (lists, spaces) are not
addressed and are not screened, on either channel.
"""

from __future__ import annotations

import numpy as np

from .arrays import csr_rows
from .messages import BY, CHANNEL, CLEARED, FRM, GATES, HOP, KIND, LEVEL, ORIGIN, PAYLOAD, READER, READY, SENT, TARGET, Level, new_rows
from .organisation import Organisation, Role
from .routing_kernels import next_holders, through_channels

__all__ = ["Router"]

BRIDGES = ("partner", "customer", "department", "upward")  # the kinds of bridge gatekeepers guard


class Router:
    """Routing and screening of addressed messages for both channels."""

    def __init__(self, org: Organisation, routing: tuple[str, str], screened: tuple[bool, bool], delay: tuple[int, int], gk_cfg, rng: np.random.Generator):
        self.org, self.gk, self.rng = org, gk_cfg, rng
        self.routing = routing  # per channel
        self.screened = screened  # per channel: do gatekeepers screen it?
        self.delay = delay  # per channel: ticks from writing to readable
        self.is_gatekeeper = org.role == Role.GATEKEEPER
        self.is_customer = org.role == Role.CUSTOMER
        self.is_partner = org.role == Role.PARTNER
        self.has_gates = bool(self.is_gatekeeper.any())
        self.removed: set[str] = set()  # bridge kinds whose gatekeepers are gone (interventions)
        self.dropped = np.zeros(2, np.int64)  # per channel
        self.screened_count = np.zeros(org.n, np.int64)  # messages each gatekeeper screened

    def gates_active(self, now: int) -> bool:
        return self.has_gates and len(self.removed) < 4

    def bridge_active(self, kind: str, now: int) -> bool:
        """Whether gatekeepers on ``kind`` (upward, department, partner, customer) screen at ``now``."""
        return self.gates_active(now) and kind not in self.removed

    def remove_gates(self, kinds) -> None:
        """Gatekeepers on these bridges stop screening new messages; what waits in their queues is
        still read and passed on."""
        self.removed |= set(kinds)

    def restore_gates(self, kinds) -> None:
        self.removed -= set(kinds)

    # ---------------------------------------------------------------- logical hops
    def logical_next(self, frm: np.ndarray, target: np.ndarray, channel: np.ndarray) -> np.ndarray:
        """Next logical holder under each message's channel's routing rule."""
        frm, target, channel = np.asarray(frm), np.asarray(target), np.asarray(channel)
        out = target.astype(np.int64).copy()
        for c, rule in enumerate(self.routing):
            m = channel == c
            if not m.any() or rule == "direct":
                continue
            out[m] = self._closest_contact(frm[m], target[m]) if rule == "closest_contact" else self._through_channels(frm[m], target[m])
        return out

    def _through_channels(self, frm, target):
        org = self.org
        out = np.empty(len(frm), np.int64)
        through_channels(np.asarray(frm, np.int64), np.asarray(target, np.int64), org._edge_keys, org.n, org.level, org.ancestors, org.manager, out)
        return out

    def _closest_contact(self, frm, target):
        """The holder's contact (ties, manager) nearest the target in the tree; reporting lines are
        ties, so every step gets closer and the walk ends at the target."""
        org = self.org
        frm, target = np.asarray(frm, np.int64), np.asarray(target, np.int64)
        msg, contact = csr_rows(org.ties_indptr, org.ties_indices, frm)
        contact = contact.astype(np.int64)
        dist = org.tree_distance(contact, target[msg])
        order = np.lexsort((contact, dist, msg))  # nearest first, then lowest id: deterministic
        first = np.unique(msg[order], return_index=True)[1]
        best = np.full(len(frm), -1, np.int64)
        best[msg[order][first]] = contact[order][first]
        best = np.where(frm == target, target, best)
        return np.where(best < 0, org.manager[frm], best).astype(np.int64)

    # ---------------------------------------------------------------- gates
    def next_holder(self, frm, hop, cleared, channel, now: int) -> np.ndarray:
        """The next uncleared gate on this hop, else the hop itself
        (:func:`sim.routing_kernels.next_holders`)."""
        hop = np.asarray(hop, np.int64)
        screened = np.asarray(self.screened)[channel]
        if len(frm) == 0 or not self.gates_active(now) or not screened.any():
            return hop.copy()
        org, out = self.org, np.empty(len(hop), np.int64)
        removed = np.array([kind in self.removed for kind in BRIDGES])
        next_holders(np.asarray(frm, np.int64), hop, np.asarray(cleared, np.int64), screened, self.is_partner, self.is_customer,
                     org.partner_desk, org.customer_desk, org.department, org.department_gate, org.assistant, removed, out)
        return out

    # ---------------------------------------------------------------- writing and forwarding
    def address(self, sender, target, kind: int, payload, now: int, channel: int, via: int = -1) -> np.ndarray:
        """Entry rows for messages addressed to ``target`` (arrays broadcast together); a message to
        oneself is dropped.  The rows are ready after the channel's delivery delay.  ``via`` (a
        person) makes the first logical hop that person, a relay who passes the message on
        (:mod:`sim.awareness`); else the channel's routing rule chooses it."""
        sender, target, payload = (np.asarray(a, np.int64).ravel() for a in np.broadcast_arrays(np.atleast_1d(sender), np.atleast_1d(target), np.atleast_1d(payload)))
        keep = sender != target
        sender, target, payload = sender[keep], target[keep], payload[keep]
        rows = new_rows(len(sender))
        if len(sender) == 0:
            return rows
        ch = np.full(len(sender), channel, np.int64)
        rows[:, ORIGIN] = rows[:, FRM] = rows[:, BY] = sender
        rows[:, TARGET], rows[:, PAYLOAD], rows[:, KIND], rows[:, CHANNEL] = target, payload, kind, channel
        rows[:, HOP] = self.logical_next(sender, target, ch) if via < 0 else via
        rows[:, READER] = self.next_holder(sender, rows[:, HOP], rows[:, CLEARED], ch, now)
        rows[:, LEVEL] = Level.ADDRESSED
        rows[:, SENT] = now
        rows[:, READY] = now + self.delay[channel]
        return rows

    def forward(self, rows: np.ndarray, now: int) -> tuple[np.ndarray, np.ndarray]:
        """Entries read by a relay or a gatekeeper, moved on.  Returns (forwarded rows, dropped mask
        over the input): a gatekeeper drops ``filter_share`` of what it screens."""
        if len(rows) == 0:
            return rows, np.zeros(0, bool)
        rows = rows.copy()
        reader = rows[:, READER]
        at_hop = reader == rows[:, HOP]
        gate = ~at_hop
        np.add.at(self.screened_count, reader[gate], 1)
        dropped = gate & (self.rng.random(len(rows)) < self.gk.filter_share)
        np.add.at(self.dropped, rows[dropped, CHANNEL], 1)
        rows[:, CLEARED] = np.where(gate, rows[:, CLEARED] + 1, 0)
        rows[:, GATES] += gate
        rows[:, BY] = reader
        rows[at_hop, FRM] = reader[at_hop]
        if at_hop.any():
            rows[at_hop, HOP] = self.logical_next(rows[at_hop, FRM], rows[at_hop, TARGET], rows[at_hop, CHANNEL])
        rows[:, READER] = self.next_holder(rows[:, FRM], rows[:, HOP], rows[:, CLEARED], rows[:, CHANNEL], now)
        delay = np.asarray(self.delay)[rows[:, CHANNEL]]
        rows[:, READY] = now + delay + np.where(gate, self.gk.hold_ticks, 0)
        return rows[~dropped], dropped
