"""Email-style channel: mail to named people (routed and screened, :mod:`sim.routing`) or to a
distribution list (one copy per member, not screened), held in inboxes until read
(:mod:`sim.attention`).

``email.send_capacity_per_tick`` limits the mails a person sends per tick (a CC list counts once per
recipient); the rest wait in their outbox, oldest first, and go at the end of a later tick.
"""

from __future__ import annotations

import numpy as np

from ..arrays import fifo_rank
from ..messages import COLUMNS, ORIGIN, READY, Channel, audience_rows

__all__ = ["Mail"]


class Mail:
    """Writing mail for the whole organisation."""

    channel = Channel.EMAIL

    def __init__(self, org, cfg, router, attention, boss: np.ndarray):
        self.org, self.cfg, self.router, self.attention = org, cfg, router, attention
        self.boss = boss  # whose copies a reader reads with addressed mail (their manager, or -1)
        self.outbox = np.empty((0, len(COLUMNS)), np.int64)
        self.sent_by = np.zeros(org.n, np.int64)  # mails sent (one per recipient), relays excluded
        self.tick_sent = 0

    def send(self, sender, target, kind: int, payload, now: int, via: int = -1) -> int:
        """Mail addressed to ``target`` (arrays broadcast together), through the relay ``via`` when
        given (:meth:`sim.routing.Router.address`).  Returns how many were sent."""
        return self._queue(self.router.address(sender, target, kind, payload, now, self.channel, via=via))

    def send_list(self, sender: np.ndarray, readers: np.ndarray, kind: int, payload: np.ndarray, now: int) -> int:
        """One copy per list member (``sender[i]`` wrote to ``readers[i]``)."""
        return self._queue(audience_rows(sender, readers, kind, payload, now, self.channel, self.cfg.delivery_delay_ticks, self.boss))

    def _queue(self, rows: np.ndarray) -> int:
        if len(rows) == 0:
            return 0
        if self.cfg.send_capacity_per_tick is None:
            self._dispatch(rows)
        else:
            self.outbox = np.concatenate([self.outbox, rows])  # sent at the end of the tick, in order
        return len(rows)

    def _dispatch(self, rows: np.ndarray) -> None:
        self.attention.add(rows)
        np.add.at(self.sent_by, rows[:, ORIGIN], 1)
        self.tick_sent += len(rows)

    def start_tick(self) -> None:
        self.tick_sent = 0

    def end_tick(self, now: int) -> None:
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

