"""Each person's work as a priority list (Barabasi 2005; Vazquez et al. 2006): why replies wait.

Every person keeps a list of ``decisions.priority_list_length`` tasks, each with a priority drawn
uniformly from [0, 1).  In every tick (working hour) a person is at the desk they do one task: the
one of highest priority with chance ``decisions.highest_priority_first_share``, else one chosen at
random.  A task done from their other work is replaced by a new one with a fresh priority, so the
list keeps its length (Barabasi's bounded list).  An input a holder was asked for is a task too: it
takes the place of one of the other tasks until it is done (that task waits, priority unchanged),
and it is sent when chosen.  A low-priority input waits while the fresh tasks outrank it, which is
what makes waiting times heavy-tailed; nothing here sets how long it waits.

The other work is one array per person (vectorised over everyone each tick); the inputs waiting
are a short array of tasks, and only the few chosen are handled one by one.  An input whose decision
was taken meanwhile is dropped when chosen (the holder sees it is no longer needed).
"""

from __future__ import annotations

import numpy as np

__all__ = ["PriorityLists"]


class PriorityLists:
    """The task lists of ``n`` people: other work per person, inputs waiting per task."""

    def __init__(self, n: int, length: int, rng: np.random.Generator):
        self.n, self.length, self.rng = n, int(length), rng
        self.other_work = rng.random((n, self.length))  # priorities of each person's other tasks
        self.holder = np.empty(0, np.int64)  # inputs waiting: who does it, for which decision, its priority
        self.decision = np.empty(0, np.int64)
        self.priority = np.empty(0, float)

    def __len__(self) -> int:
        return len(self.holder)

    def add(self, holder: int, decision: int, priority: float) -> None:
        """An input task joins ``holder``'s list (taking the place of one of their other tasks)."""
        self.holder = np.append(self.holder, holder)
        self.decision = np.append(self.decision, decision)
        self.priority = np.append(self.priority, priority)

    def step(self, at_desk: np.ndarray, highest_first_share: float) -> list[tuple[int, int]]:
        """One tick: everyone at the desk does one task.  Returns (holder, decision) of the inputs done,
        in the order they were added; their tasks leave the lists."""
        n, rng = self.n, self.rng
        waiting = np.bincount(self.holder, minlength=n)  # inputs on each person's list
        active = np.arange(self.length)[None, :] < (self.length - waiting)[:, None]  # other tasks not set aside
        others = np.where(active, self.other_work, -np.inf)
        best_other = others.argmax(axis=1)
        best_input = np.full(n, -np.inf)
        np.maximum.at(best_input, self.holder, self.priority)
        highest = rng.random(n) < highest_first_share
        tasks = active.sum(axis=1) + waiting
        pick = (rng.random(n) * np.maximum(tasks, 1)).astype(np.int64)  # the random choice, when not the highest
        fresh = rng.random(n)  # the priority of the next other task, if one is done
        working = at_desk & (tasks > 0)
        input_first = highest & (best_input > others[np.arange(n), best_other])
        random_input = ~highest & (pick >= active.sum(axis=1))
        does_input = working & (input_first | random_input)
        does_other = working & ~does_input
        slot = np.where(highest, best_other, np.minimum(pick, self.length - 1))
        people = np.flatnonzero(does_other)
        self.other_work[people, slot[people]] = fresh[people]
        if not does_input.any():
            return []
        done = np.zeros(len(self.holder), bool)
        for person in np.flatnonzero(does_input).tolist():  # few: one input each
            mine = np.flatnonzero(self.holder == person)
            if highest[person]:
                done[mine[np.argmax(self.priority[mine])]] = True
            else:
                done[mine[pick[person] - int(active[person].sum())]] = True
        out = list(zip(self.holder[done].tolist(), self.decision[done].tolist()))
        keep = ~done
        self.holder, self.decision, self.priority = self.holder[keep], self.decision[keep], self.priority[keep]
        return out
