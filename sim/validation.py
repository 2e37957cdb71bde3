"""Validation: the real model, configured into textbook situations, against closed-form answers.

Each case is a scenario in ``scenarios/validation/`` run through the same code as every other
scenario.  Theory is computed from the scenario *as validated*, so ``--set`` changes the rates and
the theory together.  A check passes when the simulated mean over replications lies within its
tolerance of the theory.  Every tolerance is the two-sided 99.9 % t quantile (R - 1 degrees of
freedom, R replications) times the standard error over replications, so a correct model fails a
check about once in a thousand, at any size and rate; where the model's discrete time differs from
a continuous formula, the exactly computed discretisation gap is added.

Cases here: V3 (Bass adoption), V4 (a gatekeeper as a single server; a chain of two), V5 (overload),
V6 (deterministic broadcast down a hierarchy by mail and by one stream post), V7 (share of mail
through the top of a pure tree, Dodds, Watts & Sabel 2003).
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import OrgsimError
from .experiments import check_run_count, replication_seeds
from .knowledge import ItemKind
from .model import OrgModel
from .organisation import Role
from .scenario import check_limits, load_scenario

__all__ = ["Check", "CASES", "run_cases", "bass", "queue_length", "format_checks", "validation_figures"]

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT / "scenarios" / "validation"


@dataclass
class Check:
    case: str
    quantity: str
    parameters: str
    simulated: float
    low: float
    high: float
    theory: float
    tolerance: float
    above: bool = False  # one-sided: the simulated value must exceed the theory by more than the tolerance

    @property
    def passed(self) -> bool:
        if self.above:
            return bool(self.simulated - self.tolerance > self.theory)
        return bool(abs(self.simulated - self.theory) <= self.tolerance)


def _mean_se(values) -> tuple[float, float]:
    v = np.asarray(values, float)
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.inf


def _t(n: int, level: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2, max(n - 1, 1)))


def _check(case, quantity, params, values, theory, extra=0.0) -> Check:
    mean, se = _mean_se(values)
    n = len(values)
    se = 0.0 if np.ptp(np.asarray(values, float)) == 0 else se  # deterministic: every replication alike
    return Check(case, quantity, params, mean, mean - _t(n, 0.95) * se, mean + _t(n, 0.95) * se, theory, _t(n, 0.999) * se + extra)


# ------------------------------------------------------------------------------------------ theory
def bass(t, p: float, q: float):
    """Bass (1969) cumulative adoption F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t)."""
    e = np.exp(-(p + q) * np.asarray(t, float))
    return (1 - e) / (1 + (q / p) * e)


def bass_discrete(ticks: int, p: float, q: float) -> np.ndarray:
    """The model's own mean-field recursion: F' = F + (1 - F)(1 - e^-(p + qF)), one step per tick."""
    f = np.zeros(ticks)
    for t in range(1, ticks):
        f[t] = f[t - 1] + (1 - f[t - 1]) * (1 - math.exp(-(p + q * f[t - 1])))
    return f


def queue_length(lam: float, mu: float) -> float:
    """Mean queue at the end of a tick for X' = max(X - S, 0) + A, S ~ Bernoulli(mu), A ~ Poisson(lam):
    L = lam (2 - lam) / (2 (mu - lam)) (from the generating function; mu > lam)."""
    return lam * (2 - lam) / (2 * (mu - lam))


# ------------------------------------------------------------------------------------------ running
_ALLOW_LARGE: ContextVar[bool] = ContextVar("allow_large", default=False)  # set by run_cases for its cases


def _load(path: Path, overrides: list[str]):
    """A case's scenario with the ``--set`` overrides, validated and sized against the caps
    (:func:`sim.scenario.check_limits`, lifted by ``run_cases(allow_large=True)``) before it runs."""
    scenario = load_scenario(path, overrides)
    check_limits(scenario, str(path), _ALLOW_LARGE.get())
    return scenario


def _runs(path: Path, overrides: list[str], seeds: list[int], observe=None):
    scenario = _load(path, overrides)
    out = []
    for seed in seeds:
        model = OrgModel(scenario, seed=seed)
        per_tick = []
        while model.now < scenario.ticks:
            model.step()
            if observe is not None:
                per_tick.append(observe(model))
        out.append((model, model.tables(), per_tick))
    return scenario, out


def logistic(t, beta: float, n: int):
    """SI on a complete graph: i(t) = 1 / (1 + (n - 1) e^(-beta t)), starting from one of n."""
    return 1 / (1 + (n - 1) * np.exp(-beta * np.asarray(t, float)))


def _fit_beta(curve: np.ndarray, n: int) -> float:
    """Slope of a logistic fitted with a free midpoint, so that the random start of a spread from one
    person (which shifts the curve in time) does not bias the rate."""
    from scipy.optimize import curve_fit

    t = np.arange(len(curve))
    mid0 = float(np.argmax(curve >= 0.5)) if (curve >= 0.5).any() else len(curve) / 2
    try:
        (beta, _), _ = curve_fit(lambda t, b, m: 1 / (1 + np.exp(-b * (t - m))), t, curve, p0=(4 / len(curve), mid0), maxfev=5000)
        return float(beta)
    except RuntimeError:  # no logistic fits (e.g. a jump): a logistic rises from 10 % to 90 % in 2 ln 9 / beta
        rise = float(np.argmax(curve >= 0.9) - np.argmax(curve >= 0.1))
        return 2 * math.log(9) / max(rise, 1.0)


def case_v1(overrides, seeds, quick):
    """Stream spread on a complete graph against the logistic curve."""
    # quick: half the people with half the background keeps beta = a N / B (twice the rate per 1,000 keeps the items)
    size = ["ticks=700", "organisation.people_per_department=100", "load.received_per_tick=20100", "knowledge.process_per_1000_per_tick=0.08"] if quick else ["ticks=1500"]
    s = _load(VALIDATION / "v1_logistic.toml", size + overrides)
    seeds = seeds[:4] if quick else seeds
    window = None
    curves, fitted, t50s = [], [], []
    for seed in seeds:
        model = OrgModel(s, seed=seed)
        n = model.knowledge.n_internal
        beta = s.attention.reading_minutes_per_tick / s.attention.read_minutes_per_item * n / s.load.received_per_tick  # a = beta B / N
        window = window or int(3 * math.log(n - 1) / beta)
        per_tick = []
        while model.now < s.ticks:
            model.step()
            kb = model.knowledge
            per_tick.append(kb.count[: kb.n_items, :2].sum(axis=1) / n)  # employees + managers = everyone here
        kb = model.knowledge
        for item in np.flatnonzero(kb.born + window <= s.ticks):
            c = np.array([row[item] if item < len(row) else 0.0 for row in per_tick[kb.born[item]: kb.born[item] + window]])
            curves.append(c)
            fitted.append(_fit_beta(c, n))
            t50s.append(float(kb.t50[item]))
    t = np.arange(window)
    # the model's one-tick step: i' = i + (1 - i)(1 - (1 - beta/n)^(n i)); fit it like the data
    disc = np.zeros(window)
    disc[0] = 1 / n
    for k in range(1, window):
        disc[k] = disc[k - 1] + (1 - disc[k - 1]) * (1 - (1 - beta / n) ** (n * disc[k - 1]))
    gap_beta = abs(_fit_beta(disc, n) - beta)
    # from one informed person the start is a Yule process, I(t) ~ W e^(beta t) with W ~ Exp(1): the
    # curve is the logistic shifted by -ln(W)/beta, whose mean is Euler's gamma / beta
    t50_theory = (math.log(n - 1) + np.euler_gamma) / beta
    gap_t50 = abs(float(np.argmax(disc >= 0.5)) - math.log(n - 1) / beta) + 1  # discrete steps, one tick of rounding
    params = f"N={n}, beta={beta:.3g}, items={len(curves)}"
    checks = [
        _check("V1", "fitted beta (per tick)", params, fitted, beta, gap_beta),
        _check("V1", "time to 50 % (ticks): (ln(N-1) + gamma) / beta", params, t50s, t50_theory, gap_t50),
    ]
    return checks, {"t": t, "curves": np.array(curves), "theory": logistic(t, beta, n), "beta": beta}


def _all_know(model, members: np.ndarray) -> np.ndarray:
    kb = model.knowledge
    return kb.known[members, : kb.n_items].all(axis=0)


def _rounds_until_all_know(model_runs, members, origin: int | None = None, quiet_before: int = 0):
    """Per item: ticks from birth until every one of ``members`` knew it (items that never got there
    are left out and counted).  ``model_runs`` hold, per tick, which items everybody knew.  With
    ``quiet_before``, only items with no other item born within that many ticks of them count."""
    out, missing = [], 0
    for model, _, per_tick in model_runs:
        kb = model.knowledge
        width = kb.n_items
        all_known = np.array([np.pad(f, (0, width - len(f))) for f in per_tick]) if len(per_tick) else np.zeros((0, width), bool)
        for item in range(kb.n_items):
            if origin is not None and kb.origin[item] != origin:
                continue
            others = np.delete(kb.born[: kb.n_items], item)
            if quiet_before and (np.abs(others - kb.born[item]) <= quiet_before).any():
                continue
            ticks = np.flatnonzero(all_known[:, item]) if item < all_known.shape[1] else []
            if len(ticks):
                out.append(ticks[0] - kb.born[item])
            else:
                missing += 1
    return np.array(out, float), missing


def case_v2(overrides, seeds, quick):
    """Push gossip rounds on a complete graph, at several sizes (one size, as validated, when
    ``--set`` gives ``organisation.people_per_department``; then there is no growth to check)."""
    sizes = (64, 256) if quick else (64, 256, 1024)
    ticks = ["ticks=1200"] if quick else []
    checks, data = [], {}
    means = {}
    for size in sizes:
        path = VALIDATION / "v2_gossip.toml"
        # one item every 100 ticks at any size (the rate is per 1,000 of the n + 1 people)
        scenario = _load(path, [f"organisation.people_per_department={size}", f"knowledge.process_per_1000_per_tick={10 / (size + 1):.6g}", *ticks, *overrides])
        n = scenario.organisation.people_per_department  # the size as validated: --set may change it
        if n in means:
            continue
        members = None
        runs = []
        for seed in seeds[:4]:
            model = OrgModel(scenario, seed=seed)
            members = np.flatnonzero(model.org.department == 0)
            flags = []
            while model.now < scenario.ticks:
                model.step()
                flags.append(_all_know(model, members))
            runs.append((model, None, flags))
        rounds, missing = _rounds_until_all_know(runs, members)
        target = math.log2(n) + math.log(n)
        means[n] = rounds
        params = f"n={n}, items={len(rounds)}" + (f", {missing} never complete" if missing else "")
        mean, se = _mean_se(rounds)
        checks.append(Check("V2", "rounds until all know (theory: band [log2 n + ln n, +2])", params, mean,
                            mean - _t(len(rounds), 0.95) * se, mean + _t(len(rounds), 0.95) * se, target + 1, 1 + _t(len(rounds), 0.999) * se))
    data["rounds"] = means
    if len(means) < 2:
        return checks, data
    small, big = min(means), max(means)
    growth = means[big].mean() - means[small].mean()
    theory = (math.log2(big) + math.log(big)) - (math.log2(small) + math.log(small))
    se = math.sqrt(means[big].var(ddof=1) / len(means[big]) + means[small].var(ddof=1) / len(means[small]))
    checks.append(Check("V2", f"growth of rounds from n={small} to n={big}", f"log2 n + ln n grows by {theory:.2f}", growth,
                        growth - 1.96 * se, growth + 1.96 * se, theory, 2 + _t(len(means[big]), 0.999) * se))
    return checks, data


def case_v3(overrides, seeds, quick):
    size = ["organisation.people_per_department=1000", "ticks=250"] if quick else []
    s, runs = _runs(VALIDATION / "v3_bass.toml", size + overrides, seeds)
    p, q = s.adoption.training_p, s.adoption.imitation_q
    curves = np.array([t["timeseries"]["adoption_share"].to_numpy() for _, t, _ in runs])
    ticks = np.arange(curves.shape[1])
    theory = bass(ticks, p, q)
    gap = float(np.abs(bass_discrete(len(ticks), p, q) - theory).max())
    se = curves.std(axis=0, ddof=1) / math.sqrt(len(curves))
    dev = np.abs(curves.mean(axis=0) - theory)
    t95, t999 = _t(len(curves), 0.95), _t(len(curves), 0.999)
    worst = int(np.argmax(dev / (t999 * se + gap + 1e-12)))  # the tick closest to failing
    params = f"N={runs[0][0].eligible.sum()}, p={p}, q={q}"
    mean = curves.mean(axis=0)
    checks = [Check("V3", f"adoption F(t) at the tick closest to failing ({worst})", params, float(mean[worst]),
                    float(mean[worst] - t95 * se[worst]), float(mean[worst] + t95 * se[worst]),
                    float(theory[worst]), float(t999 * se[worst] + gap))]
    f_peak = (q - p) / (2 * q)  # Bass: the adoption rate peaks when F = (q - p) / 2q
    cross = [float(np.interp(f_peak, c, ticks)) for c in curves]
    peak_theory = math.log(q / p) / (p + q)
    disc_cross = float(np.interp(f_peak, bass_discrete(len(ticks), p, q), ticks))
    checks.append(_check("V3", "peak of new adopters (tick)", params, cross, peak_theory, abs(disc_cross - peak_theory)))
    return checks, {"ticks": ticks, "curves": curves, "theory": theory}


def _gatekeepers(model):
    att = model.attention
    return (att.queued + att.in_transit())[model.org.role == Role.GATEKEEPER]


def case_v4(overrides, seeds, quick, chain=False):
    size = ["ticks=3000"] if quick else []
    extra = ['gatekeepers.bridges=["department", "customer"]'] if chain else []
    s, runs = _runs(VALIDATION / "v4_gatekeeper.toml", size + extra + overrides, seeds, observe=_gatekeepers)
    lam, mu = runs[0][0].item_rates[ItemKind.MARKET], s.gatekeepers.capacity_per_tick
    warm = min(500, s.ticks // 10)
    params = f"lambda={lam}, mu={mu}, T={s.ticks}"
    per_gate = np.array([np.asarray(obs)[warm:].mean(axis=0) for _, _, obs in runs])  # (runs, gatekeepers)
    sojourn = np.array([(t["knowledge"]["t_first_ticks"].astype(float) - 1)[t["knowledge"]["born_tick"] >= warm].mean() for _, t, _ in runs])
    rate = np.array([((t["knowledge"]["born_tick"] >= warm).sum()) / (s.ticks - warm) for _, t, _ in runs])
    name = "V4-chain" if chain else "V4"
    if not chain:
        checks = [
            _check(name, "mean queue L at the gatekeeper", params, per_gate.sum(axis=1), queue_length(lam, mu)),
            _check(name, "mean time W from sending to leaving the gatekeeper (ticks)", params, sojourn, queue_length(lam, mu) / lam),
            _check(name, "Little: L - lambda W on the logged backlog", params, per_gate.sum(axis=1) - rate * sojourn, 0.0),
        ]
    else:
        hop_means = per_gate / rate[:, None]  # per-hop mean time by Little
        checks = [
            _check(name, "first hop: mean queue L1", params, per_gate[:, _first_hop(runs[0][0])], queue_length(lam, mu)),
            _check(name, "end-to-end W minus the sum of per-hop means", params, sojourn - hop_means.sum(axis=1), 0.0),
        ]
    return checks, {"per_gate": per_gate, "sojourn": sojourn, "lam": lam, "mu": mu, "chain": chain, "labels": _gate_labels(runs[0][0])}


def _gate_labels(model) -> list[str]:
    org = model.org
    names = {org.customer_desk: "customer desk (1st hop)", org.partner_desk: "partner desk"}
    names.update({int(g): "department gate (2nd hop)" for g in org.department_gate if g >= 0})
    return [names.get(int(g), "assistant") for g in np.flatnonzero(org.role == Role.GATEKEEPER)]


def _first_hop(model) -> int:
    """Index, among gatekeepers, of the customer desk (the first hop for customer mail)."""
    gk = np.flatnonzero(model.org.role == Role.GATEKEEPER)
    return int(np.flatnonzero(gk == model.org.customer_desk)[0])


def case_v5(overrides, seeds, quick):
    size = ["ticks=1500"] if quick else []
    s, runs = _runs(VALIDATION / "v5_overload.toml", size + overrides, seeds)
    lam, mu, T = runs[0][0].item_rates[ItemKind.MARKET], s.gatekeepers.capacity_per_tick, s.ticks
    params = f"lambda={lam}, mu={mu}, T={T}"
    half = T // 2
    slopes, unhandled = [], []
    backlogs = []
    for _, t, _ in runs:
        b = t["timeseries"]["gatekeeper_backlog"].to_numpy(float)
        backlogs.append(b)
        slopes.append(np.polyfit(np.arange(half, T), b[half:], 1)[0])
        k = t["knowledge"]
        unhandled.append(k["t_first_ticks"].isna().mean())
    # finite horizon: items born in the last tick cannot have been handled; about 1 / (lambda T) extra
    return [
        _check("V5", "backlog growth per tick", params, slopes, lam - mu),
        _check("V5", "share never handled by the horizon", params, unhandled, 1 - mu / lam, 2 / T),
    ], {"backlogs": np.array(backlogs), "lam": lam, "mu": mu}


def case_v6(overrides, seeds, quick):
    """Deterministic broadcast: by mail each level adds W ticks (t50 = t90 = L x W); one stream post
    read with full attention reaches everyone the next tick (t90 = 1)."""
    s, runs = _runs(VALIDATION / "v6_broadcast.toml", overrides, seeds[:2])
    org = runs[0][0].org
    depth = int(org.level[org.department >= 0].max())
    w = s.email.delivery_delay_ticks
    params = f"b={s.organisation.span_of_control}, L={depth}, W={w}, N={org.n}"
    root = int(np.flatnonzero(org.manager < 0)[0])
    k = [t["knowledge"][t["knowledge"]["origin"] == root] for _, t, _ in runs]  # goals born at the CEO
    checks = [
        _check("V6", "mail, CC to the team: time to 50 % (ticks)", params, [x["t50_ticks"].astype(float).mean() for x in k], depth * w),
        _check("V6", "mail, CC to the team: time to 90 % (ticks)", params, [x["t90_ticks"].astype(float).mean() for x in k], depth * w),
    ]
    stream = ["stream.enabled=true", "stream.department_spaces=false", "stream.team_spaces=false", "adoption.initial_share=1",
              "adoption.drift_rate=0", "knowledge.audience={company=1.0}"]
    s2, runs2 = _runs(VALIDATION / "v6_broadcast.toml", stream + overrides, seeds[:2])
    k2 = [t["knowledge"][t["knowledge"]["origin"] == root] for _, t, _ in runs2]
    checks.append(_check("V6", "one stream post, full attention: time to 90 % (ticks)", params, [x["t90_ticks"].astype(float).mean() for x in k2], 1.0))
    # c mails per tick per manager (c = 1 unless --set says otherwise), each readable W ticks after it
    # goes: a manager with b reports sends the last one ceil(b / c) - 1 ticks after learning, so each
    # level takes ceil(b / c) - 1 + W ticks (b ticks for c = W = 1), and the last person knows after
    # the sum over the L levels.  W and c are read from the scenario as validated, so --set counts.
    one_by_one = ["email.send_capacity_per_tick=1", "email.delivery_delay_ticks=1"]
    internal = np.flatnonzero(org.department >= 0)
    s3, runs3 = _runs(VALIDATION / "v6_broadcast.toml", one_by_one + overrides, seeds[:2], observe=lambda m: _all_know(m, internal))
    w3, per_tick = s3.email.delivery_delay_ticks, s3.email.send_capacity_per_tick or 10**9
    # branching level by level (the CEO's is the number of departments): b x L for a uniform b-ary tree
    reports = np.bincount(org.manager[internal][org.manager[internal] >= 0], minlength=org.n)
    branching = [int(reports[internal[org.level[internal] == lv]].max()) for lv in range(depth)]
    theory = sum(-(-b // per_tick) - 1 + w3 for b in branching)
    rounds, _ = _rounds_until_all_know(runs3, internal, origin=root, quiet_before=2 * theory)  # a broadcast of its own
    capacity = "" if per_tick == 1 else f", {per_tick} mails per tick"
    checks.append(_check("V6", "one mail per tick per manager: time until all know (ticks)", f"branching by level {branching}, W={w3}{capacity}, N={org.n}",
                         rounds, theory))
    return checks, {"checks": checks}


def case_v7(overrides, seeds, quick):
    """Share of uniformly addressed mail that passes the top of a pure tree (Dodds et al. 2003)."""
    size = ["ticks=600"] if quick else []
    s, runs = _runs(VALIDATION / "v7_hierarchy.toml", size + overrides, seeds)
    org = runs[0][0].org
    internal = org.department >= 0
    top = int(np.flatnonzero(org.manager < 0)[0])
    n = int(internal.sum())
    sizes = np.array([int((org.ancestors[1, internal] == c).sum()) for c in np.flatnonzero(org.manager == top)])
    theory = 1 - float((sizes * (sizes - 1)).sum()) / (n * (n - 1))
    params = f"N={n}, top's subtrees {sorted(set(sizes.tolist()))}, T={s.ticks}"
    checks = [_check("V7", "share of mail through the top (pure tree)", params, _top_shares(runs, top), theory)]
    # Dodds et al.: with cross-links, mail passed to the contact closest to the recipient avoids the
    # top more and more, most of the relief coming from the first links
    closest = ["email.routing='closest_contact'"]
    by_links = {}
    for links in (0, 1, 4):
        _, r = _runs(VALIDATION / "v7_hierarchy.toml", size + overrides + closest + [f"organisation.ties_across_departments={links}"], seeds)
        by_links[links] = np.array(_top_shares(r, top))
    checks.append(_check("V7", "closest-contact routing, no cross-links: share through the top", params, by_links[0], theory))
    relief_all = by_links[0] - by_links[4]
    checks.append(_check("V7", "relief of the top from 4 cross-links per person", params, relief_all, 0.0))
    checks[-1].above = True
    with np.errstate(invalid="ignore", divide="ignore"):  # no relief at all (broken routing): NaN, and the check fails
        fraction = (by_links[0] - by_links[1]) / relief_all
    checks.append(_check("V7", "share of that relief won by the first quarter of the links", params, fraction, 0.25))
    checks[-1].above = True  # more than linear: the first links help most
    return checks, {"checks": checks[:2]}


def _top_shares(runs, top: int) -> list[float]:
    """Share of all mail that passed the top (as relay or recipient) or came from it, after delivering
    what was still under way at the horizon through the same channel."""
    shares = []
    for model, _, _ in runs:
        now = model.now
        while model.tracked_in_flight():
            read = model.attention.step(now, np.full(model.org.n, 10**6))
            model._on_read(read.rows, now)
            now += 1
        mail, reads = model.mail, model.attention.read_total[0]
        shares.append((reads[top] + mail.sent_by[top]) / mail.sent_by.sum())
    return shares


CASES = {
    "V1": case_v1,
    "V2": case_v2,
    "V3": case_v3,
    "V4": case_v4,
    "V4-chain": lambda o, s, q: case_v4(o, s, q, chain=True),
    "V5": case_v5,
    "V6": case_v6,
    "V7": case_v7,
}


def run_cases(names: list[str] | None = None, quick: bool = False, overrides: list[str] | None = None, base_seed: int = 1,
              replications: int | None = None, allow_large: bool = False) -> tuple[list[Check], dict]:
    """Run the named cases (default: all); returns the checks and each case's data for figures.
    Every case's scenario is sized before it runs; ``allow_large`` lifts the caps."""
    names = names or list(CASES)
    check_run_count(len(names) * (replications or 16), "--replications", allow_large)
    seeds = replication_seeds(base_seed, replications or (8 if quick else 16))
    checks, data = [], {}
    token = _ALLOW_LARGE.set(allow_large)
    try:
        for name in names:
            try:
                c, d = CASES[name](list(overrides or []), seeds, quick)
            except OrgsimError:
                raise
            except (ValueError, ArithmeticError, IndexError, RuntimeError) as exc:  # e.g. --set ticks=2: nothing to measure
                c, d = [Check(name, f"could not be computed with these settings ({type(exc).__name__}: {exc})", "", math.nan,
                              math.nan, math.nan, math.nan, 0.0)], {}
            checks += c
            if d:
                data[name] = d
    finally:
        _ALLOW_LARGE.reset(token)
    return checks, data


def format_checks(checks: list[Check]) -> str:
    rows = [("case", "quantity", "parameters", "simulated [95 %]", "theory", "tolerance", "result")]
    for c in checks:
        theory = f"> {c.theory:.4g}" if c.above else f"{c.theory:.4g}"
        rows.append((c.case, c.quantity, c.parameters, f"{c.simulated:.4g} [{c.low:.4g}, {c.high:.4g}]", theory, f"±{c.tolerance:.3g}", "pass" if c.passed else "FAIL"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)) for r in rows)


def validation_figures(data: dict, folder: Path) -> list[Path]:
    """One figure per case: what was simulated against what theory says."""
    from matplotlib.figure import Figure

    from .figures import save_figure

    folder.mkdir(parents=True, exist_ok=True)
    paths = []

    def save(fig, name):
        paths.append(save_figure(fig, folder / name, dpi=110))

    if "V1" in data:
        d = data["V1"]
        fig = Figure(figsize=(6.5, 4), layout="constrained")
        ax = fig.subplots()
        for c in d["curves"]:
            ax.plot(d["t"][: len(c)], c, color="C0", alpha=0.2, lw=0.8)
        ax.plot(d["t"], d["theory"], "k--", lw=1.5, label=f"logistic, beta={d['beta']:.3g}, from one person")
        ax.plot(d["t"] + np.euler_gamma / d["beta"], d["theory"], "k:", lw=1.2, label="shifted by gamma/beta (mean random start)")
        ax.plot([], [], color="C0", label="simulated items (aligned at birth)")
        ax.set(xlabel="ticks since the item was born", ylabel="share informed", title="V1: stream spread on a complete graph")
        ax.legend(fontsize=8)
        save(fig, "v1_logistic.png")
    if "V2" in data:
        rounds = data["V2"]["rounds"]
        fig = Figure(figsize=(6.5, 4), layout="constrained")
        ax = fig.subplots()
        ns = sorted(rounds)
        x = np.log2(ns)
        lo = np.array([math.log2(n) + math.log(n) for n in ns])
        ax.fill_between(x, lo, lo + 2, color="0.85", label="log2 n + ln n + [0, 2]")
        for xi, n in zip(x, ns):
            jitter = np.random.default_rng(0).uniform(-0.08, 0.08, len(rounds[n]))
            ax.scatter(xi + jitter, rounds[n], s=6, color="C0", alpha=0.4)
            ax.scatter([xi], [rounds[n].mean()], color="C3", zorder=3, s=30, label="mean" if n == ns[0] else None)
        ax.set_xticks(x, [str(n) for n in ns])
        ax.set(xlabel="n (people, log scale)", ylabel="rounds until everyone knows", title="V2: push gossip on a complete graph")
        ax.legend(fontsize=8)
        save(fig, "v2_gossip.png")
    if "V3" in data:
        d = data["V3"]
        fig = Figure(figsize=(6.5, 4), layout="constrained")
        ax = fig.subplots()
        for c in d["curves"]:
            ax.plot(d["ticks"], c, color="C0", alpha=0.25, lw=0.8)
        ax.plot(d["ticks"], d["curves"].mean(axis=0), color="C0", lw=2, label="simulated (mean; thin: replications)")
        ax.plot(d["ticks"], d["theory"], "k--", lw=1.5, label="Bass F(t)")
        ax.set(xlabel="tick", ylabel="share adopted", title="V3: adoption against the Bass curve")
        ax.legend()
        save(fig, "v3_bass.png")
    for key in ("V4", "V4-chain"):
        if key not in data:
            continue
        d = data[key]
        fig = Figure(figsize=(6.5, 4), layout="constrained")
        ax = fig.subplots()
        lam, mu = d["lam"], d["mu"]
        per_gate = d["per_gate"]
        for j in range(per_gate.shape[1]):
            ax.scatter(np.full(len(per_gate), j), per_gate[:, j], color="C0", s=14, label="simulated L per gatekeeper (replications)" if j == 0 else None)
        ax.axhline(queue_length(lam, mu), color="k", ls="--", label=f"theory L = {queue_length(lam, mu):.3g} (Poisson arrivals: first hop)")
        ax.set_xticks(range(per_gate.shape[1]), d["labels"])
        ax.set_xlim(-0.5, per_gate.shape[1] - 0.5)
        ax.set(ylabel="mean queue at the end of a tick", title=f"{key}: gatekeeper as a single server (lambda={lam}, mu={mu})")
        ax.legend(fontsize=8)
        save(fig, f"{key.lower().replace('-', '_')}.png")
    for key, title in (("V6", "V6: broadcast down a hierarchy"), ("V7", "V7: mail through the top of a pure tree")):
        if key not in data:
            continue
        checks = data[key]["checks"]
        fig = Figure(figsize=(7, 1.2 + 0.8 * len(checks)), layout="constrained")
        ax = fig.subplots()
        y = np.arange(len(checks))
        ax.barh(y + 0.2, [c.simulated for c in checks], height=0.4, xerr=[[c.simulated - c.low for c in checks], [c.high - c.simulated for c in checks]],
                color="C0", label="simulated (mean, 95 % interval)")
        ax.barh(y - 0.2, [c.theory for c in checks], height=0.4, color="0.6", label="theory")
        ax.set_yticks(y, [c.quantity.split(" (")[0] for c in checks], fontsize=8)
        ax.set(xlabel=checks[0].parameters, title=title)
        ax.legend(fontsize=8, loc="lower right")
        save(fig, f"{key.lower()}.png")
    if "V5" in data:
        d = data["V5"]
        fig = Figure(figsize=(6.5, 4), layout="constrained")
        ax = fig.subplots()
        t = np.arange(d["backlogs"].shape[1])
        ax.plot(t, d["backlogs"].mean(axis=0), color="C0", label="simulated backlog (mean)")
        ax.plot(t, (d["lam"] - d["mu"]) * t, "k--", label="(lambda - mu) t")
        ax.set(xlabel="tick", ylabel="mail waiting at the desk", title=f"V5: overload (lambda={d['lam']}, mu={d['mu']})")
        ax.legend()
        save(fig, "v5_overload.png")
    return paths
