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
from numba import njit

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
        highest = rng.random(n) < highest_first_share
        pick_draw, fresh = rng.random(n), rng.random(n)  # the random choice (when not the highest); the next other task's priority
        active = np.empty(n, np.int64)  # other tasks not set aside
        pick = np.empty(n, np.int64)
        does_input = np.zeros(n, bool)
        _do_one_task(self.other_work, waiting, self.holder, self.priority, highest, pick_draw, fresh, np.asarray(at_desk, bool), active, pick, does_input)
        if not does_input.any():
            return []
        done = np.zeros(len(self.holder), bool)
        for person in np.flatnonzero(does_input).tolist():  # few: one input each
            mine = np.flatnonzero(self.holder == person)
            if highest[person]:
                done[mine[np.argmax(self.priority[mine])]] = True
            else:
                done[mine[pick[person] - active[person]]] = True
        out = list(zip(self.holder[done].tolist(), self.decision[done].tolist()))
        keep = ~done
        self.holder, self.decision, self.priority = self.holder[keep], self.decision[keep], self.priority[keep]
        return out


@njit(cache=True)
def _do_one_task(other_work, waiting, holder, priority, highest, pick_draw, fresh, at_desk, active, pick, does_input):
    """Everyone's choice of task this tick, one pass over the people: the other tasks not set aside
    are the first ``length - waiting``; the highest-priority task (an input wins over the best other
    task only when strictly higher), or the one at ``pick`` among the other tasks and then the
    inputs.  A person doing other work gets a fresh task in its place (written into
    ``other_work``); who does an input is marked in ``does_input``, and ``active`` and ``pick`` are
    kept for choosing which."""
    n, length = other_work.shape
    best_input = np.full(n, -np.inf)
    for i in range(len(holder)):
        best_input[holder[i]] = max(best_input[holder[i]], priority[i])
    for p in range(n):
        a = min(max(length - waiting[p], 0), length)
        best_other, best = 0, -np.inf
        for j in range(a):
            if other_work[p, j] > best:
                best_other, best = j, other_work[p, j]
        tasks = a + waiting[p]
        active[p] = a
        pick[p] = np.int64(pick_draw[p] * max(tasks, 1))
        if not at_desk[p] or tasks == 0:
            continue
        if highest[p]:
            does_input[p] = best_input[p] > best
        else:
            does_input[p] = pick[p] >= a
        if not does_input[p]:
            other_work[p, best_other if highest[p] else min(pick[p], length - 1)] = fresh[p]
