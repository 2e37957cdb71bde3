"""Results: per-tick readings while the model runs, tidy tables after, and safe writing to disk.

Four tables (every column is documented in the README, "Output tables"):

- ``timeseries``: one row per tick;
- ``decisions``: one row per decision;
- ``knowledge``: one row per knowledge item;
- ``people``: one row per person.

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

from .organisation import Group, Role

__all__ = ["Recorder", "tables", "write_run", "write_table_atomic", "manifest_versions", "TIMESERIES_COLUMNS"]

KIND_NAMES = ("market", "goal", "process")
GROUP_NAMES = tuple(g.name.lower() for g in Group)
COVERAGE_COLUMNS = [f"informed_{k}_{g}" for k in KIND_NAMES for g in GROUP_NAMES]
COUNTER_COLUMNS = [
    "email_sent", "email_read", "email_in_flight", "email_backlog_max",
    "gatekeeper_backlog", "gatekeeper_backlog_max", "email_expired", "email_filtered",
    "stream_posts", "stream_reads", "stream_unread_entries",
    "adoption_share", "decisions_created", "decisions_decided", "decisions_open",
]
TIMESERIES_COLUMNS = ["tick", *COVERAGE_COLUMNS, *COUNTER_COLUMNS]


class Recorder:
    """Collects one row per tick into preallocated arrays (no per-tick DataFrame work)."""

    def __init__(self, model, ticks: int):
        self.model = model
        self.rows = np.full((ticks, len(TIMESERIES_COLUMNS)), np.nan)
        self.filled = 0
        self.gatekeepers = model.org.members(Role.GATEKEEPER)
        self.staff = np.flatnonzero(model.org.role != Role.GATEKEEPER)

    def record(self, now: int) -> None:
        m = self.model
        if self.filled >= len(self.rows):
            self.rows = np.vstack([self.rows, np.full_like(self.rows, np.nan)])
        backlog = m.email.backlog
        gk = backlog[self.gatekeepers] if len(self.gatekeepers) else np.zeros(1, np.int64)
        eligible = m.eligible
        counters = [
            m.email.tick_sent, m.email.tick_read, m.email.in_flight, backlog[self.staff].max(initial=0),
            gk.sum(), gk.max(initial=0), m.email.expired_total, m.email.dropped_total,
            m.stream.tick_posts, m.stream.tick_reads, m.stream.unread_entries,
            m.adopted[eligible].mean() if eligible.any() else 0.0,
            len(m.decisions), m.decisions_closed, len(m.decisions) - m.decisions_closed,
        ]
        self.rows[self.filled] = [now, *m.knowledge.mean_coverage().ravel(), *counters]
        self.filled += 1


def timeseries_table(model) -> pd.DataFrame:
    df = pd.DataFrame(model.recorder.rows[: model.recorder.filled], columns=TIMESERIES_COLUMNS)
    ints = ["tick", *[c for c in COUNTER_COLUMNS if c != "adoption_share"]]
    return df.astype({c: "int64" for c in ints})


def decisions_table(model) -> pd.DataFrame:
    cols = [
        "decision_id", "kind", "originator", "owner", "created_tick", "owner_aware_tick", "decided_tick",
        "latency_ticks", "inputs_required", "inputs_received", "people_involved", "gatekeepers_passed", "messages_used",
    ]
    df = pd.DataFrame([d.record() for d in model.decisions], columns=cols)
    for c in ("owner_aware_tick", "decided_tick", "latency_ticks"):
        df[c] = df[c].astype("Int64")
    for c in ("decision_id", "originator", "owner", "created_tick", "inputs_required", "inputs_received", "people_involved", "gatekeepers_passed", "messages_used"):
        df[c] = df[c].astype("int64")
    df["kind"] = df["kind"].astype("string")
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
        "t_first_ticks": _ticks_or_null(kb.t_first[:k]),
        "t50_ticks": _ticks_or_null(kb.t50[:k]),
        "t90_ticks": _ticks_or_null(kb.t90[:k]),
    })
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
    return pd.DataFrame({
        "person": np.arange(org.n, dtype=np.int64),
        "external_id": pd.array(_external_ids(org), dtype="string"),
        "role": pd.array([Role(r).name.lower() for r in org.role], dtype="string"),
        "department": pd.array(names[org.department], dtype="string"),
        "level": org.level.astype(np.int64),
        "manager": org.manager.astype(np.int64),
        "ties": org.degree.astype(np.int64),
        "uses_stream": model.adopted.copy(),
        "email_sent": model.email.sent_by,
        "email_read": model.email.read_by,
        "stream_posts": model.stream.posted_by,
        "stream_reads": model.stream.read_by,
        "peak_backlog": model.email.peak_backlog,
        "items_known": known.astype(np.int64),
        **{f"attr_{name}": pd.array(list(values) + [None] * (org.n - len(values)), dtype="string") for name, values in org.attributes.items()},
    })


def _external_ids(org) -> list:
    """Ids from an imported file for the people read from it; gatekeepers added by orgsim have none."""
    ids = list(org.external_ids or [])
    return ids + [None] * (org.n - len(ids))


def tables(model) -> dict[str, pd.DataFrame]:
    """All four result tables of a finished (or paused) run."""
    return {
        "timeseries": timeseries_table(model),
        "decisions": decisions_table(model),
        "knowledge": knowledge_table(model),
        "people": people_table(model),
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
        "scenario": model.config.to_dict(),
        "scenario_hash": scenario_hash(model.config),
        "seed": model.seed_value,
        "ticks_run": model.now,
        "people": model.org.n,
        **manifest_versions(),
    }


def write_run(model, out_dir: Path) -> dict[str, pd.DataFrame]:
    """Write manifest and the four tables into ``out_dir`` (created); returns the tables."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = tables(model)
    for name, df in result.items():
        write_table_atomic(df, out_dir / f"{name}.parquet")
    tmp = out_dir / f".manifest.json.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(manifest(model), indent=2, sort_keys=True))
    os.replace(tmp, out_dir / "manifest.json")
    return result
