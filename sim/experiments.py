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
is recorded with its seed and error; the others go on.  An experiment whose runs all fail leaves only
``failures.json`` and raises :class:`sim.errors.ExperimentError`.

Before anything is written the inputs are checked here, not by the command line: every scenario
(:func:`check_scenario`: its organisation builds, what it names exists, its size is within
:data:`sim.scenario.LIMITS`), the number of runs, the output folder (not a file, not below one), and
that an existing folder holds the same experiment (a changed scenario that kept its name is refused,
never mixed in).  Scenario names become folder names only through :func:`safe_name`.

Two ways of storing a run:

- ``tables`` (comparisons): ``runs/<name>/rep-<i>/`` with the four tables and ``headline.json``;
- ``row`` (sweeps): ``runs/<name>-rep-<i>.parquet``, one row: the point's parameters, the seed and
  every headline metric, so that ``pd.read_parquet(folder / "runs")`` or DuckDB's
  ``SELECT * FROM 'runs/*.parquet'`` gives the whole sweep.
"""

from __future__ import annotations

import hashlib
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

from .errors import NO_VALUE, ExperimentError, InputError, InputErrors, LimitError, OrganisationError, ScenarioError
from .results import manifest_versions, write_table_atomic
from .scenario import LIMITS, Scenario, check_limits, load_scenario, scenario_hash
from .summary import METRICS, headline

__all__ = [
    "RunSpec", "Experiment", "Comparison", "replication_seeds", "execute", "run_specs", "run_experiment",
    "check_resumable", "write_manifest", "interval", "EXECUTORS", "safe_name", "check_scenario", "prepare_scenarios",
    "check_output_folder", "check_run_count", "SchedulerUnreachable", "probe_scheduler",
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


# ------------------------------------------------------------------------------------------ checks
_UNSAFE_IN_NAMES = frozenset("/\\:" + "".join(map(chr, [*range(32), 127])))
MAX_NAME_BYTES = 100  # of a name used as a folder or file name (file systems allow 255 with suffixes)


def safe_name(name: str) -> str:
    """A scenario (or point) name as one component of a path, never leaving the folder it is put in.

    Names of letters, digits, spaces and ``-_.+`` that do not start with a dot are kept as they are.
    Otherwise path separators, ``:`` and control characters become ``_``, a leading dot gets a ``_``
    before it (so ``..`` cannot climb), long names are cut, and a short hash of the original is
    appended, so that different names stay different.

    >>> safe_name("email_gatekept"), safe_name("../../etc"), safe_name("a/b") != safe_name("a_b")
    ('email_gatekept', '_.._.._etc-74ccf3c5', True)
    """
    cleaned = "".join("_" if c in _UNSAFE_IN_NAMES else c for c in str(name))
    if cleaned.startswith(".") or not cleaned:
        cleaned = "_" + cleaned
    if cleaned == name and len(cleaned.encode()) <= MAX_NAME_BYTES:
        return cleaned
    digest = hashlib.sha256(str(name).encode()).hexdigest()[:8]
    return cleaned.encode()[: MAX_NAME_BYTES - 9].decode(errors="ignore") + "-" + digest


def check_output_folder(folder: Path, label: str = "--out") -> None:
    """Refuse, before anything runs, an output folder that is a file, lies below a file, or sits
    where nothing can be written.  Raises :class:`InputError` naming ``label``."""
    folder = Path(folder)
    for p in [folder, *folder.parents]:
        if os.path.lexists(p):
            if p.is_dir():
                if not os.access(p, os.W_OK | os.X_OK):
                    raise InputError(label, [("", f"cannot write in {str(p)!r} (permission denied); choose another folder", str(folder))])
                return
            where = "is a file, not a folder" if p == folder else f"lies below {str(p)!r}, which is a file, not a folder"
            raise InputError(label, [("", f"{where}; choose another folder", str(folder))])


def check_run_count(runs: int, label: str = "--replications", allow_large: bool = False, what: str = "runs") -> None:
    """Refuse an experiment of more than ``LIMITS["runs"]`` runs (or ``LIMITS["points"]`` points,
    with ``what="points"``) before anything is drawn or written, unless ``allow_large``."""
    cap = LIMITS[what]
    if runs > cap and not allow_large:
        raise LimitError(label, [("", f"the experiment would make {runs:,} {what}, above the cap of {cap:,}; ask for fewer, "
                                      f"or pass --allow-large (allow_large=True) to lift the cap", runs)])


def _import_key(spec, source: str) -> str:
    for key in ("org_chart", "edges", "departments"):
        if getattr(spec, key, None) == source:
            return f"organisation.import.{key}"
    return "organisation.import"


def check_scenario(scenario: Scenario, source: str, allow_large: bool = False, build: bool = True) -> None:
    """Everything that can be known about a scenario before it runs, named after ``source`` (its
    file): imported files are read and checked, its estimated size is within the caps
    (:func:`sim.scenario.check_limits`), and (with ``build``) its organisation builds and holds what
    the scenario names (departments, people of the roles where items and decisions arise).
    Raises :class:`ScenarioError` or :class:`LimitError`."""
    from .model import check_against_organisation
    from .organisation import build_organisation, import_counts, organisation_problems

    spec = scenario.organisation.import_
    try:
        counts = import_counts(spec) if spec is not None else {}
        check_limits(scenario, source, allow_large, **counts)
        if not build:
            return
        org = build_organisation(scenario, np.random.default_rng(0))
    except OrganisationError as exc:
        if not exc.source:  # about the scenario's own fields (e.g. a bridge with nobody behind it)
            raise ScenarioError(source, exc.problems) from None
        raise ScenarioError(source, [(_import_key(spec, exc.source), line, NO_VALUE) for line in exc.lines()]) from None
    problems = organisation_problems(scenario, org)
    try:
        check_against_organisation(scenario, org)
    except ScenarioError as exc:  # it names the scenario by its name; here it is named by its file
        problems += exc.problems
    if problems:
        raise ScenarioError(source, problems)


def prepare_scenarios(items: list, overrides: list[str] | None = None, allow_large: bool = False, build: bool = True) -> list[Scenario]:
    """Load (paths, with ``overrides``) or take (:class:`Scenario` objects) and check every scenario
    with :func:`check_scenario`; every problem of every scenario is raised together."""
    scenarios, errors = [], []
    for item in items:
        try:
            if isinstance(item, Scenario):
                s, source = item, item.name
            else:
                s, source = load_scenario(item, overrides), str(item)
            check_scenario(s, source, allow_large, build)
            scenarios.append(s)
        except InputError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else InputErrors(errors)
    return scenarios


def _check_names(names: list[str]) -> None:
    if len(set(names)) != len(names) or len({safe_name(n) for n in names}) != len(names):
        raise InputError("scenarios", [("", "names must differ to be compared side by side", names)])


# ------------------------------------------------------------------------------------------ storage
def _path(folder: Path, spec: RunSpec) -> Path:
    """Where a run is stored: below ``folder/runs`` whatever its name (see :func:`safe_name`)."""
    name, rep = safe_name(spec.name), f"rep-{spec.replication:03d}"
    return folder / "runs" / (f"{name}/{rep}" if spec.keep_tables else f"{name}-{rep}.parquet")


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
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "its manifest.json cannot be read"
    if not isinstance(old, dict):
        return "its manifest.json is not an experiment manifest"
    if old.get("base_seed") != base_seed:
        return f"it was run with base seed {old.get('base_seed')}, not {base_seed}"
    for name, s in scenarios.items():
        prev = (old.get("scenarios") or {}).get(name)
        if isinstance(prev, dict) and prev.get("scenario_hash") != scenario_hash(s):
            return f"scenario {name} differs from the one run there (hash {str(prev.get('scenario_hash'))[:12]}...)"
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
                   scheduler: str | None = None, allow_large: bool = False) -> Experiment:
    """Run ``replications`` of every scenario into ``folder`` (resuming what is there).

    Refused before anything is written (:class:`InputError`): more runs than ``LIMITS["runs"]``,
    scenarios over their caps, names that are not distinct, a folder that is a file, or a folder
    holding another experiment (other base seed, or a scenario of the same name that changed).
    Raises :class:`ExperimentError` when every run failed (only ``failures.json`` is left)."""
    folder = Path(folder)
    check_run_count(len(scenarios) * replications, "--replications", allow_large)
    _check_names([s.name for s in scenarios])
    for s in scenarios:
        check_scenario(s, s.name, allow_large, build=False)
    check_output_folder(folder)
    why = check_resumable(folder, {s.name: s for s in scenarios}, base_seed)
    if why:
        raise InputError("--out", [("", f"cannot resume the experiment in '{folder}': {why}; choose another folder", NO_VALUE)])
    seeds = replication_seeds(base_seed, replications)
    specs = [RunSpec(s.name, s.to_dict(), i, seed) for s in scenarios for i, seed in enumerate(seeds)]
    new_manifest = not (folder / "manifest.json").exists()
    write_manifest(folder, {s.name: s for s in scenarios}, base_seed, seeds, command)
    exp = run_specs(specs, folder, executor, workers, scheduler, progress)
    raise_if_nothing_ran(exp, new_manifest)
    exp.summary().to_parquet(folder / "summary.parquet", index=False)
    return exp


def raise_if_nothing_ran(exp: Experiment, new_manifest: bool) -> None:
    """When every run failed, leave only the failure record (the manifest written for this attempt
    is taken back) and raise :class:`ExperimentError`."""
    if exp.headlines:
        return
    if new_manifest:
        (exp.folder / "manifest.json").unlink(missing_ok=True)
    raise ExperimentError(f"all {len(exp.failures)} run(s) failed; nothing to report (details in {exp.folder / 'failures.json'})",
                          exp.failures, exp.folder)


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


class SchedulerUnreachable(InputError):
    """The dask scheduler named by --scheduler or DASK_SCHEDULER_ADDRESS does not answer, or the
    address is not one (``tcp://host:port`` or ``host:port``)."""


def probe_scheduler(address: str, timeout: float = 10, label: str = "--scheduler") -> None:
    """Raise :class:`SchedulerUnreachable` unless a dask scheduler answers at ``address``."""
    from distributed import Client

    if not isinstance(address, str) or not address.strip() or any(c.isspace() or ord(c) < 32 for c in address):
        raise SchedulerUnreachable(label, [("", "not a scheduler address; expected tcp://host:port or host:port", address)])
    try:
        Client(address, timeout=timeout).close()
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachable(label, [("", f"cannot reach a dask scheduler at {address!r} ({type(exc).__name__}); is it running?", NO_VALUE)]) from None
    except (ValueError, TypeError) as exc:  # distributed cannot parse it
        raise SchedulerUnreachable(label, [("", f"not a scheduler address ({exc}); expected tcp://host:port or host:port", address)]) from None


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
