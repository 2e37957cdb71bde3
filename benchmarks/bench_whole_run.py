"""Whole runs of shipped scenarios scaled to a size: prints wall time and peak memory, asserts nothing.

    .venv/bin/python benchmarks/bench_whole_run.py [--size 10000] [--scaling up|out] [--ticks N]
        [--scenarios email_gatekept,social_business] [--seed 1] [--together]

The issue's speed targets are about whole runs (10,000 people x 2,000 ticks; 100,000 x 500), which
``bench_model.py`` only extrapolates from a hundred ticks; later ticks cost more (more items, more
beliefs, a longer ledger).  Each run here is ``OrgModel(scenario, seed).run()`` in a fresh process,
so that its peak resident set size is its own; ``--together`` starts them all at once (one per
core, as the README's "two at once"), else one after the other.  Progress (seconds at every 100
ticks) goes to stderr, the table to stdout.  Scenarios are scaled as in ``bench_model.py``
(:func:`bench_model.scaled_scenario`); ``--ticks`` defaults to 2,000, or 500 from 100,000 people on.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_model import BIG, SCALINGS, revision, scaled_scenario  # noqa: E402


def one_run(name: str, size: int, ticks: int, scaling: str, seed: int) -> dict:
    """Build and run one scenario; the figures of this process."""
    from sim.model import OrgModel
    s = scaled_scenario(name, size, ticks, scaling)
    t0 = time.perf_counter()
    model = OrgModel(s, seed)
    built = time.perf_counter() - t0
    for t in range(ticks):
        model.step()
        if (t + 1) % 100 == 0:
            print(f"  {name}: {t + 1} ticks, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return {"scenario": name, "people": int(model.org.n), "ticks": ticks, "build_s": round(built, 2),
            "run_s": round(time.perf_counter() - t0, 1), "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10_000, help="people in the organisation (default 10,000)")
    ap.add_argument("--scaling", choices=SCALINGS, default="up", help="as in bench_model.py (default up)")
    ap.add_argument("--ticks", type=int, help="run length (default 2,000; 500 from 100,000 people on)")
    ap.add_argument("--scenarios", default="email_gatekept,social_business", help="shipped scenarios, comma-separated")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--together", action="store_true", help="start all runs at once instead of one after the other")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: run this scenario here and print its figures as JSON
    args = ap.parse_args(argv)
    ticks = args.ticks or (500 if args.size >= BIG else 2000)
    if args.one:
        print(json.dumps(one_run(args.one, args.size, ticks, args.scaling, args.seed)))
        return
    print(f"bench_whole_run: orgsim {revision()}, size {args.size}, scaling {args.scaling}, {ticks} ticks, seed {args.seed}, "
          f"{'together' if args.together else 'one after the other'}, {time.strftime('%Y-%m-%d %H:%M')}")
    command = [sys.executable, __file__, "--size", str(args.size), "--scaling", args.scaling, "--ticks", str(ticks), "--seed", str(args.seed)]
    names = [x.strip() for x in args.scenarios.split(",") if x.strip()]
    runs = []
    for name in names:
        runs.append(subprocess.Popen([*command, "--one", name], stdout=subprocess.PIPE, text=True))
        if not args.together:
            runs[-1].wait()
    print(f"{'scenario':>16} {'people':>7} {'ticks':>6} {'build s':>8} {'run s':>7} {'peak RSS GiB':>13}")
    for name, proc in zip(names, runs):
        out, _ = proc.communicate()
        if proc.returncode:
            print(f"{name:>16} failed (exit {proc.returncode})")
            continue
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{r['scenario']:>16} {r['people']:>7} {r['ticks']:>6} {r['build_s']:>8} {r['run_s']:>7} {r['peak_rss_gib']:>13}")


if __name__ == "__main__":
    main()
