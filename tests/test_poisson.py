"""The Poisson sampler of the background traffic (sim.poisson): exact distribution, one uniform
per count, and the hand-over to numpy's sampler for large means."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.poisson import TABLE_MAX_MEAN, poisson


@pytest.mark.parametrize("mean", [0.05, 0.7, 2.75, 9.0, 30.0, 80.0, 150.0, 4_000.0])
def test_counts_follow_the_poisson_distribution(mean):
    """Frequencies of 200,000 draws against the exact probabilities: a chi-square test over the
    counts with an expected 50 or more (the rest pooled), at the 0.1 % level."""
    draws = poisson(np.random.default_rng(int(mean * 100)), np.full(200_000, mean))
    lo, hi = int(stats.poisson.ppf(1e-4, mean)), int(stats.poisson.isf(1e-4, mean))
    ks = np.arange(lo, hi + 1)
    expected = stats.poisson.pmf(ks, mean) * len(draws)
    keep = expected >= 50
    observed = np.array([(draws == k).sum() for k in ks[keep]])
    rest_observed, rest_expected = len(draws) - observed.sum(), len(draws) - expected[keep].sum()
    chi2 = ((observed - expected[keep]) ** 2 / expected[keep]).sum() + (rest_observed - rest_expected) ** 2 / rest_expected
    assert stats.chi2.sf(chi2, keep.sum()) > 1e-3
    assert abs(draws.mean() - mean) < 5 * np.sqrt(mean / len(draws))


def test_each_count_inverts_its_own_uniform_whatever_the_other_means():
    """Many distinct means in one call (more than the tables kept) give, count by count, the
    inverse of the cumulative distribution at that count's uniform, as a plain reference computes
    it; zero means give zero and use their uniform all the same."""
    rng = np.random.default_rng(3)
    mean = rng.choice([0.0, 0.3, 1.5, 2.75, 4.4, 7.0, 12.5, 60.0, 99.0], size=(3, 4_000))
    u = np.random.default_rng(8).random(mean.shape)
    got = poisson(np.random.default_rng(8), mean)
    reference = np.where(mean > 0, stats.poisson.ppf(u, mean), 0)
    close = np.abs(stats.poisson.cdf(reference, mean) - u) < 1e-12  # u on a step: rounding may go either way
    assert (got == reference)[~close].all() and (np.abs(got - reference) <= 1)[close].all()
    assert (got[mean == 0] == 0).all()


def test_large_means_are_drawn_after_the_uniforms_and_the_same_seed_gives_the_same_counts():
    mean = np.array([2.0, TABLE_MAX_MEAN * 3, 5.0, 40_000.0])
    a, b = poisson(np.random.default_rng(1), mean), poisson(np.random.default_rng(1), mean)
    assert (a == b).all()
    small = poisson(np.random.default_rng(1), np.array([2.0, 0.0, 5.0, 0.0]))
    assert a[0] == small[0] and a[2] == small[2]  # the uniforms come first, one per count
    assert abs(a[3] - 40_000) < 1_000


def test_bad_means_are_refused():
    for bad in ([-1.0], [np.nan]):
        with pytest.raises(ValueError, match="means must be >= 0"):
            poisson(np.random.default_rng(0), np.array(bad))
