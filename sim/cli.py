"""The ``orgsim`` command line: run, compare, attribute and validate scenarios.

Bad input (scenario file, org chart, flag) ends with one line per problem on stderr, exit code 2,
and nothing written; the lines come from :mod:`sim.errors` (``file: field: message (got value)``).
The checks themselves live in the library (:mod:`sim.scenario`, :mod:`sim.experiments`,
:mod:`sim.sweeps`); this module parses arguments and prints.  Exit codes: 0 done, 1 some runs failed
(or a validation check failed), 2 bad input or a size over its cap (``--allow-large`` lifts caps).
Runs are written to a hidden temporary folder that is renamed into place only when every table is
complete.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

from .errors import ExperimentError, InputError
from .model import OrgModel
from .results import write_run
from .scenario import Scenario
from .experiments import (EXECUTORS, check_output_folder, check_run_count, prepare_scenarios, probe_scheduler, run_experiment,
                          safe_name)
from .report import format_stats_table, headline_sentences, write_report
from .sensitivity import METHODS, run_sensitivity
from .validation import CASES as VALIDATION_CASES
from .sweeps import parse_grid, parse_ranges, run_sweep, sweep_points
from .summary import format_table, headline

__all__ = ["main"]

EXIT_FAILED = 1
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


def experiment_options(sp, replications: int) -> None:
    sp.add_argument("--replications", type=_positive_int, default=replications, help=f"runs per scenario or point (default {replications})")
    sp.add_argument("--executor", choices=EXECUTORS, default="process", help="serial (this process), process (local pool, default) or dask")
    sp.add_argument("--workers", type=_positive_int, default=None, help="pool or LocalCluster size (default: all cores)")
    sp.add_argument("--scheduler", default=None, metavar="ADDRESS", help="a dask scheduler to send runs to (or DASK_SCHEDULER_ADDRESS); implies --executor dask")


def _executor(args) -> tuple[str, str | None]:
    """The executor and scheduler address; a named scheduler must answer before anything is written."""
    scheduler = args.scheduler or (os.environ.get("DASK_SCHEDULER_ADDRESS") if args.executor == "dask" else None)
    if scheduler:
        probe_scheduler(scheduler)
    return ("dask" if scheduler else args.executor), scheduler


def allow_large(sp) -> None:
    sp.add_argument("--allow-large", action="store_true",
                    help="lift the size caps (people, ties, items, runs, points, memory; see the README's Errors and limits)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="orgsim", description="Simulate communication in organisations: email and gatekeepers versus streams.")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp):
        sp.add_argument("--set", dest="overrides", action="append", default=[], metavar="dotted.key=value", help="override a scenario field (repeatable), e.g. --set stream.feed_attention_share=0.2")
        sp.add_argument("--seed", type=_nonneg_int, default=None, help="random seed (default: the scenario's)")
        sp.add_argument("--out", type=Path, default=None, help="output folder (default: results/<name>-<timestamp>/)")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")
        allow_large(sp)

    run = sub.add_parser("run", help="run one scenario and write its tables")
    run.add_argument("scenario", type=Path)
    common(run)
    cmp_ = sub.add_parser("compare", help="replicate scenarios with common random numbers and report the differences")
    cmp_.add_argument("scenarios", type=Path, nargs="+")
    common(cmp_)
    experiment_options(cmp_, DEFAULT_REPLICATIONS)
    swp = sub.add_parser("sweep", help="explore fields: a full factorial grid or a Latin hypercube")
    swp.add_argument("scenario", type=Path)
    common(swp)
    swp.add_argument("--grid", action="append", default=[], metavar="dotted.key=v1,v2,...", help="values of a field (repeatable; all combinations are run)")
    swp.add_argument("--lhs", type=_positive_int, default=None, metavar="N", help="N Latin-hypercube points over the --range fields")
    swp.add_argument("--range", dest="ranges", action="append", default=[], metavar="dotted.key=low:high", help="a numeric field's range (repeatable)")
    experiment_options(swp, 1)
    sen = sub.add_parser("sensitivity", help="global sensitivity (SALib) of the headline metrics to fields")
    sen.add_argument("scenario", type=Path)
    common(sen)
    sen.add_argument("--method", choices=METHODS, default="sobol")
    sen.add_argument("--range", dest="ranges", action="append", default=[], metavar="dotted.key=low:high", required=True)
    sen.add_argument("--samples", type=_positive_int, default=16, help="base sample size N (sobol: N x (D + 2) points; morris: N x (D + 1))")
    experiment_options(sen, 1)
    att = sub.add_parser("attribute", help="which factor causes which part of the difference between two scenarios (2^k factorial)")
    att.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO", help="A.toml B.toml: the reference and the target")
    common(att)
    att.add_argument("--factor", dest="factors", action="append", default=[], metavar="NAME=key1,key2,...",
                     help="group these fields (keys may be prefixes) into one factor (repeatable); overrides the default grouping")
    experiment_options(att, 5)
    chk = sub.add_parser("check", help="run the validation suite: the model against textbook results")
    chk.add_argument("--quick", action="store_true", help="small sizes (for CI)")
    chk.add_argument("--case", dest="cases", action="append", choices=list(VALIDATION_CASES), help="run only this case (repeatable)")
    chk.add_argument("--set", dest="overrides", action="append", default=[], metavar="dotted.key=value", help="override a field of every case's scenario")
    chk.add_argument("--seed", type=_nonneg_int, default=1, help="base seed of the replications")
    chk.add_argument("--replications", type=_positive_int, default=None, help="replications per case (default 8, quick; 16 full)")
    chk.add_argument("--figures", type=Path, default=None, metavar="DIR", help="write one figure per case into DIR")
    allow_large(chk)
    chk.add_argument("--calibration", action="store_true",
                     help="run the calibration suite instead: default behaviour against published facts (C1-C5, docs/calibration.md; replications default 1 quick, 4 full)")
    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("files", type=Path, nargs="+")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="dotted.key=value")
    allow_large(val)
    _dashboard_parser(sub)
    return p


def _dashboard_parser(sub) -> None:
    from .storylines import STORYLINES

    dsh = sub.add_parser("dashboard", help="the trainers' dashboard in the browser: two scenarios side by side on one seed, changed live")
    dsh.add_argument("scenarios", type=Path, nargs="*", metavar="SCENARIO", help="before [and after] scenario files (default: the change programme storyline)")
    dsh.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1, this machine only; 0.0.0.0 for the room's network)")
    dsh.add_argument("--port", type=_nonneg_int, default=8765, help="port (default 8765; 0 picks a free one)")
    dsh.add_argument("--seed", type=_nonneg_int, default=None, help="seed of both panes (default: the before scenario's)")
    dsh.add_argument("--storyline", choices=list(STORYLINES), default=None, help="workshop storyline to open with (instead of scenario files)")


def _load_all(paths: list[Path], args) -> list[Scenario]:
    """Validate every scenario, build its organisation and size it, before anything runs."""
    return prepare_scenarios(paths, args.overrides, getattr(args, "allow_large", False))


def _default_out(stem: str) -> Path:
    """A new folder under ``results/`` named after ``stem`` (made safe as a folder name) and the time."""
    base = Path("results") / f"{safe_name(stem)}-{time.strftime('%Y%m%d-%H%M%S')}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def _check_out(out: Path) -> None:
    check_output_folder(out)
    if out.exists() and any(out.iterdir()):
        raise InputError("--out", [("", "folder exists and is not empty; choose another", str(out))])


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
    (scenario,) = _load_all([args.scenario], args)
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
    scenarios = _load_all(args.scenarios, args)
    names = [s.name for s in scenarios]
    base_seed = 1 if args.seed is None else args.seed
    out = args.out or _default_out("compare-" + "-vs-".join(names) if len(names) <= 3 else "compare")
    executor, scheduler = _executor(args)
    start = time.monotonic()
    exp = run_experiment(scenarios, args.replications, out, base_seed, executor, args.workers, not args.quiet, command=sys.argv,
                         scheduler=scheduler, allow_large=args.allow_large)
    stats, report = write_report(exp, names)
    print(format_stats_table(stats, names))
    print()
    for line in headline_sentences(stats, names):
        print(f"- {line}")
    print(f"\n{args.replications} replications per scenario (base seed {base_seed}, common random numbers); {exp.ran} runs done, "
          f"{exp.reused} read back from an earlier attempt, in {time.monotonic() - start:.0f} s. Means [95 % intervals]; ticks are working hours.")
    print(f"report: {report}\nresults: {out}/ (summary.parquet, figures/, runs/<scenario>/rep-<i>/)")
    return _failures(exp, out)


def _failures(exp, out: Path) -> int:
    if not exp.failures:
        return 0
    print(f"\n{len(exp.failures)} run(s) failed (details in {out / 'failures.json'}):", file=sys.stderr)
    for key, f in exp.failures.items():
        print(f"  {key} seed {f['seed']}: {f['error'].splitlines()[0]}", file=sys.stderr)
    return 1


def cmd_sweep(args) -> int:
    (scenario,) = _load_all([args.scenario], args)
    points = sweep_points(scenario, parse_grid(args.grid) if args.grid else None, args.lhs, parse_ranges(args.ranges),
                          1 if args.seed is None else args.seed, args.allow_large)
    out = args.out or _default_out(f"sweep-{scenario.name}")
    check_output_folder(out)
    executor, scheduler = _executor(args)
    exp = run_sweep(args.scenario, args.overrides, points, args.replications, out, 1 if args.seed is None else args.seed,
                    executor, args.workers, scheduler, not args.quiet, sys.argv, allow_large=args.allow_large)
    wide = exp.wide()
    keys = list(points[0])
    shown = ["decision_latency_median", "decisions_open_share", "process_coverage_concerned", "gatekeeper_backlog_peak"]
    table = wide.groupby(["point", *keys], dropna=False)[shown].mean().reset_index()
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 60):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"\n{len(points)} points x {args.replications} replications; {exp.ran} runs done, {exp.reused} read back. Means over replications.")
    print(f"results: {out}/ (summary.parquet: one row per run with parameters and metrics; runs/*.parquet; manifest.json)")
    return _failures(exp, out)


def cmd_sensitivity(args) -> int:
    _load_all([args.scenario], args)
    ranges = parse_ranges(args.ranges)
    out = args.out or _default_out(f"sensitivity-{args.method}")
    check_output_folder(out)
    executor, scheduler = _executor(args)
    result = run_sensitivity(args.scenario, args.overrides, ranges, args.method, args.samples, args.replications, out,
                             1 if args.seed is None else args.seed, executor, args.workers, scheduler, not args.quiet, sys.argv,
                             allow_large=args.allow_large)
    wide = result.pivot_table(index=["metric", "parameter"], columns="index", values="value", sort=False)
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(wide.to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"\nresults: {out}/ (sensitivity.parquet, figures/sensitivity.png, summary.parquet, runs/)")
    return 0


def cmd_attribute(args) -> int:
    from .attribute import format_main_effects, plan_attribution, run_attribution

    if len(args.scenarios) != 2:
        raise InputError("attribute", [("", "give exactly two scenario files, A and B", len(args.scenarios))])
    a, b = _load_all(args.scenarios, args)
    plan = plan_attribution(a, b, args.factors)
    check_run_count(len(plan.cells) * args.replications, "--replications", args.allow_large)
    base_seed = 1 if args.seed is None else args.seed
    out = args.out or _default_out(f"attribute-{a.name}-vs-{b.name}")
    check_output_folder(out)
    executor, scheduler = _executor(args)
    start = time.monotonic()
    result = run_attribution(plan, args.replications, out, base_seed, executor, args.workers, scheduler, not args.quiet,
                             command=sys.argv, overrides=args.overrides, sources=tuple(args.scenarios))
    factors = list(plan.factors)
    for name in factors:
        print(f"{name}: {', '.join(f['field'] for f in result.factors[name])}")
    print()
    print(format_main_effects(result.effects, factors))
    print()
    for line in result.sentences:
        print(f"- {line}")
    print(f"\n{len(factors)} factor{'' if len(factors) == 1 else 's'}, {len(plan.cells)} combinations x {args.replications} replications (base seed {base_seed}, "
          f"common random numbers); {len(result.runs)} runs finished, in {time.monotonic() - start:.0f} s. "
          f"Main effects and total {b.name} - {a.name} [95 % intervals]; metrics that are shares in percentage points.")
    print(f"report: {result.report}\nresults: {out}/ (attribution.parquet, factors.json, figures/attribution.png, summary.parquet, runs/)")
    return _failures(result, out)


def cmd_check(args) -> int:
    from .validation import format_checks, run_cases, validation_figures

    if args.figures is not None:
        check_output_folder(args.figures, "--figures")
    if args.calibration:  # exit 0 unless a check fails without a documented reason (sim.calibration.exit_code)
        from .calibration import calibration_figures, exit_code, format_calibration, run_calibration, summary_line

        if args.cases:
            print("--case names validation cases; --calibration runs every calibration case", file=sys.stderr)
        checks, data = run_calibration(None, args.quick, args.overrides, args.seed, args.replications)
        print(format_calibration(checks) + f"\n\n{summary_line(checks)}")
        if args.figures is not None:
            print(f"figures: {', '.join(str(p) for p in calibration_figures(data, args.figures))}")
        return exit_code(checks)
    checks, data = run_cases(args.cases, args.quick, args.overrides, args.seed, args.replications, allow_large=args.allow_large)
    print(format_checks(checks))
    failed = [c for c in checks if not c.passed]
    print(f"\n{len(checks) - len(failed)} passed, {len(failed)} failed")
    if args.figures is not None:
        paths = validation_figures(data, args.figures)
        print(f"figures: {', '.join(str(p) for p in paths)}")
    return 1 if failed else 0


def cmd_validate(args) -> int:
    scenarios = _load_all(args.files, args)
    for path, s in zip(args.files, scenarios):
        print(f"{path}: ok ({s.name}, {s.ticks} ticks)")
    return 0


def cmd_dashboard(args) -> int:
    from .dashboard_server import DashboardInputError, serve

    try:
        return serve(args.scenarios, args.host, args.port, args.seed, args.storyline)
    except DashboardInputError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INPUT


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"run": cmd_run, "compare": cmd_compare, "validate": cmd_validate, "sweep": cmd_sweep, "sensitivity": cmd_sensitivity, "check": cmd_check,
               "attribute": cmd_attribute, "dashboard": cmd_dashboard}[args.command]
    try:
        return handler(args)
    except InputError as exc:  # every input problem, from any layer: one line each
        for line in exc.lines():
            print(line, file=sys.stderr)
        return EXIT_INPUT
    except ExperimentError as exc:  # ran, but nothing to report: say why and where the failures are
        print(exc, file=sys.stderr)
        for key, f in exc.failures.items():
            print(f"  {key} seed {f['seed']}: {f['error'].splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
