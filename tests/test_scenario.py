"""Scenario files: the shipped ones validate; every kind of bad input is named precisely."""

from __future__ import annotations

import pytest

from sim.scenario import ScenarioError, apply_overrides, load_scenario, load_scenario_text, scenario_hash

from .conftest import SCENARIOS

SHIPPED = ["email_gatekept", "email_open", "social_business", "pr_only", "restricted_social", "community_centric", "change_programme"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_validate_and_say_what_they_answer(name):
    path = SCENARIOS / f"{name}.toml"
    s = load_scenario(path)
    assert s.name == name
    assert "Question:" in path.read_text(), "each scenario opens with the question it answers"


def test_base_scenarios_inherit_and_override():
    gk = load_scenario(SCENARIOS / "email_gatekept.toml")
    open_ = load_scenario(SCENARIOS / "email_open.toml")
    assert gk.gatekeepers.bridges and not open_.gatekeepers.bridges
    assert open_.organisation == gk.organisation and open_.email == gk.email
    cp = load_scenario(SCENARIOS / "change_programme.toml")
    assert cp.gatekeepers.bridges == gk.gatekeepers.bridges and [(iv.tick, iv.action) for iv in cp.interventions] == [(200, "launch_stream"), (1000, "remove_gatekeepers"), (1000, "delegate")]


def problems(text="", overrides=(), source="x.toml"):
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, list(overrides), source=source)
    return info.value


@pytest.mark.parametrize(
    "text, overrides, field, fragment",
    [
        ("colour = 'red'", [], "colour", "unknown key"),
        ("[email]\nreading_capacity = 3", [], "email.reading_capacity", "unknown key"),
        ("[email]\nbackground_share = 0.5", [], "email.background_share", "unknown key; replaced by [load]"),
        ("", ["knowledge.goals_per_tick=0.1"], "knowledge.goals_per_tick", "renamed knowledge.goals_per_1000_per_tick"),
        ("ticks = 'many'", [], "ticks", "valid integer"),
        ("ticks = 0", [], "ticks", "greater than or equal to 1"),
        ("", ["load.stream_share=1.5"], "load.stream_share", "less than or equal to 1"),
        ("", ["email.routing=sideways"], "email.routing", "'direct', 'through_channels' or 'closest_contact'"),
        ("", ["gatekeepers.bridges=['upward','moat']"], "gatekeepers.bridges.1", "must be one of"),
        ("", ["organisation.sales_department=legal"], "organisation.sales_department", "must be one of"),
        ("", ["organisation.partners=0", "gatekeepers.bridges=['partner']"], "gatekeepers.bridges", "partner gatekeeper needs"),
        ("", ["organisation.customers=0"], "decisions.customer_issues_per_1000_per_tick", "need organisation.customers"),
        ("", ["stream.launch_tick=50"], "stream.launch_tick", "unknown key; replaced by the timeline"),
        ("[[interventions]]\ntick = 5\naction = 'train'", [], "interventions.0.share", "needs it"),
        ("", ["adoption.eligible_departments=['nowhere']"], "adoption.eligible_departments", "must name departments"),
    ],
)
def test_bad_input_names_field_and_value(text, overrides, field, fragment):
    err = problems(text, overrides)
    fields = [f for f, _, _ in err.problems]
    assert field in fields, err.lines()
    line = next(line for line in err.lines() if line.startswith(f"x.toml: {field}: "))
    assert fragment in line and "(got " in line


def test_every_problem_is_reported_at_once():
    err = problems("ticks = -1\nfoo = 1\n[email]\nrouting = 'x'")
    assert {f for f, _, _ in err.problems} == {"ticks", "foo", "email.routing"}
    assert len(str(err).splitlines()) == 3


def test_missing_file_and_broken_toml_and_base_loop(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("ticks = = 3")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(bad)
    (tmp_path / "a.toml").write_text('base = "b.toml"')
    (tmp_path / "b.toml").write_text('base = "a.toml"')
    with pytest.raises(ScenarioError, match="loop"):
        load_scenario(tmp_path / "a.toml")


def test_overrides_parse_toml_values():
    data = apply_overrides({}, ["ticks=5", "email.routing=direct", "gatekeepers.bridges=['upward']", "stream.enabled=true", "load.stream_share=0.5"])
    assert data == {"ticks": 5, "email": {"routing": "direct"}, "load": {"stream_share": 0.5}, "gatekeepers": {"bridges": ["upward"]}, "stream": {"enabled": True}}
    with pytest.raises(ScenarioError, match="expected dotted.key=value"):
        apply_overrides({}, ["ticks"])
    with pytest.raises(ScenarioError, match="is a value, not a table"):
        apply_overrides({"ticks": 3}, ["ticks.x=1"])


def test_hash_identifies_the_validated_scenario():
    a = load_scenario_text("ticks = 10")
    b = load_scenario_text("", ["ticks=10"])
    c = load_scenario_text("ticks = 11")
    assert scenario_hash(a) == scenario_hash(b) != scenario_hash(c)
