"""Kaplan-Meier summaries of decision latencies with right-censoring (numpy only, vectorised).

A decision still open at the end of a run is *censored*: we know only that its latency exceeds the
ticks from its creation to the end of the run.  Dropping open decisions biases latency headlines
low (the slow ones are the ones still open); these estimators keep them as censored instead.
All durations are in ticks; ``observed`` is True for a decided decision, False for an open one.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["kaplan_meier", "km_quantile", "restricted_mean", "km_interval"]

_TOL = 1e-12  # so that rounding in the running product cannot step over an exact S(t) == 1 - q


def _table(durations, observed):
    """Distinct event times, S(t) just after each, and the Greenwood sum d / (n (n - d)) terms."""
    t = np.asarray(durations, dtype=float).ravel()
    e = np.asarray(observed, dtype=bool).ravel()
    if t.shape != e.shape:
        raise ValueError(f"durations ({t.size}) and observed ({e.size}) differ in length")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("durations must be finite and non-negative (ticks)")
    times, inverse, total = np.unique(t, return_inverse=True, return_counts=True)
    events = np.bincount(inverse, weights=e, minlength=times.size)
    at_risk = t.size - np.cumsum(total) + total  # n(t) = #{duration >= t}: censorings at t still at risk
    hit = events > 0
    n, d = at_risk[hit], events[hit]
    with np.errstate(divide="ignore"):
        greenwood = d / (n * (n - d))  # inf where everyone at risk has the event (then S = 0)
    return times[hit], np.cumprod((n - d) / n), greenwood


def kaplan_meier(durations, observed) -> tuple[np.ndarray, np.ndarray]:
    """Product-limit estimate: ``(times, survival)`` with ``survival[i]`` = S(t) just after ``times[i]``.

    ``times`` are the distinct event (decided) times in ticks; S(t) = prod over t_i <= t of
    (1 - d_i / n_i), d_i decisions decided at t_i, n_i still open just before t_i.  Ties: events come
    before censorings at the same time, so a decision open for exactly t_i ticks is still at risk at t_i.

    >>> times, surv = kaplan_meier([1, 2, 2, 3], [True, True, False, True])
    >>> times.tolist(), surv.tolist()
    ([1.0, 2.0, 3.0], [0.75, 0.5, 0.0])
    """
    times, surv, _ = _table(durations, observed)
    return times, surv


def _first_below(times, curve, level) -> float:
    """Smallest event time with ``curve <= level`` (to within _TOL); inf if never."""
    below = np.flatnonzero(curve <= level + _TOL)
    return float(times[below[0]]) if below.size else math.inf


def km_quantile(durations, observed, q: float = 0.5) -> float:
    """The q-quantile of latency in ticks: smallest t with S(t) <= 1 - q (Kaplan-Meier).

    Returns ``math.inf`` when the curve never gets down to 1 - q ("not reached": too many decisions
    still open), NaN for empty input.  Without censoring and q = 0.5 this is the lower median,
    the smallest x with at least half the durations <= x.

    >>> km_quantile([1, 2, 3, 4], [1, 1, 1, 1])
    2.0
    >>> km_quantile([1, 5, 5, 5], [1, 0, 0, 0])
    inf
    """
    if not 0 < q <= 1:
        raise ValueError(f"q must be in (0, 1], got {q}")
    if np.size(durations) == 0:
        return math.nan
    times, surv, _ = _table(durations, observed)
    return _first_below(times, surv, 1 - q)


def restricted_mean(durations, observed, horizon: float) -> float:
    """Restricted mean latency (RMST) in ticks: the area under S(t) from 0 to ``horizon`` ticks.

    This is the mean of min(latency, horizon).  Past the largest duration the curve is carried flat,
    so pick a horizon the run could observe.  NaN for empty input.

    >>> restricted_mean([1, 2, 3, 6], [1, 1, 1, 1], horizon=10)   # no censoring: the plain mean
    3.0
    >>> restricted_mean([2, 4, 6], [1, 0, 1], horizon=5)    # 2 * 1 + 3 * 2/3
    4.0
    """
    if horizon < 0:
        raise ValueError(f"horizon must be non-negative, got {horizon}")
    if np.size(durations) == 0:
        return math.nan
    times, surv, _ = _table(durations, observed)
    inside = times < horizon
    knots = np.concatenate(([0.0], times[inside], [float(horizon)]))
    heights = np.concatenate(([1.0], surv[inside]))
    return float(np.sum(heights * np.diff(knots)))


def km_interval(durations, observed, q: float = 0.5, level: float = 0.95) -> tuple[float, float]:
    """Confidence interval (ticks) for the KM q-quantile, Brookmeyer-Crowley style.

    The quantiles of the lower and upper pointwise bands for S(t), with Greenwood's variance on the
    log scale (R ``survfit``'s default ``conf.type="log"``).  Upper limit ``inf`` = not reached;
    ``(nan, nan)`` for empty input.  Freireich 6-MP arm: median 23, interval (16, not reached).

    >>> km_interval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1] * 10)   # ten decisions say little
    (3.0, inf)
    """
    if not (0 < q < 1 and 0 < level < 1):
        raise ValueError("q and level must be in (0, 1)")
    if np.size(durations) == 0:
        return math.nan, math.nan
    from scipy.stats import norm

    times, surv, greenwood = _table(durations, observed)
    spread = np.exp(norm.ppf(0.5 + level / 2) * np.sqrt(np.cumsum(greenwood)))
    with np.errstate(invalid="ignore"):  # where S = 0 the variance is infinite: the band is [0, 1]
        upper = np.where(surv > 0, np.minimum(surv * spread, 1.0), 1.0)
    return _first_below(times, surv / spread, 1 - q), _first_below(times, upper, 1 - q)
