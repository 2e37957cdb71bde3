"""The ``orgsim`` command line: run, compare and validate scenarios.

Bad input (scenario file, org chart, flag) ends with one line per problem on stderr, exit code 2,
and nothing written.  Runs are written to a hidden temporary folder that is renamed into place
only when every table is complete.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

from .model import OrgModel, check_against_organisation
from .organisation import OrganisationError, build_organisation
from .results import write_run
from .scenario import Scenario, ScenarioError, load_scenario
from .experiments import EXECUTORS, check_resumable, run_experiment
from .report import format_stats_table, headline_sentences, write_report
from .summary import format_table, headline

__all__ = ["main"]

EXIT_INPUT = 2
DEFAULT_REPLICATIONS = 10


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0 (got {text!r})") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0 (got {text!r})")
    return value


def _positive_int(text: str) -> int:
    value = _nonneg_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1 (got {text!r})")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="orgsim", description="Simulate communication in organisations: email and gatekeepers versus streams.")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp):
        sp.add_argument("--set", dest="overrides", action="append", default=[], metavar="dotted.key=value", help="override a scenario field (repeatable), e.g. --set stream.attention_items_per_tick=2")
        sp.add_argument("--seed", type=_nonneg_int, default=None, help="random seed (default: the scenario's)")
        sp.add_argument("--out", type=Path, default=None, help="output folder (default: results/<name>-<timestamp>/)")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")

    run = sub.add_parser("run", help="run one scenario and write its tables")
    run.add_argument("scenario", type=Path)
    common(run)
    cmp_ = sub.add_parser("compare", help="replicate scenarios with common random numbers and report the differences")
    cmp_.add_argument("scenarios", type=Path, nargs="+")
    common(cmp_)
    cmp_.add_argument("--replications", type=_positive_int, default=DEFAULT_REPLICATIONS, help=f"runs per scenario (default {DEFAULT_REPLICATIONS})")
    cmp_.add_argument("--executor", choices=EXECUTORS, default="process", help="serial (in this process) or process (a local pool, default)")
    cmp_.add_argument("--workers", type=_positive_int, default=None, help="pool size (default: all cores)")
    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("files", type=Path, nargs="+")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="dotted.key=value")
    return p


def _load_all(paths: list[Path], overrides: list[str]) -> list[Scenario]:
    """Validate every scenario (and build its organisation) before anything runs."""
    scenarios, lines = [], []
    for path in paths:
        try:
            s = load_scenario(path, overrides)
            check_against_organisation(s, build_organisation(s, _throwaway_rng()))
            scenarios.append(s)
        except ScenarioError as exc:
            lines.extend(exc.lines())
        except OrganisationError as exc:
            lines.append(f"{path}: organisation.import: {exc}")
    if lines:
        raise _InputError(lines)
    return scenarios


def _throwaway_rng():
    import numpy as np

    return np.random.default_rng(0)


class _InputError(Exception):
    def __init__(self, lines: list[str]):
        self.lines = lines


def _default_out(stem: str) -> Path:
    base = Path("results") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise _InputError([f"--out: folder exists and is not empty; choose another (got '{out}')"])


def _publish(tmp: Path, out: Path) -> None:
    if out.exists():
        out.rmdir()  # empty, checked before the run
    out.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, out)


def _run_one(scenario: Scenario, seed: int | None, progress: bool) -> OrgModel:
    model = OrgModel(scenario, seed=seed)
    model.run(progress=progress)
    return model


def cmd_run(args) -> int:
    (scenario,) = _load_all([args.scenario], args.overrides)
    out = args.out or _default_out(scenario.name)
    _check_out(out)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        model = _run_one(scenario, args.seed, not args.quiet)
        tables = write_run(model, tmp)
        _publish(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(format_table({scenario.name: headline(tables)}))
    print(f"\nresults: {out}/ (manifest.json, timeseries, decisions, knowledge, people .parquet)")
    return 0


def cmd_compare(args) -> int:
    scenarios = _load_all(args.scenarios, args.overrides)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise _InputError([f"scenarios: names must differ to be compared side by side (got {names})"])
    base_seed = 1 if args.seed is None else args.seed
    out = args.out or _default_out("compare-" + "-vs-".join(names) if len(names) <= 3 else "compare")
    why = check_resumable(out, scenarios, base_seed)
    if why:
        raise _InputError([f"--out: cannot resume the experiment in '{out}': {why}; choose another folder"])
    start = time.monotonic()
    exp = run_experiment(scenarios, args.replications, out, base_seed, args.executor, args.workers, not args.quiet, command=sys.argv)
    stats, report = write_report(exp, names)
    print(format_stats_table(stats, names))
    print()
    for line in headline_sentences(stats, names):
        print(f"- {line}")
    print(f"\n{args.replications} replications per scenario (base seed {base_seed}, common random numbers); {exp.ran} runs done, "
          f"{exp.reused} read back from an earlier attempt, in {time.monotonic() - start:.0f} s. Means [95 % intervals]; ticks are working hours.")
    print(f"report: {report}\nresults: {out}/ (summary.parquet, figures/, runs/<scenario>/rep-<i>/)")
    if exp.failures:
        print(f"\n{len(exp.failures)} run(s) failed (details in {out / 'failures.json'}):", file=sys.stderr)
        for key, f in exp.failures.items():
            print(f"  {key} seed {f['seed']}: {f['error'].splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


def cmd_validate(args) -> int:
    scenarios = _load_all(args.files, args.overrides)
    for path, s in zip(args.files, scenarios):
        print(f"{path}: ok ({s.name}, {s.ticks} ticks)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"run": cmd_run, "compare": cmd_compare, "validate": cmd_validate}[args.command]
    try:
        return handler(args)
    except _InputError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_INPUT
    except ScenarioError as exc:  # raised while building (e.g. an imported org lacks a role)
        for line in exc.lines():
            print(line, file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
