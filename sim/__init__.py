"""orgsim: agent-based simulation of communication in organisations.

Layers, data flowing one way: scenario (validated config) -> organisation (arrays) -> model
(Mesa agents, channels) -> results (tidy tables) -> CLI / experiments.

>>> import sim
>>> model = sim.run_scenario(sim.load_scenario_text('ticks = 3\\n[organisation]\\npeople_per_department = 8'))
>>> sorted(model.tables())
['decisions', 'edges', 'knowledge', 'people', 'person_week', 'timeseries']
"""

from .errors import ExperimentError, InputError, LimitError, OrgsimError
from .model import OrgModel
from .scenario import Scenario, ScenarioError, load_scenario, load_scenario_text
from .organisation import Organisation, OrganisationError, Role
from .attribute import attribute  # the function; the module stays importable as ``from sim.attribute import ...``

__all__ = [
    "OrgModel", "Scenario", "ScenarioError", "Organisation", "OrganisationError", "Role",
    "OrgsimError", "InputError", "LimitError", "ExperimentError",
    "load_scenario", "load_scenario_text", "run", "run_scenario", "compare", "sweep", "attribute",
]


def run(scenario, seed: int | None = None, overrides: list[str] | None = None, progress: bool = False, allow_large: bool = False) -> OrgModel:
    """Run a scenario (a path to a TOML file or a :class:`Scenario`) to its end and return the
    finished model; ``model.tables()`` gives its six result tables (columns in the README).

    ``overrides`` are ``--set`` style strings (``"ticks=200"``), applied to a path only.  Like the
    command line, it refuses a scenario whose estimated size is over the documented caps
    (:class:`LimitError`, naming the figure and the fields that drive it) before anything is built;
    ``allow_large=True`` lifts the caps but the hard ones.

    >>> import sim
    >>> sim.run(sim.load_scenario_text('ticks = 3\\n[organisation]\\npeople_per_department = 8')).now
    3
    """
    from .experiments import check_scenario

    if not isinstance(scenario, Scenario):
        source = str(scenario)
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        raise ValueError("overrides apply to a scenario file; pass the path, or change the Scenario with load_scenario_text")
    else:
        source = scenario.name
    check_scenario(scenario, source, allow_large, build=False)
    return run_scenario(scenario, seed=seed, progress=progress)


def run_scenario(scenario: Scenario, seed: int | None = None, progress: bool = False) -> OrgModel:
    """Build the model for ``scenario`` and run it to the end; returns the finished model."""
    model = OrgModel(scenario, seed=seed)
    model.run(progress=progress)
    return model


def compare(scenarios, replications: int = 10, out=None, seed: int = 1, executor: str = "process", workers: int | None = None, progress: bool = True,
            allow_large: bool = False):
    """Replicate scenarios (paths or :class:`Scenario` objects) and compare them, as ``orgsim compare``.

    Returns a :class:`sim.experiments.Comparison`: ``summary`` (one row per scenario x replication x
    metric), ``stats`` (means, intervals, differences, effect sizes), ``report`` and ``figures`` paths.
    Raises :class:`InputError` before anything runs for bad scenarios, sizes over the caps (lifted
    by ``allow_large``), or an ``out`` folder holding a different experiment; :class:`ExperimentError`
    when every run failed.
    """
    import time as _time
    from pathlib import Path as _Path

    from .experiments import Comparison, prepare_scenarios, run_experiment
    from .report import write_report

    loaded = prepare_scenarios(list(scenarios), allow_large=allow_large)
    folder = _Path(out) if out is not None else _Path("results") / f"compare-{_time.strftime('%Y%m%d-%H%M%S')}"
    exp = run_experiment(loaded, replications, folder, seed, executor, workers, progress, allow_large=allow_large)
    names = [s.name for s in loaded]
    stats, report = write_report(exp, names)
    return Comparison(summary=exp.summary(), stats=stats, report=report, figures=sorted((folder / "figures").glob("*.png")), failures=exp.failures)


def sweep(scenario, grid: dict | None = None, lhs: int | None = None, ranges: dict | None = None, replications: int = 1,
          out=None, seed: int = 1, overrides: list[str] | None = None, executor: str = "process", workers: int | None = None,
          progress: bool = True, allow_large: bool = False):
    """Sweep a scenario file as ``orgsim sweep``: ``grid={"dotted.key": [v1, v2]}`` (full factorial) or
    ``lhs=N, ranges={"dotted.key": (low, high)}``.  Returns one row per run: point, replication, seed,
    the swept fields and every headline metric.  Raises :class:`InputError` before anything runs
    (both or neither of grid and lhs, lhs without ranges, bad points, sizes over the caps) and
    :class:`ExperimentError` when every run failed."""
    import time as _time
    from pathlib import Path as _Path

    from .experiments import prepare_scenarios
    from .sweeps import parse_ranges, run_sweep, sweep_points

    overrides = overrides or []
    (base,) = prepare_scenarios([scenario], overrides, allow_large)
    range_list = parse_ranges([f"{k}={lo}:{hi}" for k, (lo, hi) in (ranges or {}).items()])
    points = sweep_points(base, list(grid.items()) if grid is not None else None, lhs, range_list, seed, allow_large)
    folder = _Path(out) if out is not None else _Path("results") / f"sweep-{_time.strftime('%Y%m%d-%H%M%S')}"
    return run_sweep(_Path(scenario), overrides, points, replications, folder, seed, executor, workers, None, progress,
                     allow_large=allow_large).wide()
