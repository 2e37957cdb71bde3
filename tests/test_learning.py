"""Knowing changes behaviour, and adoption follows usefulness (issue 11): decision quality, the
priority knowing gives an input, relevance, and the plateau of adoption."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.decisions import Decision, DecisionKind
from sim.knowledge import ItemKind
from sim.model import OrgModel
from sim.organisation import Role
from sim.summary import headline

from .conftest import SCENARIOS, bare, small


def _model_with_items():
    s = bare("ticks = 50\n[organisation]\npeople_per_department = 20\ncustomers = 10\npartners = 5", "knowledge.goals_per_1000_per_tick=40",
             "knowledge.process_per_1000_per_tick=200", "knowledge.market_signals_per_1000_per_tick=300")
    model = OrgModel(s, seed=1)
    model.run(20)
    return model


def test_relevance_goals_concern_their_executives_staff_process_its_department_market_the_contacts():
    model = _model_with_items()
    kb, org = model.knowledge, model.org
    staff = np.flatnonzero(org.department >= 0)
    goals = kb.kind[: kb.n_items] == ItemKind.GOAL
    heads = org.manager[kb.origin] < 0
    assert (goals & heads).any() and (goals & ~heads).any()  # both kinds of goal occur
    for item in range(kb.n_items):
        rel = kb.relevant(staff, np.full(len(staff), item))
        if kb.kind[item] == ItemKind.GOAL and org.manager[kb.origin[item]] < 0:  # the head of the organisation's: all staff
            assert rel.all()
        elif kb.kind[item] == ItemKind.GOAL:  # a department head's: their department
            assert org.role[kb.origin[item]] == Role.EXECUTIVE
            assert (rel == (org.department[staff] == org.department[kb.origin[item]])).all()
        elif kb.kind[item] == ItemKind.PROCESS:
            assert (rel == (org.department[staff] == org.department[kb.origin[item]])).all()
        else:  # a market signal concerns the department of the external's contact
            contact_dept = org.department[org.manager[kb.origin[item]]]
            assert (rel == (org.department[staff] == contact_dept)).all()
    externals = np.flatnonzero(org.is_external())
    assert not kb.relevant(externals, np.zeros(len(externals), np.int64)).any()


def test_t50_counts_the_staff_an_item_concerns_not_all_staff():
    model = _model_with_items()
    kb, org = model.knowledge, model.org
    item = int(np.flatnonzero(kb.kind[: kb.n_items] == ItemKind.PROCESS)[0])
    department = np.flatnonzero((org.department == kb.home[item]) & ~org.is_external())
    others = np.flatnonzero((org.department >= 0) & (org.department != kb.home[item]))
    kb.known[:, item] = False  # start the item over: nobody knows it yet
    kb.concerned_count[item] = 0
    kb.t50[item] = kb.t90[item] = -1
    kb.learn(others, np.full(len(others), item), model.now)  # the rest of the company: not whom it concerns
    assert kb.t50[item] < 0
    kb.learn(department, np.full(len(department), item), model.now)
    assert kb.t50[item] >= 0 and kb.t90[item] >= 0
    table = model.tables()["knowledge"].set_index("item_id")
    assert table.loc[item, "coverage_concerned"] == 1.0 and table.loc[item, "concerns"] == org.department_names[kb.home[item]]


def test_people_pass_on_only_what_concerns_them_unless_a_scenario_says_otherwise():
    """A process tip of another department is read, not passed on (Wu et al. 2004); with
    ``pass_on_unconcerned = 1`` it is passed on like one's own."""
    def shares(factor):
        s = bare("ticks = 50\n[organisation]\npeople_per_department = 20", "knowledge.share_propensity=1", "people.read_only_share=0",
                 "people.activity_sigma=0", "knowledge.audience={team=1.0}", f"knowledge.pass_on_unconcerned={factor}")
        m = OrgModel(s, seed=1)
        org, kb = m.org, m.knowledge
        origin = int(np.flatnonzero((org.department == 0) & (org.role == Role.EMPLOYEE))[0])
        kb._grow(1)  # one process tip of department 0, made by hand
        kb.kind, kb.origin, kb.born = np.array([ItemKind.PROCESS], np.int8), np.array([origin], np.int32), np.array([0], np.int32)
        kb.home = kb.home_department(kb.kind, kb.origin)
        own = np.flatnonzero((org.department == 0) & (org.role == Role.EMPLOYEE) & (m.groups.team_of >= 0))[1:6]
        foreign = np.flatnonzero((org.department == 1) & (org.role == Role.EMPLOYEE) & (m.groups.team_of >= 0))[:5]
        sent = []
        for people in (own, foreign):
            before = int(m.sharing.written.sum())
            m.sharing.share(people, np.zeros(len(people), np.int64), 0)
            sent.append(int(m.sharing.written.sum()) - before)
        return sent
    own, foreign = shares(0.0)
    assert own > 0 and foreign == 0
    own, foreign = shares(1.0)
    assert own > 0 and foreign > 0


def _knowledge_entries_per_person(factor: int, pass_on: float) -> float:
    """Knowledge entries queued per person and tick over 300 ticks of social_business built from
    ``factor`` times its departments and communities, each of the shipped size (partners and
    customers ``factor`` times too, a person in as many communities)."""
    from sim.messages import KIND, MessageKind
    from sim.scenario import load_scenario

    shipped = list(load_scenario(SCENARIOS / "social_business.toml").organisation.departments)
    departments = shipped + [f"unit{i}" for i in range(len(shipped) * (factor - 1))]
    s = load_scenario(SCENARIOS / "social_business.toml", [
        "organisation.departments=[" + ",".join(f'"{d}"' for d in departments) + "]", f"organisation.partners={40 * factor}",
        f"organisation.customers={200 * factor}", f"stream.communities={4 * factor}", f"stream.community_membership_share={0.25 / factor}",
        "ticks=300", f"knowledge.pass_on_unconcerned={pass_on}"])
    m = OrgModel(s, seed=1)
    queued = [0]
    add = m.attention.add

    def counting_add(rows):
        queued[0] += int((rows[:, KIND] == MessageKind.KNOWLEDGE).sum())
        add(rows)
    m.attention.add = counting_add
    m.run(300)
    return queued[0] / m.org.n / 300


@pytest.mark.slow
def test_each_persons_knowledge_traffic_does_not_grow_with_the_organisation():
    """Four times the departments (of the same size): what each person receives stays about the
    same when people pass on only what concerns them (0.044 and 0.037 entries an hour at seed 1); when
    everyone passes on everything, each item reaches a fixed share of everyone and each person's
    traffic grows with the organisation (0.12 and 0.32)."""
    alone, grown = _knowledge_entries_per_person(1, 0.0), _knowledge_entries_per_person(4, 0.0)
    assert grown < 1.5 * alone
    everything_alone, everything_grown = _knowledge_entries_per_person(1, 1.0), _knowledge_entries_per_person(4, 1.0)
    assert everything_grown > 2.5 * everything_alone


def test_quality_is_the_share_of_relevant_knowledge_the_deciders_held():
    model = _model_with_items()
    kb, org = model.knowledge, model.org
    owner, holder = (int(p) for p in org.members(Role.MANAGER)[:2])
    relevant = np.array([i for i in range(kb.n_items) if not kb.known[owner, i] and not kb.known[holder, i]][:4])
    assert len(relevant) == 4
    dec = Decision(0, DecisionKind.INTERNAL_IMPROVEMENT, owner, owner, [owner, holder], 0)
    dec.relevant = relevant
    model.people[owner].decide(dec, 20)
    assert dec.quality == 0.0
    kb.known[owner, relevant[0]] = True  # the owner knew one of four
    kb.known[holder, relevant[1]] = True  # a holder whose input did not arrive does not count
    dec2 = Decision(1, DecisionKind.INTERNAL_IMPROVEMENT, owner, owner, [owner, holder], 0, relevant=relevant)
    model.people[owner].decide(dec2, 20)
    assert dec2.quality == 0.25
    dec3 = Decision(2, DecisionKind.INTERNAL_IMPROVEMENT, owner, owner, [owner, holder], 0, relevant=relevant)
    dec3.received.add(holder)  # ... and once it did, what the contributor knew counts
    model.people[owner].decide(dec3, 20)
    assert dec3.quality == 0.5


def test_a_holder_who_knows_the_process_gives_the_input_a_higher_priority():
    model = _model_with_items()
    kb, desk = model.knowledge, model.decision_desk
    process = np.flatnonzero(kb.kind[: kb.n_items] == ItemKind.PROCESS)[:3]
    holder, other = (int(p) for p in model.org.members(Role.EMPLOYEE)[:2])
    kb.known[holder, process] = True
    kb.known[other, process] = False
    dec = Decision(0, DecisionKind.INTERNAL_IMPROVEMENT, holder, holder, [holder, other], 0, relevant=process)
    for _ in range(4000):
        for person in (holder, other):
            desk.schedule_input(person, dec, 0)
    mean = {person: desk.work.priority[desk.work.holder == person].mean() for person in (holder, other)}
    # uniform priorities (mean 1/2); knowing all closes half the gap to the top (knowing_saves_share = 0.5): mean 3/4
    assert 0.47 < mean[other] < 0.53 and 0.72 < mean[holder] < 0.78


@pytest.mark.slow
def test_decisions_hold_more_of_what_they_need_where_knowledge_is_passed_on():
    """Quality comes from knowledge reaching the deciders: with nobody passing items on, owners and
    contributors know only what they saw born.  (The stream's own effect on quality is small with the
    defaults: about +0.02 over six seeds of the small social_business, within the noise.)"""
    seeds = (1, 2, 3)
    shared = [headline(sim.run(small("email_open", "ticks=800"), seed=s).tables())["decision_quality"] for s in seeds]
    silent = [headline(sim.run(small("email_open", "ticks=800", "knowledge.share_propensity=0", "knowledge.managers_share_with_team=false"), seed=s).tables())["decision_quality"] for s in seeds]
    assert np.mean(shared) > np.mean(silent) + 0.1


_PATHS: dict[tuple[str, ...], np.ndarray] = {}


def adoption_path(*overrides: str, seed: int = 1) -> np.ndarray:
    """Adoption share per tick of the small change programme (runs cached within the session)."""
    key = (*overrides, str(seed))
    if key not in _PATHS:
        model = sim.run(small("change_programme", "ticks=2000", *overrides), seed=seed)
        _PATHS[key] = model.tables()["timeseries"]["adoption_share"].to_numpy()
    return _PATHS[key]


def mean_adoption_path(*overrides: str, seeds=(1, 2, 3)) -> np.ndarray:
    """Adoption share per tick of the small change programme, averaged over a few seeds: in an
    organisation this small, when teams take off varies a lot from seed to seed (the open
    programme ends at 0.51, 0.49 and 0.92 at seeds 1-3), the levels the tests compare much less."""
    return np.mean([adoption_path(*overrides, seed=seed) for seed in seeds], axis=0)


@pytest.mark.slow
def test_a_no_social_at_work_policy_holds_adoption_on_a_lower_plateau():
    """Restricted: a quarter of feed items seen, use less visible.  Users learn little there and
    drift back to mail, so adoption levels off far below the open programme's."""
    open_, restricted = mean_adoption_path(), mean_adoption_path('stream.policy="restricted"')
    assert open_[-400:].mean() > 0.5  # still rising slowly: each team waits for its manager (0.64 over seeds 1-3)
    assert open_[-400:].mean() > restricted[-400:].mean() + 0.3  # against 0.14
    assert restricted[-400:].mean() < 0.3
    assert abs(restricted[-400:-200].mean() - restricted[-200:].mean()) < 0.05  # level, not still climbing


@pytest.mark.slow
def test_without_management_participation_adoption_levels_off_lower():
    """Managers off the stream: everyone's manager is away, so everyone looks at the stream as under
    a "not during work" policy, learns little there and drifts back; adoption levels off far below
    the programme with managers.  Without the norm the same programme only runs slower: the plateau
    comes from the norm, not from managers' absence as such.  (Means over seeds 1-3.)"""
    with_managers, without = mean_adoption_path(), mean_adoption_path("adoption.managers_participate=false")
    assert without[800] < with_managers[800] - 0.1  # 0.13 against 0.28: apart early
    assert with_managers[-400:].mean() > 0.5 and with_managers[-400:].mean() > without[-400:].mean() + 0.3  # 0.64 against 0.12
    assert without[-400:].mean() < 0.3
    assert abs(without[-400:-200].mean() - without[-200:].mean()) < 0.05  # level, not still climbing
    no_norm = mean_adoption_path("adoption.managers_participate=false", "adoption.managers_set_the_norm=false")
    assert no_norm[-400:].mean() > 0.7 and no_norm[-400:].mean() > without[-400:].mean() + 0.3  # 0.81 against 0.12


def test_a_manager_off_the_stream_makes_their_team_look_at_less_of_it():
    """The norm acts per team: whose manager uses the stream looks at all of it, whose manager does
    not looks at ``restricted_attention_factor``; an explicit policy restricts everyone once, not twice."""
    model = sim.OrgModel(small("social_business"), seed=1)
    model.step()
    a, org = model.adoption, model.org
    factor = model.config.stream.restricted_attention_factor
    staff = np.flatnonzero((org.department >= 0) & (org.manager >= 0) & a.eligible)
    boss = int(org.manager[staff[0]])
    team = staff[org.manager[staff] == boss]
    a.adopted[boss] = True
    assert np.all(a.norm()[team] == 1.0)
    a.adopted[boss] = False
    assert np.all(a.norm()[team] == factor)
    assert np.all(a.visibility()[team] == factor)
    model.step()
    assert np.all(model.stream.look_norm[team] == factor)  # what the stream thins their feed by
    model.change("stream", policy="restricted")
    assert np.all(a.norm() == 1.0) and np.all(a.visibility() == factor)
    model.change("stream", policy="open")
    model.change("adoption", managers_set_the_norm=False)
    assert np.all(a.norm() == 1.0)


# ------------------------------------------------------------------ finding instead of asking
def test_search_finds_what_one_can_see_only():
    """A post is findable by the stream users who follow its space; unread mail only by its reader."""
    model = _model_with_items()
    m = model
    item = 0
    m.stream.posts = {k: np.concatenate([v, np.array([x], v.dtype)]) for (k, v), x in zip(m.stream.posts.items(), (m.groups.company, 0, m.now - 1, 0, item))}
    member = int(m.groups.members(m.groups.company)[0])
    outsider = int(np.flatnonzero(m.org.is_external())[0])
    m.config = m.config.model_copy(update={"attention": m.config.attention.model_copy(update={"search_items": 10**6})})  # skim everything
    m.search.cfg = m.config.attention
    # no stream yet: the post is not where the member looks
    assert len(m.search.find(member, np.array([item]), m.now)) == 0
    m.adoption.launch_at, m.adoption.live, m.adoption.adopted[:] = 0, True, m.adoption.eligible
    assert m.search.find(member, np.array([item]), m.now).tolist() == [item]
    assert len(m.search.find(outsider, np.array([item]), m.now)) == 0
    # mail: what reached a person is in their mailbox, nobody else's, once it can be read
    from sim.messages import CHANNEL, KIND, PAYLOAD, READER, READY, SENT, new_rows
    rows = new_rows(1)
    rows[0, READER], rows[0, PAYLOAD], rows[0, KIND], rows[0, CHANNEL], rows[0, SENT], rows[0, READY] = outsider, 1, 0, 0, m.now, m.now + 1
    m.attention.add(rows)
    assert len(m.search.find(outsider, np.array([1]), m.now)) == 0  # still in transit
    assert m.search.find(outsider, np.array([1]), m.now + 1).tolist() == [1]
    other_outsider = int(np.flatnonzero(m.org.is_external())[1])
    assert len(m.search.find(other_outsider, np.array([1]), m.now)) == 0
    assert m.search.minutes[member] == 2 * m.config.attention.search_minutes  # every search costs reading time


GLANCING = ("knowledge.stream_audience={company=1.0}", "stream.feed_attention_share=0.2", "adoption.drift_rate=0")


@pytest.mark.slow
def test_searching_open_spaces_raises_quality_and_noise_hides_what_is_there():
    """Users glance at a fifth of their feed; what scrolled by stays in the spaces, and owners find
    it before deciding.  Background posts in the same spaces hide it."""
    def run(*extra):
        m = sim.run(small("social_business", "ticks=800", *GLANCING, *extra), seed=1)
        t = m.tables()
        return int(t["decisions"]["found_by_search"].sum()), headline(t)["decision_quality"]
    found, quality = run()
    _, quality_without = run("attention.search_items=0")
    found_noisy, _ = run("load.stream_share=0.9")
    assert found > 25 and quality > quality_without + 0.05  # 29 found, 0.44 against 0.37 at seed 1
    assert found_noisy < 0.6 * found


# ------------------------------------------------------------------ community-centric
def test_a_customer_in_a_community_raises_an_issue_in_a_space_they_follow():
    """Customer issues are raised where the customer can post: with externals in the communities,
    every issue of a customer in a space has its thread in one of the customer's spaces (so they see
    it), and internal originators keep theirs where most of the people involved are."""
    model = sim.run(small("community_centric", "ticks=300", "decisions.customer_issues_per_1000_per_tick=20"), seed=2)
    g, org = model.groups, model.org
    customer_threads = internal_threads = 0
    for dec in model.decisions:
        own = set(g.spaces_of(dec.originator).tolist())
        if org.role[dec.originator] == Role.CUSTOMER and own:
            assert dec.space in own
            customer_threads += 1
        elif org.department[dec.originator] >= 0:
            assert dec.space in own  # the company space holds everyone inside: nothing changes for them
            internal_threads += 1
    assert customer_threads > 10 and internal_threads > 10
