"""Results: per-tick readings while the model runs, tidy tables after, and safe writing to disk.

Six tables (every column is documented in the README, "Output tables"):

- ``timeseries``: one row per tick;
- ``decisions``: one row per decision;
- ``knowledge``: one row per knowledge item;
- ``people``: one row per person;
- ``edges``: one row per sender, recipient, channel and week (network analysis, :mod:`sim.ona`);
- ``person_week``: one row per person and week.

Tables are written as Parquet to a temporary name and renamed, so a crash never leaves half a table.
"""

from __future__ import annotations

import json
import os
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .awareness import READING_COLUMNS
from .messages import CHANNEL
from .organisation import Group, Role

__all__ = ["Recorder", "tables", "write_run", "write_table_atomic", "manifest_versions", "TIMESERIES_COLUMNS"]

KIND_NAMES = ("market", "goal", "process")
GROUP_NAMES = tuple(g.name.lower() for g in Group)
COVERAGE_COLUMNS = [f"informed_{k}_{g}" for k in KIND_NAMES for g in GROUP_NAMES]
COUNTER_COLUMNS = [
    "email_sent", "email_read", "stream_posts", "stream_read", "background_read",
    "in_flight", "backlog_max", "gatekeeper_backlog", "gatekeeper_backlog_max", "expired", "filtered",
    "reading_hours", "adoption_share", "decisions_created", "decisions_decided", "decisions_open",
    "cross_group_read", "cross_group_via_gatekeeper",
]
TIMESERIES_COLUMNS = ["tick", *COVERAGE_COLUMNS, *COUNTER_COLUMNS, *READING_COLUMNS]
FLOAT_COLUMNS = ("adoption_share", "reading_hours")


class Recorder:
    """Collects one row per tick into preallocated arrays (no per-tick DataFrame work)."""

    def __init__(self, model, ticks: int):
        self.model = model
        self.rows = np.full((ticks, len(TIMESERIES_COLUMNS)), np.nan)
        self.filled = 0
        self.gatekeepers = model.org.members(Role.GATEKEEPER)
        self.staff = np.flatnonzero(model.org.role != Role.GATEKEEPER)
        self.peak_backlog = np.zeros(model.org.n, np.int64)
        self.cross_before = (0, 0)  # the network ledger's cumulative cross-group counts at the last record

    def record(self, now: int) -> None:
        m = self.model
        if self.filled >= len(self.rows):
            self.rows = np.vstack([self.rows, np.full_like(self.rows, np.nan)])
        att = m.attention
        backlog = att.queued + att.in_transit()
        np.maximum(self.peak_backlog, backlog, out=self.peak_backlog)
        gk = backlog[self.gatekeepers] if len(self.gatekeepers) else np.zeros(1, np.int64)
        rows = m.last_read.rows
        tracked = np.bincount(rows[:, CHANNEL], minlength=2) if len(rows) else np.zeros(2, np.int64)
        desk = m.decision_desk
        decided = desk.closed
        cross = (m.traffic.cross_group_read, m.traffic.cross_group_via_gatekeeper)
        counters = [
            m.mail.tick_sent, tracked[0], m.stream.tick_posts, tracked[1], int(m.last_read.per_channel.sum()) - len(rows),
            m.tracked_in_flight(), backlog[self.staff].max(initial=0), gk.sum(), gk.max(initial=0),
            int(att.expired.sum()), int(m.router.dropped.sum()),
            m.last_read.per_channel.sum() * m.config.attention.read_minutes_per_item / 60.0, m.adoption.share(),
            len(desk.decisions), decided, len(desk.decisions) - decided,
            cross[0] - self.cross_before[0], cross[1] - self.cross_before[1],
        ]
        self.cross_before = cross
        self.rows[self.filled] = [now, *m.knowledge.mean_coverage().ravel(), *counters, *m.awareness.readings(now)]
        self.filled += 1


def timeseries_table(model) -> pd.DataFrame:
    df = pd.DataFrame(model.recorder.rows[: model.recorder.filled], columns=TIMESERIES_COLUMNS)
    ints = ["tick", *[c for c in COUNTER_COLUMNS if c not in FLOAT_COLUMNS]]
    return df.astype({c: "int64" for c in ints})


DECISION_COLUMNS = [
    "decision_id", "kind", "scope", "originator", "owner", "owner_level", "created_tick", "owner_aware_tick", "decided_tick",
    "latency_ticks", "status", "inputs_required", "inputs_received", "contributors", "follow_ups", "people_involved",
    "gatekeepers_passed", "messages_used", "relevant_items", "quality",
    "found_by_search", "detours",
]


def decisions_table(model) -> pd.DataFrame:
    records = [d.record() for d in model.decisions]
    for r in records:
        r["owner_level"] = int(model.org.level[r["owner"]])
    df = pd.DataFrame(records, columns=DECISION_COLUMNS)
    for c in ("owner_aware_tick", "decided_tick", "latency_ticks"):
        df[c] = df[c].astype("Int64")
    for c in ("decision_id", "originator", "owner", "owner_level", "created_tick", "inputs_required", "inputs_received",
              "contributors", "follow_ups", "people_involved", "gatekeepers_passed", "messages_used", "relevant_items", "found_by_search", "detours"):
        df[c] = df[c].astype("int64")
    for c in ("kind", "scope", "status"):
        df[c] = df[c].astype("string")
    df["quality"] = df["quality"].astype("Float64")
    return df


def knowledge_table(model) -> pd.DataFrame:
    kb, org = model.knowledge, model.org
    k = kb.n_items
    cov = kb.coverage()
    df = pd.DataFrame({
        "item_id": np.arange(k, dtype=np.int64),
        "kind": pd.array([KIND_NAMES[i] for i in kb.kind], dtype="string"),
        "origin": kb.origin.astype(np.int64),
        "origin_role": pd.array([Role(r).name.lower() for r in org.role[kb.origin]], dtype="string"),
        "born_tick": kb.born.astype(np.int64),
        "concerns": pd.array([org.department_names[h] if h >= 0 else "all staff" for h in kb.home[:k]], dtype="string"),
        "t_first_ticks": _ticks_or_null(kb.t_first[:k]),
        "t50_ticks": _ticks_or_null(kb.t50[:k]),
        "t90_ticks": _ticks_or_null(kb.t90[:k]),
    })
    df["coverage_concerned"] = kb.concerned_coverage(np.arange(k))
    for g, name in enumerate(GROUP_NAMES):
        df[f"coverage_{name}"] = cov[:, g] if k else np.empty(0)
    return df


def _ticks_or_null(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Tick counts with -1 (never) as null."""
    return pd.arrays.IntegerArray(np.maximum(values, 0).astype(np.int64), values < 0)


def people_table(model) -> pd.DataFrame:
    """One row per person; an imported org chart's extra columns come last as ``attr_<column>``."""
    org = model.org
    names = np.array(org.department_names + ["(external)"], dtype=object)
    known = model.knowledge.known[:, : model.knowledge.n_items].sum(axis=1)
    weeks = max(model.now, 1) * model.config.tick_hours / 40.0
    reads = model.attention.read_total
    return pd.DataFrame({
        "person": np.arange(org.n, dtype=np.int64),
        "external_id": pd.array(_external_ids(org), dtype="string"),
        "role": pd.array([Role(r).name.lower() for r in org.role], dtype="string"),
        "department": pd.array(names[org.department], dtype="string"),
        "level": org.level.astype(np.int64),
        "manager": org.manager.astype(np.int64),
        "ties": org.degree.astype(np.int64),
        "uses_stream": model.adopted.copy(),
        "activity_weight": model.sharing.weight.astype(float),
        "email_sent": model.mail.sent_by.copy(),
        "stream_posts": model.stream.posted_by.copy(),
        "email_read": reads[0].copy(),
        "stream_read": reads[1].copy(),
        "reading_hours_per_week": model.read_minutes() / 60.0 / weeks,
        "writing_hours_per_week": model.write_minutes() / 60.0 / weeks,
        "screened": model.router.screened_count.copy(),
        "utilisation": _utilisation(model),
        "peak_backlog": model.recorder.peak_backlog.copy(),
        "items_known": known.astype(np.int64),
        **{f"attr_{name}": pd.array(list(values) + [None] * (org.n - len(values)), dtype="string") for name, values in org.attributes.items()},
    })


def _utilisation(model) -> np.ndarray:
    """Gatekeepers: messages screened over what their capacity could have handled; NaN for others."""
    out = np.full(model.org.n, np.nan)
    gk = model.org.role == Role.GATEKEEPER
    capacity = model.config.gatekeepers.capacity_per_tick * max(model.now, 1)
    if gk.any() and capacity > 0:
        out[gk] = model.router.screened_count[gk] / capacity
    return out


def _external_ids(org) -> list:
    """Ids from an imported file for the people read from it; gatekeepers added by orgsim have none."""
    ids = list(org.external_ids or [])
    return ids + [None] * (org.n - len(ids))


def tables(model) -> dict[str, pd.DataFrame]:
    """All six result tables of a finished (or paused) run."""
    edges = model.traffic.edges()
    return {
        "timeseries": timeseries_table(model),
        "decisions": decisions_table(model),
        "knowledge": knowledge_table(model),
        "people": people_table(model),
        "edges": edges,
        "person_week": model.traffic.person_week(edges, model.org.is_external(), model.person_counters()),
    }


def write_table_atomic(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _git_revision() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def manifest_versions() -> dict:
    """Package versions and the git revision, for every manifest."""
    versions = {}
    for pkg in ("orgsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx", "pydantic"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"versions": versions, "git_revision": _git_revision()}


def manifest(model) -> dict:
    from .scenario import scenario_hash

    return {
        "scenario": model.given_config.to_dict(),
        "scenario_hash": scenario_hash(model.given_config),
        "seed": model.seed_value,
        "ticks_run": model.now,
        "people": model.org.n,
        **manifest_versions(),
    }


def write_run(model, out_dir: Path) -> dict[str, pd.DataFrame]:
    """Write manifest and the six tables into ``out_dir`` (created); returns the tables."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = tables(model)
    for name, df in result.items():
        write_table_atomic(df, out_dir / f"{name}.parquet")
    tmp = out_dir / f".manifest.json.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(manifest(model), indent=2, sort_keys=True))
    os.replace(tmp, out_dir / "manifest.json")
    return result
