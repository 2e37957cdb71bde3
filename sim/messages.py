"""What flows, shared by both channels: message kinds, reading priority, channels, entry columns.

Email and stream follow one behaviour model (see :mod:`sim.attention`): a message lands as an
*entry* in each reader's unread queue, tagged with its channel and a priority *level*; people read
level by level, newest first, whichever channel carried it.  The level of an entry is decided here,
by one rule for both channels:

- ``ADDRESSED`` (0): addressed to the reader (To / CC / @mention), from the reader's manager, or a
  message about a decision the reader raised, owns or holds an input for (a thread post in a
  follower's feed counts only for those people: to the other followers it is an audience copy);
- ``SHARED`` (1): reached the reader as a member of an audience (a list, a space);
- ``ROUTINE`` (2): routine traffic, read last.

>>> int(entry_level(np.array([MessageKind.KNOWLEDGE]), np.array([True]), np.array([False]))[0])
0
>>> int(entry_level(np.array([MessageKind.ASK]), np.array([False]), np.array([False]))[0])  # a thread post, not mine
1
>>> stochastic_round(np.full(10_000, 2.3), np.random.default_rng(0)).mean().round(1)
np.float64(2.3)
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["MessageKind", "Level", "Channel", "COLUMNS", "entry_level", "stochastic_round", "new_rows", "audience_rows"]


class MessageKind(IntEnum):
    KNOWLEDGE = 0  # a knowledge item passed on
    REQUEST = 1  # "this needs deciding" (originator -> owner); carries the originator's input
    ASK = 2  # "send me your input" (owner -> holder)
    INPUT = 3  # an input (holder -> owner)
    ROUTINE = 4  # routine mail between colleagues (load only)


DECISION_KINDS = (MessageKind.REQUEST, MessageKind.ASK, MessageKind.INPUT)


class Level(IntEnum):
    ADDRESSED = 0
    SHARED = 1
    ROUTINE = 2


LEVELS = len(Level)


class Channel(IntEnum):
    EMAIL = 0
    STREAM = 1


CHANNEL_NAMES = ("email", "stream")

# One row per entry (a message waiting for one reader), one int64 column each.  Addressed messages
# travel hop by hop (relays, gatekeepers); every hop is a new entry in the next holder's queue.
COLUMNS = (
    "reader",  # whose queue holds it
    "level",  # Level: reading priority for this reader
    "channel",  # Channel that carried it
    "kind",  # MessageKind
    "payload",  # knowledge item id or decision id
    "origin",  # who wrote it in the first place
    "frm",  # last logical holder (the writer or a relay manager)
    "hop",  # logical next holder it is heading to (gates come before it)
    "target",  # final recipient (the reader itself for audience copies)
    "cleared",  # gatekeepers passed on the current logical hop
    "sent",  # tick it was first written
    "ready",  # tick from which it can be read
    "by",  # who put this copy in the reader's queue: the writer, a relay or a gatekeeper (network tables)
    "gates",  # gatekeepers passed on the whole route so far (brokerage)
)
READER, LEVEL, CHANNEL, KIND, PAYLOAD, ORIGIN, FRM, HOP, TARGET, CLEARED, SENT, READY, BY, GATES = range(len(COLUMNS))


def new_rows(m: int) -> np.ndarray:
    """An empty block of ``m`` entry rows (columns as in :data:`COLUMNS`)."""
    return np.zeros((m, len(COLUMNS)), np.int64)


def entry_level(kind: np.ndarray, addressed: np.ndarray, from_manager: np.ndarray) -> np.ndarray:
    """The reading priority of entries, the same rule on both channels (see the module docstring).
    ``addressed``: addressed to the reader, or about a decision the reader raised, owns or holds."""
    kind = np.asarray(kind)
    level = np.where(addressed | from_manager, Level.ADDRESSED, Level.SHARED)
    return np.where(kind == MessageKind.ROUTINE, Level.ROUTINE, level).astype(np.int64)


def stochastic_round(x, rng: np.random.Generator, size: int | None = None) -> np.ndarray:
    """Round to integers so that the mean is exact: 2.3 becomes 2 or 3 with chances 0.7 / 0.3."""
    x = np.asarray(x, dtype=float)
    if size is not None and x.shape != (size,):
        x = np.broadcast_to(x, (size,))
    base = np.floor(x)
    return (base + (rng.random(x.shape) < (x - base))).astype(np.int64)


def audience_rows(sender: np.ndarray, readers: np.ndarray, kind: int, payload: np.ndarray, now: int, channel: int, delay: int, boss: np.ndarray,
                  concerned=()) -> np.ndarray:
    """Entry rows for copies that reach ``readers`` as members of an audience (a list, a space):
    not addressed, so not routed or screened; ADDRESSED only when the sender is ``boss[reader]`` (the
    reader's manager, or -1 when ``attention.manager_first`` is off) or the reader is one of the
    people ``concerned`` (whose decision a thread post is about)."""
    rows = new_rows(len(readers))
    if len(readers) == 0:
        return rows
    rows[:, READER] = rows[:, TARGET] = rows[:, HOP] = readers
    rows[:, ORIGIN] = rows[:, FRM] = rows[:, BY] = sender
    rows[:, KIND], rows[:, PAYLOAD], rows[:, CHANNEL] = kind, payload, channel
    mine = np.isin(readers, np.asarray(concerned, np.int64)) if len(concerned) else np.zeros(len(readers), bool)
    rows[:, LEVEL] = entry_level(np.full(len(readers), kind), mine, boss[readers] == sender)
    rows[:, SENT] = now
    rows[:, READY] = now + delay
    return rows
