"""Poisson counts for many people at once, by inverting one uniform draw each.

The background traffic (:meth:`sim.model.OrgModel._background`) draws a Poisson count per person,
priority level and channel every tick: 60,000 draws a tick at 10,000 people.  numpy's sampler
spends several uniforms on each small-mean draw (about 30-50 ns a draw); here each count is one
uniform looked up in the cumulative distribution of its mean, which is built once per distinct
mean (the means repeat: they differ only between stream users and others, and by the local norm)
and kept for the last few means met.  The counts have the exact Poisson distribution up to the
tail left out of the table (below 1e-30 of the mass, folded into the table's last count).

Means above :data:`TABLE_MAX_MEAN` (more than 100 messages an hour for one person at one level,
as in the validation scenario V1) are drawn by numpy's sampler instead, after the uniforms.

>>> rng = np.random.default_rng(0)
>>> counts = poisson(rng, np.array([[0.0, 2.5, 2.5], [40.0, 40.0, 0.5]]))
>>> counts.shape, int(counts[0, 0])
((2, 3), 0)
>>> round(float(poisson(rng, np.full(200_000, 3.0)).mean()), 1)
3.0
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["poisson", "TABLE_MAX_MEAN"]

TABLE_MAX_MEAN = 100.0  # tables of at most 250 counts; numpy's rejection sampler is cheap beyond
CACHED = 4  # cumulative tables kept: the distinct means of one call


@njit(cache=True)
def _table_length(mean):
    """Counts 0..length-1 cover the distribution but a tail below 1e-30 (the mean plus 12
    standard deviations and a margin for small means)."""
    return int(mean + 12.0 * math.sqrt(mean) + 30.0)


@njit(cache=True)
def _fill_cdf(mean, row):
    p = math.exp(-mean)
    c = p
    for k in range(len(row)):
        row[k] = c
        p *= mean / (k + 1)
        c += p


@njit(cache=True)
def _invert(u, mean, out, width):
    """``out[i]``: the smallest k with CDF(k; mean[i]) > u[i], through a cache of ``CACHED``
    tables of ``width`` counts (each mean's table is as long as that mean needs)."""
    means = np.full(CACHED, -1.0)
    lengths = np.zeros(CACHED, np.int64)
    cdf = np.empty((CACHED, width))
    used = 0
    for i in range(len(u)):
        m = mean[i]
        if m <= 0.0 or m > TABLE_MAX_MEAN:
            out[i] = 0  # large means: drawn by the caller
            continue
        t = -1
        for j in range(min(used, CACHED)):
            if means[j] == m:
                t = j
                break
        if t < 0:
            t = used % CACHED
            used += 1
            means[t] = m
            lengths[t] = min(width, _table_length(m))
            _fill_cdf(m, cdf[t, : lengths[t]])
        x, last = u[i], lengths[t] - 1
        if last < 64:  # short table: a linear scan from 0 takes about mean steps
            k = 0
            while k < last and x >= cdf[t, k]:
                k += 1
        else:
            k = min(np.searchsorted(cdf[t, : last + 1], x, "right"), last)
        out[i] = k


def poisson(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    """Poisson counts with the given means (any shape, each >= 0), as int64: one uniform from
    ``rng`` each (in the array's C order), then numpy's draws for the means above
    :data:`TABLE_MAX_MEAN`, if any."""
    mean = np.ascontiguousarray(mean, np.float64)
    if mean.size and not mean.min() >= 0:
        raise ValueError(f"Poisson means must be >= 0; got {mean.min():g}")
    u = rng.random(mean.shape)
    out = np.empty(mean.shape, np.int64)
    if mean.size == 0:
        return out
    top = float(mean.max())
    _invert(u.ravel(), mean.ravel(), out.reshape(-1), _table_length(min(top, TABLE_MAX_MEAN)))
    if top > TABLE_MAX_MEAN:
        large = mean > TABLE_MAX_MEAN
        out[large] = rng.poisson(mean[large])
    return out
