"""The orgsim command: outputs on disk, bit-identical reruns across processes, clean input errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.results import TIMESERIES_COLUMNS

from .conftest import ROOT, SCENARIOS

SMALL = ["--set", "organisation.people_per_department=20", "--set", "organisation.customers=30", "--set", "organisation.partners=5", "--set", "ticks=150", "--quiet"]
TABLES = ["timeseries", "decisions", "knowledge", "people", "edges", "person_week"]


def orgsim(*args, cwd):
    """Run the installed console script in a fresh process."""
    exe = Path(sys.executable).with_name("orgsim")
    return subprocess.run([str(exe), *map(str, args)], cwd=cwd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": str(abs(hash(str(cwd))) % 1000)})


def test_run_writes_manifest_and_six_tables(tmp_path):
    out = tmp_path / "run1"
    assert main(["run", str(SCENARIOS / "change_programme.toml"), "--seed", "3", "--out", str(out), *SMALL, "--set", "interventions.0.tick=50"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(["manifest.json", *[f"{t}.parquet" for t in TABLES]])
    man = json.loads((out / "manifest.json").read_text())
    assert man["seed"] == 3 and len(man["scenario_hash"]) == 64 and man["scenario"]["name"] == "change_programme"
    assert man["scenario"]["ticks"] == 150 and man["versions"]["mesa"].startswith("3.5")
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == TIMESERIES_COLUMNS and len(ts) == 150
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporary leftovers


@pytest.mark.slow
def test_reruns_in_separate_processes_are_bit_identical(tmp_path):
    args = ["run", SCENARIOS / "social_business.toml", "--seed", "11", *SMALL]
    a = orgsim(*args, "--out", tmp_path / "a", cwd=tmp_path)
    b = orgsim(*args, "--out", tmp_path / "b", cwd=ROOT)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    for t in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / f"{t}.parquet"), pd.read_parquet(tmp_path / "b" / f"{t}.parquet"), check_exact=True)
    ma, mb = (json.loads((tmp_path / x / "manifest.json").read_text()) for x in "ab")
    assert ma["scenario_hash"] == mb["scenario_hash"]


@pytest.mark.slow
def test_compare_replicates_and_writes_report_figures_and_summary(tmp_path, capsys):
    out = tmp_path / "cmp"
    rc = main(["compare", str(SCENARIOS / "email_gatekept.toml"), str(SCENARIOS / "social_business.toml"), "--out", str(out), "--replications", "3", "--executor", "serial", *SMALL])
    assert rc == 0
    text = capsys.readouterr().out
    assert "email_gatekept" in text and "social_business" in text and "decision latency, Kaplan-Meier median" in text and str(out) in text
    assert "decisions are" in text and "than in email_gatekept" in text
    summary = pd.read_parquet(out / "summary.parquet")
    assert list(summary.columns) == ["scenario", "replication", "seed", "metric", "value"]
    assert set(summary["scenario"]) == {"email_gatekept", "social_business"} and set(summary["replication"]) == {0, 1, 2}
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["adoption.png", "backlog.png", "decision_latency.png", "diffusion.png", "network.png"]
    report = (out / "report.md").read_text()
    assert "## decision latency, Kaplan-Meier median (ticks; lower is better)" in report and "figures/diffusion.png" in report
    man = json.loads((out / "manifest.json").read_text())
    assert man["base_seed"] == 1 and len(man["replication_seeds"]) == 3 and set(man["scenarios"]) == {"email_gatekept", "social_business"}
    assert (out / "runs" / "social_business" / "rep-002" / "decisions.parquet").exists()


@pytest.mark.parametrize(
    "args, expected",
    [
        (["run", "nowhere.toml"], "nowhere.toml: file: no such scenario file"),
        (["run", "{s}/email_open.toml", "--set", "email.routing=sideways"], "email.routing: must be one of 'direct', 'through_channels' or 'closest_contact' (got 'sideways')"),
        (["run", "{s}/email_open.toml", "--set", "organisation.partners=0", "--set", "gatekeepers.bridges=['partner']"], "gatekeepers.bridges: a partner gatekeeper needs organisation.partners > 0"),
        (["compare", "{s}/email_open.toml", "{s}/email_open.toml"], "names must differ"),
        (["validate", "{s}/email_open.toml", "--set", "ticks=0"], "ticks: Input should be greater than or equal to 1 (got 0)"),
    ],
)
@pytest.mark.slow
def test_bad_input_exits_2_with_one_line_per_problem_and_writes_nothing(tmp_path, args, expected):
    args = [a.format(s=SCENARIOS) for a in args]
    r = orgsim(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert expected in r.stderr and "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_bad_flags_are_refused_by_the_parser(tmp_path):
    r = orgsim("run", SCENARIOS / "email_open.toml", "--seed", "-4", cwd=tmp_path)
    assert r.returncode == 2 and "--seed: must be a whole number >= 0 (got '-4')" in r.stderr
    r = orgsim("fly", cwd=tmp_path)
    assert r.returncode == 2 and "invalid choice: 'fly'" in r.stderr


@pytest.mark.slow
def test_an_occupied_output_folder_is_refused(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    r = orgsim("run", SCENARIOS / "email_open.toml", "--out", tmp_path / "busy", *SMALL, cwd=tmp_path)
    assert r.returncode == 2 and "--out: folder exists and is not empty" in r.stderr
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["keep.txt"]


@pytest.mark.slow
def test_validate_accepts_every_shipped_scenario(tmp_path):
    r = orgsim("validate", *sorted(SCENARIOS.glob("*.toml")), cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.count(": ok (") == 9


@pytest.mark.slow
def test_a_broken_org_chart_is_named_with_row_and_field(tmp_path):
    chart = tmp_path / "chart.csv"
    chart.write_text("id,manager_id,department,role\nceo,,board,executive\na,ceo,ops,employee\nb,zz,ops,employee\n")
    scenario = tmp_path / "mine.toml"
    scenario.write_text('[organisation.import]\norg_chart = "chart.csv"\n[knowledge]\nmarket_signals_per_1000_per_tick = 0\n[decisions]\ncustomer_issues_per_1000_per_tick = 0\nmarket_opportunities_per_1000_per_tick = 0\n')
    r = orgsim("run", scenario, "--quiet", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "organisation.import" in r.stderr and "row 4: manager_id: no person with this id (got 'zz')" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.csv", "mine.toml"]
