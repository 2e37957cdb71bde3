"""Issue 8, "Hardening": no traceback, no silent wrong result and no runaway on any input.

One section per group of the issue.  Every refusal is checked the same way: exit code 2, one line
per problem naming the file (or flag) and the field, no traceback, and the folder the command ran
in exactly as it was before.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import sim
import sim.experiments as experiments
from sim.cli import main
from sim.errors import ExperimentError, InputError, LimitError, OrganisationError, ScenarioError, format_problem
from sim.experiments import safe_name
from sim.model import OrgModel
from sim.organisation import build_organisation
from sim.scenario import LIMITS, estimate, load_scenario, load_scenario_text
from sim.validation import run_cases

from .conftest import SCENARIOS

TINY = ["ticks=6", "organisation.people_per_department=8", "organisation.partners=2", "organisation.customers=4"]
TINY_SETS = [x for o in TINY for x in ("--set", o)]
QUIET = "[knowledge]\nmarket_signals_per_1000_per_tick = 0\n[decisions]\ncustomer_issues_per_1000_per_tick = 0\nmarket_opportunities_per_1000_per_tick = 0\n"


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def refused(args: list, folder: Path, capsys, code: int = 2) -> str:
    """Run the command line in this process; it must exit with ``code``, print no traceback and
    leave ``folder`` as it was.  Returns stderr."""
    before = listing(folder)
    capsys.readouterr()
    rc = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert rc == code, err
    assert "Traceback" not in err and err.strip()
    assert listing(folder) == before, "nothing may be written"
    return err


def chart_scenario(tmp_path: Path, chart: bytes | str, extra: str = "", name: str = "chart.csv") -> Path:
    path = tmp_path / name
    if isinstance(chart, bytes):
        path.write_bytes(chart)
    elif chart:
        path.write_text(chart)
    scenario = tmp_path / "mine.toml"
    scenario.write_text(f'ticks = 5\n[organisation.import]\norg_chart = "{name}"\n{QUIET}{extra}')
    return scenario


GOOD_CHART = "id,manager_id,department,role\nceo,,board,executive\ns1,ceo,sales,manager\ns2,s1,sales,employee\nc1,s2,,customer\n"


# ------------------------------------------------------------------------------------------ 1 unreadable input
@pytest.mark.parametrize("content, fragment", [
    ("name = 'caf\xe9'\n".encode("latin-1"), "file: is not UTF-8 text"),
    (b"\x00\x01\x02binary\xff", "file: holds binary data (NUL bytes)"),
])
def test_a_scenario_that_is_not_utf8_text_is_named(tmp_path, capsys, content, fragment):
    path = tmp_path / "s.toml"
    path.write_bytes(content)
    err = refused(["run", path, "--out", tmp_path / "out"], tmp_path, capsys)
    assert err.startswith(f"{path}: {fragment}")


@pytest.mark.parametrize("base", [".", "", "..", "sub"])
def test_a_folder_or_nothing_as_base_is_named_as_the_base_field(tmp_path, capsys, base):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "s.toml"
    path.write_text(f'base = "{base}"\nticks = 5\n')
    err = refused(["validate", path], tmp_path, capsys)
    assert err.startswith(f"{path}: base: ") and (f"(got '{base}')" in err)


def test_a_folder_as_scenario_and_a_latin1_base_are_named(tmp_path, capsys):
    (tmp_path / "folder.toml").mkdir()
    err = refused(["validate", tmp_path / "folder.toml"], tmp_path, capsys)
    assert err.strip() == f"{tmp_path / 'folder.toml'}: file: is a folder, not a scenario file (got '{tmp_path / 'folder.toml'}')"
    (tmp_path / "base.toml").write_bytes("name = 'caf\xe9'".encode("latin-1"))
    (tmp_path / "child.toml").write_text('base = "base.toml"\n')
    err = refused(["validate", tmp_path / "child.toml"], tmp_path, capsys)
    assert err.startswith(f"{tmp_path / 'child.toml'}: base: is not UTF-8 text") and "(got 'base.toml')" in err


@pytest.mark.parametrize("chart, fragment", [
    ("id,manager_id,department,role\nceo,,caf\xe9,executive\n".encode("latin-1"), "is not UTF-8 text"),
    (b"PK\x03\x04\x00\x00binary", "holds binary data"),
    (None, "is a folder, not an org chart"),
])
def test_an_unreadable_org_chart_is_named_by_scenario_field_and_chart(tmp_path, capsys, chart, fragment):
    if chart is None:
        (tmp_path / "chart.csv").mkdir()
        chart = ""
    scenario = chart_scenario(tmp_path, chart)
    err = refused(["run", scenario, "--out", tmp_path / "out"], tmp_path, capsys)
    assert err.startswith(f"{scenario}: organisation.import.org_chart: {tmp_path / 'chart.csv'}: ") and fragment in err


@pytest.mark.parametrize("broken", ["edges", "departments"])
@pytest.mark.parametrize("how", ["missing", "folder"])
def test_edge_and_department_files_missing_or_folders_name_their_field(tmp_path, capsys, broken, how):
    (tmp_path / "edges.txt").write_text("1 2\n2 3\n")
    (tmp_path / "departments.txt").write_text("1 0\n2 0\n3 1\n")
    target = tmp_path / f"{broken}.txt"
    target.unlink()
    if how == "folder":
        target.mkdir()
    scenario = tmp_path / "edges.toml"
    scenario.write_text(f'ticks = 5\n[organisation.import]\nedges = "edges.txt"\ndepartments = "departments.txt"\n{QUIET}')
    err = refused(["validate", scenario], tmp_path, capsys)
    assert err.startswith(f"{scenario}: organisation.import.{broken}: {target}: ")
    assert "None" not in err and ("no such" in err if how == "missing" else "is a folder" in err)


# ------------------------------------------------------------------------------------------ 2 wrong shapes
@pytest.mark.parametrize("text, field, fragment", [
    ("organisation = 5", "organisation", "must be a table of keys"),
    ("[email]\nrouting = 1979-05-27", "email.routing", "dates and times are not scenario values"),
    ("ticks = 07:32:00", "ticks", "dates and times"),
    ("[gatekeepers]\nbridges = 'upward'", "gatekeepers.bridges", "valid list"),
])
def test_wrong_shapes_are_named(tmp_path, capsys, text, field, fragment):
    path = tmp_path / "s.toml"
    path.write_text(text)
    err = refused(["validate", path], tmp_path, capsys)
    assert err.startswith(f"{path}: {field}: ") and fragment in err


def test_a_chart_row_with_too_few_or_too_many_fields_is_named_by_row(tmp_path, capsys):
    scenario = chart_scenario(tmp_path, GOOD_CHART + "x,ceo\ny,ceo,sales,employee,extra\n")
    err = refused(["validate", scenario], tmp_path, capsys)
    assert "row 6: has 2 field(s), the header has 4" in err and "row 7: has 5 field(s)" in err


# ------------------------------------------------------------------------------------------ 3 crashes while running
@pytest.mark.parametrize("override, field", [
    ("decisions.customer_issues_per_1000_per_tick=inf", "decisions.customer_issues_per_1000_per_tick"),
    ("knowledge.process_per_1000_per_tick=1e308", "knowledge.process_per_1000_per_tick"),
    ("attention.reading_minutes_per_tick=inf", "attention.reading_minutes_per_tick"),
    ("stream.feed_attention_share=inf", "stream.feed_attention_share"),
    ("knowledge.retell_for_ticks=9223372036854775000", "knowledge.retell_for_ticks"),
    ("gatekeepers.capacity_per_tick=inf", "gatekeepers.capacity_per_tick"),
    ("gatekeepers.capacity_per_tick=nan", "gatekeepers.capacity_per_tick"),
    ('name="a\\u0000b"', "name"),
    ('organisation.departments=["sales", "sup\\u0000port"]', "organisation.departments.1"),
])
def test_values_that_used_to_crash_a_run_are_refused_before_it(tmp_path, capsys, override, field):
    err = refused(["run", SCENARIOS / "email_open.toml", "--out", tmp_path / "out", "--set", override], tmp_path, capsys)
    assert f"{SCENARIOS / 'email_open.toml'}: {field}: " in err


def test_an_imported_chart_must_hold_the_eligible_and_community_departments(tmp_path, capsys):
    scenario = chart_scenario(tmp_path, GOOD_CHART, "[adoption]\neligible_departments = ['sales', 'nowhere']\n[stream]\ncommunity_departments = ['elsewhere']\n")
    err = refused(["run", scenario, "--out", tmp_path / "out"], tmp_path, capsys)
    assert f"{scenario}: adoption.eligible_departments: must name departments of the organisation: ['board', 'sales'] (got 'nowhere')" in err
    assert "stream.community_departments" in err and "(got 'elsewhere')" in err


def test_a_customer_whose_contact_is_a_partner_is_refused(tmp_path, capsys):
    scenario = chart_scenario(tmp_path, GOOD_CHART + "p1,s1,,partner\nc2,p1,,customer\n")
    err = refused(["validate", scenario], tmp_path, capsys)
    assert "row 7: manager_id: a customer's internal contact must be an employee, manager or executive, not a partner (got 'p1')" in err


@pytest.mark.parametrize("address", ["not an address", "tcp://", " "])
def test_a_scheduler_that_is_not_an_address_is_refused(tmp_path, capsys, address):
    err = refused(["compare", SCENARIOS / "email_open.toml", "--scheduler", address, "--out", tmp_path / "out", *TINY_SETS], tmp_path, capsys)
    assert err.startswith("--scheduler: ")


@pytest.mark.parametrize("where", ["file", "below"])
@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_out_at_or_below_a_file_is_refused_before_simulating(tmp_path, capsys, monkeypatch, where, command):
    (tmp_path / "taken").write_text("mine")
    out = tmp_path / "taken" if where == "file" else tmp_path / "taken" / "sub"
    monkeypatch.setattr(OrgModel, "run", lambda *a, **k: pytest.fail("simulated before refusing --out"))
    monkeypatch.setattr(experiments, "execute", lambda spec: pytest.fail("simulated before refusing --out"))
    args = [command, SCENARIOS / "email_open.toml", "--out", out, *TINY_SETS]
    if command != "run":
        args += ["--executor", "serial"] + (["--grid", "ticks=5,6"] if command == "sweep" else [])
    err = refused(args, tmp_path, capsys)
    assert err.startswith("--out: ") and "--out: --out:" not in err and str(out) in err
    assert (tmp_path / "taken").read_text() == "mine"


def _always_fails(spec):
    raise RuntimeError("disk on fire")


def test_a_compare_whose_runs_all_fail_writes_only_its_failure_record(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(experiments, "execute", _always_fails)
    out = tmp_path / "cmp"
    capsys.readouterr()
    rc = main(["compare", str(SCENARIOS / "email_open.toml"), str(SCENARIOS / "email_gatekept.toml"), "--replications", "2",
               "--executor", "serial", "--out", str(out), "--quiet", *TINY_SETS])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err and "all 4 run(s) failed" in err and "disk on fire" in err
    assert sorted(p.name for p in out.iterdir()) == ["failures.json"]
    assert len(json.loads((out / "failures.json").read_text())) == 4
    with pytest.raises(ExperimentError, match="all 2 run"):
        sim.compare([SCENARIOS / "email_open.toml"], replications=2, out=tmp_path / "lib", executor="serial", progress=False)
    assert sorted(p.name for p in (tmp_path / "lib").iterdir()) == ["failures.json"]


def test_a_sweep_whose_runs_all_fail_is_a_clean_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(experiments, "execute", _always_fails)
    out = tmp_path / "sw"
    capsys.readouterr()
    rc = main(["sweep", str(SCENARIOS / "email_open.toml"), "--grid", "ticks=5,6", "--executor", "serial", "--out", str(out), "--quiet", *TINY_SETS])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err and "KeyError" not in err and "all 2 run(s) failed" in err
    assert sorted(p.name for p in out.iterdir()) == ["failures.json"]


# ------------------------------------------------------------------------------------------ 4 silent wrong results
@pytest.mark.parametrize("override, field", [
    ("ticks=true", "ticks"),
    ("organisation.people_per_department=true", "organisation.people_per_department"),
    ("gatekeepers.capacity_per_tick=false", "gatekeepers.capacity_per_tick"),
    ("stream.enabled=1", "stream.enabled"),
    ("ticks=2.5", "ticks"),
])
def test_booleans_are_not_numbers_and_numbers_are_not_booleans(tmp_path, capsys, override, field):
    err = refused(["validate", SCENARIOS / "email_open.toml", "--set", override], tmp_path, capsys)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{SCENARIOS / 'email_open.toml'}: {field}: ")


@pytest.mark.parametrize("department", ["executive office", "(external)"])
def test_a_department_named_like_an_internal_group_is_refused(tmp_path, capsys, department):
    err = refused(["validate", SCENARIOS / "email_open.toml", "--set", f"organisation.departments=['sales', 'support', '{department}']"], tmp_path, capsys)
    assert f"organisation.departments: '{department}' is the name orgsim gives its own group" in err
    scenario = chart_scenario(tmp_path, GOOD_CHART.replace("ceo,,board", f"ceo,,{department}"), name="reserved.csv")
    err = refused(["validate", scenario], tmp_path, capsys)
    assert f"row 2: department: '{department}' is the name orgsim gives its own group" in err


def test_a_repeated_grid_or_range_key_is_refused(tmp_path, capsys):
    err = refused(["sweep", SCENARIOS / "email_open.toml", "--grid", "ticks=5,6", "--grid", "ticks=7", "--out", tmp_path / "o"], tmp_path, capsys)
    assert err.strip() == "--grid: ticks is given twice; list all its values in one --grid (got 'ticks=7')"
    err = refused(["sweep", SCENARIOS / "email_open.toml", "--lhs", "2", "--range", "ticks=5:9", "--range", "ticks=1:3", "--out", tmp_path / "o"], tmp_path, capsys)
    assert "--range: ticks is given twice" in err


@pytest.mark.slow
@pytest.mark.parametrize("name", ["../../escape", "a/b", ".hidden"])
def test_a_scenario_name_never_writes_outside_results_or_out(tmp_path, capsys, monkeypatch, name):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["run", str(SCENARIOS / "email_open.toml"), "--quiet", "--set", f"name={json.dumps(name)}", *TINY_SETS]) == 0
    (made,) = (work / "results").iterdir()
    assert made.parent == work / "results" and not made.name.startswith(".")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"] and sorted(p.name for p in work.iterdir()) == ["results"]
    out = tmp_path / "cmp"
    assert main(["compare", str(SCENARIOS / "email_open.toml"), "--replications", "1", "--executor", "serial", "--out", str(out), "--quiet",
                 "--set", f"name={json.dumps(name)}", *TINY_SETS]) == 0
    assert all(out in p.resolve().parents for p in out.rglob("*"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp", "work"]
    assert (out / "runs" / safe_name(name) / "rep-000" / "headline.json").exists()


def test_safe_names_keep_plain_names_and_keep_different_names_apart():
    for plain in ["email_gatekept", "p000", "email_gatekept+gatekeepers+routing", "Sales team 2"]:
        assert safe_name(plain) == plain
    odd = ["..", ".", "a/b", "a_b", "a\\b", "../a", "_../a", "x" * 300]
    safe = [safe_name(n) for n in odd]
    assert len(set(safe)) == len(odd) and all("/" not in s and "\\" not in s and not s.startswith(".") and len(s.encode()) <= 100 for s in safe)


# ------------------------------------------------------------------------------------------ 5 naming the culprit
@pytest.mark.parametrize("edit, expected", [
    (lambda t: t.replace("s1,ceo,", "s1,s2,"), "row 3: manager_id: the reporting lines form a cycle: s1 -> s2 -> s1 (got 's2')"),
    (lambda t: t.replace("s2,s1,", "s2,s2,"), "row 4: manager_id: a person cannot be their own manager (got 's2')"),
])
def test_manager_cycles_name_file_row_and_ids(tmp_path, capsys, edit, expected):
    scenario = chart_scenario(tmp_path, edit(GOOD_CHART))
    err = refused(["validate", scenario], tmp_path, capsys)
    assert err.strip() == f"{scenario}: organisation.import.org_chart: {tmp_path / 'chart.csv'}: {expected}"


@pytest.mark.parametrize("override", [".ticks=1", "ticks.=1", "email..routing=direct"])
def test_a_dotted_key_with_an_empty_part_is_named(tmp_path, capsys, override):
    err = refused(["validate", SCENARIOS / "email_open.toml", "--set", override], tmp_path, capsys)
    assert err.strip() == f"{SCENARIOS / 'email_open.toml'}: --set: the dotted key {override.partition('=')[0]!r} has an empty part; expected dotted.key=value, e.g. email.routing=direct (got {override!r})"


def test_errors_found_while_building_start_with_the_scenario_file(tmp_path, capsys):
    scenario = chart_scenario(tmp_path, GOOD_CHART.replace("c1,s2,,customer\n", ""))
    scenario.write_text(scenario.read_text().replace("customer_issues_per_1000_per_tick = 0\n", "customer_issues_per_1000_per_tick = 1\n"))
    err = refused(["validate", scenario], tmp_path, capsys)
    assert err.strip() == (f"{scenario}: decisions.customer_issues_per_1000_per_tick: needs people of role customer; the organisation has none (got 1.0)")


# ------------------------------------------------------------------------------------------ 6 size limits
@pytest.mark.parametrize("overrides, field, figure", [
    (["organisation.ties_within_department=200000", "organisation.people_per_department=200000"], "organisation.ties_within_department", "160,002,400,"),
    (["stream.communities=1000", "organisation.people_per_department=20000"], "stream.communities", "list and space memberships"),
    (["knowledge.process_per_1000_per_tick=1000", "ticks=10000"], "knowledge", "knowledge items, above the cap of 2,000,000"),
    (["decisions.internal_improvements_per_1000_per_tick=1000", "ticks=1000000", "organisation.people_per_department=100"], "decisions", "decisions, above the cap"),
    (["ticks=1000000", "organisation.people_per_department=1000"], "ticks", "person-ticks"),
    (["email.expire_after_ticks=1000000", "ticks=1000000", "organisation.people_per_department=2000"], "email.expire_after_ticks", "model's own limit"),
])
def test_runs_too_large_are_refused_with_their_figure(tmp_path, capsys, overrides, field, figure):
    err = refused(["validate", SCENARIOS / "email_open.toml", *[x for o in overrides for x in ("--set", o)]], tmp_path, capsys)
    line = next(line for line in err.splitlines() if f": {field}" in line and figure in line)
    assert line.startswith(f"{SCENARIOS / 'email_open.toml'}: {field}") and "(got " in line


def test_allow_large_lifts_the_caps_but_not_the_models_own_limit(tmp_path, capsys):
    big = ["--set", "knowledge.process_per_1000_per_tick=1000", "--set", "ticks=10000"]
    refused(["validate", SCENARIOS / "email_open.toml", *big], tmp_path, capsys)
    assert main(["validate", str(SCENARIOS / "email_open.toml"), *big, "--allow-large"]) == 0
    hard = ["--set", "email.expire_after_ticks=1000000", "--set", "ticks=1000000", "--set", "organisation.people_per_department=2000"]
    assert "model's own limit" in refused(["validate", SCENARIOS / "email_open.toml", *hard, "--allow-large"], tmp_path, capsys)


def test_sim_run_refuses_a_run_too_large_before_building_it():
    """The notebook entry point checks the caps as the command line does (nothing is built: the
    organisation asked for would take minutes to draw)."""
    import sim
    big = ["ticks=1000000", "organisation.people_per_department=1000"]
    with pytest.raises(LimitError, match="person-ticks"):
        sim.run(SCENARIOS / "email_open.toml", overrides=big)
    with pytest.raises(LimitError, match="person-ticks"):
        sim.run(load_scenario(SCENARIOS / "email_open.toml", big))


@pytest.mark.parametrize("args, flag", [
    (["compare", "{s}", "--replications", "1000000000"], "--replications"),
    (["sweep", "{s}", "--grid", "ticks=" + ",".join(map(str, range(1, 1001))), "--grid", "seed=" + ",".join(map(str, range(1000)))], "--grid"),
    (["sweep", "{s}", "--lhs", "1000000000", "--range", "ticks=5:10"], "--lhs"),
    (["sensitivity", "{s}", "--range", "ticks=5:10", "--samples", "1000000000"], "--samples"),
    (["sweep", "{s}", "--grid", "ticks=5,6", "--replications", "60000"], "--replications"),
])
def test_experiments_too_large_are_refused_before_anything_is_drawn(tmp_path, capsys, args, flag):
    args = [a.format(s=SCENARIOS / "email_open.toml") for a in args] + ["--out", str(tmp_path / "out")]
    err = refused(args, tmp_path, capsys)
    assert err.startswith(f"{flag}: the experiment would make ") and "above the cap" in err and "--allow-large" in err


def test_the_shipped_scenarios_validation_cases_and_benchmark_sizes_fit_the_caps():
    for path in [*SCENARIOS.glob("*.toml"), *(SCENARIOS / "validation").glob("*.toml")]:
        s = load_scenario(path)
        assert experiments.check_scenario(s, str(path), build=False) is None
    import sys

    sys.path.insert(0, str(SCENARIOS.parent / "benchmarks"))
    from bench_model import scaled_scenario

    for name in ("email_gatekept", "social_business"):
        for scaling in ("up", "out"):
            figures = estimate(scaled_scenario(name, 100_000, 500, scaling))
            assert figures["people"] < LIMITS["people"] and figures["memory_bytes"] < 8 * 2**30


# ------------------------------------------------------------------------------------------ 7 library guards
@pytest.mark.slow
def test_the_library_refuses_to_reuse_runs_of_a_changed_scenario(tmp_path):
    out = tmp_path / "exp"
    a = load_scenario(SCENARIOS / "email_open.toml", TINY)
    sim.compare([a], replications=1, out=out, executor="serial", progress=False)
    manifest = (out / "manifest.json").read_bytes()
    changed = load_scenario(SCENARIOS / "email_open.toml", TINY + ["attention.reading_minutes_per_tick=5"])
    with pytest.raises(InputError, match="cannot resume the experiment .* scenario email_open differs"):
        experiments.run_experiment([changed], 1, out, executor="serial", progress=False)
    with pytest.raises(InputError, match="scenario email_open differs"):
        sim.compare([changed], replications=1, out=out, executor="serial", progress=False)
    assert (out / "manifest.json").read_bytes() == manifest


def test_a_library_sweep_needs_ranges_for_lhs_and_one_kind_of_points(tmp_path):
    with pytest.raises(InputError, match="needs at least one --range"):
        sim.sweep(SCENARIOS / "email_open.toml", lhs=3, out=tmp_path / "s", overrides=TINY)
    with pytest.raises(InputError, match="give --grid .* or --lhs N"):
        sim.sweep(SCENARIOS / "email_open.toml", grid={"ticks": [5]}, lhs=3, ranges={"ticks": (5, 9)}, out=tmp_path / "s", overrides=TINY)
    with pytest.raises(LimitError, match="points"):
        sim.sweep(SCENARIOS / "email_open.toml", lhs=10**9, ranges={"ticks": (5, 9)}, out=tmp_path / "s", overrides=TINY)
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_v6_follows_the_delivery_delay_and_send_capacity_set_on_the_command_line():
    checks, _ = run_cases(["V6"], quick=True, overrides=["email.delivery_delay_ticks=3"])
    one_by_one = next(c for c in checks if c.quantity.startswith("one mail per tick"))
    assert "W=3" in one_by_one.parameters and one_by_one.theory == 3 * (3 - 1 + 3) and one_by_one.passed


@pytest.mark.slow
def test_v2_follows_the_size_set_on_the_command_line():
    checks, data = run_cases(["V2"], quick=True, overrides=["organisation.people_per_department=128"])
    assert len(checks) == 1 and checks[0].parameters.startswith("n=128,") and sorted(data["V2"]["rounds"]) == [128]
    assert checks[0].passed


def test_the_validation_suite_sizes_its_cases_and_reports_a_case_it_cannot_compute(tmp_path, capsys):
    err = refused(["check", "--quick", "--case", "V6", "--set", "organisation.people_per_department=200000"], tmp_path, capsys)
    assert "v6_broadcast.toml: organisation (departments x people_per_department" in err and "above the cap of 250,000" in err
    assert refused(["check", "--quick", "--case", "V6", "--replications", "200000"], tmp_path, capsys).startswith("--replications: ")
    capsys.readouterr()
    assert main(["check", "--quick", "--case", "V6", "--set", "ticks=2"]) == 1  # nothing born in two ticks: a failed check, no traceback
    out = capsys.readouterr().out
    assert "V6    could not be computed with these settings" in out and "FAIL" in out


# ------------------------------------------------------------------------------------------ 8 smaller things
def test_a_byte_order_mark_is_accepted_in_scenarios_and_charts(tmp_path, capsys):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbfticks = 7\n")
    assert load_scenario(path).ticks == 7
    scenario = chart_scenario(tmp_path, b"\xef\xbb\xbf" + GOOD_CHART.encode())
    org = build_organisation(load_scenario(scenario), np.random.default_rng(0))
    assert org.external_ids == ["ceo", "s1", "s2", "c1"]


def test_the_readme_org_chart_header_with_spaces_is_accepted(tmp_path):
    scenario = chart_scenario(tmp_path, "id, manager_id, department, role, site\nceo, , board, executive, HQ\ns1, ceo, sales, manager, Lyon\nc1, s1, , customer,\n")
    org = build_organisation(load_scenario(scenario), np.random.default_rng(0))
    assert org.department_names == ["board", "sales"] and org.attributes["site"] == ["HQ", "Lyon", ""]


def test_no_line_says_its_prefix_twice(tmp_path, capsys):
    out = tmp_path / "sw"
    assert main(["sweep", str(SCENARIOS / "email_open.toml"), "--grid", "ticks=5", "--executor", "serial", "--out", str(out), "--quiet", *TINY_SETS]) == 0
    err = refused(["sweep", SCENARIOS / "email_open.toml", "--grid", "ticks=5", "--executor", "serial", "--out", out, "--quiet", *TINY_SETS,
                   "--set", "attention.reading_minutes_per_tick=5"], tmp_path, capsys)
    assert err.startswith(f"--out: cannot resume the sweep in '{out}'") and "--out: --out:" not in err
    assert format_problem("--out", "--out", "x") == "--out: x" and format_problem("", "", "x") == "x"


def test_one_error_hierarchy():
    for cls in (ScenarioError, OrganisationError, LimitError, experiments.SchedulerUnreachable):
        assert issubclass(cls, InputError) and issubclass(cls, sim.OrgsimError)
    assert issubclass(ExperimentError, sim.OrgsimError) and not issubclass(ExperimentError, InputError)
    err = ScenarioError("a.toml", [("ticks", "must be a whole number", "x" * 500)])
    assert len(str(err)) < 200 and str(err).startswith("a.toml: ticks: must be a whole number (got 'xxx")
    import pickle

    again = pickle.loads(pickle.dumps(err))
    assert type(again) is ScenarioError and again.lines() == err.lines()
    assert load_scenario_text("ticks = 3").ticks == 3
