"""Replicated experiments: many runs of several scenarios, with common random numbers, on an executor.

Replication i of every scenario uses the same seed (common random numbers), derived from one base
seed with ``numpy.random.SeedSequence``; differences between scenarios are then paired and tighter.
Runs are independent, so they go to an executor: ``serial`` (in this process, for debugging) or
``process`` (a local pool, one worker per core, started with the ``spawn`` method so no state leaks
from the parent).  Results stream back as runs finish and are written by this process, each run to
its own folder, written under a temporary name and renamed, so an interrupted experiment resumes:
finished runs are read back, missing ones are run.  A run that raises is recorded with its seed and
error; the others go on.

Layout of an experiment folder::

    manifest.json                  scenarios as validated, hashes, seeds, versions, command line
    runs/<scenario>/rep-<i>/       the four tables of that run + headline.json
    failures.json                  runs that raised (only if any did)
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import shutil
import traceback
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .results import manifest_versions, write_table_atomic
from .scenario import Scenario, scenario_hash
from .summary import METRICS, headline

__all__ = ["RunSpec", "Experiment", "Comparison", "replication_seeds", "execute", "run_experiment", "EXECUTORS"]

EXECUTORS = ("serial", "process")
TABLES = ("timeseries", "decisions", "knowledge", "people")


def replication_seeds(base_seed: int, replications: int) -> list[int]:
    """One seed per replication, shared by every scenario (common random numbers).

    >>> replication_seeds(1, 3) == replication_seeds(1, 3) != replication_seeds(2, 3)
    True
    """
    children = np.random.SeedSequence(base_seed).spawn(replications)
    return [int(c.generate_state(1)[0]) for c in children]


@dataclass(frozen=True)
class RunSpec:
    """One run: a validated scenario (as plain data, so it pickles small), a replication, a seed."""

    name: str
    scenario: dict
    replication: int
    seed: int

    @property
    def key(self) -> str:
        return f"{self.name}/rep-{self.replication:03d}"


def execute(spec: RunSpec) -> dict:
    """Run one spec to the end; returns its tables and headline metrics.  Top level so it pickles."""
    from .model import OrgModel

    model = OrgModel(Scenario.model_validate(spec.scenario), seed=spec.seed)
    model.run()
    tables = model.tables()
    return {"tables": tables, "headline": headline(tables)}


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

    def tables(self, name: str, table: str) -> list[pd.DataFrame]:
        """The given table of every finished replication of scenario ``name`` (read from disk)."""
        out = []
        for s in self.specs:
            path = self.folder / "runs" / s.key / f"{table}.parquet"
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


def _run_folder(folder: Path, spec: RunSpec) -> Path:
    return folder / "runs" / spec.key


def _store(folder: Path, spec: RunSpec, result: dict) -> None:
    final = _run_folder(folder, spec)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, df in result["tables"].items():
        write_table_atomic(df, tmp / f"{name}.parquet")
    (tmp / "headline.json").write_text(json.dumps({"seed": spec.seed, "headline": result["headline"]}, sort_keys=True))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


def _read_back(folder: Path, spec: RunSpec) -> dict | None:
    path = _run_folder(folder, spec) / "headline.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return data["headline"] if data.get("seed") == spec.seed else None


def write_manifest(folder: Path, scenarios: list[Scenario], base_seed: int, seeds: list[int], command: list[str] | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "scenarios": {s.name: {"scenario": s.to_dict(), "scenario_hash": scenario_hash(s)} for s in scenarios},
        "base_seed": base_seed,
        "replication_seeds": seeds,
        "command": command,
        **manifest_versions(),
    }
    tmp = folder / f".manifest.json.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, folder / "manifest.json")


def check_resumable(folder: Path, scenarios: list[Scenario], base_seed: int) -> str | None:
    """Why an existing experiment folder cannot be resumed with these inputs (None if it can)."""
    path = folder / "manifest.json"
    if not path.exists():
        return None if not folder.exists() or not any(folder.iterdir()) else "folder exists and holds no experiment manifest"
    old = json.loads(path.read_text())
    if old.get("base_seed") != base_seed:
        return f"it was run with base seed {old.get('base_seed')}, not {base_seed}"
    for s in scenarios:
        prev = old.get("scenarios", {}).get(s.name)
        if prev is not None and prev["scenario_hash"] != scenario_hash(s):
            return f"scenario {s.name} differs from the one run there (hash {prev['scenario_hash'][:12]}...)"
    return None


def run_experiment(
    scenarios: list[Scenario],
    replications: int,
    folder: Path,
    base_seed: int = 1,
    executor: str = "process",
    workers: int | None = None,
    progress: bool = True,
    command: list[str] | None = None,
) -> Experiment:
    """Run ``replications`` of every scenario into ``folder`` (resuming what is there)."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS} (got {executor!r})")
    seeds = replication_seeds(base_seed, replications)
    specs = [RunSpec(s.name, s.to_dict(), i, seed) for s in scenarios for i, seed in enumerate(seeds)]
    write_manifest(folder, scenarios, base_seed, seeds, command)
    exp = Experiment(folder, specs)
    todo = []
    for spec in specs:
        done = _read_back(folder, spec)
        if done is None:
            todo.append(spec)
        else:
            exp.headlines[spec.key] = done
            exp.reused += 1
    bar = _progress(len(specs), exp.reused, progress)
    for spec, result, error in _dispatch(todo, executor, workers):
        if error is None:
            _store(folder, spec, result)
            exp.headlines[spec.key] = result["headline"]
            exp.ran += 1
        else:
            exp.failures[spec.key] = {"scenario": spec.name, "replication": spec.replication, "seed": spec.seed, "error": error}
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
    exp.summary().to_parquet(folder / "summary.parquet", index=False)
    return exp


def _progress(total: int, done: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, desc="runs", unit="run", mininterval=0.5, delay=1.0)


def _safe_execute(spec: RunSpec):
    try:
        return spec, execute(spec), None
    except Exception as exc:  # noqa: BLE001 - a failing run is recorded, the others go on
        return spec, None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"


def _dispatch(specs: list[RunSpec], executor: str, workers: int | None):
    """Yield (spec, result, error) as runs finish."""
    if not specs:
        return
    if executor == "serial":
        for spec in specs:
            yield _safe_execute(spec)
        return
    workers = workers or os.cpu_count() or 1
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(specs)), mp_context=ctx) as pool:
        futures: list[Future] = [pool.submit(_safe_execute, spec) for spec in specs]
        for fut in as_completed(futures):
            yield fut.result()


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

