"""Replicated experiments: many runs of scenario variants, with common random numbers, on an executor.

Replication i of every scenario (or sweep point) uses the same seed (common random numbers), derived
from one base seed with ``numpy.random.SeedSequence``, so differences between variants are paired.
Runs are independent and go to an executor:

- ``serial``: in this process, one after the other (for debugging);
- ``process``: a local pool, one worker per core, started with ``spawn`` so no parent state leaks;
- ``dask``: a dask.distributed cluster: the one at ``scheduler`` (or ``DASK_SCHEDULER_ADDRESS``), or a
  ``LocalCluster`` started for the experiment.  Workers need only ``pip install`` of this project.

Results stream back as runs finish and are stored by this process, so the outcome does not depend
on the executor or on the order runs finish.  Each run is stored under a temporary name and renamed:
an interrupted experiment resumes (finished runs are read back, missing ones run).  A run that raises
is recorded with its seed and error; the others go on.

Two ways of storing a run:

- ``tables`` (comparisons): ``runs/<name>/rep-<i>/`` with the four tables and ``headline.json``;
- ``row`` (sweeps): ``runs/<name>-rep-<i>.parquet``, one row: the point's parameters, the seed and
  every headline metric, so that ``pd.read_parquet(folder / "runs")`` or DuckDB's
  ``SELECT * FROM 'runs/*.parquet'`` gives the whole sweep.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import shutil
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .results import manifest_versions, write_table_atomic
from .scenario import Scenario, scenario_hash
from .summary import METRICS, headline

__all__ = [
    "RunSpec", "Experiment", "Comparison", "replication_seeds", "execute", "run_specs", "run_experiment",
    "check_resumable", "write_manifest", "interval", "EXECUTORS",
]

EXECUTORS = ("serial", "process", "dask")


def replication_seeds(base_seed: int, replications: int) -> list[int]:
    """One seed per replication, shared by every scenario (common random numbers).

    >>> replication_seeds(1, 3) == replication_seeds(1, 3) != replication_seeds(2, 3)
    True
    """
    children = np.random.SeedSequence(base_seed).spawn(replications)
    return [int(c.generate_state(1)[0]) for c in children]


@dataclass(frozen=True)
class RunSpec:
    """One run: a validated scenario (as plain data, so it pickles small), a replication, a seed, and
    for sweeps the parameters that define the point."""

    name: str
    scenario: dict
    replication: int
    seed: int
    params: tuple = ()  # ((dotted.key, value), ...)
    keep_tables: bool = True

    @property
    def key(self) -> str:
        return f"{self.name}/rep-{self.replication:03d}" if self.keep_tables else f"{self.name}-rep-{self.replication:03d}"


def execute(spec: RunSpec) -> dict:
    """Run one spec to the end; returns its headline metrics and, if kept, its tables already encoded
    as Parquet bytes (the encoding is done by the worker, not by the process collecting results).
    Top level so it pickles for process pools and dask workers."""
    from .model import OrgModel

    model = OrgModel(Scenario.model_validate(spec.scenario), seed=spec.seed)
    model.run()
    tables = model.tables()
    encoded = {name: df.to_parquet(index=False) for name, df in tables.items()} if spec.keep_tables else None
    return {"tables": encoded, "headline": headline(tables)}


def _safe_execute(spec: RunSpec):
    try:
        return spec, execute(spec), None
    except Exception as exc:  # noqa: BLE001 - a failing run is recorded, the others go on
        return spec, None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"


# ------------------------------------------------------------------------------------------ storage
def _path(folder: Path, spec: RunSpec) -> Path:
    return folder / "runs" / (spec.key if spec.keep_tables else f"{spec.key}.parquet")


def _store(folder: Path, spec: RunSpec, result: dict) -> None:
    final = _path(folder, spec)
    final.parent.mkdir(parents=True, exist_ok=True)
    if not spec.keep_tables:
        write_table_atomic(pd.DataFrame([_row(spec, result["headline"])]), final)
        return
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, blob in result["tables"].items():
        (tmp / f"{name}.parquet").write_bytes(blob)  # inside the temporary folder renamed below
    (tmp / "headline.json").write_text(json.dumps({"seed": spec.seed, "headline": result["headline"]}, sort_keys=True))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


def _row(spec: RunSpec, values: dict) -> dict:
    return {"point": spec.name, "replication": spec.replication, "seed": spec.seed, **dict(spec.params), **{k: values[k] for k in METRICS}}


def _read_back(folder: Path, spec: RunSpec) -> dict | None:
    path = _path(folder, spec)
    if spec.keep_tables:
        if not (path / "headline.json").exists():
            return None
        data = json.loads((path / "headline.json").read_text())
        return data["headline"] if data.get("seed") == spec.seed else None
    if not path.exists():
        return None
    row = pd.read_parquet(path).iloc[0]
    return {k: float(row[k]) for k in METRICS} if int(row["seed"]) == spec.seed else None


# ------------------------------------------------------------------------------------------ results
@dataclass
class Experiment:
    """What an experiment produced: per-run headlines (finished or read back) and failures."""

    folder: Path
    specs: list[RunSpec]
    headlines: dict[str, dict[str, float]] = field(default_factory=dict)
    failures: dict[str, dict] = field(default_factory=dict)
    ran: int = 0
    reused: int = 0

    def summary(self) -> pd.DataFrame:
        """One row per scenario x replication x metric (the long table in ``summary.parquet``)."""
        rows = [
            {"scenario": s.name, "replication": s.replication, "seed": s.seed, "metric": k, "value": self.headlines[s.key][k]}
            for s in self.specs if s.key in self.headlines
            for k in METRICS
        ]
        return pd.DataFrame(rows, columns=["scenario", "replication", "seed", "metric", "value"])

    def wide(self) -> pd.DataFrame:
        """One row per run: point, replication, seed, parameters, every headline metric."""
        return pd.DataFrame([_row(s, self.headlines[s.key]) for s in self.specs if s.key in self.headlines])

    def tables(self, name: str, table: str) -> list[pd.DataFrame]:
        """The given table of every finished replication of scenario ``name`` (read from disk)."""
        out = []
        for s in self.specs:
            path = _path(self.folder, s) / f"{table}.parquet"
            if s.name == name and path.exists():
                out.append(pd.read_parquet(path).assign(replication=s.replication))
        return out


@dataclass
class Comparison:
    """What :func:`sim.compare` returns."""

    summary: pd.DataFrame
    stats: pd.DataFrame
    report: Path
    figures: list[Path]
    failures: dict[str, dict]


# ------------------------------------------------------------------------------------------ manifest
def write_manifest(folder: Path, scenarios: dict[str, Scenario], base_seed: int, seeds: list[int], command: list[str] | None, **extra) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "scenarios": {name: {"scenario": s.to_dict(), "scenario_hash": scenario_hash(s)} for name, s in scenarios.items()},
        "base_seed": base_seed,
        "replication_seeds": seeds,
        "command": command,
        **extra,
        **manifest_versions(),
    }
    tmp = folder / f".manifest.json.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str))
    os.replace(tmp, folder / "manifest.json")


def check_resumable(folder: Path, scenarios: dict[str, Scenario], base_seed: int) -> str | None:
    """Why an existing experiment folder cannot be resumed with these inputs (None if it can)."""
    path = folder / "manifest.json"
    if not path.exists():
        return None if not folder.exists() or not any(folder.iterdir()) else "folder exists and holds no experiment manifest"
    old = json.loads(path.read_text())
    if old.get("base_seed") != base_seed:
        return f"it was run with base seed {old.get('base_seed')}, not {base_seed}"
    for name, s in scenarios.items():
        prev = old.get("scenarios", {}).get(name)
        if prev is not None and prev["scenario_hash"] != scenario_hash(s):
            return f"scenario {name} differs from the one run there (hash {prev['scenario_hash'][:12]}...)"
    return None


# ------------------------------------------------------------------------------------------ running
def run_specs(specs: list[RunSpec], folder: Path, executor: str = "process", workers: int | None = None,
              scheduler: str | None = None, progress: bool = True) -> Experiment:
    """Run every spec not already stored in ``folder``; store results as they arrive."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS} (got {executor!r})")
    exp = Experiment(folder, specs)
    for stale in (folder / "runs").rglob(".*.tmp-*") if (folder / "runs").exists() else ():
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()  # half-written by an interrupted attempt
    todo = []
    for spec in specs:
        done = _read_back(folder, spec)
        if done is None:
            todo.append(spec)
        else:
            exp.headlines[spec.key] = done
            exp.reused += 1
    bar = _progress(len(specs), exp.reused, progress)
    for spec, result, error in _dispatch(todo, executor, workers, scheduler):
        if error is None:
            _store(folder, spec, result)
            exp.headlines[spec.key] = result["headline"]
            exp.ran += 1
        else:
            exp.failures[spec.key] = {"name": spec.name, "replication": spec.replication, "seed": spec.seed, "error": error}
        if bar is not None:
            bar.update(1)
            bar.set_postfix(done=len(exp.headlines), failed=len(exp.failures))
    if bar is not None:
        bar.close()
    failures = folder / "failures.json"
    if exp.failures:
        failures.write_text(json.dumps(exp.failures, indent=2, sort_keys=True))
    elif failures.exists():
        failures.unlink()
    return exp


def run_experiment(scenarios: list[Scenario], replications: int, folder: Path, base_seed: int = 1, executor: str = "process",
                   workers: int | None = None, progress: bool = True, command: list[str] | None = None,
                   scheduler: str | None = None) -> Experiment:
    """Run ``replications`` of every scenario into ``folder`` (resuming what is there)."""
    seeds = replication_seeds(base_seed, replications)
    specs = [RunSpec(s.name, s.to_dict(), i, seed) for s in scenarios for i, seed in enumerate(seeds)]
    write_manifest(folder, {s.name: s for s in scenarios}, base_seed, seeds, command)
    exp = run_specs(specs, folder, executor, workers, scheduler, progress)
    exp.summary().to_parquet(folder / "summary.parquet", index=False)
    return exp


def _progress(total: int, done: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, desc="runs", unit="run", mininterval=0.5, delay=1.0)


def _dispatch(specs: list[RunSpec], executor: str, workers: int | None, scheduler: str | None):
    """Yield (spec, result, error) as runs finish."""
    if not specs:
        return
    if executor == "serial":
        for spec in specs:
            yield _safe_execute(spec)
    elif executor == "process":
        workers = workers or os.cpu_count() or 1
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(specs)), mp_context=ctx) as pool:
            for fut in as_completed([pool.submit(_safe_execute, spec) for spec in specs]):
                yield fut.result()
    else:
        yield from _dispatch_dask(specs, workers, scheduler)


def _dispatch_dask(specs: list[RunSpec], workers: int | None, scheduler: str | None):
    from distributed import Client, LocalCluster, as_completed as dask_completed

    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None)
        address = cluster.scheduler_address
    try:
        with Client(address) as client:
            futures = client.map(_safe_execute, specs, pure=False)
            for fut in dask_completed(futures):
                yield fut.result()
    finally:
        if cluster is not None:
            cluster.close()


class SchedulerUnreachable(ConnectionError):
    """The dask scheduler named by --scheduler or DASK_SCHEDULER_ADDRESS does not answer."""


def probe_scheduler(address: str, timeout: float = 10) -> None:
    """Raise :class:`SchedulerUnreachable` unless a dask scheduler answers at ``address``."""
    from distributed import Client

    try:
        Client(address, timeout=timeout).close()
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachable(f"cannot reach a dask scheduler at {address!r} ({type(exc).__name__})") from None


def interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t confidence interval of the mean (NaN bounds for fewer than 2 values)."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values)))
    return mean, mean - half, mean + half
