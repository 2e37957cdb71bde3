"""Email-style channel: messages wait in inboxes, are read oldest first, hop by hop.

A message is addressed to one person (a CC list is one message per recipient).  It travels in
logical hops: straight to the recipient when the sender knows them (or routing is ``direct``),
otherwise "through channels" up the reporting tree to the lowest common manager and down again.
Before a logical hop lands, it passes every gatekeeper on the bridge it crosses, in this order:
the partner/customer desk, the department gatekeeper of the receiving department, the assistant of
the receiving person.  Each holder on the way (relay manager, gatekeeper, final recipient) must
read it, which costs them reading capacity; gatekeepers may drop it (``filter_share``).

All messages in flight live in one structure of arrays (:class:`Inboxes`), kept in arrival order,
so FIFO service is a stable sort by holder.  No Python object exists per message.

Per tick each person reads up to ``reading_capacity_per_tick`` messages (stochastically rounded),
of which a ``background_share`` goes to mail the model does not represent; gatekeepers spend
``capacity_per_tick`` on gated mail only.  Mail unread for ``expire_after_ticks`` is never read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..organisation import Organisation, Role

__all__ = ["EmailChannel", "Delivered", "MessageKind", "stochastic_round"]

FIELDS = {
    "at": np.int32,  # person whose inbox holds it now
    "origin": np.int32,  # who sent it in the first place
    "frm": np.int32,  # last logical holder (sender or relay manager)
    "hop": np.int32,  # the logical next holder it is heading to (gates come before it)
    "target": np.int32,  # final recipient
    "gates_cleared": np.int8,  # gates passed on the current logical hop
    "ready": np.int32,  # tick from which it can be read
    "kind": np.int8,  # MessageKind
    "payload": np.int64,  # knowledge item id or decision id
    "sent": np.int32,  # tick the origin sent it
    "hops": np.int16,  # inboxes it has been through so far
    "gates": np.int8,  # gatekeepers it has been through so far
}


class MessageKind:
    KNOWLEDGE = 0
    REQUEST = 1  # "this needs deciding" (originator -> owner)
    ASK = 2  # "send me your input" (owner -> holder)
    INPUT = 3  # an input (holder -> owner)


def stochastic_round(x: np.ndarray | float, rng: np.random.Generator, size: int | None = None) -> np.ndarray:
    """Round to integers so that the mean is exact: 2.3 becomes 2 or 3 with chances 0.7 / 0.3."""
    x = np.broadcast_to(np.asarray(x, dtype=float), (size,) if size is not None else np.shape(x))
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
        self.through_channels = email_cfg.routing == "through_channels"
        self.has_gates = bool(self.is_gatekeeper.any())
        self.msgs = {k: np.empty(0, t) for k, t in FIELDS.items()}
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
        """Next logical holder: the target itself, or one step along the reporting tree."""
        if not self.through_channels:
            return target.copy()
        org = self.org
        direct = org.has_tie(frm, target) | (frm == target)
        lv_f, lv_t = org.level[frm], org.level[target]
        safe_lv = np.minimum(lv_f, lv_t)
        is_above = (lv_f < lv_t) & (org.ancestors[safe_lv, target] == frm)
        down = org.ancestors[np.minimum(lv_f + 1, org.ancestors.shape[0] - 1), target]
        up = org.manager[frm]
        return np.where(direct, target, np.where(is_above, down, up)).astype(np.int32)

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
        nxt = hop.copy()
        if len(frm) == 0 or not self.gates_active(now):
            return nxt, np.zeros(len(frm), bool)
        gates = self._gate_candidates(frm, hop)
        valid = gates >= 0
        order = np.cumsum(valid, axis=0)
        pick = valid & (order == gates_cleared[None, :].astype(np.int64) + 1)
        has_gate = pick.any(axis=0)
        nxt[has_gate] = gates[pick.argmax(axis=0)[has_gate], np.flatnonzero(has_gate)]
        return nxt, has_gate

    # ---------------------------------------------------------------- sending
    def send(self, sender, target, kind: int, payload, now: int) -> int:
        """Send messages (arrays broadcast together).  Returns how many were sent."""
        sender, target, payload = (a.ravel() for a in np.broadcast_arrays(np.atleast_1d(sender), np.atleast_1d(target), np.atleast_1d(payload)))
        keep = sender != target
        sender, target, payload = sender[keep].astype(np.int32), target[keep].astype(np.int32), payload[keep].astype(np.int64)
        m = len(sender)
        if m == 0:
            return 0
        hop = self._logical_next(sender, target)
        cleared = np.zeros(m, np.int8)
        at, _ = self._route(sender, hop, cleared, now)
        self._append(
            at=at, origin=sender, frm=sender, hop=hop, target=target, gates_cleared=cleared,
            ready=np.full(m, now + self.cfg.delivery_delay_ticks), kind=np.full(m, kind), payload=payload,
            sent=np.full(m, now), hops=np.ones(m), gates=np.zeros(m),
        )
        np.add.at(self.sent_by, sender, 1)
        self.tick_sent += m
        return m

    def _append(self, **cols) -> None:
        for k, t in FIELDS.items():
            self.msgs[k] = np.concatenate([self.msgs[k], np.asarray(cols[k], t)])

    # ---------------------------------------------------------------- serving
    def _slots(self, holders: np.ndarray) -> np.ndarray:
        """Messages each holder reads this tick (modelled mail only)."""
        gk = self.is_gatekeeper[holders]
        cap = np.where(gk, self.gk.capacity_per_tick, self.cfg.reading_capacity_per_tick)
        slots = stochastic_round(cap, self.rng)
        staff = ~gk
        slots[staff] = self.rng.binomial(slots[staff], 1.0 - self.cfg.background_share)
        return slots

    def step(self, now: int) -> Delivered:
        """Serve every inbox once: expire, read in arrival order up to capacity, forward or deliver."""
        self.tick_sent = 0
        m = self.msgs
        waited = now - m["ready"]
        expired = waited >= self.cfg.expire_after_ticks
        self.expired_total += int(expired.sum())
        ready = np.flatnonzero((waited >= 0) & ~expired)
        holders = m["at"][ready]
        order = np.argsort(holders, kind="stable")
        ready, holders = ready[order], holders[order]
        uniq, start, counts = np.unique(holders, return_index=True, return_counts=True)
        rank = np.arange(len(holders)) - np.repeat(start, counts)
        slots = self._slots(uniq)
        read = ready[rank < np.repeat(slots, counts)]
        read.sort()  # keep arrival order among forwarded messages

        reader = m["at"][read]
        final = reader == m["target"][read]
        is_gate = self.is_gatekeeper[reader] & ~final
        dropped = is_gate & (self.rng.random(len(read)) < self.gk.filter_share)
        self.dropped_total += int(dropped.sum())
        np.add.at(self.read_by, reader, 1)
        self.tick_read = len(read)
        delivered = Delivered(
            reader=reader, origin=m["origin"][read], kind=m["kind"][read], payload=m["payload"][read],
            final=final, gatekeeper=is_gate, dropped=dropped,
        )

        fwd = read[~final & ~dropped]
        forwarded = self._forward(fwd, now)
        gone = np.zeros(len(m["at"]), bool)
        gone[read] = True
        gone |= expired
        for k in FIELDS:
            m[k] = m[k][~gone]
        if forwarded is not None:
            self._append(**forwarded)
        self.backlog = np.bincount(m["at"], minlength=self.org.n)
        np.maximum(self.peak_backlog, self.backlog, out=self.peak_backlog)
        return delivered

    def _forward(self, idx: np.ndarray, now: int) -> dict | None:
        if len(idx) == 0:
            return None
        m = self.msgs
        col = {k: m[k][idx].copy() for k in FIELDS}
        reader = col["at"]
        at_hop = reader == col["hop"]  # a relay manager: the logical hop is done, start the next
        gate = ~at_hop
        col["gates"] = col["gates"] + gate
        col["gates_cleared"] = np.where(gate, col["gates_cleared"] + 1, 0).astype(np.int8)
        col["frm"] = np.where(at_hop, reader, col["frm"])
        if at_hop.any():
            col["hop"][at_hop] = self._logical_next(col["frm"][at_hop], col["target"][at_hop])
        col["at"], _ = self._route(col["frm"], col["hop"], col["gates_cleared"], now)
        delay = self.cfg.delivery_delay_ticks + np.where(gate, self.gk.hold_ticks, 0)
        col["ready"] = now + delay
        col["hops"] = col["hops"] + 1
        return col

    # ---------------------------------------------------------------- readings
    @property
    def in_flight(self) -> int:
        return len(self.msgs["at"])

    def backlog_of(self, people: np.ndarray) -> np.ndarray:
        return self.backlog[people]
