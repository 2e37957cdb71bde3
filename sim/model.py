"""The model: wires organisation, channels, attention and the processes, and runs the tick.

One tick (a working hour unless ``tick_hours`` says otherwise) is this list of processes, in order:

1. adoption moves (:mod:`sim.adoption`);
2. new knowledge items are born (:mod:`sim.knowledge`) and new decisions arise (:mod:`sim.decision_desk`);
3. background traffic arrives (``[load]``);
4. everyone reads, both channels by one rule (:mod:`sim.attention`); relays and gatekeepers pass on
   what they read (:mod:`sim.routing`); readers learn items, learn who knows what and whom
   (:mod:`sim.awareness`) and act on decision messages;
5. what was learned is passed on (:mod:`sim.sharing`);
6. people at the desk do one task of their priority list (inputs done go out), whoever waited too
   long follows up, deadlines close decisions;
7. outboxes are emptied as far as the send capacity allows; the tick is recorded.

Randomness: every process draws from its own stream, keyed by the process's name
(``SeedSequence(seed, spawn_key=crc32(name))``), so adding or switching off one mechanism does not
reshuffle the draws of the others.
"""

from __future__ import annotations

import zlib

import numpy as np
import mesa

from .adoption import Adoption
from .agents import AGENT_CLASS
from .arrays import count_pairs
from .attention import Attention
from .awareness import Awareness
from .channels.email import Mail
from .channels.stream import Stream, feed_look_share
from .decision_desk import DecisionDesk
from .decisions import DecisionKind, ORIGIN_ROLE
from .groups import build_groups
from .interventions import Timeline
from .knowledge import ItemKind, KnowledgeBook
from .ona import Traffic, ona_groups
from .messages import CHANNEL, DECISION_KINDS, KIND, LEVELS, PAYLOAD, READER, TARGET, Channel, Level, MessageKind, stochastic_round
from .organisation import Organisation, Role, build_organisation
from .poisson import poisson
from .results import Recorder
from .routing import Router
from .scenario import Scenario, ScenarioError
from .search import Search
from .sharing import Sharing

__all__ = ["OrgModel", "named_rng"]


def named_rng(seed: int, name: str) -> np.random.Generator:
    """The random stream of one process, keyed by its name."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),)))


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
        self.config = s = scenario  # `scenario` is reserved by mesa.Model; interventions may replace it
        self.given_config = scenario  # the scenario as given (manifests), whatever interventions change
        self.seed_value = seed
        self.rngs = _Streams(seed)
        self.org = org = organisation if organisation is not None else build_organisation(scenario, self.rngs["organisation"])
        check_against_organisation(scenario, org)
        self.now = 0

        self.people = [AGENT_CLASS[Role(r)](self, i, int(d)) for i, (r, d) in enumerate(zip(org.role.tolist(), org.department.tolist()))]
        self.groups = build_groups(org, s.stream, self.rngs["spaces"])
        self.adoption = Adoption(org, s.stream, s.adoption, self.groups.in_a_space(), self.rngs["adoption"])
        self.timeline = Timeline(self, s.interventions)
        if self.timeline.launches_stream:
            self.adoption.launch_at = None  # live when the timeline launches it
        self.attention = Attention(org.n, (s.email.expire_after_ticks, s.stream.feed_ttl_ticks), self.rngs["attention"],
                                   background=s.load.received_per_tick > 0, horizon=s.ticks + max(s.email.delivery_delay_ticks, s.stream.delivery_delay_ticks))
        self.router = Router(org, (s.email.routing, s.stream.routing), (True, not s.stream.mentions_bypass_gatekeepers),
                             (s.email.delivery_delay_ticks, s.stream.delivery_delay_ticks), s.gatekeepers, self.rngs["screening"])
        boss = org.manager if s.attention.manager_first else np.full(org.n, -1)
        self.mail = Mail(org, s.email, self.router, self.attention, boss)
        self.stream = Stream(org, s.stream, self.groups, self.router, self.attention, self.rngs["stream"], boss)
        self.adoption.last_post = self.stream.last_post  # the same array: managers' posts set an example
        self.knowledge = KnowledgeBook(org, self.rngs["knowledge"])
        self.sharing = Sharing(self)
        self.decision_desk = DecisionDesk(self)
        self.search = Search(self)
        self.awareness = Awareness(self)
        self.attention.on_queue = lambda rows: self.search.note_queued(rows, self.now)
        self.retellers = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))  # person, item, until
        staff = int(np.isin(org.role, (Role.EMPLOYEE, Role.MANAGER, Role.EXECUTIVE)).sum())
        k = s.knowledge
        self.item_rates = {  # items per tick: per-1,000 rates times the group where they arise
            ItemKind.MARKET: k.market_signals_per_1000_per_tick * int(org.is_external().sum()) / 1000,
            ItemKind.GOAL: k.goals_per_1000_per_tick * staff / 1000,
            ItemKind.PROCESS: k.process_per_1000_per_tick * staff / 1000,
        }

        self.is_gatekeeper = org.role == Role.GATEKEEPER
        self.guarded = np.flatnonzero(org.assistant >= 0)  # people with an assistant in front of them
        self.passed_on = np.zeros((2, org.n), np.int64)  # background an assistant let through, due next tick
        self.items_per_tick = s.attention.reading_minutes_per_tick / s.attention.read_minutes_per_item
        shares = np.asarray(s.load.level_shares, float)
        self.level_shares = shares / shares.sum() if shares.sum() > 0 else shares
        self.written = np.zeros((2, org.n), np.int64)  # tracked messages written (decisions, relays), per channel
        self.background_written_per_tick = np.where(self.is_gatekeeper, 0.0, s.load.sent_per_tick)  # expected: cost only
        self.last_read = None  # what was read in the latest tick (for the recorder)
        self.at_desk = np.zeros(org.n, bool)  # who is at the desk this tick (drawn with the reading budgets)
        self.ona_group, self.ona_group_names = ona_groups(org.department, org.role == Role.PARTNER, org.role == Role.CUSTOMER, org.department_names)
        self.traffic = Traffic(org.n, self.ona_group, s.tick_hours, snapshot=self.person_counters)
        self.attention.observer = self.traffic
        self.recorder = Recorder(self, scenario.ticks)

    # ------------------------------------------------------------------ views other modules use
    @property
    def adopted(self) -> np.ndarray:
        return self.adoption.adopted

    @property
    def eligible(self) -> np.ndarray:
        return self.adoption.eligible

    @property
    def stream_live(self) -> bool:
        return self.adoption.live

    def stream_users(self) -> np.ndarray:
        return self.adoption.users()

    @property
    def decisions(self):
        return self.decision_desk.decisions

    # ------------------------------------------------------------------ the tick
    def step(self) -> None:
        now = self.now
        self.traffic.start_tick(now)
        self.timeline.step(now)
        self.mail.start_tick()
        self.stream.start_tick()
        self.adoption.step(now)
        self.stream.look_norm = self.adoption.norm()
        origins, items = self.knowledge.birth(self.item_rates, now)
        self.decision_desk.arise(now)
        read = self.last_read = self.attention.step(now, self._budgets(), self._background(now))
        self.traffic.read(read.rows)
        self._screen_background(read)
        self.awareness.on_read(read.rows)
        learned_p, learned_i = self._on_read(read.rows, now)
        self._routine_mail(now)
        self._retell(now)
        self.sharing.share(origins, items, now, always=True)
        self.sharing.share(learned_p, learned_i, now)
        self._remember_retellers(np.concatenate([origins, learned_p]), np.concatenate([items, learned_i]), now)
        self.decision_desk.step(now)
        self.mail.end_tick(now)
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
        """The result tables (see :mod:`sim.results`)."""
        from .results import tables

        return tables(self)

    # ------------------------------------------------------------------ changes during a run
    def change(self, section: str, **values) -> None:
        """Replace scenario fields from now on (an intervention or a live control), validated like a
        scenario file; every process that holds the section gets the new one."""
        from .scenario import Scenario

        data = self.config.to_dict()
        data[section] = {**data[section], **values}
        new = Scenario.model_validate(data, strict=False)
        self.config = new
        self.adoption.cfg, self.adoption.a = new.stream, new.adoption
        self.stream.cfg = new.stream
        self.stream.look_share = feed_look_share(new.stream)
        self.decision_desk.cfg = new.decisions
        k = new.knowledge
        self.sharing.cfg = k
        self.sharing.propensity = (k.share_propensity, k.share_propensity if k.stream_share_propensity is None else k.stream_share_propensity)

    def open_communities(self, to: tuple[str, ...]) -> None:
        """Partners and / or customers join the community spaces (the community-centric strategy):
        the same communities, rebuilt with the same draws and the externals added.  Externals now in
        a space start using the stream with chance ``adoption.externals_initial_share``."""
        roles = tuple(Role.PARTNER if t == "partners" else Role.CUSTOMER for t in to)
        self.groups = self.stream.groups = build_groups(self.org, self.config.stream, named_rng(self.seed_value, "spaces"), externals_join=roles)
        self.sharing.index_groups()
        in_a_space = self.groups.in_a_space()
        newly = in_a_space & ~self.adoption.in_a_space & self.org.is_external()
        self.adoption.in_a_space = in_a_space
        self.adoption.adopted |= newly & (self.rngs["interventions"].random(self.org.n) < self.config.adoption.externals_initial_share)

    # ------------------------------------------------------------------ attention and load
    def _budgets(self) -> np.ndarray:
        """Entries each person reads this tick: their capacity when at the desk; gatekeepers read
        ``gatekeepers.capacity_per_tick`` of screened mail (their whole job)."""
        n, rng, a = self.org.n, self.rngs["availability"], self.config.attention
        at_desk = self.at_desk = rng.random(n) < a.available_share  # kept: only hours at the desk count for work (sim.priority_list)
        budget = np.where(at_desk, stochastic_round(np.full(n, self.items_per_tick), rng), 0)
        if self.is_gatekeeper.any():
            gk = self.is_gatekeeper
            budget[gk] = stochastic_round(np.full(int(gk.sum()), self.config.gatekeepers.capacity_per_tick), rng)
        return budget

    def _background(self, now: int) -> np.ndarray | None:
        """Background arrivals: ``load.received_per_tick`` per person (not gatekeepers), a share of a
        stream user's on the stream (thinned like any feed item, but for what is addressed to them,
        which is always seen, as tracked @mentions are), by priority level.  What is addressed
        to a person with an assistant goes to the assistant first, on every channel the gatekeepers
        screen; what the assistant passed on last tick arrives now."""
        rate = self.config.load.received_per_tick
        if rate <= 0:
            return None
        rng, n = self.rngs["load"], self.org.n
        users = self.stream_users()
        stream_rate = np.where(users, rate * self.config.load.stream_share, 0.0)
        glanced = stream_rate * self.stream.look_share * self.stream.look_norm  # what is addressed to one is always seen
        mail_rate = np.where(users, rate * (1 - self.config.load.stream_share), rate)
        mail_rate[self.is_gatekeeper] = 0.0
        mean = np.empty((2, LEVELS, n))
        mean[Channel.EMAIL] = self.level_shares[:, None] * mail_rate
        mean[Channel.STREAM] = self.level_shares[:, None] * glanced
        mean[Channel.STREAM, Level.ADDRESSED] = self.level_shares[Level.ADDRESSED] * stream_rate
        counts = poisson(rng, mean)  # one uniform each, by inversion (sim.poisson)
        if len(self.guarded) and self.router.bridge_active("upward", now):
            screened = np.flatnonzero(self.router.screened)
            addressed = counts[screened, Level.ADDRESSED][:, self.guarded]
            counts[screened[:, None], Level.ADDRESSED, self.org.assistant[self.guarded][None, :]] += addressed
            counts[screened[:, None], Level.ADDRESSED, self.guarded[None, :]] = 0
        counts[:, Level.ADDRESSED] += self.passed_on  # screened last tick
        self.passed_on = np.zeros_like(self.passed_on)
        return counts

    def _screen_background(self, read) -> None:
        """Background an assistant read is passed on to the person they guard (next tick), but for
        ``filter_share``; it counts as screening work like tracked mail."""
        if len(self.guarded) == 0 or read.per_channel.sum() == 0:
            return
        assistants = self.org.assistant[self.guarded]
        tracked = np.zeros_like(read.per_channel)
        if len(read.rows):
            tracked += count_pairs(read.rows[:, CHANNEL], read.rows[:, READER], *tracked.shape)
        background = (read.per_channel - tracked)[:, assistants]
        if not background.any():
            return
        kept = self.rngs["screening background"].binomial(background, 1.0 - self.config.gatekeepers.filter_share)
        self.passed_on[:, self.guarded] += kept
        self.router.screened_count[assistants] += background.sum(axis=0)
        self.router.dropped += (background - kept).sum(axis=1)

    def tracked_in_flight(self) -> int:
        """Tracked entries written and not read yet (queued, in transit, in outboxes)."""
        att = self.attention
        return att.tracked_unread + sum(len(p) for p in att.pending) + len(self.mail.outbox)

    def read_minutes(self) -> np.ndarray:
        """Reading time per person so far, both channels, searches included."""
        return self.attention.read_total.sum(axis=0) * self.config.attention.read_minutes_per_item + self.search.minutes

    def write_minutes(self) -> np.ndarray:
        w = self.written.sum(axis=0) + self.sharing.written.sum(axis=0) + self.background_written_per_tick * self.now
        return w * self.config.attention.write_minutes_per_message

    def person_counters(self) -> dict[str, np.ndarray]:
        """Cumulative per-person counters, differenced week by week into ``person_week``."""
        return {
            "mails_written": self.mail.sent_by, "posts_written": self.stream.posted_by,
            "read": self.attention.read_total, "tracked_read": self.traffic.tracked_read, "forwarded": self.traffic.forwarded,
            "read_minutes": self.read_minutes(), "write_minutes": self.write_minutes(),
        }

    # ------------------------------------------------------------------ reading
    def _on_read(self, rows: np.ndarray, now: int):
        """Relays and gatekeepers pass on; final readers learn items; decision messages go to the desk."""
        final = rows[:, READER] == rows[:, TARGET]
        passing = rows[~final]
        if len(passing):
            forwarded, dropped = self.router.forward(passing, now)
            relays = passing[~dropped & ~self.is_gatekeeper[passing[:, READER]]]
            np.add.at(self.written, (relays[:, CHANNEL], relays[:, READER]), 1)  # a relay writes on the channel it read
            self.attention.add(forwarded)
        self.decision_desk.on_read(rows, now)
        know = final & (rows[:, KIND] == MessageKind.KNOWLEDGE)
        self._note_useful(rows[final & (rows[:, CHANNEL] == Channel.STREAM)], now)
        return self.knowledge.learn(rows[know, READER], rows[know, PAYLOAD], now)

    def _note_useful(self, rows: np.ndarray, now: int) -> None:
        """Stream entries that gave their reader something (adoption's usefulness): an item that
        concerns the reader and that they did not know yet, or a message about one of their decisions."""
        if len(rows) == 0:
            return
        knowledge = rows[:, KIND] == MessageKind.KNOWLEDGE
        useful = np.isin(rows[:, KIND], DECISION_KINDS)
        reader, item = rows[knowledge, READER], rows[knowledge, PAYLOAD]
        useful[knowledge] = ~self.knowledge.known[reader, item] & self.knowledge.relevant(reader, item)
        self.adoption.note_useful(rows[useful, READER], now)

    # ------------------------------------------------------------------ knowledge
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
        self.sharing.share(person[active], item[active], now, bump=True)

    def _routine_mail(self, now: int) -> None:
        """Routine mail between uniformly random internal colleagues (``email.random_mail_per_tick``)."""
        rate = self.config.email.random_mail_per_tick
        if rate <= 0:
            return
        rng, internal = self.rngs["routine"], np.flatnonzero(self.org.department >= 0)
        k = rng.poisson(rate)
        i = rng.integers(0, len(internal), k)
        j = rng.integers(0, len(internal) - 1, k)
        j += j >= i  # a uniformly random colleague other than the sender
        self.mail.send(internal[i], internal[j], MessageKind.ROUTINE, 0, now)

    # ------------------------------------------------------------------ decision messages
    def _on_stream(self, person: int, space: int) -> bool:
        return bool(space >= 0 and self.stream_users()[person] and self.groups.is_space[space] and space in self.groups.of_person(person))

    def _posts_in(self, sender: int, space: int) -> bool:
        """Whether ``sender`` writes a decision message into the thread in ``space``: a stream user
        there who is not read-only (``people.readers_write_privately``)."""
        return bool(self.sharing.writes_in_spaces(sender)) and self._on_stream(sender, space)

    def communicate(self, sender: int, recipients: list[int], kind: int, decision, now: int) -> None:
        """Send a decision message: a post in the decision's thread @mentioning the recipients who
        share it with the sender on the stream (unless the sender only reads there), and a mail to
        each of the others."""
        posts = self._posts_in(sender, decision.space)
        by_stream = [r for r in recipients if posts and self._on_stream(r, decision.space)]
        by_mail = [r for r in recipients if r not in by_stream]
        if by_stream:
            self.stream.post(sender, decision.space, kind, decision.id, now, self.stream_users(), mentions=by_stream, concerned=decision.concerned())
            decision.in_thread.update([sender, *by_stream])
            self.written[Channel.STREAM, sender] += 1
            decision.messages_used += 1
        if by_mail:
            self.mail.send(sender, np.array(by_mail), kind, decision.id, now)
            self.written[Channel.EMAIL, sender] += 1
            decision.messages_used += 1  # one mail to all of them, as one post mentions all

    def communicate_via(self, sender: int, relay: int, recipient: int, kind: int, decision, now: int) -> None:
        """Send a decision message to ``recipient`` by way of ``relay``, who reads it and passes it on
        (a detour, :meth:`sim.awareness.Awareness.relay_for`): a post in the decision's thread
        @mentioning the relay when sender and relay share it on the stream, else a mail to the relay.
        Either way it is routed and screened like any addressed message from the relay on."""
        if self._posts_in(sender, decision.space) and self._on_stream(relay, decision.space):
            self.stream.post(sender, decision.space, kind, decision.id, now, self.stream_users(), mentions=[recipient], via=relay, concerned=decision.concerned())
            decision.in_thread.update([sender, recipient])
            self.written[Channel.STREAM, sender] += 1
            decision.messages_used += 1
        else:
            self.mail.send(sender, recipient, kind, decision.id, now, via=relay)
            self.written[Channel.EMAIL, sender] += 1
            decision.messages_used += 1


class _Streams(dict):
    """Random streams created on first use, each keyed by its process's name."""

    def __init__(self, seed: int):
        super().__init__()
        self.seed = seed

    def __missing__(self, name: str) -> np.random.Generator:
        rng = self[name] = named_rng(self.seed, name)
        return rng


def check_against_organisation(s: Scenario, org: Organisation) -> None:
    """What the scenario asks for must exist in the (possibly imported) organisation."""
    problems = []
    k, d = s.knowledge, s.decisions
    if k.market_signals_per_1000_per_tick > 0 and not org.is_external().any():
        problems.append(("knowledge.market_signals_per_1000_per_tick", "market signals are born at partners or customers; the organisation has none", k.market_signals_per_1000_per_tick))
    if k.goals_per_1000_per_tick > 0 and not (org.role == Role.EXECUTIVE).any():
        problems.append(("knowledge.goals_per_1000_per_tick", "goals are born at executives; the organisation has none", k.goals_per_1000_per_tick))
    if k.process_per_1000_per_tick > 0 and not (org.role == Role.EMPLOYEE).any():
        problems.append(("knowledge.process_per_1000_per_tick", "process know-how is born at employees; the organisation has none", k.process_per_1000_per_tick))
    fields = {
        DecisionKind.CUSTOMER_ISSUE: ("decisions.customer_issues_per_1000_per_tick", d.customer_issues_per_1000_per_tick),
        DecisionKind.MARKET_OPPORTUNITY: ("decisions.market_opportunities_per_1000_per_tick", d.market_opportunities_per_1000_per_tick),
        DecisionKind.INTERNAL_IMPROVEMENT: ("decisions.internal_improvements_per_1000_per_tick", d.internal_improvements_per_1000_per_tick),
    }
    for kind, (field, rate) in fields.items():
        role = ORIGIN_ROLE[kind]
        if rate > 0 and not (org.role == role).any():
            problems.append((field, f"needs people of role {role.name.lower()}; the organisation has none", rate))
    if problems:
        raise ScenarioError(s.name, problems)
