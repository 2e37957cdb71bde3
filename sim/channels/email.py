"""Email-style channel: messages wait in inboxes, are read oldest first, hop by hop.

A message is addressed to one person (a CC list is one message per recipient).  It travels in
logical hops: straight to the recipient when the sender knows them (or routing is ``direct``),
otherwise "through channels" up the reporting tree to the lowest common manager and down again.
Before a logical hop lands, it passes every gatekeeper on the bridge it crosses, in this order:
the partner/customer desk, the department gatekeeper of the receiving department, the assistant of
the receiving person.  Each holder on the way (relay manager, gatekeeper, final recipient) must
read it, which costs them reading capacity; gatekeepers may drop it (``filter_share``).

All messages in flight live in one integer array, a row per message, kept in arrival order, so FIFO
service is a stable sort by holder.  No Python object exists per message.

Per tick each person reads up to ``reading_capacity_per_tick`` messages (stochastically rounded),
of which a ``background_share`` goes to mail the model does not represent; gatekeepers spend
``capacity_per_tick`` on gated mail only.  Mail unread for ``expire_after_ticks`` is never read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arrays import csr_rows, fifo_rank
from ..organisation import Organisation, Role

__all__ = ["EmailChannel", "Delivered", "MessageKind", "stochastic_round"]

# One row per message in flight, one int64 column each (a single 2-D array: one filter and one
# concatenation per tick instead of one per column).
COLUMNS = (
    "at",  # person whose inbox holds it now
    "origin",  # who sent it in the first place
    "frm",  # last logical holder (sender or relay manager)
    "hop",  # the logical next holder it is heading to (gates come before it)
    "target",  # final recipient
    "gates_cleared",  # gates passed on the current logical hop
    "ready",  # tick from which it can be read
    "kind",  # MessageKind
    "payload",  # knowledge item id or decision id
)
AT, ORIGIN, FRM, HOP, TARGET, CLEARED, READY, KIND, PAYLOAD = range(len(COLUMNS))


class MessageKind:
    KNOWLEDGE = 0
    REQUEST = 1  # "this needs deciding" (originator -> owner)
    ASK = 2  # "send me your input" (owner -> holder)
    INPUT = 3  # an input (holder -> owner)
    ROUTINE = 4  # routine mail between colleagues (load only)


def stochastic_round(x: np.ndarray | float, rng: np.random.Generator, size: int | None = None) -> np.ndarray:
    """Round to integers so that the mean is exact: 2.3 becomes 2 or 3 with chances 0.7 / 0.3."""
    x = np.asarray(x, dtype=float)
    if size is not None and x.shape != (size,):
        x = np.broadcast_to(x, (size,))
    base = np.floor(x)
    return (base + (rng.random(x.shape) < (x - base))).astype(np.int64)


@dataclass
class Delivered:
    """Messages read this tick.  ``final`` marks those read by their final recipient; the rest were
    relays or gatekeepers passing them on (``reader`` is who read it)."""

    reader: np.ndarray
    origin: np.ndarray
    kind: np.ndarray
    payload: np.ndarray
    final: np.ndarray
    gatekeeper: np.ndarray
    dropped: np.ndarray


class EmailChannel:
    """Inboxes of the whole organisation, served once per tick."""

    def __init__(self, org: Organisation, email_cfg, gk_cfg, rng: np.random.Generator):
        self.org = org
        self.cfg = email_cfg
        self.gk = gk_cfg
        self.rng = rng
        n = org.n
        self.is_gatekeeper = org.role == Role.GATEKEEPER
        self.is_customer = org.role == Role.CUSTOMER
        self.is_partner = org.role == Role.PARTNER
        self.routing = email_cfg.routing
        self.has_gates = bool(self.is_gatekeeper.any())
        self.box = np.empty((0, len(COLUMNS)), np.int64)
        self.outbox = np.empty((0, len(COLUMNS)), np.int64)  # written, not yet sent (send capacity)
        self.sent_by = np.zeros(n, np.int64)
        self.read_by = np.zeros(n, np.int64)
        self.backlog = np.zeros(n, np.int64)
        self.peak_backlog = np.zeros(n, np.int64)
        self.expired_total = 0
        self.dropped_total = 0
        self.tick_sent = 0
        self.tick_read = 0

    # ---------------------------------------------------------------- routing
    def gates_active(self, now: int) -> bool:
        return self.has_gates and (self.gk.remove_at_tick is None or now < self.gk.remove_at_tick)

    def _logical_next(self, frm: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Next logical holder: the target itself, one step along the reporting tree, or the contact
        closest to the target (see ``email.routing``)."""
        if self.routing == "direct":
            return target.copy()
        if self.routing == "closest_contact":
            return self._closest_contact(frm, target)
        org = self.org
        direct = org.has_tie(frm, target) | (frm == target)
        lv_f, lv_t = org.level[frm], org.level[target]
        safe_lv = np.minimum(lv_f, lv_t)
        is_above = (lv_f < lv_t) & (org.ancestors[safe_lv, target] == frm)
        down = org.ancestors[np.minimum(lv_f + 1, org.ancestors.shape[0] - 1), target]
        up = org.manager[frm]
        return np.where(direct, target, np.where(is_above, down, up)).astype(np.int32)

    def _closest_contact(self, frm: np.ndarray, target: np.ndarray) -> np.ndarray:
        """For each message, the holder's contact (ties, manager) nearest the target in the tree;
        reporting lines are ties, so every step gets closer and the walk ends at the target."""
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
        return np.where(best < 0, org.manager[frm], best).astype(np.int32)

    def _gate_candidates(self, frm: np.ndarray, hop: np.ndarray) -> np.ndarray:
        """Gatekeepers between ``frm`` and ``hop``, shape (3, m), -1 where none, in crossing order."""
        org = self.org
        cust_desk, part_desk = org.customer_desk, org.partner_desk
        ext = np.full(len(frm), -1, np.int32)
        if part_desk >= 0:
            ext = np.where(self.is_partner[frm] != self.is_partner[hop], part_desk, ext)
        if cust_desk >= 0:
            ext = np.where(self.is_customer[frm] != self.is_customer[hop], cust_desk, ext)
        d_hop = org.department[hop]
        crosses = (d_hop >= 0) & (org.department[frm] != d_hop)
        dept = np.where(crosses, org.department_gate[np.maximum(d_hop, 0)], -1)
        up = org.assistant[hop]
        gates = np.stack([ext, dept, up]).astype(np.int32)
        gates[(gates == frm) | (gates == hop)] = -1
        return gates

    def _route(self, frm, hop, gates_cleared, now):
        """Where the message goes next: the next uncleared gate on this hop, else the hop itself."""
        nxt = np.asarray(hop).copy()
        if len(frm) == 0 or not self.gates_active(now):
            return nxt
        gates = self._gate_candidates(frm, hop)
        valid = gates >= 0
        order = np.cumsum(valid, axis=0)
        pick = valid & (order == gates_cleared[None, :].astype(np.int64) + 1)
        has_gate = pick.any(axis=0)
        nxt[has_gate] = gates[pick.argmax(axis=0)[has_gate], np.flatnonzero(has_gate)]
        return nxt

    # ---------------------------------------------------------------- sending
    def send(self, sender, target, kind: int, payload, now: int) -> int:
        """Send messages (arrays broadcast together).  Returns how many were sent."""
        sender, target, payload = np.atleast_1d(sender), np.atleast_1d(target), np.atleast_1d(payload)
        if not (len(sender) == len(target) == len(payload)):
            sender, target, payload = (a.ravel() for a in np.broadcast_arrays(sender, target, payload))
        keep = sender != target
        sender, target, payload = sender[keep].astype(np.int32), target[keep].astype(np.int32), payload[keep].astype(np.int64)
        m = len(sender)
        if m == 0:
            return 0
        hop = self._logical_next(sender, target)
        rows = np.empty((m, len(COLUMNS)), np.int64)
        rows[:, ORIGIN] = rows[:, FRM] = sender
        rows[:, HOP], rows[:, TARGET], rows[:, PAYLOAD] = hop, target, payload
        rows[:, CLEARED] = 0
        rows[:, AT] = self._route(sender, hop, rows[:, CLEARED], now)
        rows[:, READY] = now + self.cfg.delivery_delay_ticks
        rows[:, KIND] = kind
        if self.cfg.send_capacity_per_tick is None:
            self._dispatch(rows)
        else:
            self.outbox = np.concatenate([self.outbox, rows])  # sent at the end of the tick, in order
        return m

    def _dispatch(self, rows: np.ndarray) -> None:
        self.box = np.concatenate([self.box, rows])
        self.sent_by += np.bincount(rows[:, ORIGIN], minlength=len(self.sent_by))
        self.tick_sent += len(rows)

    def _release(self, now: int) -> None:
        """Each person sends at most ``send_capacity_per_tick`` of their written mails, oldest first."""
        if len(self.outbox) == 0:
            return
        order, _, _, rank = fifo_rank(self.outbox[:, ORIGIN])
        go = np.zeros(len(order), bool)
        go[order[rank < self.cfg.send_capacity_per_tick]] = True
        rows = self.outbox[go]
        rows[:, READY] = now + self.cfg.delivery_delay_ticks
        self.outbox = self.outbox[~go]
        self._dispatch(rows)

    # ---------------------------------------------------------------- serving
    def _slots(self, holders: np.ndarray) -> np.ndarray:
        """Messages each holder reads this tick (modelled mail only)."""
        gk = self.is_gatekeeper[holders]
        if not self.has_gates:
            slots = stochastic_round(np.full(len(holders), self.cfg.reading_capacity_per_tick), self.rng)
            return self.rng.binomial(slots, 1.0 - self.cfg.background_share)
        cap = np.where(gk, self.gk.capacity_per_tick, self.cfg.reading_capacity_per_tick)
        slots = stochastic_round(cap, self.rng)
        staff = ~gk
        slots[staff] = self.rng.binomial(slots[staff], 1.0 - self.cfg.background_share)
        return slots

    def step(self, now: int) -> Delivered:
        """Serve every inbox once: expire, read in arrival order up to capacity, forward or deliver."""
        box = self.box
        waited = now - box[:, READY]
        expired = waited >= self.cfg.expire_after_ticks
        self.expired_total += int(expired.sum())
        ready = np.flatnonzero((waited >= 0) & ~expired)
        order, start, counts, rank = fifo_rank(box[ready, AT])
        ready = ready[order]
        slots = self._slots(box[ready[start], AT])
        read = np.sort(ready[rank < np.repeat(slots, counts)])  # arrival order among forwarded mail

        msg = box[read]
        reader = msg[:, AT]
        final = reader == msg[:, TARGET]
        is_gate = self.is_gatekeeper[reader] & ~final
        dropped = is_gate & (self.rng.random(len(read)) < self.gk.filter_share)
        self.dropped_total += int(dropped.sum())
        self.read_by += np.bincount(reader, minlength=len(self.read_by))
        self.tick_read = len(read)
        delivered = Delivered(reader=reader, origin=msg[:, ORIGIN], kind=msg[:, KIND], payload=msg[:, PAYLOAD], final=final, gatekeeper=is_gate, dropped=dropped)

        keep = ~expired
        keep[read] = False
        self.box = np.concatenate([box[keep], self._forward(msg[~final & ~dropped], now)])
        return delivered

    def start_tick(self) -> None:
        """Reset the per-tick counters (mail can be sent before and after the inboxes are served)."""
        self.tick_sent = self.tick_read = 0

    def end_tick(self, now: int) -> None:
        """Send what the send capacity allows, then count every inbox at the end of the tick."""
        self._release(now)
        self.backlog = np.bincount(self.box[:, AT], minlength=self.org.n)
        np.maximum(self.peak_backlog, self.backlog, out=self.peak_backlog)

    def _forward(self, rows: np.ndarray, now: int) -> np.ndarray:
        """Messages read by a relay or gatekeeper, moved on: a relay starts the next logical hop, a
        gatekeeper clears its gate; either way the next inbox is where :meth:`_route` says."""
        if len(rows) == 0:
            return rows
        reader = rows[:, AT]
        at_hop = reader == rows[:, HOP]
        gate = ~at_hop
        rows[:, CLEARED] = np.where(gate, rows[:, CLEARED] + 1, 0)
        rows[at_hop, FRM] = reader[at_hop]
        if at_hop.any():
            rows[at_hop, HOP] = self._logical_next(rows[at_hop, FRM], rows[at_hop, TARGET])
        rows[:, AT] = self._route(rows[:, FRM], rows[:, HOP], rows[:, CLEARED], now)
        rows[:, READY] = now + self.cfg.delivery_delay_ticks + np.where(gate, self.gk.hold_ticks, 0)
        return rows

    # ---------------------------------------------------------------- readings
    @property
    def in_flight(self) -> int:
        return len(self.box)
