"""The change-programme timeline: each action changes what it names, from its tick on, and nothing
before; bad entries are refused with the field named; reports split runs into phases."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.interventions import Intervention, phases
from sim.model import OrgModel
from sim.organisation import Role
from sim.scenario import ScenarioError, load_scenario_text

from .conftest import SCENARIOS, small

GATED = """
ticks = 300
[organisation]
people_per_department = 30
customers = 40
partners = 10
[gatekeepers]
bridges = ["upward", "department"]
[email]
routing = "through_channels"
[stream]
enabled = true
communities = 2
[adoption]
initial_share = 0.2
"""


def timeline(*entries: str) -> str:
    return GATED + "".join(f"\n[[interventions]]\n{e}\n" for e in entries)


def test_the_stream_goes_live_at_its_launch_and_not_before():
    model = OrgModel(load_scenario_text(timeline('tick = 40\naction = "launch_stream"\npilot_share = 0.5')), seed=1)
    model.run(40)
    assert not model.stream_live and model.stream.posted_by.sum() == 0
    model.run(41)
    assert model.stream_live and 0.4 < model.adoption.share() < 0.6  # the pilot group's share, not initial_share
    assert model.timeline.log == [(40, "launch_stream", "stream launched (pilot 50 %)")]


def test_removing_one_bridge_leaves_the_other_screening():
    model = OrgModel(load_scenario_text(timeline('tick = 100\naction = "remove_gatekeepers"\nbridges = ["upward"]')), seed=2)
    assistants = np.unique(model.org.assistant[model.org.assistant >= 0])
    desks = model.org.department_gate[model.org.department_gate >= 0]
    model.run(100)
    before = model.router.screened_count.copy()
    model.run(300)
    after = model.router.screened_count - before
    # assistants screen only what was already queued with them (drained within a few ticks) ...
    assert after[assistants].sum() < 0.1 * before[assistants].sum()
    # ... while department gatekeepers go on screening at about the same pace
    assert after[desks].sum() > 0.5 * before[desks].sum()
    assert model.router.bridge_active("department", 150) and not model.router.bridge_active("upward", 150)


def test_delegation_changes_who_owns_new_decisions_only():
    s = small("email_gatekept", "ticks=400")
    data = s.to_dict()
    data["interventions"] = [{"tick": 200, "action": "delegate"}]
    model = sim.run(sim.Scenario.model_validate(data, strict=False), seed=4)
    d = model.tables()["decisions"]
    org = model.org
    internal_contact = np.where(org.department[d["originator"]] >= 0, d["originator"], org.manager[d["originator"]])
    after = d[d["created_tick"] >= 200]
    before = d[d["created_tick"] < 200]
    assert (after["owner"].to_numpy() == internal_contact[d["created_tick"] >= 200]).all()
    assert (before["owner"].to_numpy() != internal_contact[d["created_tick"] < 200]).mean() > 0.3  # escalated before


def test_a_restriction_cuts_feed_attention_from_its_tick():
    model = OrgModel(load_scenario_text(timeline('tick = 10\naction = "restrict"', 'tick = 20\naction = "lift_restriction"')), seed=1)
    model.run(10)
    assert model.stream.look_share == 1.0
    model.run(11)
    assert model.stream.look_share == pytest.approx(model.config.stream.restricted_attention_factor)
    assert model.config.stream.policy == "restricted" and model.given_config.stream.policy == "open"
    model.run(21)
    assert model.stream.look_share == 1.0


def test_opening_communities_adds_externals_and_keeps_the_members():
    text = timeline('tick = 50\naction = "open_communities"\nto = ["customers"]') + "\n"
    s = load_scenario_text(text, ["adoption.externals_initial_share=1.0"])
    model = OrgModel(s, seed=3)
    communities = [g for g, name in enumerate(model.groups.names) if name.startswith("community")]
    before = {g: set(model.groups.members(g).tolist()) for g in communities}
    assert not any(model.org.is_external()[list(m)].any() for m in before.values())
    model.run(51)
    role = model.org.role
    for g in communities:
        now = set(model.groups.members(g).tolist())
        assert before[g] <= now  # nobody left
        added = np.array(sorted(now - before[g]))
        assert len(added) and (role[added] == Role.CUSTOMER).all()  # customers only, as asked
    customers_in = model.adoption.in_a_space & (role == Role.CUSTOMER)
    assert customers_in.any() and model.stream_users()[customers_in].all()


def test_set_and_train_change_adoption():
    s = load_scenario_text(timeline('tick = 5\naction = "train"\ngroup = "managers"\nshare = 1.0',
                                    'tick = 6\naction = "set"\nfield = "adoption.imitation_q"\nvalue = 0.5'), ["adoption.initial_share=0.0"])
    model = OrgModel(s, seed=1)
    model.run(6)
    managers = np.isin(model.org.role, (Role.MANAGER, Role.EXECUTIVE)) & model.adoption.eligible
    assert model.adopted[managers].all() and not model.adopted[model.adoption.eligible & ~managers].any()
    model.run(7)
    assert model.adoption.a.imitation_q == 0.5


@pytest.mark.parametrize("entry, field, words", [
    ('tick = 5\naction = "train"', "interventions.0.share", "needs it"),
    ('tick = 5\naction = "train"\nshare = 0.5\ngroup = "nowhere"', "interventions.0.group", "'everyone', 'managers' or one of"),
    ('tick = 5\naction = "delegate"\nshare = 0.5', "interventions.0.share", "not used by action 'delegate'"),
    ('tick = 5\naction = "remove_gatekeepers"\nbridges = ["partner"]', "interventions.0.bridges", "no gatekeepers on ['partner']"),
    ('tick = 5\naction = "set"\nfield = "ticks"\nvalue = 3', "interventions.0.field", "must be one of"),
    ('tick = 5\naction = "set"\nfield = "adoption.imitation_q"\nvalue = -1.0', "interventions.0.value", "greater than or equal to 0"),
    ('tick = 5\naction = "fly"', "interventions.0.action", "must be one of"),
])
def test_bad_entries_name_the_field(entry, field, words):
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(timeline(entry))
    text = str(err.value)
    assert field in text and words in text, text


def test_set_reaches_timeline_entries_by_number():
    s = sim.load_scenario(SCENARIOS / "change_programme.toml", ["interventions.0.tick=50"])
    assert s.interventions[0].tick == 50 and s.interventions[0].action == "launch_stream"
    with pytest.raises(ScenarioError, match="not an entry of the list"):
        sim.load_scenario(SCENARIOS / "change_programme.toml", ["interventions.7.tick=50"])


def test_phases_split_the_run_at_the_interventions():
    ivs = [Intervention(tick=200, action="launch_stream"), Intervention(tick=1000, action="remove_gatekeepers"), Intervention(tick=1000, action="delegate"),
           Intervention(tick=5000, action="restrict")]
    assert phases(ivs, 2000) == [(0, 200, "before"), (200, 1000, "stream launched"), (1000, 2000, "gatekeepers removed (all); decisions delegated")]


@pytest.mark.slow
def test_the_report_has_phases_and_the_figures_mark_the_interventions(tmp_path):
    cp = small("change_programme", "ticks=300", "interventions.0.tick=50", "interventions.1.tick=150", "interventions.2.tick=150")
    result = sim.compare([small("email_gatekept", "ticks=300"), cp], replications=2, out=tmp_path / "c", executor="serial", progress=False)
    report = result.report.read_text()
    assert "## Phases of change_programme" in report
    rows = [line for line in report.splitlines() if line.startswith("| before |") or line.startswith("| stream launched |")]
    assert len(rows) == 2 and "| 0-50 |" in rows[0] and "| 50-150 |" in rows[1]
    assert "## Phases of email_gatekept" not in report
