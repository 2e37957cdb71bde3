"""One behaviour model for both channels: each asymmetry the review found has a test that it is gone."""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_scenario
from sim.attention import Attention
from sim.messages import CHANNEL, HOP, KIND, ORIGIN, PAYLOAD, READER, READY, SENT, TARGET, Channel, Level, LEVEL, MessageKind, new_rows
from sim.decisions import Decision, DecisionKind
from sim.model import OrgModel
from sim.organisation import Role, build_organisation
from sim.priority_list import PriorityLists
from sim.routing import Router

from .conftest import bare, open_decision, small


@pytest.mark.slow
def test_a_mail_to_the_company_and_a_post_to_the_company_reach_the_same_share_at_the_same_cost():
    """Only the origins share, always to the whole company; equal background load on both sides."""
    common = ["knowledge.process_per_1000_per_tick=0.55", "people.read_only_share=1.0", "knowledge.audience={company=1.0}",
              "knowledge.managers_share_with_team=false", "ticks=400", "organisation.people_per_department=30"]
    mail = run_scenario(bare("", *common), seed=3).tables()
    post = run_scenario(bare("", *common, "stream.enabled=true", "adoption.initial_share=1.0"), seed=3).tables()
    cov_mail = mail["knowledge"]["coverage_employees"].mean()
    cov_post = post["knowledge"]["coverage_employees"].mean()
    assert cov_mail > 0.5 and abs(cov_mail - cov_post) < 0.05
    staff = lambda t: t["people"][t["people"]["role"] != "gatekeeper"]  # noqa: E731
    hours_mail, hours_post = staff(mail)["reading_hours_per_week"].mean(), staff(post)["reading_hours_per_week"].mean()
    assert abs(hours_mail - hours_post) / hours_mail < 0.03
    assert post["people"]["stream_read"].sum() > 0 and mail["people"]["stream_read"].sum() == 0


def router_for(*overrides):
    s = bare("", "gatekeepers.bridges=['upward']", "gatekeepers.upward_max_level=0", "gatekeepers.filter_share=0", *overrides)
    org = build_organisation(s, np.random.default_rng(0))
    r = Router(org, ("direct", "direct"), (True, not s.stream.mentions_bypass_gatekeepers), (1, 1), s.gatekeepers, np.random.default_rng(1))
    return org, r


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.STREAM])
def test_an_assistant_screens_mail_and_mentions_alike(channel):
    org, router = router_for()
    ceo = int(np.flatnonzero(org.manager < 0)[0])
    employee = int(np.flatnonzero(org.role == Role.EMPLOYEE)[0])
    rows = router.address(employee, ceo, MessageKind.ASK, 0, now=0, channel=channel)
    assert rows[0, READER] == org.assistant[ceo]


def test_a_named_switch_lets_mentions_bypass_the_assistant():
    org, router = router_for("stream.mentions_bypass_gatekeepers=true")
    ceo = int(np.flatnonzero(org.manager < 0)[0])
    employee = int(np.flatnonzero(org.role == Role.EMPLOYEE)[0])
    assert router.address(employee, ceo, MessageKind.ASK, 0, 0, Channel.STREAM)[0, READER] == ceo
    assert router.address(employee, ceo, MessageKind.ASK, 0, 0, Channel.EMAIL)[0, READER] == org.assistant[ceo]


@pytest.mark.slow
def test_a_filtered_request_is_sent_again_and_its_decision_closes():
    lossy = ["gatekeepers.filter_share=0.3", "ticks=600"]
    d = run_scenario(small("email_gatekept", *lossy, "decisions.max_follow_ups=8"), seed=2).tables()["decisions"]
    settled = d[d["created_tick"] < 350]
    assert ((settled["follow_ups"] > 0) & settled["decided_tick"].notna()).sum() > 5
    assert settled["decided_tick"].notna().mean() > 0.85
    impatient = run_scenario(small("email_gatekept", *lossy, "decisions.max_follow_ups=0"), seed=2).tables()["decisions"]
    early = impatient[impatient["created_tick"] < 350]
    assert (early["status"] == "given_up_unanswered").mean() > 0.1
    assert early["decided_tick"].notna().mean() < settled["decided_tick"].notna().mean() - 0.1


@pytest.mark.slow
def test_non_adopters_know_at_least_what_they_know_without_a_stream():
    """Mixed adoption does not cut e-mail users off: stream users mail what they share to the members
    not on the stream.  Averaged over eight seeds, as single runs differ by up to a third either way
    (measured: 0.94 of the stream-off figure; the asymmetry this guards against gave 0.04).  The
    managers' norm is off here: with it, the half of the users whose manager is not on the stream
    see a quarter of the feed and pass less on to anyone (0.78 over seeds 4-6), a separate effect."""
    known_half, known_off = [], []
    no_norm = "adoption.managers_set_the_norm=false"
    for seed in range(4, 12):
        # adoption held at a half: nobody joins or drifts away during the run
        half = run_scenario(small("social_business", "adoption.initial_share=0.5", "adoption.imitation_q=0", "adoption.drift_rate=0", no_norm),
                            seed=seed).tables()["people"]
        off = run_scenario(small("social_business", "stream.enabled=false", no_norm), seed=seed).tables()["people"]
        staff = half["role"].isin(["employee", "manager", "executive"])
        non_adopters = half[staff & ~half["uses_stream"]]["person"]
        assert len(non_adopters) > 50
        known_half.append(half.set_index("person").loc[non_adopters, "items_known"].mean())
        known_off.append(off.set_index("person").loc[non_adopters, "items_known"].mean())
    assert np.mean(known_half) >= 0.9 * np.mean(known_off)


@pytest.mark.slow
def test_pr_only_customers_learn_no_internal_items():
    t = run_scenario(small("pr_only", "ticks=600"), seed=1).tables()
    k = t["knowledge"]
    internal = k[k["kind"].isin(["goal", "process"])]
    assert len(internal) > 20 and (internal["coverage_customers"] == 0).all() and (internal["coverage_partners"] == 0).all()
    market = k[k["kind"] == "market"]
    assert market["coverage_customers"].max() > 0  # what is meant for them still reaches them


@pytest.mark.slow
def test_a_leak_share_lets_internal_items_out():
    t = run_scenario(small("pr_only", "ticks=600", "knowledge.leak_share=1.0"), seed=1).tables()
    k = t["knowledge"]
    assert k[k["kind"].isin(["goal", "process"])]["coverage_customers"].max() > 0


@pytest.mark.slow
def test_escalation_owners_spread_over_levels():
    d = run_scenario(small("email_gatekept", "ticks=600"), seed=1).tables()["decisions"]
    levels = d["owner_level"].value_counts(normalize=True)
    assert len(levels) >= 3 and levels.get(0, 0.0) < 0.3
    assert set(d["scope"]) == {"team", "department", "cross"}


@pytest.mark.slow
def test_newest_first_reading_under_load_gives_heavy_tailed_waits():
    """One reader, Poisson arrivals at 90 % of capacity, a long time-to-live: the waits of what is
    read have a tail far heavier than the exponential of a FIFO queue at the same load."""
    rng = np.random.default_rng(5)
    att = Attention(n=1, ttl=(5000, 5000), rng=np.random.default_rng(6))
    waits = []
    for now in range(20000):
        k = rng.poisson(0.9)
        rows = new_rows(k)
        rows[:, READY] = now
        rows[:, SENT] = now
        rows[:, LEVEL] = Level.SHARED
        att.add(rows)
        read = att.step(now, np.array([rng.random() < 1.0]))
        waits += (now - read.rows[:, SENT]).tolist()
    waits = np.array(waits)
    mean = waits.mean()
    assert np.median(waits) <= 1
    assert (waits > 10 * max(mean, 1)).mean() > 100 * np.exp(-10)  # far above an exponential tail
    assert np.percentile(waits, 99.9) > 50 * max(np.median(waits), 1)


@pytest.mark.slow
def test_participation_inequality_concentrates_posts():
    """Read-only people and heavy-tailed activity: many users never post and the top tenth make a
    larger share of the posts than when everyone is alike."""
    def posts(*overrides):
        p = run_scenario(small("social_business", *overrides), seed=1).tables()["people"]
        users = p[p["uses_stream"] & p["role"].isin(["employee", "manager", "executive"])]
        x = np.sort(users["stream_posts"].to_numpy())[::-1]
        return (x == 0).mean(), x[: max(1, len(x) // 10)].sum() / max(x.sum(), 1)
    silent, top = posts()
    silent_alike, top_alike = posts("people.read_only_share=0", "people.activity_sigma=0")
    assert silent > 0.2 and silent > silent_alike + 0.1
    assert top > top_alike + 0.05


def test_read_only_people_post_nothing_and_write_privately():
    """Read-only stream users (SWOOP's 60 %) neither share nor take part in threads: every post has an
    author who is not read-only, their decision messages go by mail, so most users never post and a
    tenth of the users make about half the posts (0.48-0.57 over seeds 1-2, against 0.39 with the
    switch off, when read-only people post in threads)."""
    def run(*overrides):
        m = run_scenario(small("social_business", *overrides), seed=1)
        p = m.tables()["people"]
        users = p[p["uses_stream"] & p["role"].isin(["employee", "manager", "executive"])]
        x = np.sort(users["stream_posts"].to_numpy())[::-1]
        return {
            "author_weights": m.sharing.weight[m.stream.posts["author"]],
            "silent": (x == 0).mean(),
            "top_tenth": x[: max(1, len(x) // 10)].sum() / max(x.sum(), 1),
            "silent_mailers": ((m.sharing.weight == 0) & (m.written[Channel.EMAIL] > 0) & m.stream_users()).sum(),
        }
    on, off = run(), run("people.readers_write_privately=false")
    assert (on["author_weights"] > 0).all()
    assert on["silent"] > 0.5 and on["top_tenth"] > 0.45
    assert on["silent_mailers"] > 10  # read-only users still answer, by mail
    assert (off["author_weights"] == 0).any() and off["silent"] < on["silent"] - 0.1
    assert on["top_tenth"] > off["top_tenth"] + 0.05


def test_reading_waits_on_priority_not_on_channel():
    """Addressed entries are read before shared ones, whichever channel carries either."""
    att = Attention(n=1, ttl=(10, 10), rng=np.random.default_rng(0))
    rows = new_rows(4)
    rows[:, READY] = 0
    rows[:, CHANNEL] = [Channel.EMAIL, Channel.STREAM, Channel.EMAIL, Channel.STREAM]
    rows[:, LEVEL] = [Level.SHARED, Level.SHARED, Level.ADDRESSED, Level.ADDRESSED]
    att.add(rows)
    first = att.step(0, np.array([2])).rows
    assert sorted(first[:, LEVEL].tolist()) == [Level.ADDRESSED] * 2
    assert sorted(first[:, CHANNEL].tolist()) == [Channel.EMAIL, Channel.STREAM]


def test_a_thread_post_is_read_first_only_by_the_people_it_concerns(monkeypatch):
    """A decision's thread post in a follower's feed is ADDRESSED only for who raised, owns or holds
    the decision (or when their manager wrote it); for the other followers it is a shared post, as a
    mail they were not addressed on would be."""
    import sim.channels.stream as stream_module
    copies, real = [], stream_module.audience_rows
    monkeypatch.setattr(stream_module, "audience_rows", lambda *a, **k: copies.append(real(*a, **k)) or copies[-1])
    model = run_scenario(small("social_business", "ticks=150"), seed=1)
    rows = np.concatenate(copies)
    rows = rows[np.isin(rows[:, KIND], [MessageKind.REQUEST, MessageKind.ASK, MessageKind.INPUT])]
    concerned = np.array([r in model.decisions[d].concerned() for r, d in rows[:, [READER, PAYLOAD]].tolist()])
    from_manager = model.org.manager[rows[:, READER]] == rows[:, ORIGIN]
    first = rows[:, LEVEL] == Level.ADDRESSED
    assert (first == (concerned | from_manager)).all()
    assert (~first).sum() > 100 and (first & concerned).sum() > 10


@pytest.mark.slow
def test_assistants_screen_the_mail_addressed_to_whom_they_guard():
    """Background addressed to an executive passes their assistant first: the assistant's queue is
    real work, and what the assistant filters out never reaches the executive."""
    def run(filter_share):
        model = run_scenario(small("email_gatekept", "ticks=300", f"gatekeepers.filter_share={filter_share}"), seed=1)
        return model, model.tables()["people"]
    model, people = run(0.0)
    assistants = model.org.assistant[model.org.assistant >= 0]
    assert people.loc[assistants, "utilisation"].mean() > 0.3
    guarded = np.flatnonzero(model.org.assistant >= 0)
    _, filtered = run(1.0)
    before, after = people.loc[guarded, "reading_hours_per_week"].mean(), filtered.loc[guarded, "reading_hours_per_week"].mean()
    assert after < 0.85 * before  # a quarter of the background is addressed, and none of it got through


# ------------------------------------------------------------------ inputs wait on a priority list (sim.priority_list)
def _lists_with_one_input_each(priority: float, people: int = 400, length: int = 2, seed: int = 3) -> PriorityLists:
    work = PriorityLists(people, length, np.random.default_rng(seed))
    for person in range(people):
        work.add(person, person, priority)
    return work


def _waits(work: PriorityLists, at_desk_share: float = 1.0, highest_first: float = 0.999, ticks: int = 3000) -> np.ndarray:
    """Ticks until each person's one input is done (ticks when not done)."""
    waits = np.full(work.n, ticks)
    rng = np.random.default_rng(4)
    for now in range(ticks):
        for person, _ in work.step(rng.random(work.n) < at_desk_share, highest_first):
            waits[person] = now
        if len(work) == 0:
            break
    return waits


def test_a_low_priority_input_waits_longer_than_a_high_priority_one():
    """Barabasi's list: a high-priority input is done at once, a low-priority one waits while the
    fresh tasks of other work outrank it (the wait is set by the priorities, not by a constant)."""
    high, low = _waits(_lists_with_one_input_each(0.95)), _waits(_lists_with_one_input_each(0.05))
    assert (high == 0).mean() > 0.9
    assert low.mean() > 5 * high.mean() + 5 and np.median(low) > np.median(high)


def test_only_hours_at_the_desk_count_and_random_choice_ignores_priority():
    away = _lists_with_one_input_each(0.99)
    assert away.step(np.zeros(away.n, bool), 1.0) == [] and len(away) == away.n
    random_order = _waits(_lists_with_one_input_each(0.05), highest_first=0.0)
    assert abs(random_order.mean() - 1.0) < 0.3  # one task of two at random: a geometric wait, mean (1 - 1/2) / (1/2)
    assert (_waits(_lists_with_one_input_each(0.05), at_desk_share=0.5).mean()
            > 1.5 * _waits(_lists_with_one_input_each(0.05)).mean())


def test_an_input_sets_aside_other_work_and_the_list_keeps_its_length():
    work = PriorityLists(3, 4, np.random.default_rng(0))
    before = work.other_work.copy()
    work.add(0, 7, 1.0)
    assert work.step(np.array([True, False, False]), 1.0) == [(0, 7)]  # the top priority goes first
    np.testing.assert_array_equal(work.other_work, before)  # nothing else done, nothing replaced
    work.step(np.ones(3, bool), 1.0)
    assert ((work.other_work != before).sum(axis=1) == 1).all()  # one task each, replaced by a new one


def test_the_same_ask_by_mail_and_by_stream_becomes_the_same_task():
    """Whichever channel carried the ask, the holder's input joins the list with the same priority,
    and it is done at the same tick."""
    outcome = []
    for channel in (Channel.EMAIL, Channel.STREAM):
        model = OrgModel(small("email_open", "ticks=200"), seed=1)
        model.run(120)
        desk = model.decision_desk
        owner, holder = (int(p) for p in model.org.members(Role.EMPLOYEE)[:2])
        dec = Decision(len(desk.decisions), DecisionKind.INTERNAL_IMPROVEMENT, owner, owner, [owner, holder], model.now)
        dec.owner_aware = model.now
        desk.decisions.append(dec)
        desk.participant_keys = np.union1d(desk.participant_keys, [dec.id * model.org.n + holder])
        row = new_rows(1)
        row[0, [READER, TARGET, HOP, ORIGIN, KIND, PAYLOAD, CHANNEL]] = [holder, holder, holder, dec.owner, MessageKind.ASK, dec.id, channel]
        desk.on_read(row, model.now)
        mine = desk.work.holder == holder
        priority = desk.work.priority[mine & (desk.work.decision == dec.id)].tolist()
        while dec.id in desk.work.decision[desk.work.holder == holder] and model.now < 200:
            model.step()
        outcome.append((priority, model.now))
    assert outcome[0] == outcome[1] and len(outcome[0][0]) == 1


# ------------------------------------------------------------------ found by the audit of 2026-11-30
def _quiet_model(*overrides):
    s = bare("ticks = 60\n[organisation]\npeople_per_department = 20\ncustomers = 0\npartners = 0",
             "load.received_per_tick=0", "attention.available_share=1.0", "email.random_mail_per_tick=0", *overrides)
    model = OrgModel(s, seed=3)
    model.run(2)
    return model


def test_a_thread_shows_who_wrote_or_was_mentioned_in_it_not_who_took_part_by_mail():
    model = _quiet_model()
    owner, by_post, by_mail, reader = (int(p) for p in model.org.members(Role.EMPLOYEE)[:4])
    dec = open_decision(model, owner, owner, [owner, by_post, by_mail])
    dec.in_thread.update([owner, by_post])
    dec.asked.update({by_post: 1, by_mail: 1})
    dec.given.add(by_mail)  # answered by mail: not on view in the thread
    row = new_rows(1)
    row[0, [READER, TARGET, KIND, PAYLOAD, CHANNEL, ORIGIN]] = [reader, reader, MessageKind.ASK, dec.id, Channel.STREAM, owner]
    shown = model.awareness._decision_participants(row)
    assert set(shown[1].tolist()) == {owner, by_post}


def test_a_holder_who_gave_an_input_resends_it_only_when_an_ask_names_them():
    """By mail a holder sees only the asks sent to them; in a thread, other people's asks too. Only
    an ask naming the holder (asked at the tick it was written) makes them send a given input again."""
    model = _quiet_model()
    owner, holder, other = (int(p) for p in model.org.members(Role.EMPLOYEE)[:3])
    dec = open_decision(model, owner, owner, [owner, holder, other])
    dec.owner_aware = model.now
    dec.given.add(holder)
    dec.asked.update({holder: 1, other: 5})
    sent = []
    model.communicate = lambda sender, to, kind, d, now: sent.append((sender, kind))
    def read(kind, sent_at):
        row = new_rows(1)
        row[0, [READER, TARGET, KIND, PAYLOAD, CHANNEL, ORIGIN, SENT]] = [holder, holder, kind, dec.id, Channel.STREAM, owner, sent_at]
        model.decision_desk.on_read(row, model.now)
    read(MessageKind.ASK, 5)  # the ask to the other holder, seen in the thread
    read(MessageKind.REQUEST, 0)
    assert sent == []
    read(MessageKind.ASK, 1)  # the ask that named the holder
    assert sent == [(holder, MessageKind.INPUT)]


def test_a_share_to_ties_on_the_stream_counts_as_a_post_as_a_mail_to_ties_counts_as_a_mail():
    model = _quiet_model("stream.enabled=true", "adoption.initial_share=1.0")
    a, b, c = (int(p) for p in model.org.members(Role.EMPLOYEE)[:3])
    posts, tick_posts = model.stream.posted_by.copy(), model.stream.tick_posts
    model.stream.mention(np.array([a, a, b]), np.array([b, c, a]), MessageKind.KNOWLEDGE, np.array([7, 7, 7]), model.now)
    assert (model.stream.posted_by - posts)[[a, b, c]].tolist() == [1, 1, 0]  # one post naming two ties counts once
    assert model.stream.tick_posts - tick_posts == 2 and model.stream.last_post[a] == model.now


def test_a_mail_search_finds_knowledge_mail_read_or_not_written_within_the_window():
    model = _quiet_model("attention.search_items=100000")
    reader = int(model.org.members(Role.EMPLOYEE)[0])
    rows = new_rows(2)
    rows[:, [READER, TARGET, KIND, CHANNEL]] = [reader, reader, MessageKind.KNOWLEDGE, Channel.EMAIL]
    rows[:, PAYLOAD] = [1, 2]
    rows[:, SENT] = rows[:, READY] = model.now
    model.attention.add(rows)
    model.attention.step(model.now, np.array([1 if p == reader else 0 for p in range(model.org.n)]))  # one of the two is read
    assert sorted(model.search.find(reader, np.array([1, 2, 3]), model.now).tolist()) == [1, 2]
    window = model.config.attention.search_window_ticks
    assert len(model.search.find(reader, np.array([1, 2]), model.now + window + 1)) == 0


def test_stream_background_addressed_to_someone_is_not_thinned_like_the_feed():
    """Tracked @mentions are always seen; so is stream background at the addressed level."""
    def stream_counts(look):
        model = _quiet_model("stream.enabled=true", "adoption.initial_share=1.0", "load.received_per_tick=40", f"stream.feed_attention_share={look}",
                             "adoption.managers_set_the_norm=false", "load.stream_share=1.0")
        return sum(model._background(model.now)[Channel.STREAM].sum(axis=1) for _ in range(20))
    full, thinned = stream_counts(1.0), stream_counts(0.1)
    assert abs(thinned[Level.ADDRESSED] / full[Level.ADDRESSED] - 1) < 0.1
    assert thinned[Level.SHARED] < 0.2 * full[Level.SHARED]


# ------------------------------------------------------------------ big audiences are moderated (knowledge.moderate_audiences_above)
def test_a_list_or_space_bigger_than_the_cap_takes_a_share_with_chance_cap_over_members():
    model = _quiet_model("knowledge.moderate_audiences_above=20")
    sharing, groups = model.sharing, model.groups
    company_size = int(groups.size()[groups.company])
    people = np.tile(model.org.members(Role.EMPLOYEE), 200)
    group = sharing._moderated(people, np.full(len(people), groups.company))
    kept = (group == groups.company).mean()
    assert abs(kept - 20 / company_size) < 0.02
    moved = group != groups.company
    assert (group[moved] == groups.team_of[people[moved]]).all()
    small_group = groups.team_of[people]
    assert (sharing._moderated(people, small_group) == small_group).all()  # teams are under the cap: untouched


def test_no_list_or_space_of_the_shipped_scenarios_is_moderated():
    """The cap binds only in organisations bigger than the shipped ones, so their results do not
    depend on it."""
    from sim.scenario import load_scenario
    from .conftest import SCENARIOS
    for path in SCENARIOS.glob("*.toml"):
        model = OrgModel(load_scenario(path, ["ticks=1"]), seed=1)
        assert model.groups.size().max() <= model.config.knowledge.moderate_audiences_above, path.name


def test_a_decision_thread_is_not_raised_in_a_space_bigger_than_the_cap():
    """A cross-department decision's thread goes to the space most of its people follow (the company
    space, which holds them all); when that space is moderated for its size, to the biggest-share
    space of the originator's under the cap, and to the smallest of theirs when none is under it."""
    def thread_space(cap, **spaces):
        switches = [f"stream.{k}={str(v).lower()}" for k, v in spaces.items()]
        model = _quiet_model("stream.enabled=true", f"knowledge.moderate_audiences_above={cap}", *switches)
        org, groups = model.org, model.groups
        employees = model.org.members(Role.EMPLOYEE)
        originator = int(employees[0])
        others = [int(p) for p in employees if org.department[p] != org.department[originator]][:3]
        return model.decision_desk._thread_space(originator, [originator, *others]), groups, originator
    space, groups, originator = thread_space(10_000)
    assert space == groups.company
    space, groups, originator = thread_space(30)
    size = groups.size()
    assert size[groups.company] > 30 and size[space] <= 30 and space in groups.spaces_of(originator)
    space, groups, originator = thread_space(5, team_spaces=False)  # department and company spaces: both over the cap
    mine, size = groups.spaces_of(originator), groups.size()
    assert size[space] > 5 and space == mine[np.argmin(size[mine])]
