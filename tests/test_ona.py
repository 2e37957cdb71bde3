"""Network-analysis tables: edges and person_week agree with the other tables; E-I, brokerage and
network size match hand-worked cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model import OrgModel
from sim.ona import e_i_index, e_i_overall, group_matrix, network_size
from sim.summary import headline

from .conftest import small


@pytest.fixture(scope="module", params=["email_gatekept", "social_business"])
def run(request):
    model = OrgModel(small(request.param, "ticks=200"), seed=3)
    model.run()
    return model, model.tables()


def test_reads_in_edges_plus_background_are_what_people_read(run):
    model, t = run
    edges, pw, people = t["edges"], t["person_week"], t["people"]
    for channel, column in (("email", "mails_read"), ("stream", "feed_read")):
        tracked = edges[edges["channel"] == channel].groupby(["recipient", "week"])["reads"].sum()
        tracked = tracked.reindex(pd.MultiIndex.from_frame(pw[["person", "week"]]), fill_value=0).to_numpy()
        total = pw[column].to_numpy()
        assert (tracked <= total).all()
    both = edges.groupby(["recipient", "week"])["reads"].sum().reindex(pd.MultiIndex.from_frame(pw[["person", "week"]]), fill_value=0).to_numpy()
    np.testing.assert_array_equal(both + pw["background_read"].to_numpy(), (pw["mails_read"] + pw["feed_read"]).to_numpy())
    per_person = pw.groupby("person")[["mails_read", "feed_read"]].sum()
    np.testing.assert_array_equal(per_person["mails_read"].to_numpy(), people["email_read"].to_numpy())
    np.testing.assert_array_equal(per_person["feed_read"].to_numpy(), people["stream_read"].to_numpy())
    # the timeseries counts tracked reads per tick: the same total
    ts = t["timeseries"]
    assert edges["reads"].sum() == ts["email_read"].sum() + ts["stream_read"].sum()
    assert pw["background_read"].sum() == ts["background_read"].sum()


def test_mail_in_edges_is_what_people_wrote_and_passed_on(run):
    model, t = run
    edges, pw, people = t["edges"], t["person_week"], t["people"]
    mail = edges[edges["channel"] == "email"].groupby(["sender", "week"])["messages"].sum()
    mail = mail.reindex(pd.MultiIndex.from_frame(pw[["person", "week"]]), fill_value=0).to_numpy()
    np.testing.assert_array_equal(mail, (pw["mails_written"] + pw["mails_forwarded"]).to_numpy())
    np.testing.assert_array_equal(pw.groupby("person")["mails_written"].sum().to_numpy(), people["email_sent"].to_numpy())
    np.testing.assert_array_equal(pw.groupby("person")["posts_written"].sum().to_numpy(), people["stream_posts"].to_numpy())
    assert t["timeseries"]["email_sent"].sum() == pw["mails_written"].sum()
    if model.config.name == "email_gatekept":  # routed through channels: relays and gatekeepers pass mail on
        gatekeepers = people.index[people["role"] == "gatekeeper"]
        assert pw.loc[pw["person"].isin(gatekeepers), "mails_forwarded"].sum() > 0
    else:  # direct routing, no gatekeepers: only relays of asks to holders the owner was not aware of pass mail on
        assert 0 < pw["mails_forwarded"].sum() <= t["decisions"]["detours"].sum()


def test_hours_per_week_add_up_to_the_people_table(run):
    model, t = run
    pw, people = t["person_week"], t["people"]
    weeks = model.now * model.config.tick_hours / 40
    np.testing.assert_allclose(pw.groupby("person")["reading_hours"].sum().to_numpy(), people["reading_hours_per_week"].to_numpy() * weeks)
    np.testing.assert_allclose(pw.groupby("person")["writing_hours"].sum().to_numpy(), people["writing_hours_per_week"].to_numpy() * weeks)
    assert sorted(pw["week"].unique()) == list(range(int(np.ceil(weeks))))
    assert len(pw) == len(people) * int(np.ceil(weeks))


def test_edges_have_no_self_loops_and_valid_people(run):
    _, t = run
    e, n = t["edges"], len(t["people"])
    assert (e["sender"] != e["recipient"]).all()
    assert e["sender"].between(0, n - 1).all() and e["recipient"].between(0, n - 1).all()
    assert ((e["messages"] > 0) | (e["reads"] > 0)).all()
    assert not e.duplicated(["sender", "recipient", "channel", "week"]).any()


def test_gatekeepers_broker_cross_group_mail_only_when_they_exist(run):
    model, t = run
    h = headline(t)
    if model.config.name == "email_gatekept":
        assert 0 < h["gatekeeper_brokerage"] < 1
        assert h["e_i_index"] < 0  # mail through channels stays mostly inside departments
    else:
        assert h["gatekeeper_brokerage"] == 0
    assert -1 <= h["e_i_index"] <= 1


def test_the_stream_opens_departments_to_each_other():
    """Mechanism check: company and community spaces carry traffic across departments, so the E-I
    index is higher under social business than under gatekept mail (same seed)."""
    values = {}
    for name in ("email_gatekept", "social_business"):
        model = OrgModel(small(name, "ticks=200"), seed=5)
        model.run()
        values[name] = headline(model.tables())["e_i_index"]
    assert values["social_business"] > values["email_gatekept"] + 0.1


def test_e_i_index_by_hand():
    # group 0: persons 0, 1; group 1: person 2
    edges = pd.DataFrame({"sender": [0, 1, 0, 2], "recipient": [1, 0, 2, 0], "channel": "email", "week": 0, "messages": 1, "reads": [3, 1, 2, 4]})
    m = group_matrix(edges, np.array([0, 0, 1]), ["a", "b"])
    assert m.to_numpy().tolist() == [[4, 2], [4, 0]]
    ei = e_i_index(m)
    assert ei["a"] == pytest.approx((6 - 4) / 10)  # E = 2 + 4 across, I = 4 inside
    assert ei["b"] == pytest.approx(1.0)  # nothing inside group b
    assert e_i_overall(m) == pytest.approx((6 - 4) / 10)


def test_network_size_counts_two_interactions_in_four_weeks():
    is_external = np.array([False, False, False, True])
    edges = pd.DataFrame({
        "sender": [1, 1, 2, 3, 3], "recipient": [0, 0, 0, 0, 0], "channel": "email",
        "week": [0, 2, 0, 5, 5], "messages": 1, "reads": [1, 1, 1, 1, 1],
    })
    sizes = network_size(edges, is_external, 4).set_index(["person", "week"])
    # person 0 and person 1: one read in week 0, one in week 2 -> two in the window of weeks 2..5
    assert sizes.loc[(0, 2), "internal_network_size"] == 1
    assert (0, 0) not in sizes.index  # one interaction each with 1 and 2 in week 0: not enough
    assert sizes.loc[(0, 5), "external_network_size"] == 1  # two reads from the customer in week 5
    assert sizes.loc[(0, 3), "internal_network_size"] == 1  # weeks 0-3 still hold both reads
    assert sizes.loc[(0, 5), "internal_network_size"] == 0  # weeks 2-5 hold only one
    assert sizes.loc[(1, 3), "internal_network_size"] == 1  # interactions count for the sender too


def test_comparison_report_shows_who_talks_to_whom(tmp_path):
    import sim
    from sim.ona import e_i_overall

    scenarios = [small(name, "ticks=150") for name in ("email_gatekept", "social_business")]
    result = sim.compare(scenarios, replications=2, out=tmp_path / "cmp", executor="serial", progress=False)
    report = result.report.read_text()
    assert "## Who talks to whom" in report and "figures/network.png" in report
    assert (tmp_path / "cmp" / "figures" / "network.png").stat().st_size > 10_000
    for name in ("email_gatekept", "social_business"):
        matrix = pd.read_csv(tmp_path / "cmp" / f"network_{name}.csv", index_col=0)
        assert list(matrix.index)[-2:] == ["partners", "customers"] and list(matrix.columns) == list(matrix.index)
        # the pooled matrix's E-I lies between the replications' own values
        per_run = result.summary.query("scenario == @name and metric == 'e_i_index'")["value"]
        assert per_run.min() - 1e-9 <= e_i_overall(matrix) <= per_run.max() + 1e-9


def test_the_ledgers_radix_sort_agrees_with_numpy():
    """Keys of every width the ledger makes (a few bits up to 62), sizes 0 to 100,000, many repeats."""
    from sim.ona import _radix_sort
    rng = np.random.default_rng(3)
    for size in (0, 1, 2, 5, 1000, 100_000):
        for high in (1, 2, 2**11, 2**40, 2**62):
            keys = rng.integers(0, high, size)
            assert np.array_equal(_radix_sort(keys.copy()), np.sort(keys)), (size, high)
