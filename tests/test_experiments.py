"""Replicated experiments: common random numbers, executors agree bit for bit, resume, failures."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import sim.experiments as experiments
from sim.cli import main
from sim.experiments import interval, replication_seeds, run_experiment
from sim.report import compare_stats

from .conftest import SCENARIOS, small

FAST = ["ticks=150", "organisation.people_per_department=15", "organisation.customers=20", "organisation.partners=5"]


def scenarios():
    return [small("email_gatekept", *FAST), small("social_business", *FAST)]


def test_seeds_come_from_one_base_seed():
    seeds = replication_seeds(7, 5)
    assert len(set(seeds)) == 5 and seeds == replication_seeds(7, 5) and seeds[:3] == replication_seeds(7, 3)


@pytest.mark.slow
def test_serial_and_process_pool_give_identical_results(tmp_path):
    a = run_experiment(scenarios(), 3, tmp_path / "serial", executor="serial", progress=False)
    b = run_experiment(scenarios(), 3, tmp_path / "pool", executor="process", workers=2, progress=False)
    pd.testing.assert_frame_equal(a.summary(), b.summary(), check_exact=True)
    for key in ("email_gatekept/rep-002", "social_business/rep-000"):
        for table in ("timeseries", "decisions", "knowledge", "people"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(tmp_path / "serial" / "runs" / key / f"{table}.parquet"),
                pd.read_parquet(tmp_path / "pool" / "runs" / key / f"{table}.parquet"), check_exact=True)


@pytest.mark.slow
def test_an_interrupted_experiment_resumes_without_loss_or_duplicates(tmp_path):
    whole = run_experiment(scenarios(), 4, tmp_path / "whole", executor="serial", progress=False)
    part = tmp_path / "part"
    run_experiment(scenarios(), 4, part, executor="serial", progress=False)
    # simulate a kill half-way: two runs missing, one half-written temporary folder left behind
    shutil.rmtree(part / "runs" / "email_gatekept" / "rep-003")
    shutil.rmtree(part / "runs" / "social_business" / "rep-001")
    (part / "runs" / "social_business" / ".rep-001.tmp-999").mkdir()
    (part / "summary.parquet").unlink()
    resumed = run_experiment(scenarios(), 4, part, executor="serial", progress=False)
    assert resumed.ran == 2 and resumed.reused == 6
    pd.testing.assert_frame_equal(whole.summary(), resumed.summary(), check_exact=True)
    pd.testing.assert_frame_equal(pd.read_parquet(part / "summary.parquet"), whole.summary(), check_exact=True)
    assert sorted(p.name for p in (part / "runs" / "social_business").iterdir() if not p.name.startswith(".")) == [f"rep-00{i}" for i in range(4)]


@pytest.mark.slow
def test_a_failing_run_is_recorded_and_the_others_go_on(tmp_path, monkeypatch, capsys):
    real = experiments.execute

    def flaky(spec):
        if spec.name == "social_business" and spec.replication == 1:
            raise RuntimeError("disk on fire")
        return real(spec)

    monkeypatch.setattr(experiments, "execute", flaky)
    out = tmp_path / "exp"
    args = ["compare", str(SCENARIOS / "email_gatekept.toml"), str(SCENARIOS / "social_business.toml"), "--replications", "2",
            "--executor", "serial", "--out", str(out), "--quiet", *[x for f in FAST for x in ("--set", f)]]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "social_business/rep-001" in err and "disk on fire" in err
    failures = json.loads((out / "failures.json").read_text())
    assert list(failures) == ["social_business/rep-001"] and failures["social_business/rep-001"]["seed"] == replication_seeds(1, 2)[1]
    assert len(list((out / "runs").glob("*/rep-*"))) == 3
    monkeypatch.setattr(experiments, "execute", real)
    assert main(args) == 0  # the rerun fills the gap
    assert not (out / "failures.json").exists() and len(list((out / "runs").glob("*/rep-*"))) == 4


@pytest.mark.slow
def test_common_random_numbers_make_identical_scenarios_differ_by_exactly_zero(tmp_path):
    a = small("email_open", *FAST)
    b = a.model_copy(update={"name": "email_open_again"})
    exp = run_experiment([a, b], 3, tmp_path / "crn", executor="serial", progress=False)
    stats = compare_stats(exp.summary(), ["email_open", "email_open_again"])
    again = stats[stats["scenario"] == "email_open_again"].dropna(subset=["diff"])
    intervals = again["diff_low"].dropna()  # none where a metric has a value in a single replication (a median most runs never reach)
    assert len(again) > 5 and (again["diff"] == 0).all() and len(intervals) > 5 and (intervals == 0).all()


def test_interval_matches_the_t_formula():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    mean, lo, hi = interval(values)
    assert mean == 2.5 and hi - mean == pytest.approx(3.182446 * np.std(values, ddof=1) / 2, rel=1e-5)
    assert np.isnan(interval(np.array([5.0]))[1]) and interval(np.array([np.inf, 1.0, 3.0]))[0] == 2.0


@pytest.mark.slow
def test_a_changed_scenario_is_not_mixed_into_an_old_experiment(tmp_path, capsys):
    out = tmp_path / "exp"
    base = ["compare", str(SCENARIOS / "email_open.toml"), "--replications", "1", "--executor", "serial", "--out", str(out), "--quiet", *[x for f in FAST for x in ("--set", f)]]
    assert main(base) == 0
    assert main([*base, "--set", "attention.reading_minutes_per_tick=5"]) == 2
    assert "cannot resume the experiment" in capsys.readouterr().err
