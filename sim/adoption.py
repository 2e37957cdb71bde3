"""Who uses the stream: adoption as behaviour, not a date.

Each tick an eligible non-user starts with chance ``1 - exp(-(p + q v (s + e m)))``: training ``p``;
imitation ``q`` times how visible use is (``v``: 1, or ``restricted_attention_factor`` under a "not
during work" policy) times the share ``s`` of eligible people who use it, plus ``e``
(``manager_example``) if their own manager posted on the stream within the usefulness window
(``m`` = 1).  A user stays while the stream is useful to them: one who learned no new item on it and
got no message about a decision of theirs for ``usefulness_window_ticks`` drifts back to email with
``drift_rate`` per tick (and anyone leaves with ``abandon_rate``).  So adoption plateaus where
usefulness holds it, lower when managers stay away or a policy hides the stream.

Managers set the norm (``managers_set_the_norm``): someone whose own manager does not use the
stream treats it as under a "not during work" policy, so they look at ``restricted_attention_factor``
of their feed and their use is that much less visible.  Looking at less, they learn less there and
drift away sooner: without management participation adoption levels off lower, by the same
usefulness mechanism as under the explicit policy.  ``v s`` above is then the visible share: each
user counts with their own factor.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Adoption"]


class Adoption:
    """Adoption state of every person; ``adopted[p]`` is True for stream users."""

    def __init__(self, org, stream_cfg, adoption_cfg, in_a_space: np.ndarray, rng: np.random.Generator):
        self.org, self.cfg, self.a, self.rng = org, stream_cfg, adoption_cfg, rng
        self.adopted = np.zeros(org.n, bool)
        self.in_a_space = in_a_space
        internal = org.department >= 0
        if adoption_cfg.eligible_departments is None:
            self.eligible = internal.copy()
        else:
            codes = [org.department_names.index(d) for d in adoption_cfg.eligible_departments if d in org.department_names]
            self.eligible = internal & np.isin(org.department, codes)
        if not adoption_cfg.managers_participate:
            from .organisation import Role

            self.eligible &= ~np.isin(org.role, (Role.MANAGER, Role.EXECUTIVE))
        self.last_useful = np.zeros(org.n, np.int64)  # last tick the stream gave each person something
        self.last_post = np.full(org.n, -(10**9), np.int64)  # last tick each person posted (set by the stream)
        self.live = False
        # tick the stream goes live: the scenario's, unless the timeline launches it (then None until then)
        self.launch_at: int | None = 0 if stream_cfg.enabled else None
        self.initial_share = adoption_cfg.initial_share

    def share(self) -> float:
        return float(self.adopted[self.eligible].mean()) if self.eligible.any() else 0.0

    def step(self, now: int) -> None:
        a = self.a
        if self.launch_at is None or now < self.launch_at:
            return
        if not self.live:
            self.live = True
            self.adopted |= self.eligible & (self.rng.random(self.org.n) < self.initial_share)  # trained earlier stay
            self.last_useful[:] = now  # a fresh start: everyone gets the window to find it useful
            ext = self.org.is_external() & self.in_a_space
            self.adopted |= ext & (self.rng.random(self.org.n) < a.externals_initial_share)
            return
        visibility = self.visibility()
        # a sum, not ``mask @ visibility``: a bool-by-float product goes through BLAS, whose threads
        # cost milliseconds when the cores are busy (several runs at once)
        visible_share = float(visibility[self.adopted & self.eligible].sum() / self.eligible.sum()) if self.eligible.any() else 0.0
        window = now - a.usefulness_window_ticks
        boss = self.org.manager
        example = (boss >= 0) & (self.last_post[np.maximum(boss, 0)] >= window)
        p_adopt = 1.0 - np.exp(-(a.training_p + a.imitation_q * (visible_share + visibility * a.manager_example * example)))
        p_leave = 1.0 - np.exp(-(a.abandon_rate + a.drift_rate * (self.last_useful < window)))
        u = self.rng.random(self.org.n)
        joins = self.eligible & ~self.adopted & (u < p_adopt)
        leaves = self.eligible & self.adopted & (u < p_leave)
        self.last_useful[joins] = now  # a newcomer gets the window too
        self.adopted |= joins
        self.adopted &= ~leaves

    def norm(self) -> np.ndarray:
        """Per person, what the local norm leaves of their stream use: ``restricted_attention_factor``
        for internal people whose manager does not use the stream (with ``managers_set_the_norm``,
        while the stream is live and no explicit policy already restricts everyone), else 1."""
        if not self.a.managers_set_the_norm or not self.live or self.cfg.policy == "restricted":
            return np.ones(self.org.n)
        boss = self.org.manager
        unendorsed = (self.org.department >= 0) & (boss >= 0) & ~self.users()[np.maximum(boss, 0)]
        return np.where(unendorsed, self.cfg.restricted_attention_factor, 1.0)

    def visibility(self) -> np.ndarray:
        """Per person, how visible their use of the stream is to others, relative to an open stream:
        ``restricted_attention_factor`` everywhere under a "not during work" policy, else :meth:`norm`."""
        if self.cfg.policy == "restricted":
            return np.full(self.org.n, self.cfg.restricted_attention_factor)
        return self.norm()

    def launch(self, now: int, pilot_share: float | None = None) -> None:
        """Go live at ``now`` (an intervention), with ``pilot_share`` of eligible people using it."""
        self.launch_at = now
        if pilot_share is not None:
            self.initial_share = pilot_share

    def note_useful(self, person: np.ndarray, now: int) -> None:
        """The stream just gave these people something: an item new to them, a decision message."""
        self.last_useful[person] = now

    def train(self, who: np.ndarray, share: float, rng: np.random.Generator, now: int) -> int:
        """A training push: each eligible non-user among ``who`` (a mask) starts with chance ``share``.
        Returns how many started."""
        joins = who & self.eligible & ~self.adopted & (rng.random(self.org.n) < share)
        self.last_useful[joins] = now
        self.adopted |= joins
        return int(joins.sum())

    def users(self) -> np.ndarray:
        """Who reads and writes on the stream now (adopted, in a space, stream live)."""
        return self.adopted & self.in_a_space if self.live else np.zeros(self.org.n, bool)
