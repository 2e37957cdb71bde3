"""Global sensitivity of the headline metrics to scenario fields, with SALib.

``sobol``: Saltelli sampling, first-order (S1) and total (ST) indices with bootstrap confidence
intervals (N x (D + 2) runs per replication).  ``morris``: elementary effects, mu* (mean absolute
effect, with its confidence interval) and sigma (N x (D + 1) runs).  Each sample point runs the same
replication seeds and the metric is averaged over them.  Whole-number fields are rounded, which
makes the design slightly less than ideal; say so when that matters.  A knowledge time never reached
is counted as the run length (censored), since the indices need finite numbers.

Why SALib: a maintained, cited implementation of Saltelli/Jansen estimators and Morris screening with
confidence intervals; writing our own would be less trustworthy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .errors import ExperimentError, InputError
from .experiments import check_run_count
from .scenario import load_scenario
from .summary import METRICS
from .sweeps import run_sweep

__all__ = ["run_sensitivity", "METHODS"]

METHODS = ("sobol", "morris")


def _sample(method: str, problem: dict, n: int, seed: int) -> np.ndarray:
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=False, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=4, seed=seed)


def _analyse(method: str, problem: dict, x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    if method == "sobol":
        from SALib.analyze import sobol

        r = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
        return {"S1": r["S1"], "S1_conf": r["S1_conf"], "ST": r["ST"], "ST_conf": r["ST_conf"]}
    from SALib.analyze import morris

    r = morris.analyze(problem, x, y, seed=seed)
    return {"mu_star": np.asarray(r["mu_star"]), "mu_star_conf": np.asarray(r["mu_star_conf"]), "sigma": np.asarray(r["sigma"])}


def run_sensitivity(path: Path, overrides: list[str], ranges: list[tuple[str, float, float]], method: str, samples: int,
                    replications: int, folder: Path, base_seed: int = 1, executor: str = "process", workers: int | None = None,
                    scheduler: str | None = None, progress: bool = True, command: list[str] | None = None,
                    allow_large: bool = False) -> pd.DataFrame:
    """Sample, run, analyse; writes ``sensitivity.parquet`` and ``figures/sensitivity.png`` into
    ``folder`` and returns the indices (one row per metric x parameter x index).  The sample size
    (``samples`` x (D + 2) for Sobol, x (D + 1) for Morris) is checked against ``LIMITS["points"]``
    before anything is drawn; a failed run raises :class:`sim.errors.ExperimentError`."""
    if method not in METHODS:
        raise InputError("--method", [("", f"must be one of {list(METHODS)}", method)])
    if not ranges:
        raise InputError("--range", [("", "needs at least one dotted.key=low:high", ranges)])
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise InputError("--samples", [("", "must be a whole number >= 1", samples)])
    check_run_count(samples * (len(ranges) + (2 if method == "sobol" else 1)), "--samples", allow_large, what="points")
    base = load_scenario(path, overrides)
    names = [k for k, _, _ in ranges]
    problem = {"num_vars": len(ranges), "names": names, "bounds": [[lo, hi] for _, lo, hi in ranges]}
    x = _sample(method, problem, samples, base_seed)
    whole = {k for k in names if isinstance(_value(base.to_dict(), k), int) and not isinstance(_value(base.to_dict(), k), bool)}
    points = [{k: (int(round(v)) if k in whole else float(v)) for k, v in zip(names, row)} for row in x]
    x_used = np.array([[p[k] for k in names] for p in points], dtype=float)
    exp = run_sweep(path, overrides, points, replications, folder, base_seed, executor, workers, scheduler, progress, command,
                    kind=f"sensitivity-{method}", allow_large=allow_large)
    wide = exp.wide()
    if exp.failures:
        raise ExperimentError(f"{len(exp.failures)} run(s) failed; indices need every sample point (details in {folder / 'failures.json'})",
                              exp.failures, folder)
    means = wide.replace([np.inf, -np.inf], base.ticks).groupby("point")[list(METRICS)].mean()
    order = [f"p{i:03d}" for i in range(len(points))]
    rows = []
    for metric in METRICS:
        y = means.loc[order, metric].to_numpy(float)
        if np.ptp(y) == 0:
            continue  # constant over the design: nothing to attribute
        for index, values in _analyse(method, problem, x_used, y, base_seed).items():
            for name, v in zip(names, values):
                rows.append({"metric": metric, "parameter": name, "index": index, "value": float(v)})
    result = pd.DataFrame(rows, columns=["metric", "parameter", "index", "value"])
    result.to_parquet(folder / "sensitivity.parquet", index=False)
    _figure(result, method, folder / "figures" / "sensitivity.png")
    return result


def _value(data: dict, key: str):
    for part in key.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _figure(result: pd.DataFrame, method: str, path: Path) -> None:
    main, conf = ("ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf")
    metrics = [m for m in METRICS if m in set(result["metric"])]
    params = list(dict.fromkeys(result["parameter"]))
    if not metrics:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = 3
    rows = -(-len(metrics) // cols)
    fig = Figure(figsize=(4.2 * cols, 2.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, metric in zip(axes, metrics):
        sub = result[result["metric"] == metric].set_index(["parameter", "index"])["value"]
        y = [sub.get((p, main), np.nan) for p in params]
        err = [sub.get((p, conf), 0.0) for p in params]
        ax.barh(range(len(params)), y, xerr=err, color="C0", alpha=0.8)
        if method == "sobol":
            ax.scatter([sub.get((p, "S1"), np.nan) for p in params], range(len(params)), color="C3", zorder=3, s=14, label="S1")
        ax.set_yticks(range(len(params)), [p.split(".")[-1] for p in params], fontsize=7)
        ax.set_title(METRICS[metric][0], fontsize=8)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle(f"Sensitivity ({method}: bars {main} with 95 % interval" + (", dots S1)" if method == "sobol" else ")"))
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110)
