"""What the dashboard shows, computed from a running model: per-tick series and plain sentences.

Everything here reads the model (the recorder's rows, the decisions, the knowledge book) and is
cheap enough to run twice a second on a 1,000-person organisation.  Times are in working hours
(ticks times ``tick_hours``).

>>> from sim.dashboard_session import DashboardSession
>>> s = DashboardSession("gatekeeper"); _ = s.step(120)
>>> sorted(pane_series(s.after.model))[:3]
['adoption', 'coverage_goal', 'coverage_market']
>>> headline_sentences(s.before.model, s.after.model)[0].startswith("Decisions take")
True
"""

from __future__ import annotations

import math

import numpy as np

from .knowledge import ItemKind
from .organisation import Role
from .results import TIMESERIES_COLUMNS
from .survival import km_quantile

__all__ = ["pane_series", "pane_figures", "headline_sentences", "goal_t90_hours", "ROLLING_TICKS", "RECENT_DECISION_TICKS"]

ROLLING_TICKS = 80  # decision latency chart: mean over decisions taken in the last 80 ticks (two working weeks)
RECENT_DECISION_TICKS = 200  # headline: decisions that arose in the last 200 ticks (five working weeks)
GOAL_AGE_TICKS = 40  # headline: goals at least a working week old (newer ones have had no time to spread) ...
GOAL_WINDOW_TICKS = 400  # ... and born within the last ten working weeks
_COL = {c: i for i, c in enumerate(TIMESERIES_COLUMNS)}


def _decision_arrays(model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """created, decided (-1 if not) and closed (decided or given up; -1 if open) ticks."""
    ds = model.decisions
    created = np.fromiter((d.created for d in ds), np.int64, len(ds))
    decided = np.fromiter((-1 if d.decided is None else d.decided for d in ds), np.int64, len(ds))
    gave_up = np.fromiter((-1 if d.gave_up is None else d.gave_up for d in ds), np.int64, len(ds))
    return created, decided, np.where(decided >= 0, decided, gave_up)


def pane_series(model) -> dict[str, np.ndarray]:
    """Per-tick series for the charts, tick 0 .. now-1: ``hours`` (x axis), ``latency`` (mean hours of
    decisions taken in the last :data:`ROLLING_TICKS`; NaN when none), ``waiting`` (decisions arisen
    and neither taken nor given up), ``coverage_<kind>`` (mean share of employees who know the items of
    that kind born so far), ``gatekeeper_queue`` (messages waiting for gatekeepers), ``reading``
    (minutes an hour per person), ``adoption`` (share of eligible people using the stream)."""
    rows = model.recorder.rows[: model.recorder.filled]
    t = len(rows)
    hours = np.arange(t) * model.config.tick_hours
    created, decided, closed = _decision_arrays(model)
    taken = decided >= 0
    sums = np.bincount(decided[taken], weights=(decided - created)[taken], minlength=t)[:t]
    counts = np.bincount(decided[taken], minlength=t)[:t].astype(float)
    window = np.ones(ROLLING_TICKS)
    roll_sum, roll_n = (np.convolve(sums, window)[:t], np.convolve(counts, window)[:t]) if t else (sums, counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        latency = np.where(roll_n > 0, roll_sum / roll_n, np.nan) * model.config.tick_hours
    opened = np.bincount(created, minlength=t)[:t]
    shut = np.bincount(closed[closed >= 0], minlength=t)[:t]
    out = {
        "hours": hours, "latency": latency, "waiting": np.cumsum(opened) - np.cumsum(shut),
        "gatekeeper_queue": rows[:, _COL["gatekeeper_backlog"]],
        "reading": rows[:, _COL["reading_hours"]] * 60.0 / max(model.org.n, 1) / model.config.tick_hours,
        "adoption": rows[:, _COL["adoption_share"]],
    }
    for kind in ("market", "goal", "process"):
        out[f"coverage_{kind}"] = rows[:, _COL[f"informed_{kind}_employees"]]
    return out


def latest_goal_known(model, min_age_ticks: int = 0) -> np.ndarray | None:
    """Who knows the newest goal born at least ``min_age_ticks`` ago (bool per person), or None
    when there is none."""
    kb = model.knowledge
    goals = np.flatnonzero((kb.kind == ItemKind.GOAL) & (kb.born <= model.now - min_age_ticks))
    return kb.known[:, goals[-1]] if len(goals) else None


def pane_figures(model) -> dict[str, float]:
    """Numbers for the headline: ``decision_hours`` (Kaplan-Meier median latency of decisions that
    arose in the last :data:`RECENT_DECISION_TICKS`, open ones censored; inf when more than half are
    open, NaN with none), ``waiting``, ``goal_share`` (mean share of the staff they concern who know the goals born
    between :data:`GOAL_WINDOW_TICKS` and :data:`GOAL_AGE_TICKS` ago: goals old enough to have spread,
    a single goal's reach varies too much), ``queue``
    (messages waiting for gatekeepers), ``adoption``, ``reading`` (minutes an hour, last 40 ticks)."""
    now, h = model.now, model.config.tick_hours
    created, decided, _ = _decision_arrays(model)
    recent = created >= now - RECENT_DECISION_TICKS
    durations = np.where(decided >= 0, decided - created, now - created)[recent]
    kb = model.knowledge
    goals = np.flatnonzero((kb.kind == ItemKind.GOAL) & (kb.born <= now - GOAL_AGE_TICKS) & (kb.born > now - GOAL_WINDOW_TICKS))
    series = pane_series(model) if now else None
    return {
        "decision_hours": km_quantile(durations, decided[recent] >= 0, 0.5) * h if recent.any() else math.nan,
        "waiting": float(series["waiting"][-1]) if now else 0.0,
        "goal_share": float(kb.concerned_coverage(goals).mean()) if len(goals) else math.nan,
        "queue": float(series["gatekeeper_queue"][-1]) if now else 0.0,
        "adoption": float(model.adoption.share()) if model.stream_live else math.nan,
        "reading": float(np.mean(series["reading"][-40:])) if now else math.nan,
        "has_gatekeepers": bool((model.org.role == Role.GATEKEEPER).any()),
    }


def goal_t90_hours(model) -> tuple[float, int, int]:
    """Hours until nine in ten of the staff a new goal concerns know it: Kaplan-Meier median over the goals born
    so far (goals not there yet count as still waiting); with the number of goals and how many got there."""
    kb = model.knowledge
    goals = np.flatnonzero(kb.kind == ItemKind.GOAL)
    if len(goals) == 0:
        return math.nan, 0, 0
    t90 = kb.t90[goals]
    reached = t90 >= 0
    durations = np.where(reached, t90, model.now - kb.born[goals])
    return km_quantile(durations, reached, 0.5) * model.config.tick_hours, len(goals), int(reached.sum())


def _hours(v: float) -> str:
    if math.isinf(v):
        return "more than half still open"
    return f"{v:.0f} h" if v >= 10 else f"{v:.1f} h"


def headline_sentences(before, after) -> list[str]:
    """Plain sentences comparing the after pane (on the right) with the before pane (on the left)."""
    a, b = pane_figures(after), pane_figures(before)
    lines = []
    if math.isnan(a["decision_hours"]) and math.isnan(b["decision_hours"]):
        lines.append("Decisions take: none has arisen yet.")
    else:
        lines.append(f"Decisions take {_hours(a['decision_hours'])} on the right against {_hours(b['decision_hours'])} on the left "
                     f"(median, decisions of the last {RECENT_DECISION_TICKS} h; {a['waiting']:.0f} waiting on the right, {b['waiting']:.0f} on the left).")
    if not (math.isnan(a["goal_share"]) and math.isnan(b["goal_share"])):
        pct = lambda v: "none yet" if math.isnan(v) else f"{100 * v:.0f} %"  # noqa: E731
        lines.append(f"Goals set one to ten weeks ago are known by {pct(a['goal_share'])} of the staff they concern on the right against {pct(b['goal_share'])} on the left.")
    if a["has_gatekeepers"] or b["has_gatekeepers"]:
        lines.append(f"Messages waiting for gatekeepers: {a['queue']:.0f} on the right against {b['queue']:.0f} on the left.")
    if not (math.isnan(a["adoption"]) and math.isnan(b["adoption"])):
        pct = lambda v: "no stream" if math.isnan(v) else f"{100 * v:.0f} %"  # noqa: E731
        lines.append(f"Stream users: {pct(a['adoption'])} on the right, {pct(b['adoption'])} on the left.")
    if not math.isnan(a["reading"]):
        lines.append(f"Reading mail and feed takes {a['reading']:.0f} minutes of every hour on the right against {b['reading']:.0f} on the left.")
    return lines
