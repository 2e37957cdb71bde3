"""The model: wires organisation, channels, adoption, knowledge and decisions, and runs the tick.

One tick (a working hour unless ``tick_hours`` says otherwise), in this order:

1. adoption moves (Bass: training p, imitation q x visible users; abandonment);
2. new knowledge items are born and their origins pass them on;
3. new decisions arise and their originators send the request to the owner;
4. every inbox is served once (email), then every feed (stream);
5. people act on what they read: learn items, react to decision messages;
6. who learned something new passes it on (stream users post, others mail a CC list of ties);
7. owners past their deadline decide with what they have; the tick is recorded.

Randomness: the seed makes a ``numpy.random.SeedSequence``; each process (organisation, spaces,
adoption, knowledge, sharing, email, stream, decisions) draws from its own child stream, so that
switching one mechanism off does not reshuffle the draws of the others.
"""

from __future__ import annotations

import numpy as np
import mesa

from .agents import AGENT_CLASS
from .arrays import csr_rows
from .channels.email import EmailChannel, MessageKind
from .channels.stream import StreamChannel, build_spaces
from .decisions import Decision, DecisionKind, choose_owner, draw_decision, ORIGIN_ROLE
from .knowledge import ItemKind, KnowledgeBook
from .organisation import Organisation, Role, build_organisation
from .results import Recorder
from .scenario import Scenario, ScenarioError

__all__ = ["OrgModel"]

STREAMS = ("organisation", "spaces", "adoption", "knowledge", "sharing", "email", "stream", "decisions")


class OrgModel(mesa.Model):
    """An organisation communicating over email and (optionally) a stream.

    >>> from sim.scenario import load_scenario_text
    >>> m = OrgModel(load_scenario_text('ticks = 5\\n[organisation]\\npeople_per_department = 10'))
    >>> m.run()
    >>> m.now
    5
    """

    def __init__(self, scenario: Scenario, seed: int | None = None, organisation: Organisation | None = None):
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.config = scenario  # `scenario` is reserved by mesa.Model
        self.seed_value = seed
        children = np.random.SeedSequence(seed).spawn(len(STREAMS))
        self.rngs = {name: np.random.default_rng(c) for name, c in zip(STREAMS, children)}
        self.org = organisation if organisation is not None else build_organisation(scenario, self.rngs["organisation"])
        check_against_organisation(scenario, self.org)
        self.now = 0
        org = self.org

        self.people = [AGENT_CLASS[Role(r)](self, i, int(d)) for i, (r, d) in enumerate(zip(org.role.tolist(), org.department.tolist()))]
        self.email = EmailChannel(org, scenario.email, scenario.gatekeepers, self.rngs["email"])
        self.spaces = build_spaces(org, scenario.stream, self.rngs["spaces"])
        self.stream = StreamChannel(org, self.spaces, scenario.stream, self.rngs["stream"])
        self.knowledge = KnowledgeBook(org, self.rngs["knowledge"])
        self.visible_until = np.full((max(self.spaces.count, 1), 64), -1, np.int64)  # space x item

        self.adopted = np.zeros(org.n, bool)
        internal = org.department >= 0
        eligible = scenario.adoption.eligible_departments
        if eligible is None:
            self.eligible = internal.copy()
        else:
            codes = [org.department_names.index(d) for d in eligible]
            self.eligible = internal & np.isin(org.department, codes)
        self.in_a_space = np.diff(self.spaces.person_indptr) > 0
        self.internal_people = np.flatnonzero(internal)
        self.retellers = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))  # person, item, until
        self.stream_live = False

        self.decisions: list[Decision] = []
        self.open_decisions: list[Decision] = []
        self.decisions_closed = 0
        self.participant_keys = np.empty(0, np.int64)  # decision_id * n + person, for owners and holders
        staff = np.isin(org.role, (Role.EMPLOYEE, Role.MANAGER))
        self.staff_by_dept = [np.flatnonzero(staff & (org.department == d)) for d in range(len(org.department_names))]
        k, d = scenario.knowledge, scenario.decisions
        self.item_rates = {ItemKind.MARKET: k.market_signals_per_tick, ItemKind.GOAL: k.goals_per_tick, ItemKind.PROCESS: k.process_per_tick}
        self.decision_rates = {
            DecisionKind.CUSTOMER_ISSUE: d.customer_issues_per_tick,
            DecisionKind.MARKET_OPPORTUNITY: d.market_opportunities_per_tick,
            DecisionKind.INTERNAL_IMPROVEMENT: d.internal_improvements_per_tick,
        }
        self.recorder = Recorder(self, scenario.ticks)

    # ------------------------------------------------------------------ the tick
    def step(self) -> None:
        now = self.now
        self.email.start_tick()
        self.stream.start_tick()
        self._move_adoption(now)
        origins, items = self.knowledge.birth(self.item_rates, now)
        learned_p, learned_i = [], []
        self._new_decisions(now)

        delivered = self.email.step(now)
        know = delivered.final & (delivered.kind == MessageKind.KNOWLEDGE)
        p, i = self.knowledge.learn(delivered.reader[know], delivered.payload[know], now)
        learned_p.append(p), learned_i.append(i)
        self._email_decision_events(delivered, now)

        if self.stream_live:
            reads = self.stream.step(now, self._attention(), self._background_rate())
            kind = self.stream.posts["kind"][reads.post]
            know = kind == MessageKind.KNOWLEDGE
            p, i = self.knowledge.learn(reads.person[know], self.stream.posts["payload"][reads.post[know]], now)
            learned_p.append(p), learned_i.append(i)
            self._stream_decision_events(reads.person[~know], reads.post[~know], now)

        self._routine_mail(now)
        self._retell(now)
        self._share(origins, items, now, always=True)
        new_p, new_i = np.concatenate(learned_p), np.concatenate(learned_i)
        self._share(new_p, new_i, now)
        self._remember_retellers(np.concatenate([origins, new_p]), np.concatenate([items, new_i]), now)
        self._deadlines(now)
        self.email.end_tick(now)
        self.recorder.record(now)
        self.now += 1

    def run(self, ticks: int | None = None, progress: bool = False) -> None:
        """Run until ``ticks`` (default: the scenario's run length) have passed since tick 0.
        With ``progress``, a bar appears on stderr once the run has taken more than 2 s."""
        end = self.config.ticks if ticks is None else ticks
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=end - self.now, desc=self.config.name, unit="tick", mininterval=0.5, delay=2.0, leave=False)
        while self.now < end:
            self.step()
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()

    def tables(self):
        """The four result tables (see :mod:`sim.results`)."""
        from .results import tables

        return tables(self)

    # ------------------------------------------------------------------ adoption
    def _move_adoption(self, now: int) -> None:
        cfg, a = self.config.stream, self.config.adoption
        if not cfg.enabled or now < cfg.launch_tick:
            return
        rng = self.rngs["adoption"]
        if not self.stream_live:
            self.stream_live = True
            self.adopted[:] = self.eligible & (rng.random(self.org.n) < a.initial_share)
            ext = self.org.is_external() & self.in_a_space
            self.adopted |= ext & (rng.random(self.org.n) < a.externals_initial_share)
            return
        share = self.adopted[self.eligible].mean() if self.eligible.any() else 0.0
        visible = cfg.restricted_attention_factor if cfg.policy == "restricted" else 1.0
        p_adopt = 1.0 - np.exp(-(a.training_p + a.imitation_q * share * visible))
        u = rng.random(self.org.n)
        joins = self.eligible & ~self.adopted & (u < p_adopt)
        leaves = self.eligible & self.adopted & (u < 1.0 - np.exp(-a.abandon_rate))
        self.adopted |= joins
        self.adopted &= ~leaves

    def _attention(self) -> np.ndarray:
        cfg = self.config.stream
        factor = cfg.restricted_attention_factor if cfg.policy == "restricted" else 1.0
        return np.where(self.adopted & self.in_a_space, cfg.attention_items_per_tick * factor, 0.0)

    def _background_rate(self) -> float:
        """Background feed items per user and tick: more users, more noise; a restriction policy
        cuts posting as much as reading."""
        cfg = self.config.stream
        share = self.adopted[self.eligible].mean() if self.eligible.any() else 0.0
        factor = cfg.restricted_attention_factor if cfg.policy == "restricted" else 1.0
        return cfg.background_items_per_tick * share * factor

    # ------------------------------------------------------------------ knowledge
    def _share(self, person: np.ndarray, item: np.ndarray, now: int, always: bool = False, retelling: bool = False) -> None:
        """Pass items on: stream users post, others mail a CC list of ties."""
        if len(person) == 0:
            return
        rng, k = self.rngs["sharing"], self.config.knowledge
        u = rng.random(len(person))
        on_stream = self.adopted[person] & self.in_a_space[person] if self.stream_live else np.zeros(len(person), bool)
        posting = on_stream & (always | (u < k.stream_share_propensity))
        mailing = ~on_stream & (always | (u < k.email_share_propensity))
        if posting.any():  # in rumour mode (retelling on) every post counts, visible or not
            self._post_items(person[posting], item[posting], now, bump=retelling or k.retell_for_ticks > 0)
        if mailing.any():
            self._mail_items(person[mailing], item[mailing], now)

    def _remember_retellers(self, person: np.ndarray, item: np.ndarray, now: int) -> None:
        """Who keeps passing an item on in the coming ticks (``knowledge.retell_for_ticks``)."""
        if self.config.knowledge.retell_for_ticks == 0 or len(person) == 0:
            return
        until = np.full(len(person), now + self.config.knowledge.retell_for_ticks, np.int64)
        self.retellers = tuple(np.concatenate([a, b]) for a, b in zip(self.retellers, (person, item, until)))

    def _retell(self, now: int) -> None:
        """People who learned an item in the last ``retell_for_ticks`` ticks pass it on again."""
        person, item, until = self.retellers
        if len(person) == 0:
            return
        active = until >= now
        self.retellers = (person[active], item[active], until[active])
        self._share(person[active], item[active], now, retelling=True)

    def _routine_mail(self, now: int) -> None:
        """Routine mail between uniformly random internal colleagues (``email.random_mail_per_tick``)."""
        rate = self.config.email.random_mail_per_tick
        if rate <= 0:
            return
        rng, internal = self.rngs["sharing"], self.internal_people
        k = rng.poisson(rate)
        i = rng.integers(0, len(internal), k)
        j = rng.integers(0, len(internal) - 1, k)
        j += j >= i  # a uniformly random colleague other than the sender
        self.email.send(internal[i], internal[j], MessageKind.ROUTINE, 0, now)

    def _mail_items(self, person: np.ndarray, item: np.ndarray, now: int) -> None:
        """Mail each item to a CC list of ``recipients_per_share`` random ties; managers and
        executives also mail their whole team (the classic cascade down the hierarchy)."""
        org, rng = self.org, self.rngs["sharing"]
        deg = org.degree[person]
        has = deg > 0
        p, it, deg = person[has], item[has], deg[has]
        r = self.config.email.recipients_per_share
        pick = org.ties_indptr[p][:, None] + (rng.random((len(p), r)) * deg[:, None]).astype(np.int64)
        senders, payloads, to = [np.repeat(p, r)], [np.repeat(it, r)], [org.ties_indices[pick].ravel()]
        leads = np.isin(org.role[person], (Role.MANAGER, Role.EXECUTIVE)) & self.config.knowledge.managers_mail_team
        if leads.any():
            lp, li = person[leads], item[leads]
            lead, team = csr_rows(org.reports_indptr, org.reports_indices, lp)
            internal = org.department[team] >= 0
            senders.append(lp[lead][internal]), payloads.append(li[lead][internal]), to.append(team[internal])
        sender, payload, to = np.concatenate(senders), np.concatenate(payloads), np.concatenate(to)
        first = np.unique((payload * org.n + sender) * org.n + to, return_index=True)[1]  # one copy per recipient
        first.sort()
        self.email.send(sender[first], to[first], MessageKind.KNOWLEDGE, payload[first], now)

    def _post_items(self, person: np.ndarray, item: np.ndarray, now: int, bump: bool = False) -> None:
        """Post each item to the widest space of the poster's where it is not visible yet; a retelling
        (``bump``) posts to the poster's widest space whatever is visible there."""
        if bump:
            first = self.spaces.person_indptr[person]
            has = np.diff(self.spaces.person_indptr)[person] > 0
            self.stream.post(person[has], self.spaces.person_indices[first[has]], MessageKind.KNOWLEDGE, item[has], now)
            return
        self._grow_visibility(int(item.max()) + 1)
        sp = self.spaces
        order = self.rngs["sharing"].permutation(len(person))
        person, item = person[order], item[order]
        pair, space = csr_rows(sp.person_indptr, sp.person_indices, person)
        free = self.visible_until[space, item[pair]] < now
        pair, space = pair[free], space[free]
        first_pair = np.unique(pair, return_index=True)[1]  # widest free space per poster
        pair, space = pair[first_pair], space[first_pair]
        _, once = np.unique(space.astype(np.int64) * (item.max() + 1) + item[pair], return_index=True)
        once.sort()  # one post per space and item this tick, the first poster in random order
        pair, space = pair[once], space[once]
        self.stream.post(person[pair], space, MessageKind.KNOWLEDGE, item[pair], now)
        self.visible_until[space, item[pair]] = now + self.config.stream.feed_ttl_ticks

    def _grow_visibility(self, items: int) -> None:
        cap = self.visible_until.shape[1]
        if items > cap:
            self.visible_until = np.pad(self.visible_until, ((0, 0), (0, max(items, 2 * cap) - cap)), constant_values=-1)

    # ------------------------------------------------------------------ decisions
    def _new_decisions(self, now: int) -> None:
        d, rng = self.config.decisions, self.rngs["decisions"]
        ownership = d.ownership
        if d.delegate_from_tick is not None and now >= d.delegate_from_tick:
            ownership = "involved"
        for kind, rate in self.decision_rates.items():
            for _ in range(rng.poisson(rate) if rate > 0 else 0):
                originator, holders = draw_decision(self.org, kind, d.inputs_per_decision, rng, self.staff_by_dept)
                owner = choose_owner(self.org, originator, holders, ownership)
                dec = Decision(len(self.decisions), kind, originator, owner, holders, now)
                dec.space = self._thread_space([originator, owner, *holders])
                dec.involved.add(originator)
                dec.given.add(originator)
                self.decisions.append(dec)
                self.open_decisions.append(dec)
                keys = dec.id * self.org.n + np.array([owner, *holders], np.int64)
                self.participant_keys = np.concatenate([self.participant_keys, keys])
                if originator == owner:
                    self.people[owner].become_aware(dec, now)
                else:
                    self.communicate(originator, [owner], MessageKind.REQUEST, dec, now)

    def _thread_space(self, people: list[int]) -> int:
        """The space most of the people involved follow (the smaller one on ties)."""
        counts: dict[int, int] = {}
        for p in set(people):
            for s in self.spaces.of_person(p).tolist():
                counts[s] = counts.get(s, 0) + 1
        if not counts:
            return -1
        size = self.spaces.size()
        return max(counts, key=lambda s: (counts[s], -size[s], -s))

    def _on_stream(self, person: int, space: int) -> bool:
        return bool(self.stream_live and space >= 0 and self.adopted[person] and space in self.spaces.of_person(person))

    def communicate(self, sender: int, recipients: list[int], kind: int, decision: Decision, now: int) -> None:
        """Send a decision message: one post in the decision's thread, @mentioning the recipients who
        share it with the sender on the stream, and a mail to each of the others."""
        by_stream = [r for r in recipients if self._on_stream(sender, decision.space) and self._on_stream(r, decision.space)]
        by_mail = [r for r in recipients if r not in by_stream]
        if by_stream:
            self.stream.post(sender, decision.space, kind, decision.id, now, mentions=by_stream)
            decision.messages_used += 1
        if by_mail:
            decision.messages_used += self.email.send(sender, np.array(by_mail), kind, decision.id, now)

    def _email_decision_events(self, delivered, now: int) -> None:
        idx = np.flatnonzero((delivered.kind != MessageKind.KNOWLEDGE) & (delivered.kind != MessageKind.ROUTINE))
        for j in idx.tolist():
            dec = self.decisions[int(delivered.payload[j])]
            reader = int(delivered.reader[j])
            if delivered.final[j]:
                self.people[reader].on_decision_message(dec, int(delivered.kind[j]), int(delivered.origin[j]), now)
                continue
            dec.involved.add(reader)
            if not delivered.dropped[j]:
                dec.messages_used += 1
                dec.gatekeepers_passed += int(delivered.gatekeeper[j])

    def _stream_decision_events(self, person: np.ndarray, post: np.ndarray, now: int) -> None:
        """Decision posts read this tick: only the owner and the holders act on them."""
        posts = self.stream.posts
        dec_id = posts["payload"][post]
        mine = np.isin(dec_id * self.org.n + person, self.participant_keys)
        for p, d, kind, author in zip(person[mine].tolist(), dec_id[mine].tolist(), posts["kind"][post[mine]].tolist(), posts["author"][post[mine]].tolist()):
            self.people[p].on_decision_message(self.decisions[d], kind, author, now)

    def _deadlines(self, now: int) -> None:
        limit = self.config.decisions.deadline_ticks
        still = []
        for dec in self.open_decisions:
            if dec.is_open and dec.owner_aware is not None and now - dec.owner_aware >= limit:
                self.people[dec.owner].decide(dec, now)
            if dec.is_open:
                still.append(dec)
        self.open_decisions = still


def check_against_organisation(s: Scenario, org: Organisation) -> None:
    """What the scenario asks for must exist in the (possibly imported) organisation."""
    problems = []
    k, d = s.knowledge, s.decisions
    if k.market_signals_per_tick > 0 and not org.is_external().any():
        problems.append(("knowledge.market_signals_per_tick", "market signals are born at partners or customers; the organisation has none", k.market_signals_per_tick))
    if k.goals_per_tick > 0 and not (org.role == Role.EXECUTIVE).any():
        problems.append(("knowledge.goals_per_tick", "goals are born at executives; the organisation has none", k.goals_per_tick))
    if k.process_per_tick > 0 and not (org.role == Role.EMPLOYEE).any():
        problems.append(("knowledge.process_per_tick", "process know-how is born at employees; the organisation has none", k.process_per_tick))
    fields = {
        DecisionKind.CUSTOMER_ISSUE: ("decisions.customer_issues_per_tick", d.customer_issues_per_tick),
        DecisionKind.MARKET_OPPORTUNITY: ("decisions.market_opportunities_per_tick", d.market_opportunities_per_tick),
        DecisionKind.INTERNAL_IMPROVEMENT: ("decisions.internal_improvements_per_tick", d.internal_improvements_per_tick),
    }
    for kind, (field, rate) in fields.items():
        role = ORIGIN_ROLE[kind]
        if rate > 0 and not (org.role == role).any():
            problems.append((field, f"needs people of role {role.name.lower()}; the organisation has none", rate))
    if problems:
        raise ScenarioError(s.name, problems)
