"""Headline metrics of one run, computed from its tables (nothing here reads the model).

Each metric has a name, a unit and a plain meaning, so terminals, reports and notebooks agree.
Knowledge times are medians over *all* items with never-reached counted as infinitely late: when
fewer than half the items ever reach 50 % of the staff, the median is reported as not reached
(``inf``) rather than flattering the channel with the few items that made it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["METRICS", "headline", "format_table"]

# name -> (label, unit, better: "lower"/"higher")
METRICS = {
    "decision_latency_mean": ("decision latency, mean", "ticks", "lower"),
    "decision_latency_median": ("decision latency, median", "ticks", "lower"),
    "decision_latency_p90": ("decision latency, 90th percentile", "ticks", "lower"),
    "decisions_open_share": ("decisions still open at the end", "share", "lower"),
    "decision_input_coverage": ("inputs present when decided", "share", "higher"),
    "market_t50_median": ("market signals: time to 50 % of staff", "ticks", "lower"),
    "goal_t50_median": ("goals: time to 50 % of staff", "ticks", "lower"),
    "process_t50_median": ("process know-how: time to 50 % of staff", "ticks", "lower"),
    "market_t90_median": ("market signals: time to 90 % of staff", "ticks", "lower"),
    "goal_t90_median": ("goals: time to 90 % of staff", "ticks", "lower"),
    "process_t90_median": ("process know-how: time to 90 % of staff", "ticks", "lower"),
    "market_coverage_employees": ("market signals known by employees", "share", "higher"),
    "goal_coverage_employees": ("goals known by employees", "share", "higher"),
    "process_coverage_employees": ("process know-how known by employees", "share", "higher"),
    "gatekeeper_backlog_peak": ("peak gatekeeper backlog", "messages", "lower"),
    "messages_per_person": ("mails + posts per person", "messages", "lower"),
    "adoption_final": ("stream users at the end", "share", "higher"),
}


def _median_with_never(values: pd.Series) -> float:
    """Median where missing values (never reached) count as infinitely late."""
    if len(values) == 0:
        return math.nan
    return float(np.median(values.astype("Float64").fillna(np.inf).to_numpy(dtype=float)))


def headline(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The headline metrics (see :data:`METRICS`) of one run."""
    d, k, ts, people = tables["decisions"], tables["knowledge"], tables["timeseries"], tables["people"]
    decided = d[d["decided_tick"].notna()]
    lat = decided["latency_ticks"].astype(float)
    out = {
        "decision_latency_mean": float(lat.mean()) if len(lat) else math.nan,
        "decision_latency_median": float(lat.median()) if len(lat) else math.nan,
        "decision_latency_p90": float(lat.quantile(0.9)) if len(lat) else math.nan,
        "decisions_open_share": float(d["decided_tick"].isna().mean()) if len(d) else math.nan,
        "decision_input_coverage": float((decided["inputs_received"] / decided["inputs_required"]).mean()) if len(decided) else math.nan,
    }
    for kind in ("market", "goal", "process"):
        items = k[k["kind"] == kind]
        out[f"{kind}_t50_median"] = _median_with_never(items["t50_ticks"])
        out[f"{kind}_t90_median"] = _median_with_never(items["t90_ticks"])
        out[f"{kind}_coverage_employees"] = float(items["coverage_employees"].mean()) if len(items) else math.nan
    out["gatekeeper_backlog_peak"] = float(ts["gatekeeper_backlog_max"].max()) if len(ts) else 0.0
    n = max(len(people), 1)
    out["messages_per_person"] = float(ts["email_sent"].sum() + ts["stream_posts"].sum()) / n
    out["adoption_final"] = float(ts["adoption_share"].iloc[-1]) if len(ts) else 0.0
    return out


def _fmt(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "not reached"
    if unit == "share":
        return f"{100 * value:.0f} %"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def format_table(results: dict[str, dict[str, float]]) -> str:
    """Scenarios side by side, one metric per line, as plain text for the terminal."""
    names = list(results)
    label_w = max(len(f"{label} ({unit})") for label, unit, _ in METRICS.values())
    col_w = max(12, *(len(n) for n in names))
    lines = [" " * label_w + "  " + "  ".join(n.rjust(col_w) for n in names)]
    for key, (label, unit, _) in METRICS.items():
        cells = [_fmt(results[n].get(key, math.nan), unit).rjust(col_w) for n in names]
        lines.append(f"{label} ({unit})".ljust(label_w) + "  " + "  ".join(cells))
    return "\n".join(lines)
