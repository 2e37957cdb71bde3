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

from .survival import km_quantile, restricted_mean

__all__ = ["METRICS", "headline", "format_table", "phase_table", "PHASE_COLUMNS", "people_groups"]

# name -> (label, unit, better: "lower"/"higher")
METRICS = {
    "decision_latency_mean": ("decision latency, restricted mean (open = censored)", "ticks", "lower"),
    "decision_latency_median": ("decision latency, Kaplan-Meier median", "ticks", "lower"),
    "decision_latency_p90": ("decision latency, Kaplan-Meier 90th percentile", "ticks", "lower"),
    "decisions_open_share": ("decisions not taken by the end", "share", "lower"),
    "decisions_given_up_share": ("decisions given up unanswered", "share", "lower"),
    "decision_input_coverage": ("inputs present when decided", "share", "higher"),
    "decision_contributors": ("contributors per decision (besides the owner)", "people", "higher"),
    "decision_quality": ("relevant knowledge held when deciding", "share", "higher"),
    "decision_detours": ("asks and requests sent through a relay per decision (writer not aware of the recipient)", "messages", "lower"),
    "customer_issue_latency_mean": ("customer issues: time to resolve, restricted mean", "ticks", "lower"),
    "market_t50_median": ("market signals: time to 50 % of the staff it concerns", "ticks", "lower"),
    "goal_t50_median": ("goals: time to 50 % of the staff it concerns", "ticks", "lower"),
    "process_t50_median": ("process know-how: time to 50 % of the staff it concerns", "ticks", "lower"),
    "market_t90_median": ("market signals: time to 90 % of the staff it concerns", "ticks", "lower"),
    "goal_t90_median": ("goals: time to 90 % of the staff it concerns", "ticks", "lower"),
    "process_t90_median": ("process know-how: time to 90 % of the staff it concerns", "ticks", "lower"),
    "market_coverage_employees": ("market signals known by employees", "share", "higher"),
    "goal_coverage_employees": ("goals known by employees", "share", "higher"),
    "process_coverage_employees": ("process know-how known by employees", "share", "higher"),
    "market_coverage_concerned": ("market signals known by the staff they concern", "share", "higher"),
    "goal_coverage_concerned": ("goals known by the staff they concern", "share", "higher"),
    "process_coverage_concerned": ("process know-how known by the staff it concerns", "share", "higher"),
    "market_coverage_partners": ("market signals known by partners", "share", "higher"),
    "market_coverage_customers": ("market signals known by customers", "share", "higher"),
    "gatekeeper_backlog_peak": ("peak gatekeeper backlog", "messages", "lower"),
    "gatekeeper_utilisation": ("gatekeepers' time spent screening", "share", "lower"),
    "reading_hours_per_week": ("reading, mail and feed, per person", "hours/week", "lower"),
    "writing_hours_per_week": ("writing, mail and posts, per person", "hours/week", "lower"),
    "manager_reading_hours_per_week": ("reading per manager or executive", "hours/week", "lower"),
    "adoption_final": ("stream users at the end", "share", "higher"),
    "awareness_who_knows_what": ("who knows what: knowers of my items I know of, at the end", "share", "higher"),
    "awareness_who_knows_whom": ("who knows whom: colleagues in my department I am aware of, at the end", "share", "higher"),
    "e_i_index": ("E-I index between groups (-1 all inside, +1 all across)", "index", "higher"),
    "gatekeeper_brokerage": ("cross-group messages that passed a gatekeeper", "share", "lower"),
}


def _median_with_never(values: pd.Series) -> float:
    """Median where missing values (never reached) count as infinitely late."""
    if len(values) == 0:
        return math.nan
    return float(np.median(values.astype("Float64").fillna(np.inf).to_numpy(dtype=float)))


def _mean_quality(decided: pd.DataFrame) -> float:
    """Mean quality of the decisions taken that needed any knowledge (NaN when none did)."""
    if "quality" not in decided:
        return math.nan
    q = decided["quality"].astype("Float64").dropna()
    return float(q.mean()) if len(q) else math.nan


def headline(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The headline metrics (see :data:`METRICS`) of one run.  Decision latencies treat decisions
    not taken by the end as censored at the run's end (Kaplan-Meier; restricted mean up to the
    horizon), never as dropped."""
    d, k, ts, people = tables["decisions"], tables["knowledge"], tables["timeseries"], tables["people"]
    horizon = float(ts["tick"].iloc[-1] + 1) if len(ts) else 0.0
    decided = d[d["decided_tick"].notna()]
    durations = np.where(d["decided_tick"].notna(), d["latency_ticks"].astype("Float64").fillna(0).to_numpy(float), horizon - d["created_tick"].to_numpy(float))
    observed = d["decided_tick"].notna().to_numpy()
    out = {
        "decision_latency_mean": restricted_mean(durations, observed, horizon) if len(d) else math.nan,
        "decision_latency_median": km_quantile(durations, observed, 0.5) if len(d) else math.nan,
        "decision_latency_p90": km_quantile(durations, observed, 0.9) if len(d) else math.nan,
        "decisions_open_share": float(d["decided_tick"].isna().mean()) if len(d) else math.nan,
        "decisions_given_up_share": float((d["status"] == "given_up_unanswered").mean()) if len(d) else math.nan,
        "decision_input_coverage": float((decided["inputs_received"] / decided["inputs_required"]).mean()) if len(decided) else math.nan,
        "decision_contributors": float(decided["contributors"].mean()) if len(decided) else math.nan,
        "decision_quality": _mean_quality(decided),
        "decision_detours": float(d["detours"].mean()) if len(d) and "detours" in d else math.nan,
    }
    issues = d["kind"] == "customer_issue"
    out["customer_issue_latency_mean"] = restricted_mean(durations[issues.to_numpy()], observed[issues.to_numpy()], horizon) if issues.any() else math.nan
    for kind in ("market", "goal", "process"):
        items = k[k["kind"] == kind]
        out[f"{kind}_t50_median"] = _median_with_never(items["t50_ticks"])
        out[f"{kind}_t90_median"] = _median_with_never(items["t90_ticks"])
        out[f"{kind}_coverage_employees"] = float(items["coverage_employees"].mean()) if len(items) else math.nan
        out[f"{kind}_coverage_concerned"] = float(items["coverage_concerned"].mean()) if len(items) else math.nan
        if kind == "market":  # what is meant for partners and customers too
            for group in ("partners", "customers"):
                out[f"market_coverage_{group}"] = float(items[f"coverage_{group}"].mean()) if len(items) else math.nan
    out["gatekeeper_backlog_peak"] = float(ts["gatekeeper_backlog_max"].max()) if len(ts) else 0.0
    gk = people[people["role"] == "gatekeeper"]
    out["gatekeeper_utilisation"] = float(gk["utilisation"].mean()) if len(gk) else math.nan
    staff = people[people["role"].isin(["employee", "manager", "executive"])]
    leads = people[people["role"].isin(["manager", "executive"])]
    out["reading_hours_per_week"] = float(staff["reading_hours_per_week"].mean()) if len(staff) else math.nan
    out["writing_hours_per_week"] = float(staff["writing_hours_per_week"].mean()) if len(staff) else math.nan
    out["manager_reading_hours_per_week"] = float(leads["reading_hours_per_week"].mean()) if len(leads) else math.nan
    out["adoption_final"] = float(ts["adoption_share"].iloc[-1]) if len(ts) else 0.0
    for metric, column in (("awareness_who_knows_what", "awareness_what_staff"), ("awareness_who_knows_whom", "awareness_whom_department_staff")):
        out[metric] = float(ts[column].iloc[-1]) if len(ts) and column in ts else math.nan
    out.update(_network(tables))
    return out


def _network(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """E-I index over tracked reads between groups, and the share of cross-group messages brokered
    by gatekeepers (see :mod:`sim.ona`); NaN when the run kept no network tables."""
    from .ona import e_i_overall, group_matrix

    ts, edges, people = tables["timeseries"], tables.get("edges"), tables["people"]
    out = {"e_i_index": math.nan, "gatekeeper_brokerage": math.nan}
    if edges is not None and len(edges):
        group, names = people_groups(people)
        out["e_i_index"] = e_i_overall(group_matrix(edges, group, names))
    if "cross_group_read" in ts and ts["cross_group_read"].sum() > 0:
        out["gatekeeper_brokerage"] = float(ts["cross_group_via_gatekeeper"].sum() / ts["cross_group_read"].sum())
    return out


def people_groups(people: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Network-analysis group of each person from the ``people`` table: their department; partners
    and customers one group each (as :func:`sim.ona.ona_groups`)."""
    dept = people["department"].astype(str).to_numpy()
    role = people["role"].astype(str).to_numpy()
    label = np.where(role == "partner", "partners", np.where(role == "customer", "customers", dept))
    names = [d for d in dict.fromkeys(dept) if d != "(external)"] + ["partners", "customers"]
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[x] for x in label], np.int64), names


def _fmt(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "not reached"
    if unit == "share":  # small shares (who knows what) keep a decimal, so they do not read as 0 %
        return f"{100 * value:.0f} %" if abs(value) >= 0.1 or value == 0 else f"{100 * value:.1f} %"
    if unit in ("hours/week", "people", "index"):
        return f"{value:.2f}"
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


PHASE_COLUMNS = ["phase", "start_tick", "end_tick", "decisions", "decision_latency_mean", "decisions_open_share",
                 "items", "items_t50_median", "reading_hours_per_week", "adoption_at_end"]


def phase_table(tables: dict[str, pd.DataFrame], phases: list[tuple[int, int, str]], tick_hours: float = 1.0) -> pd.DataFrame:
    """Metrics per phase of a change programme (``phases`` from :func:`sim.interventions.phases`):
    decisions that arose in the phase (restricted-mean latency, censored at the run's end, as in
    the headline), knowledge items born in it (median time to half the staff, never = infinitely
    late), reading hours per person and week during it (everyone: staff, gatekeepers, partners,
    customers), and stream adoption at its end."""
    d, k, ts, people = tables["decisions"], tables["knowledge"], tables["timeseries"], tables["people"]
    horizon = float(ts["tick"].iloc[-1] + 1) if len(ts) else 0.0
    everyone = len(people) or 1
    rows = []
    for start, end, name in phases:
        dd = d[(d["created_tick"] >= start) & (d["created_tick"] < end)]
        observed = dd["decided_tick"].notna().to_numpy()
        durations = np.where(observed, dd["latency_ticks"].astype("Float64").fillna(0).to_numpy(float), horizon - dd["created_tick"].to_numpy(float))
        kk = k[(k["born_tick"] >= start) & (k["born_tick"] < end)]
        tt = ts[(ts["tick"] >= start) & (ts["tick"] < end)]
        weeks = len(tt) * tick_hours / 40.0
        rows.append({
            "phase": name, "start_tick": start, "end_tick": end, "decisions": len(dd),
            "decision_latency_mean": restricted_mean(durations, observed, horizon - start) if len(dd) else math.nan,
            "decisions_open_share": float((~observed).mean()) if len(dd) else math.nan,
            "items": len(kk), "items_t50_median": _median_with_never(kk["t50_ticks"]),
            "reading_hours_per_week": float(tt["reading_hours"].sum() / everyone / weeks) if weeks > 0 else math.nan,
            "adoption_at_end": float(tt["adoption_share"].iloc[-1]) if len(tt) else math.nan,
        })
    return pd.DataFrame(rows, columns=PHASE_COLUMNS)
