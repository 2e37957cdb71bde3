"""The trainers' dashboard without a browser: live controls on a running model, saving them as a
scenario, the cached layout, and the Solara page rendered with ``solara.render`` (buttons pressed,
the models checked)."""

from __future__ import annotations

import numpy as np
import pytest

solara = pytest.importorskip("solara", reason="the dashboard needs solara (pip install solara solara-assets 'ipyvue<2' 'ipyvuetify<2')")
import ipyvuetify as v  # noqa: E402
import ipywidgets  # noqa: E402

import sim  # noqa: E402
from sim import controls  # noqa: E402
from sim.cli import main  # noqa: E402
from sim.controls import ControlError  # noqa: E402
from sim.dashboard_metrics import headline_sentences, pane_series  # noqa: E402
from sim.dashboard_session import DashboardSession  # noqa: E402
from sim.intervention_file import save_scenario  # noqa: E402
from sim.model import OrgModel  # noqa: E402
from sim.network_layout import network_layout  # noqa: E402
from sim.organisation import Role  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

from .conftest import SCENARIOS, small  # noqa: E402


# ---------------------------------------------------------------------------------------- controls
def test_switching_gatekeepers_off_stops_their_screening_and_their_queues_drain():
    model = OrgModel(small("email_gatekept", "ticks=200"), seed=3)
    model.run(60)
    for bridge in controls.BRIDGES:
        assert controls.gate_open(model, bridge)
        controls.apply(model, f"gatekeepers.{bridge}", False)
        assert not controls.gate_open(model, bridge)
    gatekeepers = model.org.role == Role.GATEKEEPER
    model.run(80)  # whatever was queued drains
    screened = model.router.screened_count[gatekeepers].copy()
    model.run(140)
    assert (model.router.screened_count[gatekeepers] == screened).all(), "gatekeepers still screen new messages"
    assert model.attention.queued[gatekeepers].sum() == 0
    assert [c.tick for c in controls.live_changes(model)] == [60] * 4


def test_gatekeepers_come_back_on_one_bridge_only():
    model = OrgModel(small("email_gatekept", "ticks=100"), seed=3)
    for bridge in controls.BRIDGES:
        controls.apply(model, f"gatekeepers.{bridge}", False)
    model.run(10)
    controls.apply(model, "gatekeepers.upward", True)
    assert [controls.gate_open(model, b) for b in controls.BRIDGES] == [True, False, False, False]
    controls.apply(model, "gatekeepers.customer", True)
    assert controls.current(model, "gatekeepers.customer") and not controls.current(model, "gatekeepers.department")


def test_launching_the_stream_live_makes_users_from_the_next_tick():
    model = OrgModel(small("email_gatekept", "ticks=100"), seed=5)
    model.run(20)
    assert not controls.current(model, "stream.launch")
    controls.apply(model, "stream.launch", 0.3)
    model.step()
    assert model.stream_live and 0.2 < model.adoption.share() < 0.4
    with pytest.raises(ControlError, match="already live"):
        controls.apply(model, "stream.launch", 0.3)


def test_policy_attention_ownership_and_bass_settings_reach_the_processes():
    model = OrgModel(small("social_business", "ticks=100"), seed=5)
    model.run(5)
    controls.apply(model, "stream.policy", "restricted")
    assert model.config.stream.policy == "restricted" and model.adoption.cfg.policy == "restricted"
    assert model.stream.look_share == pytest.approx(model.config.stream.restricted_attention_factor)
    controls.apply(model, "stream.feed_attention_share", 0.4)
    assert model.stream.look_share == pytest.approx(0.4 * model.config.stream.restricted_attention_factor)
    controls.apply(model, "adoption.training_p", 0.003)
    controls.apply(model, "adoption.imitation_q", 0.02)
    assert (model.adoption.a.training_p, model.adoption.a.imitation_q) == (0.003, 0.02)
    controls.apply(model, "decisions.ownership", "escalation")
    model.run(60)
    owners = [d for d in model.decisions if d.created >= 5]
    assert owners and controls.current(model, "decisions.ownership") == "escalation"
    assert any(model.org.level[d.owner] < model.org.level[d.originator] for d in owners if model.org.department[d.originator] >= 0)


def test_the_norm_switch_decides_whether_a_managers_absence_restricts_the_team():
    """With the norm on, people whose manager is off the stream look at it as under the policy; the
    switch turns that off from the next tick, and back on."""
    model = OrgModel(small("change_programme", "ticks=300", "interventions.0.tick=10", "adoption.managers_participate=false"), seed=2)
    model.run(60)
    factor = model.config.stream.restricted_attention_factor
    assert controls.current(model, "adoption.managers_set_the_norm") is True
    assert (model.stream.look_norm == factor).any()  # managers stay off, so their teams are restricted
    change = controls.apply(model, "adoption.managers_set_the_norm", False)
    assert change.label == "managers' example no longer sets the norm"
    model.step()
    assert (model.stream.look_norm == 1.0).all() and model.adoption.a.managers_set_the_norm is False
    controls.apply(model, "adoption.managers_set_the_norm", True)
    model.step()
    assert (model.stream.look_norm == factor).any()
    assert [e[2] for e in model.timeline.log if e[1] == "set"] == ["managers' example no longer sets the norm", "managers set the norm"]


@pytest.mark.parametrize("control, value, words", [
    ("adoption.managers_set_the_norm", "yes", "True or False"),
    ("stream.feed_attention_share", 1.5, "less than or equal to 1"),
    ("stream.policy", "sometimes", "'open' or 'restricted'"),
    ("gatekeepers.upward", False, "no upward gatekeepers"),
    ("adoption.training_p", "a lot", "a number"),
    ("stream.speed", 2, "unknown control"),
])
def test_invalid_controls_are_refused_with_the_reason(control, value, words):
    model = OrgModel(small("social_business", "ticks=50"), seed=1)
    with pytest.raises(ControlError, match=words):
        controls.apply(model, control, value)
    assert controls.live_changes(model) == []


def test_a_slider_dragged_within_one_tick_is_one_change():
    model = OrgModel(small("change_programme", "ticks=50"), seed=1)
    for p in (0.001, 0.002, 0.003):
        controls.apply(model, "adoption.training_p", p)
    assert [(c.control, c.value) for c in controls.live_changes(model)] == [("adoption.training_p", 0.003)]
    assert [e for e in model.timeline.log if e[1] == "set"] == [(0, "set", "training push p = 0.003 per hour")]


@pytest.mark.slow
def test_a_saved_session_replays_the_live_run_tick_for_tick(tmp_path):
    source = SCENARIOS / "change_programme.toml"
    start = small("change_programme", "ticks=160")
    live = OrgModel(start, seed=4)
    live.run(30)
    controls.apply(live, "stream.launch", 0.1)
    controls.apply(live, "adoption.training_p", 0.002)
    live.run(70)
    for control, value in (("gatekeepers.upward", False), ("stream.policy", "restricted"), ("decisions.ownership", "involved"),
                           ("stream.feed_attention_share", 0.5), ("adoption.managers_set_the_norm", False)):
        controls.apply(live, control, value)
    live.run(160)
    path = save_scenario(live, start, source, tmp_path)
    text = path.read_text()
    assert 'base = "' in text and text.count("[[interventions]]") == 7 + sum(iv.action != "launch_stream" for iv in start.interventions)
    replay = OrgModel(load_scenario(path))
    replay.run(160)
    assert replay.seed_value == 4
    np.testing.assert_array_equal(replay.recorder.rows, live.recorder.rows)
    assert [d.record() for d in replay.decisions] == [d.record() for d in live.decisions]


# ---------------------------------------------------------------------------------------- layout and views
def test_layout_is_cached_and_places_externals_outside_and_gatekeepers_near_their_charge():
    model = OrgModel(load_scenario(SCENARIOS / "email_gatekept.toml"))
    org = model.org
    xy = network_layout(org)
    assert network_layout(org) is xy and np.isfinite(xy).all()
    radius = np.hypot(*xy.T)
    external = org.is_external()
    assert radius[external].min() > radius[(org.department >= 0) & (org.role != Role.GATEKEEPER)].max()
    guarded = np.flatnonzero(org.assistant >= 0)
    assert np.hypot(*(xy[org.assistant[guarded]] - xy[guarded]).T).max() < 0.1


def test_series_and_headline_follow_the_models():
    session = DashboardSession("gatekeeper")
    session.step(150)
    series = pane_series(session.after.model)
    assert len(series["hours"]) == 150 and series["waiting"].min() >= 0
    assert np.nanmax(series["latency"]) > 0
    lines = headline_sentences(session.before.model, session.after.model)
    assert lines[0].startswith("Decisions take") and "on the right against" in lines[0]


# ---------------------------------------------------------------------------------------- the page
def render(session):
    from sim.app import Dashboard

    return solara.render(Dashboard(session), handle_error=False)


def button(rc, label):
    return rc.find(v.Btn, children=[label]).widget


def headline(rc) -> list[str]:
    return [w.children[0] for w in rc.find(v.Html, class_="headline-line").widgets]


@pytest.mark.slow
def test_page_steps_both_panes_together_on_one_seed():
    session = DashboardSession("free_play", seed=7)
    box, rc = render(session)
    assert session.before.model.seed_value == session.after.model.seed_value == 7
    assert len(rc.find(ipywidgets.Image).widgets) == 3  # two networks and the charts
    button(rc, "Step").click()
    button(rc, "+1 day").click()
    assert session.before.model.now == session.after.model.now == 9
    # same scenario, same seed, no change yet: identical runs
    np.testing.assert_array_equal(session.before.model.recorder.rows[:9], session.after.model.recorder.rows[:9])
    assert "hour 9 of 2000" in rc.find(v.Html, class_="clock").widget.children[0]


@pytest.mark.slow
def test_page_switches_gatekeepers_off_in_the_right_pane_only():
    session = DashboardSession("gatekeeper")
    box, rc = render(session)
    button(rc, "+1 day").click()
    switch = rc.find(v.Switch, label="upward gatekeepers").widget
    assert switch.v_model is True
    charts_before = rc.find(ipywidgets.Image).widgets[-1].value
    switch.v_model = False
    assert not controls.gate_open(session.after.model, "upward") and controls.gate_open(session.before.model, "upward")
    assert [w.children[0] for w in rc.find(v.Html, class_="change").widgets] == ["1. hour 8: upward gatekeepers off"]
    session.step(192)
    button(rc, "+1 day").click()  # redraws
    assert rc.find(ipywidgets.Image).widgets[-1].value != charts_before
    right, left = pane_series(session.after.model), pane_series(session.before.model)
    assert right["gatekeeper_queue"][-40:].max() == 0 and left["gatekeeper_queue"][-40:].max() > 0
    assert "Messages waiting for gatekeepers: 0 on the right" in " ".join(headline(rc))


@pytest.mark.slow
def test_page_launches_the_stream_and_saves_the_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    session = DashboardSession("department")
    box, rc = render(session)
    button(rc, "+1 day").click()
    button(rc, "Launch the stream").click()
    button(rc, "+1 day").click()
    assert session.after.model.stream_live and not session.before.model.stream_live
    assert session.after.model.stream_users().any()
    button(rc, "Save as scenario").click()
    saved = sorted((tmp_path / "results" / "dashboard").glob("department-dashboard-*.toml")) or sorted((tmp_path / "results" / "dashboard").glob("*.toml"))
    assert len(saved) == 1
    replay = load_scenario(saved[0])
    assert [iv.action for iv in replay.interventions] == ["launch_stream"] and replay.interventions[0].tick == 8


@pytest.mark.slow
def test_page_reset_seed_and_storyline_rebuild_both_panes():
    session = DashboardSession("gatekeeper", seed=1)
    box, rc = render(session)
    button(rc, "+1 day").click()
    seed = rc.find(v.TextField, label="Seed (both panes)").widget
    seed.v_model = "5"
    seed.fire_event("focusout", None)  # the field commits when it loses focus
    assert session.now == 0 and session.before.model.seed_value == session.after.model.seed_value == 5
    rc.find(v.Select, label="Storyline").widget.v_model = "2. One department"
    assert session.story.key == "department" and session.after.model.org.n == session.before.model.org.n > 60
    assert session.after.model.seed_value == 5


@pytest.mark.slow
def test_page_plays_and_pauses():
    import time

    session = DashboardSession("gatekeeper")
    box, rc = render(session)
    button(rc, "Play").click()
    deadline = time.monotonic() + 20
    while session.now < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    button(rc, "Pause").click()
    time.sleep(0.6)
    stopped = session.now
    time.sleep(0.6)
    assert 20 <= stopped == session.now == session.before.model.now


# ---------------------------------------------------------------------------------------- command line
def test_dashboard_command_refuses_bad_input_before_serving(tmp_path, capsys):
    one = str(SCENARIOS / "email_gatekept.toml")
    assert main(["dashboard", one, one, one]) == 2
    assert "at most two scenario files" in capsys.readouterr().err
    assert main(["dashboard", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err


def test_dashboard_command_refuses_a_port_in_use(capsys):
    from sim.dashboard_server import bind

    taken = bind("127.0.0.1", 0)
    try:
        assert main(["dashboard", "--port", str(taken.getsockname()[1])]) == 2
        assert "--port 0 picks a free one" in capsys.readouterr().err
    finally:
        taken.close()


def test_page_reads_its_scenarios_from_the_environment(monkeypatch):
    from sim.app import session_from_environment

    monkeypatch.setenv("ORGSIM_DASHBOARD_BEFORE", str(SCENARIOS / "email_open.toml"))
    monkeypatch.setenv("ORGSIM_DASHBOARD_AFTER", str(SCENARIOS / "social_business.toml"))
    monkeypatch.setenv("ORGSIM_DASHBOARD_SEED", "9")
    session = session_from_environment()
    assert (session.before.name, session.after.name, session.seed) == ("email_open", "social_business", 9)


def test_gatekeepers_the_timeline_removed_can_come_back_live():
    s = small("email_gatekept", "ticks=50")
    data = s.to_dict()
    data["interventions"] = [{"tick": 5, "action": "remove_gatekeepers"}]
    model = OrgModel(sim.Scenario.model_validate(data, strict=False), seed=3)
    model.run(10)
    assert not controls.gate_open(model, "upward")
    controls.apply(model, "gatekeepers.upward", True)
    assert controls.gate_open(model, "upward") and not controls.gate_open(model, "department")
