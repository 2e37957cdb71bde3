"""orgsim attribute: factor detection, the factorial arithmetic, and a small run end to end."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from sim.attribute import (
    AttributionError, attribution_table, detect_factors, factorial_effects, parse_factor_options, plan_attribution,
)
from sim.cli import main
from sim.experiments import RunSpec, execute, interval, replication_seeds
from sim.scenario import load_scenario
from sim.summary import METRICS

from .conftest import SCENARIOS

SHRINK = ["organisation.people_per_department=20", "organisation.partners=5", "organisation.customers=20", "ticks=300"]
SETS = [x for s in SHRINK for x in ("--set", s)]


# ------------------------------------------------------------------------------------------ factors
A = {
    "name": "a", "description": "x", "seed": 1, "ticks": 100,
    "organisation": {"partners": 20, "departments": ["s", "t"], "import": None},
    "gatekeepers": {"bridges": ["upward", "department"], "capacity_per_tick": 6.0},
    "email": {"routing": "through_channels", "expire_after_ticks": 80, "reading_capacity_per_tick": 12.0},
    "stream": {"enabled": False, "policy": "open", "communities": 0, "attention_items_per_tick": 4.0},
    "adoption": {"initial_share": 0.0},
    "knowledge": {"email_audience": "ties", "goals_per_1000_per_tick": 0.1},
    "decisions": {"ownership": "escalation", "deadline_ticks": 80},
}


def changed(base: dict, **fields) -> dict:
    out = json.loads(json.dumps(base))
    for key, value in fields.items():
        node = out
        *parents, last = key.split("__")
        for p in parents:
            node = node[p]
        node[last] = value
    return out


def keys(groups: dict) -> dict[str, list[str]]:
    return {f: [k for k, _, _ in fields] for f, fields in groups.items()}


def test_differing_fields_land_in_their_factors_by_the_longest_prefix():
    b = changed(A, name="b", description="y", seed=9, ticks=200,
                organisation__partners=5, gatekeepers__bridges=["department", "upward"], gatekeepers__capacity_per_tick=2.0,
                email__routing="direct", email__expire_after_ticks=40, email__reading_capacity_per_tick=6.0,
                stream__enabled=True, stream__policy="restricted", stream__communities=4, stream__attention_items_per_tick=1.0,
                adoption__initial_share=1.0, knowledge__email_audience="team", knowledge__goals_per_1000_per_tick=0.2,
                decisions__ownership="involved", decisions__deadline_ticks=40)
    groups = detect_factors(A, b, max_factors=20)
    assert keys(groups) == {
        "ticks": ["ticks"],                                          # unmapped top-level field: its own name
        "organisation": ["organisation.partners"],
        "gatekeepers": ["gatekeepers.bridges", "gatekeepers.capacity_per_tick"],   # lists compare whole (order counts)
        "routing": ["email.routing"],
        "email": ["email.expire_after_ticks"],                       # unmapped: named after its section
        "load": ["email.reading_capacity_per_tick"],                 # pattern email.reading_*
        "channel": ["stream.enabled", "stream.attention_items_per_tick", "adoption.initial_share"],
        "policy": ["stream.policy"],                                 # longer than "stream"
        "communities": ["stream.communities"],
        "audience": ["knowledge.email_audience"],                    # pattern knowledge.*audience*
        "knowledge": ["knowledge.goals_per_1000_per_tick"],
        "ownership": ["decisions.ownership"],
        "decisions": ["decisions.deadline_ticks"],
    }
    assert list(groups)[:3] == ["ticks", "organisation", "gatekeepers"]     # in the order of the scenario's fields
    # values travel with the fields; name, description and seed never make a factor
    assert groups["routing"] == [("email.routing", "through_channels", "direct")]
    assert not any(k.split(".")[0] in ("name", "description", "seed") for k in itertools.chain(*keys(groups).values()))


def test_stream_fields_split_between_channel_policy_and_communities():
    b = changed(A, stream__policy="restricted", stream__communities=4, stream__enabled=True, email__reading_capacity_per_tick=6.0,
                knowledge__email_audience="team")
    assert keys(detect_factors(A, b)) == {"load": ["email.reading_capacity_per_tick"], "channel": ["stream.enabled"],
                                          "policy": ["stream.policy"], "communities": ["stream.communities"],
                                          "audience": ["knowledge.email_audience"]}


def test_factor_options_override_the_table_and_take_prefixes():
    b = changed(A, organisation__partners=5, gatekeepers__bridges=[], gatekeepers__capacity_per_tick=2.0, stream__enabled=True,
                stream__policy="restricted", decisions__ownership="involved")
    groups = detect_factors(A, b, ["structure=organisation,gatekeepers.bridges", "stream=stream", "rules=stream.policy"])
    assert keys(groups) == {
        "structure": ["organisation.partners", "gatekeepers.bridges"],
        "gatekeepers": ["gatekeepers.capacity_per_tick"],
        "stream": ["stream.enabled"],
        "rules": ["stream.policy"],          # the longer --factor key wins over the shorter one
        "ownership": ["decisions.ownership"],
    }
    assert keys(detect_factors(A, b, {"all": ["organisation", "gatekeepers", "stream", "decisions"]})) == {
        "all": ["organisation.partners", "gatekeepers.bridges", "gatekeepers.capacity_per_tick", "stream.enabled", "stream.policy",
                "decisions.ownership"]}


def test_an_optional_table_set_on_one_side_is_one_field():
    b = changed(A, organisation__import={"org_chart": "chart.csv", "span_of_control": 7})
    assert detect_factors(A, b) == {"organisation": [("organisation.import", None, {"org_chart": "chart.csv", "span_of_control": 7})]}


@pytest.mark.parametrize("b, factors, fragment", [
    (changed(A, name="other", description="", seed=5), None, "do not differ in any field"),
    (changed(A, ticks=5), ["x=gatekeepers.capacity"], "no scenario field matches this key (got 'gatekeepers.capacity')"),
    (changed(A, ticks=5), ["x=gatekeepers"], "--factor x: none of its fields differ"),
    (changed(A, ticks=5), ["1x=ticks"], "NAME must be a letter"),
    (changed(A, ticks=5), ["ticks"], "expected NAME=key1,key2"),
    (changed(A, ticks=5), ["x=ticks", "y=ticks"], "named by more than one --factor"),
])
def test_bad_factor_input_is_named(b, factors, fragment):
    with pytest.raises(AttributionError) as err:
        detect_factors(A, b, factors)
    assert any(fragment in line for line in err.value.lines()), err.value.lines()


def test_more_than_eight_factors_are_refused_with_the_factors_named():
    a = {f"s{i}": {"x": 0} for i in range(9)}
    b = {f"s{i}": {"x": 1} for i in range(9)}
    with pytest.raises(AttributionError, match="9 factors .s0, s1, .*s8. make 512 combinations.*--factor"):
        detect_factors(a, b)
    assert len(detect_factors(a, b, ["s01=s0,s1"])) == 8


def test_factor_options_parse():
    assert parse_factor_options(["a=x.y, z", "a=w"]) == {"a": ["x.y", "z", "w"]}
    assert parse_factor_options({"a": "x,y", "b": ["z"]}) == {"a": ["x", "y"], "b": ["z"]}
    with pytest.raises(AttributionError, match="not a metric"):
        parse_factor_options(["decision_latency_mean=x"])


# ------------------------------------------------------------------------------------------ arithmetic
def synthetic(k: int, f, replications: int, noise=None) -> pd.DataFrame:
    """One row per cell x replication of y = f(levels) (+ noise(rng, replication, cell))."""
    rng = np.random.default_rng(7)
    rows = []
    for r in range(replications):
        shift = rng.normal(0, 10)  # shared by the whole replication: common random numbers cancel it
        for c in range(2 ** k):
            levels = [(c >> j) & 1 for j in range(k)]
            y = f(*levels) + shift + (noise(rng) if noise else 0.0)
            rows.append({"replication": r, **{f"f{j}": lv for j, lv in enumerate(levels)}, "y": y})
    return pd.DataFrame(rows)


def test_known_additive_model_with_interaction_comes_out_exactly():
    runs = synthetic(3, lambda a, b, c: 1 + 2 * a + 3 * b + 5 * a * b, 4)
    t = attribution_table(runs, ["f0", "f1", "f2"], ["y"]).set_index("term")
    expected = {"total": 10, "f0": 2 + 5 / 2, "f1": 3 + 5 / 2, "f2": 0, "f0 x f1": 5 / 2, "f0 x f2": 0, "f1 x f2": 0, "f0 x f1 x f2": 0}
    assert set(t.index) == set(expected)
    for term, value in expected.items():
        assert t.loc[term, "effect"] == pytest.approx(value, abs=1e-9), term
        assert t.loc[term, "low"] == pytest.approx(value, abs=1e-9) and t.loc[term, "high"] == pytest.approx(value, abs=1e-9)
    assert list(t["kind"]) == ["total", "main", "main", "main", "interaction", "interaction", "interaction", "interaction"]
    # shares: main effects (and odd-order interactions) add up to the total; even orders get none
    assert t.loc["f0", "share_of_total"] == pytest.approx(0.45) and t.loc["f1", "share_of_total"] == pytest.approx(0.55)
    assert np.isnan(t.loc["f0 x f1", "share_of_total"]) and t.loc["f0 x f1 x f2", "share_of_total"] == 0
    assert (t["replications"] == 4).all()


def test_noisy_effects_are_estimated_within_their_intervals():
    runs = synthetic(3, lambda a, b, c: 1 + 2 * a + 3 * b + 5 * a * b, 40, noise=lambda rng: rng.normal(0, 1))
    t = attribution_table(runs, ["f0", "f1", "f2"], ["y"]).set_index("term")
    for term, value in {"total": 10, "f0": 4.5, "f1": 5.5, "f2": 0, "f0 x f1": 2.5, "f1 x f2": 0}.items():
        assert t.loc[term, "low"] < value < t.loc[term, "high"], term
        assert t.loc[term, "high"] - t.loc[term, "low"] < 1.5


def test_the_total_is_the_sum_of_the_odd_order_effects_in_every_replication():
    y = np.random.default_rng(3).normal(size=(6, 16))
    effects = factorial_effects(y, 4)
    odd = sum(v for term, v in effects.items() if len(term) % 2 == 1)
    np.testing.assert_allclose(odd, y[:, -1] - y[:, 0], atol=1e-12)
    assert len(effects) == 15


def test_with_one_factor_the_main_effect_is_b_minus_a():
    runs = synthetic(1, lambda a: 3 * a, 5, noise=lambda rng: rng.normal(0, 0.5))
    t = attribution_table(runs, ["f0"], ["y"]).set_index("term")
    wide = runs.pivot(index="replication", columns="f0", values="y")
    diff = interval((wide[1] - wide[0]).to_numpy())
    assert tuple(t.loc["f0", ["effect", "low", "high"]]) == pytest.approx(diff)
    assert tuple(t.loc["total", ["effect", "low", "high"]]) == pytest.approx(diff)
    assert t.loc["f0", "share_of_total"] == pytest.approx(1.0)


def test_a_replication_with_a_value_never_reached_is_left_out_for_that_metric_only():
    runs = synthetic(2, lambda a, b: a + b, 4).assign(z=lambda d: 2.0 * d["f0"])
    runs.loc[(runs["replication"] == 1) & (runs["f0"] == 1) & (runs["f1"] == 0), "y"] = np.inf
    t = attribution_table(runs, ["f0", "f1"], ["y", "z"])
    assert set(t.loc[t["metric"] == "y", "replications"]) == {3} and set(t.loc[t["metric"] == "z", "replications"]) == {4}
    assert t.set_index(["metric", "term"]).loc[("y", "f0"), "effect"] == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------ end to end
def write_b(tmp_path, name="open_involved", **sections) -> str:
    base = (SCENARIOS / "email_gatekept.toml").as_posix()
    text = f'base = "{base}"\nname = "{name}"\n'
    for section, body in sections.items():
        text += f"[{section}]\n{body}\n"
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return str(path)


@pytest.fixture(scope="module")
def attributed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attr")
    b = write_b(tmp, gatekeepers="bridges = []", decisions='ownership = "involved"')
    out = tmp / "out"
    args = ["attribute", str(SCENARIOS / "email_gatekept.toml"), b, "--replications", "3", "--executor", "serial", "--quiet", *SETS]
    rc = main([*args, "--out", str(out)])
    return rc, out, args, b


@pytest.mark.slow
def test_attribute_writes_every_file_and_the_right_factors(attributed, capsys):
    rc, out, _, _ = attributed
    assert rc == 0
    for name in ("attribution.parquet", "factors.json", "manifest.json", "summary.parquet", "attribution.md", "figures/attribution.png"):
        assert (out / name).exists(), name
    factors = json.loads((out / "factors.json").read_text())
    assert factors["ownership"] == [{"field": "decisions.ownership", "A": "escalation", "B": "involved"}]
    assert [f["field"] for f in factors["gatekeepers"]] == ["gatekeepers.bridges"] and factors["gatekeepers"][0]["B"] == []
    assert sorted(factors) == ["gatekeepers", "ownership"]
    runs = pd.read_parquet(out / "runs")
    assert sorted(set(runs["point"])) == sorted(["email_gatekept", "email_gatekept+gatekeepers", "email_gatekept+ownership", "open_involved"])
    assert len(runs) == 12 and {"gatekeepers", "ownership"} <= set(runs.columns)
    effects = pd.read_parquet(out / "attribution.parquet")
    assert list(effects.columns)[:8] == ["metric", "term", "kind", "effect", "low", "high", "share_of_total", "replications"]
    assert set(effects["term"]) == {"total", "gatekeepers", "ownership", "gatekeepers x ownership"}
    assert set(effects["metric"]) == set(METRICS)
    report = (out / "attribution.md").read_text()
    assert "gatekeepers" in report and "| total (open_involved - email_gatekept) |" in report


@pytest.mark.slow
def test_main_effects_add_up_to_the_total_in_every_replication(attributed):
    _, out, _, _ = attributed
    runs = pd.read_parquet(out / "summary.parquet")
    effects = pd.read_parquet(out / "attribution.parquet").set_index(["metric", "term"])
    checked = 0
    for metric in METRICS:
        y = runs.pivot(index="replication", columns="point", values=metric)
        y = y[np.isfinite(y).all(axis=1)]
        if y.empty:
            assert effects.loc[(metric, "total"), "replications"] == 0
            continue
        a, g, o, b = (y[c].to_numpy() for c in ["email_gatekept", "email_gatekept+gatekeepers", "email_gatekept+ownership", "open_involved"])
        main_g, main_o, inter = ((g + b) - (a + o)) / 2, ((o + b) - (a + g)) / 2, ((a + b) - (g + o)) / 2
        np.testing.assert_allclose(main_g + main_o, b - a, atol=1e-9)       # two factors: the mains are the whole difference
        for term, values in {"total": b - a, "gatekeepers": main_g, "ownership": main_o, "gatekeepers x ownership": inter}.items():
            row = effects.loc[(metric, term)]
            assert row["effect"] == pytest.approx(values.mean(), abs=1e-9) and row["replications"] == len(values)
        assert effects.loc[(metric, "gatekeepers"), "effect"] + effects.loc[(metric, "ownership"), "effect"] == pytest.approx(
            effects.loc[(metric, "total"), "effect"], abs=1e-9)
        checked += 1
    assert checked >= 8
    # the cells really switch the fields: without gatekeepers (level 1) nothing ever waits at one
    if "gatekeeper_backlog_peak" in METRICS:
        assert (runs.loc[runs["gatekeepers"] == 1, "gatekeeper_backlog_peak"] == 0).all()
        assert (runs.loc[runs["gatekeepers"] == 0, "gatekeeper_backlog_peak"] > 0).all()
        assert effects.loc[("gatekeeper_backlog_peak", "gatekeepers"), "high"] < 0


@pytest.mark.slow
def test_the_reference_cell_is_scenario_a_with_the_replication_seed(attributed):
    _, out, _, b = attributed
    runs = pd.read_parquet(out / "summary.parquet").set_index(["point", "replication"])
    seed = replication_seeds(1, 3)[1]
    for name, path in (("email_gatekept", SCENARIOS / "email_gatekept.toml"), ("open_involved", b)):
        s = load_scenario(path, SHRINK)
        direct = execute(RunSpec(s.name, s.to_dict(), 1, seed, keep_tables=False))["headline"]
        stored = runs.loc[(name, 1)]
        assert int(stored["seed"]) == seed
        assert all(stored[k] == direct[k] or (np.isnan(stored[k]) and np.isnan(direct[k])) for k in METRICS), name


@pytest.mark.slow
def test_rerun_resumes_and_the_python_api_reads_the_same(attributed, capsys):
    import sim

    rc, out, args, b = attributed
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    r = sim.attribute(SCENARIOS / "email_gatekept.toml", b, replications=3, out=out, overrides=SHRINK, executor="serial", progress=False)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == before   # nothing ran again
    pd.testing.assert_frame_equal(r.effects, pd.read_parquet(out / "attribution.parquet"))
    assert r.report.exists() and [p.name for p in r.figures] == ["attribution.png"] and r.failures == {}
    assert set(r.factors) == {"gatekeepers", "ownership"} and r.main_effects("decision_latency_mean").index.tolist() == ["gatekeepers", "ownership"]
    # another experiment in the same folder is refused before anything is written
    assert main([*args, "--seed", "2", "--out", str(out)]) == 2
    assert "cannot resume" in capsys.readouterr().err


def test_bad_inputs_exit_2_and_write_nothing(tmp_path, capsys):
    a = str(SCENARIOS / "email_gatekept.toml")
    b = write_b(tmp_path, gatekeepers="bridges = []")
    cases = {
        "one": ([a], "give exactly two scenario files"),
        "three": ([a, b, b], "give exactly two scenario files"),
        "same": ([a, a], "do not differ in any field"),
        "unknown": ([a, b, "--factor", "x=gatekeepers.nonsense"], "gatekeepers.nonsense"),
        "bad-set": ([a, b, "--set", "email.routing=sideways"], "email.routing"),
    }
    for label, (argv, fragment) in cases.items():
        out = tmp_path / label
        assert main(["attribute", *argv, "--out", str(out), "--quiet", "--executor", "serial", *SETS]) == 2, label
        err = capsys.readouterr().err
        assert fragment in err, (label, err)
        assert not out.exists(), label


def test_an_invalid_combination_stops_before_running_and_says_how_to_merge(tmp_path, capsys):
    # A: no partners and no partner desk; B: partners with a partner desk. A with B's gatekeepers is invalid.
    a = write_b(tmp_path, "nopartners", organisation="partners = 0", gatekeepers="bridges = []", decisions="market_opportunities_per_1000_per_tick = 0")
    b = write_b(tmp_path, "partnerdesk", organisation="partners = 5", gatekeepers='bridges = ["partner"]', decisions="market_opportunities_per_1000_per_tick = 0")
    sets = [x for s in SHRINK if "partners" not in s for x in ("--set", s)]
    out = tmp_path / "out"
    assert main(["attribute", a, b, "--out", str(out), "--quiet", "--executor", "serial", *sets]) == 2
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("attribute: combination nopartners+gatekeepers: gatekeepers.bridges:") for line in err), err
    assert any("--factor organisation=organisation.partners,gatekeepers.bridges" in line for line in err), err
    assert not out.exists()
    shrink = [s for s in SHRINK if "partners" not in s]
    plan = plan_attribution(load_scenario(a, shrink), load_scenario(b, shrink), ["structure=organisation,gatekeepers"])
    assert [c.name for c in plan.cells] == ["nopartners", "partnerdesk"] and [c.levels for c in plan.cells] == [(0,), (1,)]
