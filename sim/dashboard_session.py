"""The state behind one dashboard page: two models on one seed, stepped together, and live changes.

Plain Python (no Solara), so it is tested and benchmarked on its own; :mod:`sim.app` draws it.
The "before" pane runs its scenario untouched; the "after" pane is where the trainer's live
controls (:mod:`sim.controls`) act.  Both are built with the same seed, so they stay identical
until a control (or the scenarios themselves) makes them differ.  A lock keeps a step and a
control from running at the same time (the page steps in a background thread).

>>> s = DashboardSession("gatekeeper")
>>> s.step(10), s.before.model.now, s.after.model.now
(10, 10, 10)
>>> s.apply("gatekeepers.upward", False).label
'upward gatekeepers off'
>>> s.before.model.seed_value == s.after.model.seed_value == s.seed
True
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import controls
from .intervention_file import save_scenario
from .messages import CHANNEL, FRM, READER
from .model import OrgModel
from .network_layout import network_layout
from .scenario import Scenario
from .storylines import STORYLINES, Storyline, load_pair

__all__ = ["DashboardSession", "Pane"]

RECENT_TICKS = 8  # ticks of read messages kept for the network view
RECENT_MAX = 1500  # at most this many message lines drawn per pane


@dataclass
class Pane:
    """One side of the dashboard: its model, the scenario it began with and where that came from."""

    label: str  # "before" or "after"
    source: Path
    start: Scenario
    model: OrgModel
    layout: np.ndarray  # (people, 2), cached per organisation
    recent: deque = field(default_factory=lambda: deque(maxlen=RECENT_TICKS))  # (from, reader, channel) per tick

    @property
    def name(self) -> str:
        return self.start.name

    def remember_reads(self) -> None:
        rows = self.model.last_read.rows
        self.recent.append(rows[-RECENT_MAX:, [FRM, READER, CHANNEL]].copy() if len(rows) else np.empty((0, 3), np.int64))

    def recent_messages(self) -> np.ndarray:
        """(from, reader, channel) of tracked messages read in the last few ticks, newest last."""
        return np.concatenate(list(self.recent))[-RECENT_MAX:] if self.recent else np.empty((0, 3), np.int64)


class DashboardSession:
    """Two panes on one seed.  ``storyline`` is a key of :data:`sim.storylines.STORYLINES` or a
    :class:`~sim.storylines.Storyline` (e.g. one built from scenario files on the command line)."""

    def __init__(self, storyline: str | Storyline = "change_programme", seed: int | None = None):
        self.lock = threading.RLock()
        self.prediction_hours: float | None = None  # the room's guess (predict, then run)
        self.reset(storyline, seed)

    # ------------------------------------------------------------------ building
    def reset(self, storyline: str | Storyline | None = None, seed: int | None = None) -> None:
        """Build both models afresh (same seed; the storyline's or the given one)."""
        story = self.story if storyline is None else (STORYLINES[storyline] if isinstance(storyline, str) else storyline)
        before, after = load_pair(story)
        with self.lock:
            self.story = story
            self.seed = int(before.seed if seed is None else seed)
            self.before = self._pane("before", story.path("before"), before)
            self.after = self._pane("after", story.path("after"), after)
            for control, value in story.after_controls:
                controls.apply(self.after.model, control, value)
            self.end = min(before.ticks, after.ticks)

    def _pane(self, label: str, source: Path, scenario: Scenario) -> Pane:
        model = OrgModel(scenario, seed=self.seed)
        return Pane(label, source, scenario, model, network_layout(model.org))

    @property
    def panes(self) -> tuple[Pane, Pane]:
        return self.before, self.after

    @property
    def now(self) -> int:
        return self.after.model.now

    @property
    def done(self) -> bool:
        return self.now >= self.end

    # ------------------------------------------------------------------ running and changing
    def step(self, ticks: int = 1, max_seconds: float | None = None, stop: threading.Event | None = None) -> int:
        """Advance both panes by up to ``ticks`` (not past the shorter run; stopping early once
        ``max_seconds`` have passed, so the page can redraw in time, or once ``stop`` is set, so a
        pause takes effect at the next tick); returns ticks run."""
        ran, start = 0, time.monotonic()
        with self.lock:
            while ran < ticks and not self.done:
                for pane in self.panes:
                    pane.model.step()
                    pane.remember_reads()
                ran += 1
                if (max_seconds is not None and time.monotonic() - start > max_seconds) or (stop is not None and stop.is_set()):
                    break
        return ran

    def apply(self, control: str, value) -> controls.LiveChange:
        """A live control on the after pane, from its next tick on (see :func:`sim.controls.apply`)."""
        with self.lock:
            return controls.apply(self.after.model, control, value)

    def live_changes(self) -> list[controls.LiveChange]:
        """The trainer's changes to the after pane, oldest first."""
        return controls.live_changes(self.after.model)

    def scheduled(self) -> list[tuple[int, str]]:
        """The after scenario's own timeline (entries that happened and those still to come, without
        the live changes): (tick, what happens)."""
        m = self.after.model
        live = {(c.tick, c.label) for c in self.live_changes()}
        done = [(tick, words) for tick, _, words in m.timeline.log if (tick, words) not in live]
        from .interventions import describe

        return [(t, w) for t, w in done + [(iv.tick, describe(iv)) for iv in m.timeline.pending] if t < self.end]

    def save(self, out_dir: str | Path = "results/dashboard") -> Path:
        """Save the after pane's scenario with the live changes (see :mod:`sim.intervention_file`)."""
        with self.lock:
            return save_scenario(self.after.model, self.after.start, self.after.source, out_dir, "after")
