"""Comparison reports: per metric, each scenario's mean with a 95 % interval over replications, the
paired difference to the first scenario with its interval, a standardised effect size, a plain
sentence, and figures.

Statistics, per metric and scenario, over the replications where the metric is finite (a knowledge
time that was never reached is infinite and is counted separately, "not reached in k of R runs"):

- mean and t interval of the mean;
- difference to the first scenario, paired by replication (common random numbers), t interval;
- Cohen's d: mean difference over the pooled standard deviation of the two scenarios;
- for times and counts, the ratio of means with a percentile bootstrap interval over paired
  replications (2,000 resamples, fixed seed), said in words ("3.1x faster (2.7-3.6)").
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .experiments import Experiment, interval, safe_name
from .summary import METRICS

__all__ = ["compare_stats", "headline_sentences", "write_report", "format_stats_table", "network_views", "phase_views"]

RATIO_UNITS = ("ticks", "messages", "hours/week")


def _paired(summary: pd.DataFrame, metric: str, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    wide = summary[summary["metric"] == metric].pivot(index="replication", columns="scenario", values="value")
    both = wide[[a, b]].replace([np.inf, -np.inf], np.nan).dropna()
    return both[a].to_numpy(float), both[b].to_numpy(float)


def _ratio_interval(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    if len(a) == 0 or a.mean() <= 0 or b.mean() <= 0:
        return math.nan, math.nan, math.nan
    idx = rng.integers(0, len(a), (2000, len(a)))
    ratios = a[idx].mean(axis=1) / np.maximum(b[idx].mean(axis=1), 1e-12)
    return float(a.mean() / b.mean()), float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5))


def compare_stats(summary: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """One row per metric x scenario with mean, interval, difference to ``order[0]``, effect size."""
    rows = []
    base = order[0]
    rng = np.random.default_rng(0)
    for metric in METRICS:
        sub = summary[summary["metric"] == metric]
        for name in order:
            values = sub.loc[sub["scenario"] == name, "value"].to_numpy(float)
            mean, lo, hi = interval(values)
            row = {
                "metric": metric, "scenario": name, "runs": len(values),
                "not_reached": int(np.isinf(values).sum()), "mean": mean, "low": lo, "high": hi,
                "diff": math.nan, "diff_low": math.nan, "diff_high": math.nan, "effect_size": math.nan,
                "ratio": math.nan, "ratio_low": math.nan, "ratio_high": math.nan,
            }
            if name != base:
                x, y = _paired(summary, metric, name, base)
                if len(x):
                    row["diff"], row["diff_low"], row["diff_high"] = interval(x - y)
                    pooled = math.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2) if len(x) > 1 else math.nan
                    row["effect_size"] = (x.mean() - y.mean()) / pooled if pooled and pooled > 0 else math.nan
                    row["ratio"], row["ratio_low"], row["ratio_high"] = _ratio_interval(y, x, rng)
            rows.append(row)
    return pd.DataFrame(rows)


def _num(v: float, unit: str, bound: bool = False) -> str:
    """A value for display; interval bounds of shares are clipped to [0, 1].

    >>> _num(0.0037, "share"), _num(0.36, "share"), _num(-0.32, "index")
    ('0.4 %', '36 %', '-0.32')
    """
    if not np.isfinite(v):
        return "n/a"
    if unit == "share":
        v = min(max(v, 0.0), 1.0) if bound else v
        return f"{100 * v + 0.0:.1f} %" if abs(v) < 0.1 else f"{100 * v + 0.0:.0f} %"  # small shares keep a decimal
    if unit == "index":
        return f"{v + 0.0:+.2f}"
    return f"{v + 0.0:.1f}" if abs(v) < 100 else f"{v:.0f}"


def headline_sentences(stats: pd.DataFrame, order: list[str]) -> list[str]:
    """Plain-language lines for the main metrics, each scenario against the first."""
    base, lines = order[0], []
    wording = {
        "decision_latency_mean": ("decisions are, on average,", "faster", "slower"),
        "process_t50_median": ("process know-how reaches half the staff it concerns", "faster", "slower"),
        "goal_t50_median": ("goals reach half the staff they concern", "faster", "slower"),
        "market_t50_median": ("market signals reach half the staff they concern", "faster", "slower"),
        "reading_hours_per_week": ("people spend on reading", "less time", "more time"),
    }
    for name in order[1:]:
        for metric, (subject, better, worse) in wording.items():
            r = stats[(stats["metric"] == metric) & (stats["scenario"] == name)].iloc[0]
            if not np.isfinite(r["ratio"]):
                b = stats[(stats["metric"] == metric) & (stats["scenario"] == base)].iloc[0]
                if r["not_reached"] != b["not_reached"]:
                    def runs(x):
                        reached = x["runs"] - x["not_reached"]
                        when = f", after {x['mean']:.1f} ticks on average" if reached else ""
                        return f"in {reached} of {x['runs']} runs of {x['scenario']}{when}"
                    lines.append(f"{subject} {runs(r)}; {runs(b)}")
                continue
            ratio, low, high = (r["ratio"], r["ratio_low"], r["ratio_high"]) if r["ratio"] >= 1 else (1 / r["ratio"], 1 / r["ratio_high"], 1 / r["ratio_low"])
            word = better if r["ratio"] >= 1 else worse
            lines.append(f"{subject} {_times(ratio)}x {word} ({_times(low)}-{_times(high)}) in {name} than in {base}")
        for metric in ("decisions_open_share", "process_coverage_concerned", "market_coverage_concerned"):
            r = stats[(stats["metric"] == metric) & (stats["scenario"] == name)].iloc[0]
            if np.isfinite(r["diff"]):
                label = METRICS[metric][0]
                lines.append(f"{label}: {100 * r['diff']:+.0f} points ({100 * r['diff_low']:+.0f} to {100 * r['diff_high']:+.0f}) in {name} against {base}")
    return lines


def _times(x: float) -> str:
    """A ratio with the digits it needs: 1.012 is not "1.0x"."""
    return f"{x:.2f}" if x < 1.1 else f"{x:.1f}"


def format_stats_table(stats: pd.DataFrame, order: list[str]) -> str:
    """Terminal table: each metric, each scenario's mean [95 % interval]."""
    label_w = max(len(f"{lab} ({unit})") for lab, unit, _ in METRICS.values())
    col_w = max(22, *(len(n) for n in order))
    lines = [" " * label_w + "  " + "  ".join(n.rjust(col_w) for n in order)]
    for metric, (label, unit, _) in METRICS.items():
        cells = []
        for name in order:
            r = stats[(stats["metric"] == metric) & (stats["scenario"] == name)].iloc[0]
            text = _num(r["mean"], unit)
            if np.isfinite(r["low"]):
                text += f" [{_num(r['low'], unit, True)}, {_num(r['high'], unit, True)}]"
            if r["not_reached"]:
                text = f"{text} ({r['not_reached']}/{r['runs']} never)" if np.isfinite(r["mean"]) else "not reached"
            cells.append(text.rjust(col_w))
        lines.append(f"{label} ({unit})".ljust(label_w) + "  " + "  ".join(cells))
    return "\n".join(lines)


def network_views(exp: Experiment, order: list[str]) -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    """Per scenario: the group-to-group matrix of reads summed over replications, and the E-I index
    per group computed on it (Krackhardt & Stern; see :mod:`sim.ona`).  Scenarios whose runs kept no
    tables are left out."""
    from .ona import e_i_index, group_matrix
    from .summary import people_groups

    views = {}
    for name in order:
        runs = list(zip(exp.tables(name, "edges"), exp.tables(name, "people")))
        if not runs:
            continue
        total = None
        for edges, people in runs:
            group, names = people_groups(people)
            m = group_matrix(edges, group, names)
            total = m if total is None else total.add(m, fill_value=0)
        views[name] = (total, e_i_index(total))
    return views


def phase_views(exp: Experiment, order: list[str]) -> dict[str, pd.DataFrame]:
    """Per scenario with interventions: :func:`sim.summary.phase_table` averaged over replications."""
    from .figures import scenario_interventions
    from .interventions import phases
    from .summary import phase_table

    views = {}
    for name in order:
        ivs, scenario = scenario_interventions(exp, name)
        if not ivs:
            continue
        cuts = phases(ivs, scenario["ticks"])
        runs = [dict(zip(("decisions", "knowledge", "timeseries", "people"), t)) for t in zip(*(exp.tables(name, x) for x in ("decisions", "knowledge", "timeseries", "people")))]
        if not runs:
            continue
        per_run = pd.concat([phase_table(r, cuts, scenario.get("tick_hours", 1.0)) for r in runs])
        views[name] = per_run.replace([np.inf], np.nan).groupby(["start_tick", "end_tick", "phase"], sort=False).mean(numeric_only=True).reset_index()
    return views


def _phase_markdown(views: dict[str, pd.DataFrame]) -> list[str]:
    out = []
    for name, table in views.items():
        out += [
            f"## Phases of {name}",
            "",
            "Each phase starts at an intervention (marked on the figures). Decisions and items are those that arose in the phase; "
            "latency is the restricted mean with open decisions censored at the run's end; means over replications "
            "(a time never reached counts as missing here).",
            "",
            "| phase | ticks | decisions | latency (ticks) | open | items | time to 50 % (ticks) | reading h/week | adoption at end |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in table.itertuples():
            out.append(
                f"| {r.phase} | {r.start_tick}-{r.end_tick} | {r.decisions:.1f} | {_num(r.decision_latency_mean, 'ticks')} | {_num(r.decisions_open_share, 'share')} "
                f"| {r.items:.1f} | {_num(r.items_t50_median, 'ticks')} | {_num(r.reading_hours_per_week, 'ticks')} | {_num(r.adoption_at_end, 'share')} |"
            )
        out.append("")
    return out


def _network_markdown(views: dict[str, tuple[pd.DataFrame, pd.Series]], stats: pd.DataFrame) -> list[str]:
    if not views:
        return []
    names = list(views)
    groups = list(dict.fromkeys(g for _, ei in views.values() for g in ei.index))
    out = [
        "## Who talks to whom",
        "",
        "Tracked messages read, between groups (departments, partners, customers), summed over replications; "
        "background traffic has no sender in the model and is left out. E-I index (Krackhardt & Stern): "
        "(reads across groups - reads inside) / all reads of the group; -1 all inside, +1 all across. "
        "Gatekeeper brokerage: share of the cross-group messages that passed a gatekeeper.",
        "",
        f"| group | {' | '.join(f'E-I {n}' for n in names)} |",
        "|---|" + "---|" * len(names),
    ]
    for g in groups:
        cells = [f"{views[n][1].get(g, np.nan):+.2f}" if np.isfinite(views[n][1].get(g, np.nan)) else "n/a" for n in names]
        out.append(f"| {g} | {' | '.join(cells)} |")
    for metric in ("e_i_index", "gatekeeper_brokerage"):
        label, unit, _ = METRICS[metric]
        cells = []
        for n in names:
            r = stats[(stats["metric"] == metric) & (stats["scenario"] == n)]
            cells.append(_num(float(r["mean"].iloc[0]), unit) if len(r) else "n/a")
        out.append(f"| **{label}** | {' | '.join(cells)} |")
    out += ["", "The matrices themselves are in `figures/network.png` and, as numbers, in `network_<scenario>.csv` (the name as in `runs/`).", ""]
    return out


def _markdown(stats: pd.DataFrame, order: list[str], exp: Experiment, figures: list[str], network: list[str] = ()) -> str:
    reps = len({s.replication for s in exp.specs})
    out = [
        f"# Comparison: {', '.join(order)}",
        "",
        f"{reps} replications per scenario with common random numbers (replication i of every scenario uses the same seed; "
        f"seeds in `manifest.json`). Means with 95 % t intervals over replications; differences are paired by replication; "
        f"effect size is Cohen's d (difference over pooled standard deviation). Ticks are working hours.",
        "",
        "## In words",
        "",
        *[f"- {line}" for line in headline_sentences(stats, order)],
        "",
        "## Figures",
        "",
        *[f"![{Path(f).stem}]({f})" for f in figures],
        "",
        *network,
    ]
    for metric, (label, unit, better) in METRICS.items():
        out += [f"## {label} ({unit}; {better} is better)", "", f"| scenario | mean | 95 % interval | difference to {order[0]} | 95 % interval | effect size d | never reached |", "|---|---|---|---|---|---|---|"]
        for name in order:
            r = stats[(stats["metric"] == metric) & (stats["scenario"] == name)].iloc[0]
            diff = "—" if name == order[0] else _num(r["diff"], unit)
            dint = "—" if name == order[0] else f"{_num(r['diff_low'], unit)} to {_num(r['diff_high'], unit)}"
            d = "—" if name == order[0] or not np.isfinite(r["effect_size"]) else f"{r['effect_size']:+.2f}"
            out.append(f"| {name} | {_num(r['mean'], unit)} | {_num(r['low'], unit, True)} to {_num(r['high'], unit, True)} | {diff} | {dint} | {d} | {r['not_reached']} of {r['runs']} |")
        out.append("")
    if exp.failures:
        out += ["## Failed runs", "", *[f"- {k} (seed {v['seed']}): {v['error'].splitlines()[0]}" for k, v in exp.failures.items()], ""]
    return "\n".join(out)


def write_report(exp: Experiment, order: list[str]) -> tuple[pd.DataFrame, Path]:
    """Write ``report.md`` and ``figures/`` into the experiment folder; returns the stats table."""
    from .figures import comparison_figures, network_figure

    stats = compare_stats(exp.summary(), order)
    figures = comparison_figures(exp, order, exp.folder / "figures")
    views = network_views(exp, order)
    if views:
        figures.append(network_figure({n: m for n, (m, _) in views.items()}, exp.folder / "figures"))
        for name, (matrix, _) in views.items():
            matrix.to_csv(exp.folder / f"network_{safe_name(name)}.csv")
    rel = [str(Path(f).relative_to(exp.folder)) for f in figures]
    path = exp.folder / "report.md"
    path.write_text(_markdown(stats, order, exp, rel, _phase_markdown(phase_views(exp, order)) + _network_markdown(views, stats)))
    return stats, path
