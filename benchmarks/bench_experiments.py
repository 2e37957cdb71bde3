"""Experiment throughput: runs per minute of a ~1,000-person scenario, serial vs process pool vs dask.

Prints one line per executor: runs, wall seconds, runs per minute and the speed-up over serial
(aim: >= 1.8x on 2 cores).  Each executor writes into its own temporary folder; the summaries are
checked to be bit-identical (the executors must not change results), which is the only assertion.

    .venv/bin/python benchmarks/bench_experiments.py [--runs 8] [--scenario scenarios/email_gatekept.toml]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from sim.experiments import run_experiment
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=8, help="replications (runs) per executor")
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "email_gatekept.toml")
    args = ap.parse_args()
    scenario = load_scenario(args.scenario)
    cores = os.cpu_count() or 1
    print(f"bench_experiments: {scenario.name}, {args.runs} runs of {scenario.ticks} ticks per executor, {cores} cores")
    print(f"{'executor':>10} {'runs':>5} {'wall s':>8} {'runs/min':>9} {'vs serial':>10}")
    summaries, serial_rate = {}, None
    with tempfile.TemporaryDirectory() as tmp:
        for executor in ("serial", "process", "dask"):
            start = time.perf_counter()
            exp = run_experiment([scenario], args.runs, Path(tmp) / executor, executor=executor, workers=cores, progress=False)
            wall = time.perf_counter() - start
            rate = 60 * args.runs / wall
            serial_rate = serial_rate or rate
            summaries[executor] = exp.summary()
            print(f"{executor:>10} {args.runs:>5} {wall:>8.1f} {rate:>9.1f} {rate / serial_rate:>9.2f}x")
    for executor in ("process", "dask"):
        pd.testing.assert_frame_equal(summaries["serial"], summaries[executor], check_exact=True)
    print("summaries identical across executors: yes")


if __name__ == "__main__":
    main()
