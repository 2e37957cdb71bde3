"""Sweeps and sensitivity: points, one Parquet per run, resume after a real kill, SALib indices,
and the same results from every executor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments import run_experiment
from sim.scenario import ScenarioError, load_scenario
from sim.sensitivity import run_sensitivity
from sim.sweeps import grid_points, lhs_points, parse_grid, parse_ranges, run_sweep

from .conftest import SCENARIOS, small

FAST = ["ticks=120", "organisation.people_per_department=15", "organisation.customers=20", "organisation.partners=5"]
SETS = [x for f in FAST for x in ("--set", f)]


def test_grid_is_the_full_factorial_in_a_fixed_order():
    grid = parse_grid(["a.b=1,2", "c=x,y,z", "gatekeepers.bridges=[[], ['upward']]"])
    points = grid_points(grid)
    assert len(points) == 12 and points[0] == {"a.b": 1, "c": "x", "gatekeepers.bridges": []}
    assert points[-1] == {"a.b": 2, "c": "z", "gatekeepers.bridges": ["upward"]}


def test_latin_hypercube_fills_each_stratum_once_and_keeps_whole_numbers():
    base = load_scenario(SCENARIOS / "email_gatekept.toml")
    points = lhs_points(base, parse_ranges(["attention.reading_minutes_per_tick=4:16", "decisions.deadline_ticks=20:220"]), 10, seed=3)
    cap = np.array([p["attention.reading_minutes_per_tick"] for p in points])
    assert sorted(np.floor((cap - 4) / 1.2).astype(int)) == list(range(10))  # one point per tenth of the range
    assert all(isinstance(p["decisions.deadline_ticks"], int) and 20 <= p["decisions.deadline_ticks"] <= 220 for p in points)
    assert points == lhs_points(base, parse_ranges(["attention.reading_minutes_per_tick=4:16", "decisions.deadline_ticks=20:220"]), 10, seed=3)
    with pytest.raises(ScenarioError, match="ranges need a numeric field"):
        lhs_points(base, parse_ranges(["email.routing=1:2"]), 3, seed=1)


@pytest.mark.parametrize("items, parser, fragment", [
    (["x=1:1"], parse_ranges, "low < high"), (["x=a:b"], parse_ranges, "with numbers"), (["x"], parse_grid, "expected dotted.key="),
])
def test_bad_sweep_arguments_are_named(items, parser, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        parser(items)


def test_a_sweep_writes_one_parquet_per_run_that_pandas_reads_as_one_table(tmp_path):
    out = tmp_path / "sw"
    points = grid_points(parse_grid(["stream.feed_attention_share=0.2,1.0"]))
    exp = run_sweep(SCENARIOS / "social_business.toml", FAST, points, 2, out, executor="serial", progress=False)
    files = sorted(p.name for p in (out / "runs").iterdir())
    assert files == ["p000-rep-000.parquet", "p000-rep-001.parquet", "p001-rep-000.parquet", "p001-rep-001.parquet"]
    table = pd.read_parquet(out / "runs")  # the whole sweep, one row per run
    assert len(table) == 4 and {"point", "replication", "seed", "stream.feed_attention_share", "process_coverage_employees"} <= set(table.columns)
    by = table.groupby("stream.feed_attention_share")["process_coverage_employees"].mean()
    assert by[1.0] > by[0.2]  # the question a sweep answers in one line
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), exp.wide(), check_exact=True)


def test_invalid_points_stop_the_sweep_before_anything_runs(tmp_path):
    out = tmp_path / "bad"
    rc = main(["sweep", str(SCENARIOS / "email_open.toml"), "--grid", "email.routing=direct,sideways", "--out", str(out), "--quiet", *SETS])
    assert rc == 2 and not out.exists()


@pytest.mark.slow
def test_a_killed_sweep_resumes_with_nothing_lost_or_duplicated(tmp_path):
    args = ["sweep", str(SCENARIOS / "email_gatekept.toml"), "--grid", "gatekeepers.capacity_per_tick=1,2,4,8", "--replications", "3",
            "--executor", "serial", "--quiet", *SETS, "--set", "ticks=400"]
    exe = str(Path(sys.executable).with_name("orgsim"))
    killed = tmp_path / "killed"
    proc = subprocess.Popen([exe, *args, "--out", str(killed)], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((killed / "runs").glob("p*.parquet"))) < 4:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list((killed / "runs").glob("p*.parquet")))
    assert 4 <= done_before < 12, "the kill should land half-way"
    assert main([*args, "--out", str(killed)]) == 0
    assert main([*args, "--out", str(tmp_path / "clean")]) == 0
    runs = sorted(p.name for p in (killed / "runs").iterdir())
    assert runs == sorted(p.name for p in (tmp_path / "clean" / "runs").iterdir()) and len(runs) == 12
    pd.testing.assert_frame_equal(pd.read_parquet(killed / "summary.parquet"), pd.read_parquet(tmp_path / "clean" / "summary.parquet"), check_exact=True)


@pytest.mark.slow
def test_sobol_finds_the_field_that_matters_and_not_the_one_that_cannot(tmp_path):
    # in an e-mail-only world the stream's attention cannot matter; the gatekeepers' capacity does
    ranges = parse_ranges(["gatekeepers.capacity_per_tick=0.5:8", "stream.feed_attention_share=0.1:1"])
    result = run_sensitivity(SCENARIOS / "email_gatekept.toml", FAST + ["ticks=300"], ranges, "sobol", 8, 1, tmp_path / "sobol",
                             executor="process", workers=2, progress=False)
    st = result[(result["index"] == "ST") & (result["metric"] == "decision_latency_median")].set_index("parameter")["value"]
    assert st["stream.feed_attention_share"] == 0.0 and st["gatekeepers.capacity_per_tick"] > 0.2
    assert (tmp_path / "sobol" / "figures" / "sensitivity.png").exists()
    assert len(list((tmp_path / "sobol" / "runs").glob("*.parquet"))) == 8 * (2 + 2)


@pytest.mark.slow
def test_morris_runs_through_the_cli(tmp_path, capsys):
    out = tmp_path / "morris"
    rc = main(["sensitivity", str(SCENARIOS / "social_business.toml"), "--method", "morris", "--range", "stream.feed_attention_share=0.1:1",
               "--range", "attention.reading_minutes_per_tick=4:16", "--samples", "3", "--executor", "serial", "--out", str(out), "--quiet", *SETS])
    assert rc == 0 and "mu_star" in capsys.readouterr().out
    result = pd.read_parquet(out / "sensitivity.parquet")
    assert set(result["index"]) == {"mu_star", "mu_star_conf", "sigma"}


@pytest.mark.slow
def test_serial_process_pool_and_dask_give_identical_results(tmp_path):
    scenarios = [small("email_gatekept", *FAST), small("social_business", *FAST)]
    results = {ex: run_experiment(scenarios, 2, tmp_path / ex, executor=ex, workers=2, progress=False).summary() for ex in ("serial", "process", "dask")}
    pd.testing.assert_frame_equal(results["serial"], results["process"], check_exact=True)
    pd.testing.assert_frame_equal(results["serial"], results["dask"], check_exact=True)


@pytest.mark.slow
def test_runs_go_to_an_existing_scheduler_by_flag_or_environment(tmp_path, monkeypatch):
    from distributed import LocalCluster

    args = ["compare", str(SCENARIOS / "email_open.toml"), "--replications", "2", "--quiet", *SETS]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert main([*args, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "flag")]) == 0
        monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
        assert main([*args, "--executor", "dask", "--out", str(tmp_path / "env")]) == 0
    assert main([*args, "--executor", "serial", "--out", str(tmp_path / "serial")]) == 0
    ref = pd.read_parquet(tmp_path / "serial" / "summary.parquet")
    for name in ("flag", "env"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name / "summary.parquet"), ref, check_exact=True)


@pytest.mark.slow
def test_python_api_for_notebooks(tmp_path):
    import sim

    c = sim.compare([small("email_gatekept", *FAST), small("email_open", *FAST)], replications=2, out=tmp_path / "c", executor="serial", progress=False)
    assert set(c.summary["scenario"]) == {"email_gatekept", "email_open"} and c.report.exists() and sorted(f.name for f in c.figures) == ["backlog.png", "decision_latency.png", "diffusion.png", "network.png"]
    assert {"mean", "low", "high", "diff", "effect_size"} <= set(c.stats.columns)
    runs = sim.sweep(SCENARIOS / "email_open.toml", grid={"attention.reading_minutes_per_tick": [4, 12]}, overrides=FAST, out=tmp_path / "s", executor="serial", progress=False)
    assert list(runs["attention.reading_minutes_per_tick"]) == [4, 12] and "decision_latency_median" in runs


@pytest.mark.slow
def test_an_unreachable_scheduler_is_a_clean_error(tmp_path, capsys):
    rc = main(["compare", str(SCENARIOS / "email_open.toml"), "--replications", "1", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "x"), "--quiet", *SETS])
    assert rc == 2 and "--scheduler: cannot reach a dask scheduler at 'tcp://127.0.0.1:9'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
