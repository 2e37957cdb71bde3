"""Kaplan-Meier latency summaries: open decisions are censored, never dropped (sim/survival.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.survival import kaplan_meier, km_interval, km_quantile, restricted_mean

# Freireich et al. (1963), 6-MP arm of the leukaemia remission trial (weeks; 0 = still in remission).
FREIREICH_T = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
FREIREICH_E = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
FREIREICH_KM = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}


def reference_km(durations, observed):
    """Textbook loop: at each distinct event time, n = #{duration >= t}, d = #{decided at t}."""
    s, times, surv = 1.0, [], []
    for t in sorted({x for x, e in zip(durations, observed) if e}):
        n = sum(x >= t for x in durations)
        d = sum(x == t and e for x, e in zip(durations, observed))
        s *= 1 - d / n
        times.append(t)
        surv.append(s)
    return times, surv


def lower_median(x):
    """The lower median: the smallest x with at least half the values <= x, i.e. sorted(x)[(n - 1) // 2]."""
    return sorted(x)[(len(x) - 1) // 2]


@pytest.mark.parametrize("n", [1, 2, 7, 10, 501, 1000])
def test_without_censoring_median_is_lower_median_and_rmst_is_mean(n):
    rng = np.random.default_rng(n)
    for x in (rng.exponential(10.0, n), rng.integers(0, 6, n).astype(float)):  # continuous, then heavy ties
        observed = np.ones(n, dtype=bool)
        assert km_quantile(x, observed) == lower_median(x) == np.quantile(x, 0.5, method="inverted_cdf")
        for q in (0.1, 0.25, 0.9):
            assert km_quantile(x, observed, q) == np.quantile(x, q, method="inverted_cdf")
        assert restricted_mean(x, observed, horizon=x.max() + 5) == pytest.approx(x.mean(), rel=1e-12)
        capped = restricted_mean(x, observed, horizon=np.median(x))
        assert capped == pytest.approx(np.minimum(x, np.median(x)).mean(), rel=1e-12)


def test_even_count_gives_lower_middle_value_not_the_average():
    assert km_quantile([1, 2, 3, 4], [1, 1, 1, 1]) == 2.0  # np.median would say 2.5
    assert km_quantile([3, 3, 5, 5], [1, 1, 1, 1]) == 3.0  # S(3) is exactly 0.5


def test_freireich_6mp_textbook_values():
    times, surv = kaplan_meier(FREIREICH_T, FREIREICH_E)
    assert times.tolist() == list(FREIREICH_KM)
    assert np.round(surv, 3).tolist() == list(FREIREICH_KM.values())
    assert km_quantile(FREIREICH_T, FREIREICH_E) == 23.0
    # area by hand: 6 weeks at 1, then each step's height times its width, up to the last follow-up (35)
    by_hand = 6 + 1 * 18 / 21 + 3 * 288 / 357 + 3 * 0.75294118 + 3 * 0.69019608 + 6 * 0.62745098 + 1 * 0.53781513 + 12 * 0.44817927
    assert restricted_mean(FREIREICH_T, FREIREICH_E, horizon=35) == pytest.approx(by_hand, abs=1e-6)
    assert round(restricted_mean(FREIREICH_T, FREIREICH_E, horizon=35), 3) == 23.287
    # R: survfit(Surv(time, status) ~ 1) gives median 23, 0.95 LCL 16, UCL NA (not reached)
    assert km_interval(FREIREICH_T, FREIREICH_E) == (16.0, math.inf)


def test_matches_reference_loop_and_scipy_on_random_ties_and_censoring():
    rng = np.random.default_rng(7)
    x = rng.integers(0, 15, 300).astype(float)
    e = rng.random(300) < 0.6
    times, surv = kaplan_meier(x, e)
    ref_t, ref_s = reference_km(x.tolist(), e.tolist())
    assert times.tolist() == ref_t
    np.testing.assert_allclose(surv, ref_s, rtol=1e-12)
    scipy_sf = stats.ecdf(stats.CensoredData(uncensored=x[e], right=x[~e])).sf
    np.testing.assert_allclose(surv, scipy_sf.evaluate(times), rtol=1e-12)
    perm = rng.permutation(300)  # order of the input must not matter
    assert np.array_equal(kaplan_meier(x[perm], e[perm])[1], surv)


def test_events_come_before_censorings_at_the_same_time():
    times, surv = kaplan_meier([2, 2], [True, False])
    assert times.tolist() == [2.0] and surv.tolist() == [0.5]  # censoring first would give 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exponential_with_uniform_censoring_recovers_truth_and_naive_median_is_biased_low(seed):
    rng = np.random.default_rng(seed)
    n, rate = 20_000, 0.1
    latency = rng.exponential(1 / rate, n)
    end_of_run = rng.uniform(0, 30, n)  # ticks from creation to the end of the run, independent of latency
    durations, observed = np.minimum(latency, end_of_run), latency <= end_of_run
    assert 0.3 < 1 - observed.mean() < 0.6  # plenty of open decisions
    km_median = km_quantile(durations, observed)
    assert km_median == pytest.approx(math.log(2) / rate, rel=0.03)
    assert restricted_mean(durations, observed, horizon=20) == pytest.approx((1 - math.exp(-2)) / rate, rel=0.02)
    naive = np.median(durations[observed])  # dropping open decisions
    assert naive < 0.95 * km_median
    lo, hi = km_interval(durations, observed)
    assert lo < km_median < hi and lo < math.log(2) / rate < hi and hi - lo < 0.1 * km_median


def test_curve_that_never_reaches_half_gives_inf():
    durations = [1, 2] + [3] * 8  # two decided early, eight still open after 3 ticks
    observed = [True, True] + [False] * 8
    assert kaplan_meier(durations, observed)[1][-1] == pytest.approx(0.8)
    assert km_quantile(durations, observed) == math.inf
    assert km_quantile(durations, observed, q=0.1) == 1.0
    assert km_interval(durations, observed)[1] == math.inf
    assert km_quantile([4, 5], [False, False]) == math.inf  # nothing decided at all
    assert restricted_mean([4, 5], [False, False], horizon=10) == 10.0


def test_empty_input_gives_nan():
    times, surv = kaplan_meier([], [])
    assert times.size == 0 and surv.size == 0
    assert math.isnan(km_quantile([], []))
    assert math.isnan(restricted_mean([], [], horizon=10))
    assert all(math.isnan(v) for v in km_interval([], []))


def test_bad_input_is_rejected():
    with pytest.raises(ValueError):
        kaplan_meier([1, 2], [True])
    with pytest.raises(ValueError):
        kaplan_meier([-1, 2], [True, True])
    with pytest.raises(ValueError):
        kaplan_meier([np.nan, 2], [True, True])
    with pytest.raises(ValueError):
        km_quantile([1], [True], q=0)
    with pytest.raises(ValueError):
        restricted_mean([1], [True], horizon=-1)


def test_large_input_is_vectorised():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2000, 100_000).astype(float)
    e = rng.random(100_000) < 0.7
    times, surv = kaplan_meier(x, e)
    assert np.all(np.diff(times) > 0) and np.all(np.diff(surv) <= 0)
    assert math.isfinite(km_quantile(x, e)) and restricted_mean(x, e, 2000) > 0
