"""The calibration suite (sim.calibration): its quick form runs from the command line, each case's
measurement is right on hand-made input, and watching a run does not change it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim.calibration as cal
from sim.calibration import (
    CalibrationCheck,
    exit_code,
    fit_discrete_power_law,
    generate_with_department_sizes,
    grouped_median,
    ks_distance,
    plateau,
    post_read_shares,
    power_law_vs_exponential,
    reply_times,
    tie_e_i_index,
)
from sim.cli import main
from sim.model import OrgModel, named_rng
from sim.organisation import generate

from .conftest import EU_CORE, small

STATUSES = {"pass", "known failure", "not modelled", "skipped", "reference"}


@pytest.mark.slow
def test_quick_calibration_runs_from_the_command_line(capsys, tmp_path, monkeypatch):
    seen = []
    real = cal.run_calibration
    monkeypatch.setattr(cal, "run_calibration", lambda *a, **k: seen.append(real(*a, **k)) or seen[-1])
    code = main(["check", "--calibration", "--quick", "--figures", str(tmp_path)])
    out = capsys.readouterr().out
    checks = seen[0][0]
    for c in checks:
        assert c.check_id in out and c.status in out
    assert {c.case for c in checks} == {"C1", "C2", "C3", "C4", "C5"}
    # every failure is documented (KNOWN_FAILURES, docs/calibration.md), and the managers' norm makes C4 pass
    assert not [c.check_id for c in checks if c.status == "FAIL"], out
    assert {c.check_id: c.status for c in checks}["C4.plateau"] == "pass", out
    assert code == exit_code(checks) == 0
    assert (tmp_path / "c1_reply_times.png").exists() and (tmp_path / "c3_participation.png").exists()


def test_exit_code_fails_only_on_undocumented_failures(monkeypatch):
    def check(check_id, passed, **kw):
        return CalibrationCheck(check_id, "q", "s", 1.0, None, "t", "tol", passed, **kw)

    monkeypatch.setattr(cal, "KNOWN_FAILURES", {"C1.tail": "exponential effort"})
    assert exit_code([check("C1.median", True), check("C1.tail", False), check("C4.plateau", None), check("C3.ref", None, reference_only=True)]) == 0
    assert check("C1.tail", False).status == "known failure" and check("C4.plateau", None).status == "not modelled"
    assert check("C5.degree", None).status == "skipped"
    assert exit_code([check("C2.mails", False)]) == 1


# ------------------------------------------------------------------ C1
def test_reply_times_pair_each_input_with_the_latest_ask_it_answers():
    # holder 5 of decision 0: ask readable at 10, read at 12, input written at 13 -> 3 hours
    # holder 5 of decision 1: asked twice (read at 20 and 30), one input at 31 -> one reply, to the second ask
    # holder 6 of decision 1: an input written before the ask was read is no reply to it
    asks = np.array([[0, 5, 10, 12], [1, 5, 20, 20], [1, 5, 29, 30], [1, 6, 40, 40]])
    inputs = np.array([[0, 5, 13], [1, 5, 31], [1, 6, 39]])
    times, followed = reply_times(asks, inputs)
    assert sorted(times.tolist()) == [2, 3] and followed == 3
    assert reply_times(np.empty((0, 4)), np.empty((0, 3)))[0].size == 0


def test_grouped_median_interpolates_within_the_hour():
    assert grouped_median(np.zeros(10, int)) == 0.5  # all within the first hour: the middle of it
    assert grouped_median(np.array([0, 0, 0, 1])) == pytest.approx(2 / 3)
    assert np.isnan(grouped_median(np.array([], int)))


def test_tail_fit_tells_a_power_law_from_an_exponential():
    from scipy.stats import geom, zipf

    heavy = zipf(1.8).rvs(20_000, random_state=1)
    light = geom(0.4).rvs(20_000, random_state=1)
    a_heavy, a_light = fit_discrete_power_law(heavy), fit_discrete_power_law(light)
    assert a_heavy == pytest.approx(1.8, abs=0.05)
    assert power_law_vs_exponential(heavy, a_heavy) > 2 and power_law_vs_exponential(light, a_light) < -2


# ------------------------------------------------------------------ C2
def test_mail_volume_counts_reads_and_messages_written_per_working_day():
    pw = pd.DataFrame({"person": [0, 1, 2], "week": [0, 0, 0], "mails_read": [300, 100, 999], "posts_written": [0, 10, 0],
                       "reading_hours": [5.0, 2.0, 9.0], "writing_hours": [3.0, 0.5, 9.0]})
    people = pd.DataFrame({"person": [0, 1, 2], "role": ["manager", "employee", "gatekeeper"]})
    out = cal.mails_per_day_and_email_share(pw, people, 1.5, ticks=40)
    # person 0: (300 + 3 h * 60 / 1.5) / 5 days; person 1: (100 + 20 - 10 posts) / 5; gatekeepers are left out
    assert out["mails_per_day"].tolist() == [84.0, 22.0]
    assert out["email_share"].tolist() == [0.2, 2.5 / 40]


# ------------------------------------------------------------------ C3
def test_participation_and_read_shares_on_a_hand_made_stream():
    people = pd.DataFrame({"uses_stream": [True, True, True, True, False], "role": ["employee"] * 4 + ["employee"],
                           "stream_posts": [0, 0, 3, 1, 9]})
    p = cal.participation(people)
    assert p["read_only_share"] == 0.5 and p["users"] == 4 and p["top1_share"] == 0.75
    posts = {"author": np.array([1, 1]), "kind": np.array([0, 0]), "payload": np.array([4, 4]), "tick": np.array([2, 3])}
    delivered = np.array([[1, 0, 4, 2]] * 10 + [[1, 0, 4, 3]] * 4)
    read = np.array([[1, 0, 4, 2]] * 3 + [[1, 0, 4, 3]] * 4)
    assert post_read_shares(posts, delivered, read).tolist() == [0.3, 1.0]


# ------------------------------------------------------------------ C4
def test_plateau_reads_the_level_and_the_last_quarter():
    rising = np.linspace(0, 1, 100)
    level, moved = plateau(rising)
    assert level == pytest.approx(np.mean(rising[-10:])) and moved == pytest.approx(np.mean(rising[-10:]) - np.mean(rising[65:75]))


def test_c4_is_not_modelled_without_its_mechanism(monkeypatch, tmp_path):
    monkeypatch.setattr(cal, "C4_WITHOUT_MANAGEMENT", tmp_path / "missing.toml")
    monkeypatch.setattr(cal, "C4_SWITCH", "no_such_field")
    checks, _ = cal.case_c4([], [1], quick=True)
    assert [c.status for c in checks] == ["not modelled"] and "not yet modelled" in checks[0].note


def test_c4_runs_against_a_scenario_file_when_it_exists(monkeypatch, tmp_path):
    # a stand-in scenario (abandonment, not management): only the case's machinery is tested here
    stand_in = tmp_path / "c4_without_management.toml"
    stand_in.write_text(f'base = "{(cal.SCENARIOS / "change_programme.toml").as_posix()}"\nname = "c4_stand_in"\n[adoption]\nabandon_rate = 0.05\n')
    monkeypatch.setattr(cal, "C4_WITHOUT_MANAGEMENT", stand_in)
    checks, data = cal.case_c4(["ticks=800"], [1], quick=True)
    by_id = {c.check_id: c for c in checks}
    assert set(by_id) == {"C4.plateau", "C4.management"} and all(c.passed is not None for c in checks)
    assert by_id["C4.plateau"].measured < 0.5 and by_id["C4.management"].measured > 0  # abandonment at 5 % an hour keeps adoption low
    assert set(data["curves"]) == {"without management", "with management"} and data["curves"]["with management"].shape == (1, 800)


# ------------------------------------------------------------------ C5
def test_ks_distance_and_e_i_index_on_hand_made_graphs():
    assert ks_distance(np.array([3, 1, 2, 2]), np.array([2, 3, 2, 1])) == 0.0
    assert ks_distance(np.array([1, 1, 1, 1]), np.array([1, 1, 9, 9])) == 0.5
    # a triangle inside group 0, one tie from group 0 to group 1, and a pair inside group 1
    u, v = np.array([0, 0, 1, 2, 3]), np.array([1, 2, 2, 3, 4])
    group = np.array([0, 0, 0, 1, 1])
    assert tie_e_i_index(u, v, group, 2).tolist() == pytest.approx([(1 - 3) / 4, (1 - 1) / 2])
    assert tie_e_i_index(np.array([0]), np.array([1]), np.array([0, 1]), 2).tolist() == [1.0, 1.0]


def test_generator_with_department_sizes_equals_generate_for_equal_sizes():
    org_cfg = small("email_open").organisation
    sizes = [org_cfg.people_per_department] * len(org_cfg.departments)
    a = generate(org_cfg, named_rng(3, "organisation"))
    b = generate_with_department_sizes(sizes, org_cfg, named_rng(3, "organisation"))
    for x, y in zip(a.arrays(), b.arrays()):
        assert np.array_equal(x, y)
    assert np.array_equal(np.concatenate(a.edges_u), np.concatenate(b.edges_u)) and np.array_equal(np.concatenate(a.edges_v), np.concatenate(b.edges_v))
    sizes = [1, 5, 17, 2, 9, 30, 3, 4]  # one per department of email_open
    uneven = generate_with_department_sizes(sizes, org_cfg, named_rng(3, "organisation"))
    assert np.bincount(uneven.arrays()[1][uneven.arrays()[1] >= 0])[: len(sizes)].tolist() == sizes


def test_c5_skips_with_a_clear_reason_without_the_data(tmp_path):
    checks, _ = cal.case_c5([], [1], quick=True, folder=tmp_path)
    assert checks and all(c.status == "skipped" and "not shipped" in c.note for c in checks)


@pytest.mark.skipif(not (EU_CORE / "email-Eu-core.txt").exists(), reason=f"email-Eu-core data not at {EU_CORE} (not shipped with orgsim)")
def test_c5_reads_the_real_network():
    u, _, dept = cal.load_email_eu_core(EU_CORE)
    assert len(dept) == 1005 and dept.max() == 41 and len(u) == 16064  # undirected, no self-loops
    checks, data = cal.case_c5([], [1], quick=True)
    assert {c.check_id for c in checks} == {"C5.degree.defaults", "C5.e_i.defaults", "C5.degree.matched", "C5.e_i.matched"}
    assert data["within"] + data["across"] == pytest.approx(2 * 16064 / 1005)


# ------------------------------------------------------------------ watching changes nothing
def test_watching_a_run_does_not_change_it():
    s = small("social_business", "ticks=200")
    plain = OrgModel(s, seed=5)
    plain.run()
    watched = cal._run(s, 5)
    assert watched.tables["timeseries"].equals(plain.tables()["timeseries"])
    assert watched.tables["edges"].equals(plain.tables()["edges"])
    assert len(watched.watcher.stream_read) and len(watched.watcher.asks_read)


def test_reply_times_have_a_power_law_tail_from_the_priority_lists():
    """Replies wait on the holders' priority lists (sim.priority_list), so their tail fits a power law
    no worse than an exponential; done in random order (no priorities) the same asks give a lighter
    tail, and the median stays of the order of Kooti's 47 minutes."""
    def tail(*overrides):
        checks, data = cal.case_c1(list(overrides), [1], quick=True)
        t = data["samples"][0]
        alpha = fit_discrete_power_law(t, cal.TAIL_FROM_HOURS)
        return checks[0].measured, power_law_vs_exponential(t, alpha, cal.TAIL_FROM_HOURS), alpha
    median, vuong, alpha = tail()
    assert 15 <= median <= 149 and vuong >= cal.VUONG_FLOOR and alpha < 2.5
    _, vuong_random, _ = tail("decisions.highest_priority_first_share=0")
    assert vuong_random < vuong
