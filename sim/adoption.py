"""Who uses the stream: Bass-style adoption among eligible people (training p, imitation q times the
share of visible users, abandonment).  A "not during work" policy makes use less visible, which
slows imitation (``restricted_attention_factor``)."""

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
        self.live = False

    def share(self) -> float:
        return float(self.adopted[self.eligible].mean()) if self.eligible.any() else 0.0

    def step(self, now: int) -> None:
        cfg, a = self.cfg, self.a
        if not cfg.enabled or now < cfg.launch_tick:
            return
        if not self.live:
            self.live = True
            self.adopted[:] = self.eligible & (self.rng.random(self.org.n) < a.initial_share)
            ext = self.org.is_external() & self.in_a_space
            self.adopted |= ext & (self.rng.random(self.org.n) < a.externals_initial_share)
            return
        visible = cfg.restricted_attention_factor if cfg.policy == "restricted" else 1.0
        p_adopt = 1.0 - np.exp(-(a.training_p + a.imitation_q * self.share() * visible))
        u = self.rng.random(self.org.n)
        joins = self.eligible & ~self.adopted & (u < p_adopt)
        leaves = self.eligible & self.adopted & (u < 1.0 - np.exp(-a.abandon_rate))
        self.adopted |= joins
        self.adopted &= ~leaves

    def users(self) -> np.ndarray:
        """Who reads and writes on the stream now (adopted, in a space, stream live)."""
        return self.adopted & self.in_a_space if self.live else np.zeros(self.org.n, bool)
