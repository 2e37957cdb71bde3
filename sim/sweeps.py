"""Parameter sweeps: a full factorial grid or a Latin hypercube over any scenario field.

Each point is the base scenario with some fields overridden (``--set`` semantics) and validated like
a scenario file, before anything runs.  Every point runs the same replication seeds (common random
numbers).  A sweep folder holds ``manifest.json``, one Parquet file per run in ``runs/`` (one row: the
point, replication, seed, each swept field as a column named by its dotted key, every headline
metric) and ``summary.parquet`` (all those rows).

>>> parse_grid(["email.routing=direct,through_channels", "gatekeepers.capacity_per_tick=2,6"])
[('email.routing', ['direct', 'through_channels']), ('gatekeepers.capacity_per_tick', [2, 6])]
"""

from __future__ import annotations

import itertools
import json
import math
import tomllib
from pathlib import Path

import numpy as np
from scipy.stats import qmc

from .errors import NO_VALUE, InputError, ScenarioError
from .experiments import (Experiment, RunSpec, check_output_folder, check_resumable, check_run_count, check_scenario,
                          raise_if_nothing_ran, replication_seeds, run_specs, write_manifest)
from .scenario import Scenario, _parse_value, _read_toml, _validate, apply_overrides

__all__ = ["parse_grid", "parse_ranges", "grid_points", "lhs_points", "sweep_points", "build_points", "run_sweep"]


def parse_grid(items: list[str]) -> list[tuple[str, list]]:
    """``dotted.key=v1,v2,...`` (or a TOML array ``dotted.key=[v1, v2]`` when values hold commas)."""
    out, problems = [], []
    for item in items:
        key, sep, text = item.partition("=")
        text = text.strip()
        if not sep or not key.strip() or not text:
            problems.append(("--grid", "expected dotted.key=v1,v2,...", item))
            continue
        if text.startswith("["):
            try:
                values = tomllib.loads(f"v = {text}")["v"]
            except tomllib.TOMLDecodeError:
                problems.append(("--grid", "values in [...] must be a TOML array", item))
                continue
        else:
            values = [_parse_value(v.strip()) for v in text.split(",")]
        if not isinstance(values, list) or not values:
            problems.append(("--grid", "needs at least one value", item))
        elif key.strip() in [k for k, _ in out]:
            problems.append(("--grid", f"{key.strip()} is given twice; list all its values in one --grid", item))
        else:
            out.append((key.strip(), values))
    if problems:
        raise ScenarioError("--grid", problems)
    return out


def parse_ranges(items: list[str]) -> list[tuple[str, float, float]]:
    """``dotted.key=lo:hi`` with numbers lo < hi."""
    out, problems = [], []
    for item in items:
        key, sep, text = item.partition("=")
        lo, colon, hi = text.partition(":")
        try:
            lo_f, hi_f = float(lo), float(hi)
        except ValueError:
            problems.append(("--range", "expected dotted.key=low:high with numbers", item))
            continue
        if not sep or not colon or not key.strip() or not lo_f < hi_f:
            problems.append(("--range", "expected dotted.key=low:high with low < high", item))
            continue
        if not (math.isfinite(lo_f) and math.isfinite(hi_f)):
            problems.append(("--range", "low and high must be finite numbers", item))
            continue
        if key.strip() in [k for k, _, _ in out]:
            problems.append(("--range", f"{key.strip()} is given twice", item))
            continue
        out.append((key.strip(), lo_f, hi_f))
    if problems:
        raise ScenarioError("--range", problems)
    return out


def grid_points(grid: list[tuple[str, list]]) -> list[dict]:
    """Every combination of the grid values (full factorial), in a fixed order."""
    keys = [k for k, _ in grid]
    return [dict(zip(keys, combo)) for combo in itertools.product(*(v for _, v in grid))]


def _field_value(data: dict, key: str):
    node = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def lhs_points(base: Scenario, ranges: list[tuple[str, float, float]], n: int, seed: int) -> list[dict]:
    """``n`` Latin-hypercube points over the ranges; fields that are whole numbers in the base
    scenario get whole numbers."""
    if not ranges:
        raise ScenarioError("--lhs", [("", "needs at least one --range dotted.key=low:high", n)])
    data = base.to_dict()
    problems = []
    for key, _, _ in ranges:
        value = _field_value(data, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) and value is not None:
            problems.append(("--range", "ranges need a numeric field", key))
    if problems:
        raise ScenarioError("--range", problems)
    unit = qmc.LatinHypercube(d=len(ranges), seed=np.random.default_rng(seed)).random(n)
    points = []
    for row in unit:
        point = {}
        for (key, lo, hi), u in zip(ranges, row):
            v = lo + u * (hi - lo)
            point[key] = int(round(v)) if isinstance(_field_value(data, key), int) else float(v)
        points.append(point)
    return points


def sweep_points(base: Scenario, grid: list[tuple[str, list]] | None = None, lhs: int | None = None,
                 ranges: list[tuple[str, float, float]] | None = None, seed: int = 1, allow_large: bool = False) -> list[dict]:
    """The points of a sweep: every combination of ``grid`` (a list of (dotted key, values)), or
    ``lhs`` Latin-hypercube points over ``ranges`` (a list of (dotted key, low, high)); exactly one
    of the two.  The number of points is checked against ``LIMITS["points"]`` before any is drawn."""
    if bool(grid) == (lhs is not None):
        raise InputError("sweep", [("", "give --grid (one or more) or --lhs N with --range", "both" if grid else "neither")])
    if grid:
        check_run_count(math.prod(len(v) for _, v in grid), "--grid", allow_large, what="points")
        return grid_points(grid)
    if not ranges:
        raise ScenarioError("--lhs", [("", "needs at least one --range dotted.key=low:high", lhs)])
    check_run_count(lhs, "--lhs", allow_large, what="points")
    return lhs_points(base, ranges, lhs, seed)


def build_points(path: Path, overrides: list[str], points: list[dict], allow_large: bool = False) -> list[tuple[str, Scenario, dict]]:
    """Validate the scenario of every point (all problems reported, named by point) and check its
    size against the caps, before running."""
    raw = _read_toml(Path(path))
    raw.setdefault("name", Path(path).stem)
    raw = apply_overrides(raw, overrides, source=str(path))
    built, problems = [], []
    for i, point in enumerate(points):
        name = f"p{i:03d}"
        try:
            data = apply_overrides(raw, [f"{k}={_toml(v)}" for k, v in point.items()], source=name)
            s = _validate(data, str(path))
            check_scenario(s, str(path), allow_large, build=False)
            built.append((name, s, point))
        except ScenarioError as exc:
            problems += [(f"{field} (point {name})", msg, value) for field, msg, value in exc.problems]
    if problems:
        raise ScenarioError(str(path), problems)
    return built


def _toml(value) -> str:
    """A value written back as TOML for an override."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def run_sweep(path: Path, overrides: list[str], points: list[dict], replications: int, folder: Path, base_seed: int = 1,
              executor: str = "process", workers: int | None = None, scheduler: str | None = None,
              progress: bool = True, command: list[str] | None = None, kind: str = "sweep", allow_large: bool = False) -> Experiment:
    """Run every point ``replications`` times into ``folder`` (resuming what is there).  Every point
    is validated and sized first; raises :class:`sim.errors.ExperimentError` when every run failed."""
    folder = Path(folder)
    check_run_count(len(points), "--grid" if kind == "sweep" else "--samples", allow_large, what="points")
    check_run_count(len(points) * replications, "--replications", allow_large)
    built = build_points(path, overrides, points, allow_large)
    scenarios = {name: s for name, s, _ in built}
    check_output_folder(folder)
    why = check_resumable(folder, scenarios, base_seed)
    if why:
        raise InputError("--out", [("", f"cannot resume the {kind} in '{folder}': {why}; choose another folder", NO_VALUE)])
    seeds = replication_seeds(base_seed, replications)
    specs = [RunSpec(name, s.to_dict(), i, seed, tuple(point.items()), keep_tables=False)
             for name, s, point in built for i, seed in enumerate(seeds)]
    new_manifest = not (folder / "manifest.json").exists()
    write_manifest(folder, scenarios, base_seed, seeds, command, kind=kind, base_scenario=str(path), overrides=overrides,
                   points={name: point for name, _, point in built})
    exp = run_specs(specs, folder, executor, workers, scheduler, progress)
    raise_if_nothing_ran(exp, new_manifest)
    exp.wide().to_parquet(folder / "summary.parquet", index=False)
    return exp

