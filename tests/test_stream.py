"""Stream channel: feeds read newest first within an attention budget; old items age out."""

from __future__ import annotations

import numpy as np

from sim.channels.email import MessageKind
from sim.channels.stream import StreamChannel, build_spaces
from sim.organisation import build_organisation

from .conftest import bare


def stream(*overrides, seed=0):
    s = bare("", "stream.enabled=true", "stream.company_space=true", "stream.department_spaces=false", *overrides)
    org = build_organisation(s, np.random.default_rng(seed))
    spaces = build_spaces(org, s.stream, np.random.default_rng(seed))
    return org, StreamChannel(org, spaces, s.stream, np.random.default_rng(seed + 1))


def reads_per_person(reads, n):
    return np.bincount(reads.person, minlength=n)


def test_with_attention_to_spare_every_follower_reads_a_post_the_next_tick():
    org, st = stream()
    staff = org.department >= 0
    attention = np.where(staff, 5.0, 0.0)
    st.post(0, 0, MessageKind.KNOWLEDGE, 7, now=0)
    assert len(st.step(0, attention, 0.0).person) == 0  # posted this tick: not yet in feeds
    r = st.step(1, attention, 0.0)
    assert sorted(r.person.tolist()) == [p for p in np.flatnonzero(staff).tolist() if p != 0]
    assert len(st.step(2, attention, 0.0).person) == 0  # read once


def test_a_full_batch_is_thinned_to_the_attention_budget_then_drained():
    org, st = stream("stream.feed_ttl_ticks=50")
    staff = org.department >= 0
    attention = np.where(staff, 2.0, 0.0)
    st.post(0, 0, MessageKind.KNOWLEDGE, np.arange(10), now=0)
    per_tick = [reads_per_person(st.step(t, attention, 0.0), org.n)[staff][1:] for t in range(1, 12)]
    followers = staff.sum() - 1
    assert followers > 100
    for t in range(5):
        assert (per_tick[t] == 2).all()  # exactly the budget, from the batch, then from the backlog
    assert (np.sum(per_tick, axis=0) == 10).all() and (per_tick[5] == 0).all()


def test_newest_items_are_read_before_older_ones():
    org, st = stream("stream.feed_ttl_ticks=20")
    staff = org.department >= 0
    attention = np.where(staff, 1.0, 0.0)
    old = st.post(0, 0, MessageKind.KNOWLEDGE, [0, 1, 2], now=0)
    st.step(0, attention, 0.0)
    st.step(1, attention, 0.0)
    new = st.post(0, 0, MessageKind.KNOWLEDGE, [3, 4, 5], now=1)
    r2 = st.step(2, attention, 0.0)
    r3 = st.step(3, attention, 0.0)
    assert np.isin(r2.post, new).all()
    assert np.isin(r3.post, new).all() and len(r3.post) > 100  # the newer backlog first
    r4, r5 = st.step(4, attention, 0.0), st.step(5, attention, 0.0)
    assert np.isin(r4.post, new).all() and np.isin(r5.post, old).all()


def test_items_older_than_the_feed_ttl_are_never_read():
    org, st = stream("stream.feed_ttl_ticks=3")
    staff = org.department >= 0
    attention = np.where(staff, 1.0, 0.0)
    st.post(0, 0, MessageKind.KNOWLEDGE, np.arange(6), now=0)
    counts = [len(st.step(t, attention, 0.0).person) for t in range(1, 8)]
    followers = staff.sum() - 1
    assert counts[:3] == [followers] * 3 and counts[3:] == [0, 0, 0, 0]


def test_background_items_compete_for_attention():
    org, st = stream("stream.feed_ttl_ticks=1")
    staff = org.department >= 0
    attention = np.where(staff, 2.0, 0.0)
    st.post(0, 0, MessageKind.KNOWLEDGE, 0, now=0)
    r = st.step(1, attention, background_rate=8.0)
    share = len(r.person) / (staff.sum() - 1)
    # P(read) = E[min(1, 2 / (1 + B))], B ~ Poisson(8): about 0.24
    assert 0.18 <= share <= 0.30


def test_mentions_are_read_before_the_feed():
    org, st = stream()
    staff = org.department >= 0
    attention = np.where(staff, 1.0, 0.0)
    st.post(0, 0, MessageKind.KNOWLEDGE, np.arange(20), now=0)
    st.post(0, 0, MessageKind.ASK, 99, now=0, mentions=[5, 6])
    r = st.step(1, attention, 0.0)
    asks = r.post[st.posts["kind"][r.post] == MessageKind.ASK]
    readers = r.person[st.posts["kind"][r.post] == MessageKind.ASK]
    assert set(readers.tolist()) >= {5, 6} and len(asks) >= 2
    assert (reads_per_person(r, org.n)[[5, 6]] == 1).all()  # the budget went to the mention


def test_people_without_attention_read_nothing():
    org, st = stream()
    st.post(0, 0, MessageKind.KNOWLEDGE, 1, now=0)
    assert len(st.step(1, np.zeros(org.n), 0.0).person) == 0


def test_spaces_follow_departments_and_communities():
    s = bare("", "stream.enabled=true", "stream.communities=3", "stream.community_membership_share=0.5", "stream.externals_in_communities=true")
    org = build_organisation(s, np.random.default_rng(0))
    sp = build_spaces(org, s.stream, np.random.default_rng(0))
    assert sp.names[0] == "company" and sum(n.startswith("department:") for n in sp.names) == len(org.department_names)
    external = np.flatnonzero(org.department < 0)
    in_community = [any(sp.names[x].startswith("community") for x in sp.of_person(p)) for p in external]
    assert all(in_community)
    sizes = sp.size()
    for p in (0, 50, 100):
        mine = sp.of_person(p)
        assert list(sizes[mine]) == sorted(sizes[mine], reverse=True)  # widest first
