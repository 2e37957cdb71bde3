"""Scenario files: TOML read with ``tomllib``, validated by pydantic, with errors that name the field.

A scenario says what organisation to build, which channels exist and how people use them, and what
flows through them.  Every default below states its unit and, where it rests on a published figure,
its source (see ``REFERENCES.md`` in the shared folder and the README's assumptions section).

Time is counted in ticks; a tick is one working hour unless ``tick_hours`` says otherwise.  Rates of
what flows are per tick and per person or per 1,000 people (of the group where it arises), so that a
larger organisation carries more traffic; capacities are items per tick.

A scenario may start from another one with ``base = "other.toml"`` (a path relative to the file); its
own keys are merged over the base's, table by table.

Every number has finite bounds (no ``inf``, ``nan`` or ``true`` for a number: fields are strict), and
before anything runs :func:`estimate` sizes the run (people, ties, list and space memberships, items,
decisions, queue cells, memory) against :data:`LIMITS`; :func:`limit_problems` names each figure over
its cap.  ``--allow-large`` (``allow_large=True``) lifts the caps, not the model's hard limits.

>>> s = load_scenario_text('name = "tiny"\\nticks = 10')
>>> s.ticks, s.email.routing
(10, 'direct')
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import math
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import NO_VALUE, LimitError, ScenarioError
from .interventions import Intervention, timeline_problems

__all__ = [
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "load_scenario_text",
    "apply_overrides",
    "scenario_hash",
    "LIMITS",
    "estimate",
    "limit_problems",
    "check_limits",
    "RESERVED_DEPARTMENTS",
]

MAX_TICKS = 1_000_000  # the longest run (and so the longest delay, hold or retelling that can matter)
MAX_RATE = 1_000.0  # items, decisions or adoptions per tick per person (or per 1,000): far above any real use

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0, le=MAX_RATE)]
Ticks = Annotated[int, Field(ge=0, le=MAX_TICKS)]
Weight = Annotated[float, Field(ge=0, le=1_000_000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]

RESERVED_DEPARTMENTS = ("executive office", "(external)")
"""Names orgsim gives to groups of its own: the CEO's department and the partners' and customers'."""


class _Section(BaseModel):
    # strict: no true for a number, no 3.5 for a whole number, no "1" for a number; finite numbers only
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class ImportSpec(_Section):
    """Read the organisation from files instead of generating it.

    Either ``org_chart`` (CSV with columns ``id, manager_id, department, role``; extra columns are kept)
    or ``edges`` plus ``departments`` (an edge list ``u v`` per line and ``person department`` labels,
    as in the SNAP email-Eu-core data).  Relative paths are resolved against the scenario file.
    """

    org_chart: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """Path of a CSV org chart (columns ``id, manager_id, department, role``), relative to the scenario
    file; null: give ``edges`` instead.  An import path, not an empirical default."""
    edges: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """Path of an edge list (``u v`` per line, e.g. SNAP email-Eu-core), relative to the scenario file;
    needs ``departments``; null: give ``org_chart`` instead.  An import path."""
    departments: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """Path of a ``person department`` file labelling the people of ``edges``, relative to the scenario
    file.  An import path."""
    span_of_control: Annotated[int, Field(ge=2, le=100)] = 7
    """For an edge list without a hierarchy: reports per manager when the chart is inferred
    (people are ranked by number of ties inside their department; the best connected lead).
    Assumption: a handful of reports, in the classic span-of-control range going back to Urwick, like
    ``organisation.span_of_control``; real spans vary, so set it for the organisation imported."""

    @model_validator(mode="after")
    def _one_source(self) -> ImportSpec:
        if (self.org_chart is None) == (self.edges is None):
            raise ValueError("give exactly one of org_chart or edges")
        if self.edges is not None and self.departments is None:
            raise ValueError("edges needs departments (a 'person department' file)")
        return self


class Organisation(_Section):
    """Who works where, who reports to whom, and who knows whom."""

    departments: list[Name] = Field(
        default=["sales", "support", "marketing", "engineering", "operations", "finance"], min_length=1, max_length=10_000
    )
    """Department names, each under a head who reports to the CEO (assumption: six common functions of
    a generic company, two of them the ``sales_department`` and ``support_department`` that partners
    and customers attach to)."""
    people_per_department: Annotated[int, Field(ge=1, le=200_000)] = 40
    """Internal staff per department, the department head included (assumption: 6 x 40 and a CEO make
    241 staff, a mid-sized organisation that is still quick to run)."""
    span_of_control: Annotated[int, Field(ge=2, le=100)] = 6
    """Direct reports per manager (assumption: six is within the classic span-of-control range, a
    handful of direct reports per manager, that goes back to Urwick; real spans vary widely)."""
    ties_within_department: Annotated[float, Field(ge=0, le=200_000)] = 6.0
    """Mean number of informal ties a person has inside the department, besides reporting lines
    (assumption: a handful of colleagues one works with closely, about a team's size)."""
    rewire_share: Share = 0.1
    """Share of in-department ties moved to a random colleague (Watts & Strogatz 1998: a little
    rewiring keeps clustering and makes paths short)."""
    ties_across_departments: Annotated[float, Field(ge=0, le=50)] = 1.0
    """Mean number of weak ties to other departments (Granovetter 1973: these carry news across)."""
    executive_team_ties: bool = True
    """Department heads know each other (a ring of ties; assumption: the heads meet as an executive
    team); false leaves a pure reporting tree when the other tie counts are zero."""
    partners: Annotated[int, Field(ge=0, le=100_000)] = 20
    """Resellers; each is tied to ``contacts_per_external`` people of the sales department
    (assumption: a small reseller channel, one for every two sales staff)."""
    customers: Annotated[int, Field(ge=0, le=1_000_000)] = 120
    """Customers; each is tied to ``contacts_per_external`` people of the support department
    (assumption: business customers with a named contact, three for each support person)."""
    contacts_per_external: Annotated[int, Field(ge=1, le=10)] = 1
    """People of the sales (for a partner) or support (for a customer) department each external is
    tied to (assumption: one named account contact)."""
    sales_department: Name = "sales"
    """The department partners are tied to; one of ``departments``.  An identifier."""
    support_department: Name = "support"
    """The department customers are tied to; one of ``departments``.  An identifier."""
    import_: ImportSpec | None = Field(default=None, alias="import")
    """``[organisation.import]``: read the organisation from files (:class:`ImportSpec`); null, the
    default: generate it from the fields above.  A section holder."""


class Gatekeepers(_Section):
    """Gatekeepers on chosen bridges: every message crossing a gated bridge waits in their inbox."""

    bridges: Annotated[list[Literal["upward", "department", "partner", "customer"]], Field(max_length=4)] = []
    """upward: an assistant in front of each manager of level <= upward_max_level (0 = CEO);
    department: one gatekeeper per department for mail from outside it; partner / customer: a desk
    in front of resellers / customers for mail in both directions.  Empty by default: no
    gatekeepers (off by default; the gatekept scenarios name their bridges)."""
    upward_max_level: Annotated[int, Field(ge=0, le=20)] = 1
    """Deepest management level with an assistant under the ``upward`` bridge: 0 the CEO only, 1 the
    CEO and the department heads (assumption: assistants serve the top of the organisation)."""
    capacity_per_tick: Annotated[float, Field(ge=0.0, le=1_000_000)] = 6.0
    """Messages a gatekeeper handles per tick (their whole job; assumption: about ten minutes a
    message to read, judge and forward it)."""
    filter_share: Share = 0.05
    """Share of handled messages a gatekeeper does not pass on (judged not worth the recipient's time;
    assumption: a small share, so gatekeepers delay far more than they lose)."""
    hold_ticks: Ticks = 0
    """Extra wait in ticks a gatekeeper adds before forwarding (batching, sign-off); 0: none, off by
    default (the gatekeeper's queue alone sets the delay)."""


class Attention(_Section):
    """How much people read and what reading and writing cost, the same on both channels."""

    reading_minutes_per_tick: Annotated[float, Field(ge=0, le=1_000_000)] = 20.0
    """Minutes of an hour at the desk a person can spend reading messages, mail and feed together
    (assumption: a third of the hour; actual use is set by the load, about 17 minutes an hour with the
    defaults, McKinsey 2012's 28 % of the week)."""
    read_minutes_per_item: Annotated[float, Field(gt=0, le=600)] = 1.0
    """Minutes to read one message or feed item, either channel (assumption, chosen so that the
    Radicati volumes below give McKinsey's 28 % of the week: 88 reads + 34 writes a day = 139 min)."""
    write_minutes_per_message: Annotated[float, Field(ge=0, le=600)] = 1.5
    """Minutes to write one mail or post, either channel (assumption, as above)."""
    manager_first: bool = True
    """What one's manager shares is read with addressed messages, before the rest, on either channel
    (assumption; false reads it like any other audience copy)."""
    available_share: Share = 0.75
    """Share of working hours a person is at the desk (not in meetings or focus time) and reads; the
    hours away are drawn at random each tick (assumption)."""
    search_items: Annotated[int, Field(ge=0, le=100_000)] = 100
    """Before deciding, an owner searches what they can see for the knowledge the decision needs and
    nobody involved knows: the posts of the spaces they follow (stream users) and the mail that reached
    them unread.  A search skims this many entries, so an item is found with chance
    ``search_items / entries there`` in the window: noisy spaces and full mailboxes hide it
    (assumption; 0: nobody searches)."""
    search_minutes: Annotated[float, Field(ge=0, le=600)] = 5.0
    """Reading time one search costs (assumption: 100 entries skimmed at 3 seconds each)."""
    search_window_ticks: Annotated[int, Field(ge=1, le=1_000_000)] = 80
    """How far back a search looks, in ticks (assumption: two working weeks)."""


class Load(_Section):
    """Traffic the model does not track one by one, queued and read like everything else."""

    received_per_tick: Annotated[float, Field(ge=0, le=1_000_000)] = 11.0
    """Background messages arriving per person and tick: about 88 received a day (Radicati 2015,
    about 122 sent and received per business user a day; unverified) over 8 working hours."""
    sent_per_tick: Annotated[float, Field(ge=0, le=10_000)] = 4.25
    """Background messages written per person and tick: 34 a day over 8 working hours, the rest of
    Radicati 2015's about 122 sent and received (unverified) after the 88 received; they cost
    writing time."""
    stream_share: Share = 0.3
    """Share of a stream user's background that arrives as feed items instead of mail (assumption)."""
    level_shares: Annotated[list[Weight], Field(min_length=3, max_length=3)] = [0.25, 0.35, 0.40]
    """Background by reading priority: addressed to me, shared with a group I am in, routine
    (assumption).  Normalised to sum to one."""


class People(_Section):
    """People differ in how much they pass on (participation inequality)."""

    read_only_share: Share = 0.6
    """Share of people who never pass knowledge on, on either channel (SWOOP 2022/23: about 60 % of
    enterprise-social-network users only read; Nielsen 2006's 90-9-1 as the reference)."""
    readers_write_privately: bool = True
    """Read-only people post nothing in spaces: their decision messages (requests, asks, inputs) go
    as private mail even to colleagues who share the decision's thread, so followers do not see them
    (SWOOP 2022/23: read-only users neither post nor reply on the network; they do their work by mail
    and chat).  False: they take part in decision threads like anyone."""
    activity_sigma: Annotated[float, Field(ge=0, le=5)] = 1.0
    """Spread of the contributors' activity: log-normal sigma of each person's weight on the share
    propensity, scaled to a mean of one over contributors (assumption; 0 makes everyone alike)."""


class Email(_Section):
    """Email-style channel: messages to named people or lists, held in inboxes."""

    delivery_delay_ticks: Annotated[int, Field(ge=1, le=1000)] = 1
    """Ticks from sending until a message can be read (1 = readable the next tick; assumption:
    delivery takes seconds, and one tick is the shortest delay an hourly step has)."""
    expire_after_ticks: Annotated[int, Field(ge=1, le=1_000_000)] = 40
    """Mail unread this long is never read (Kooti et al. 2015: under load people answer a smaller
    share, not later). 40 ticks = one working week, the same as the stream's feed by default."""
    routing: Literal["direct", "through_channels", "closest_contact"] = "direct"
    """How addressed mail travels (see :mod:`sim.routing`): direct: to the recipient;
    through_channels: without a tie, up to the common manager and down; closest_contact: each holder
    passes it to whichever of its contacts is closest to the recipient in the reporting tree (Dodds,
    Watts & Sabel 2003)."""
    send_capacity_per_tick: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    """Mails a person can send per tick (a CC list counts once per recipient); more wait in their
    outbox, oldest first.  null: no limit, off by default.  Posts have no such limit (a gap)."""
    random_mail_per_tick: Annotated[float, Field(ge=0.0, le=100_000)] = 0.0
    """Routine mails per tick between uniformly random pairs of internal people (Poisson), routed like
    any mail; they carry nothing the model tracks but load inboxes, relays and gatekeepers.  0: none,
    off by default (everyday load comes from ``[load]``)."""


class Stream(_Section):
    """Stream-style channel: posts to spaces, read from followers' feeds."""

    enabled: bool = False
    """The stream exists from tick 0; off by default (email only), or launched later by a
    ``launch_stream`` intervention."""
    delivery_delay_ticks: Annotated[int, Field(ge=1, le=1000)] = 1
    """Ticks from posting until a post can be read (the same as mail by default; assumption, as for
    ``email.delivery_delay_ticks``)."""
    feed_ttl_ticks: Annotated[int, Field(ge=1, le=1_000_000)] = 40
    """Feed items older than this many ticks drop out unread (assumption: one working week, the same
    as mail's expiry by default, so the channels differ in structure, not in patience)."""
    routing: Literal["direct", "through_channels", "closest_contact"] = "direct"
    """How @mentions travel, with the same choices as ``email.routing`` (assumption: direct, as a
    mention notifies the person named)."""
    mentions_bypass_gatekeepers: bool = False
    """True lets @mentions past the gatekeepers that screen mail; off by default (an assistant screens
    both)."""
    feed_attention_share: Share = 1.0
    """Share of feed items (posts in followed spaces, background) a stream user ever looks at; the
    rest scroll by unseen.  @mentions are always seen.  1.0 treats the feed like the inbox
    (assumption: the neutral setting, so only structure tells the channels apart)."""
    company_space: bool = True
    """The whole company has a space (assumption: mirrors the all-staff mail list, so both channels
    reach the same audiences)."""
    department_spaces: bool = True
    """Each department has a space (assumption: mirrors the department mail list)."""
    team_spaces: bool = True
    """Each manager's team has a space (assumption: mirrors the team mail list)."""
    communities: Annotated[int, Field(ge=0, le=1000)] = 0
    """Cross-department community spaces (also mail lists); 0: none, off by default."""
    community_membership_share: Share = 0.2
    """Chance that a person (or an included external) belongs to a given community (assumption: a
    person is in about one community of five)."""
    community_departments: Annotated[list[Name], Field(max_length=10_000)] | None = None
    """Departments whose people may join communities; null, the default, means all (no restriction)."""
    externals_in_communities: bool = False
    """Partners and customers join the community spaces (the community-centric strategy); off by
    default."""
    policy: Literal["open", "restricted"] = "open"
    """``restricted``: a "not during work" policy (see ``restricted_attention_factor``); ``open``, the
    default, leaves the policy off (the ``restrict`` intervention switches it on later)."""
    restricted_attention_factor: Share = 0.25
    """Under a "not during work" policy, the share of feed items (tracked and background) still
    looked at, and of visible use that drives imitation (assumption)."""


class Adoption(_Section):
    """Who uses the stream: Bass-style adoption (training p, imitation q) among eligible people."""

    initial_share: Share = 0.0
    """Share of eligible people using the stream when it goes live (tick 0 if ``stream.enabled``, else
    a ``launch_stream`` without ``pilot_share``); 0 by default: nobody until a scenario says so."""
    eligible_departments: Annotated[list[Name], Field(max_length=10_000)] | None = None
    """Departments whose people may adopt; null, the default, means all departments (no restriction)."""
    externals_initial_share: Share = 0.0
    """Share of partners and customers using the stream from the start (only if they are in a space);
    0 by default: none."""
    training_p: Rate = 0.0
    """Per-tick chance of adopting through training alone (Bass p); 0: off by default.  For scale,
    Sultan, Farley & Lehmann (1990) find p about 0.03 per period of their data, not per hour."""
    imitation_q: Rate = 0.0
    """Per-tick imitation strength (Bass q), times the share of visible users; 0: off by default.  For
    scale, Sultan, Farley & Lehmann (1990) find q about 0.38 per period of their data, not per hour."""
    abandon_rate: Rate = 0.0
    """Per-tick chance that a user goes back to email only, whatever the stream gave them; 0: off by
    default (users leave through ``drift_rate`` when the stream stops being useful)."""
    usefulness_window_ticks: Annotated[int, Field(ge=1, le=MAX_TICKS)] = 80
    """A user who got nothing from the stream for this long (no item new to them, no message about
    a decision of theirs) may drift away: two working weeks (assumption)."""
    drift_rate: Rate = 0.01
    """Per-tick chance that such a user goes back to email only: about 100 working hours on average
    once the stream stopped being useful (assumption).  Users come back only through training or
    imitation, so usefulness sets the plateau of adoption."""
    manager_example: Weight = 1.0
    """Extra imitation, in units of ``imitation_q``, for people whose manager posted on the stream
    within the usefulness window: managers who post pull their teams (Chelmis & Prasanna 2013 found
    middle managers the most effective spreaders; the size is an assumption)."""
    managers_participate: bool = True
    """False: managers and executives stay on email (a change programme without management
    participation): they never use the stream, so they neither post nor set an example.  True by
    default (assumption: management takes part, as Chelmis & Prasanna 2013 saw managers spread use)."""
    managers_set_the_norm: bool = True
    """People whose own manager does not use the stream treat it as not quite work, as if under a
    "not during work" policy: they look at ``stream.restricted_attention_factor`` of their feed, and
    their use counts that much toward the visible use others imitate.  Managers who stay away hold
    their teams back, so a programme without them levels off lower (assumption: an absent manager
    acts like the explicit policy, with the same strength; Chelmis & Prasanna 2013 found managers the
    most effective spreaders).  False: only the explicit policy restricts."""


AudienceWeights = Annotated[dict[Literal["ties", "team", "department", "community", "company"], Weight], Field(min_length=1)]


class Knowledge(_Section):
    """Knowledge items: born at an origin, passed on with some propensity to an audience."""

    market_signals_per_1000_per_tick: Rate = 0.5
    """Market signals born per tick per 1,000 partners and customers, at one of them: each external
    brings one about every 2,000 working hours, a year (assumption)."""
    goals_per_1000_per_tick: Rate = 0.03
    """Management goals born per tick per 1,000 internal staff, at an executive: about one a week in a
    1,000-person organisation (assumption).  A goal concerns the staff its executive leads: all staff
    for the head of the organisation, the department for a department head."""
    process_per_1000_per_tick: Rate = 0.15
    """Process know-how born per tick per 1,000 internal staff, at an employee: about 1.2 a working
    day per 1,000 people (assumption)."""
    share_propensity: Share = 0.5
    """Mean chance that someone who learns an item passes it on (times their activity weight, see
    ``[people]``), on either channel (assumption)."""
    pass_on_unconcerned: Share = 0.0
    """Factor on the propensity for an item that does not concern the person who learnt it (another
    department's know-how or market signal): people pass on what concerns them and their circle, so
    information spreads only so far (Wu, Huberman, Adamic & Tyler, Physica A 337:327, 2004: relevance
    decays with organisational distance and an epidemic of forwarding stays below threshold; value an
    assumption).  1: everyone passes on everything, and every item reaches everyone."""
    stream_share_propensity: Share | None = None
    """A different propensity for stream users; null, the default: the same as ``share_propensity``
    (one behaviour on both channels)."""
    audience: AudienceWeights = {"ties": 0.55, "team": 0.25, "department": 0.1, "community": 0.05, "company": 0.05}
    """Weights of the audience a share goes to, on either channel: ``ties_per_share`` named ties (a CC
    list / @mentions), the team, the department, a community the sharer is in, the whole company
    (assumption; kinds the sharer has no group of are left out)."""
    stream_audience: AudienceWeights | None = None
    """Different audience weights for stream users; null, the default: the same as ``audience`` (one
    behaviour on both channels)."""
    moderate_audiences_above: Annotated[int, Field(ge=1, le=10_000_000)] | None = 1000
    """Lists and spaces with more members than this are moderated, on either channel: a share meant
    for one goes there with chance (this / its members), else to the sharer's team (someone without
    a team then does not share it).  So what a person receives per hour from big audiences (the
    company, a large department or community) stays what it is in an organisation of this size
    instead of growing with the organisation, as items arise per 1,000 people (assumption: the
    per-person mail volumes cited for ``[load]`` (Radicati) do not grow with organisation size, and
    all-staff lists and spaces of large organisations are moderated; no group of the shipped
    scenarios is this big).  A decision's thread is not raised in such a space while the originator
    follows a smaller one (:meth:`sim.decision_desk.DecisionDesk._thread_space`).  null: no
    moderation."""
    ties_per_share: Annotated[int, Field(ge=0, le=50)] = 3
    """Named recipients of a share to ties (assumption: a short CC line or a few @mentions)."""
    managers_share_with_team: bool = True
    """Managers and executives who pass an item on also send it to their team (either channel;
    assumption: managers cascade what they learn)."""
    leak_share: Share = 0.0
    """Share of internal items (goals, process know-how) that reach partners and customers when shared
    with an audience that holds them; 0: internal items never reach externals (off by default)."""
    retell_for_ticks: Ticks = 0
    """After learning an item, people pass it on again every tick, with the same propensity, for
    this many ticks (0: once, when they learn it; off by default).  Rumour-style spreading; costly in
    big runs."""


class Decisions(_Section):
    """Decisions that need inputs held by several people."""

    customer_issues_per_1000_per_tick: Rate = 0.5
    """Customer issues arising per tick per 1,000 customers (Poisson), at a random customer: one per
    customer a working year (assumption)."""
    market_opportunities_per_1000_per_tick: Rate = 1.25
    """Market opportunities per tick per 1,000 partners, at a random partner: one per partner every
    800 working hours, about five months (assumption)."""
    internal_improvements_per_1000_per_tick: Rate = 0.125
    """Internal improvements per tick per 1,000 internal staff, at a random employee: one a working
    day in a 1,000-person organisation (assumption)."""
    inputs_per_decision: Annotated[int, Field(ge=1, le=20)] = 3
    """People whose input is needed, the originator included (assumption: the originator and two
    others, a small cross-functional decision)."""
    scope_shares: dict[Literal["team", "department", "cross"], Weight] = {"team": 0.4, "department": 0.35, "cross": 0.25}
    """Where the other inputs come from: the originator's (or contact's) team, department, or other
    departments (assumption).  Under escalation the scope decides how high the owner sits."""
    ownership: Literal["escalation", "involved"] = "escalation"
    """escalation: the lowest manager over all input holders decides; involved: the originator (or
    the originator's internal contact) decides.  Escalation by default (assumption: the traditional
    hierarchy as the baseline; the stream scenarios and the ``delegate`` intervention switch)."""
    deadline_ticks: Annotated[int, Field(ge=1, le=MAX_TICKS)] = 80
    """Ticks after the owner hears of a decision until it is taken with whatever inputs arrived
    (assumption: two working weeks)."""
    patience_ticks: Annotated[int, Field(ge=1, le=100_000)] = 16
    """Ticks whoever waits for an answer (the originator for the owner, the owner for an input) waits
    before following up with the same message again, on either channel (assumption: two working days)."""
    max_follow_ups: Annotated[int, Field(ge=0, le=100)] = 3
    """Follow-ups before giving up; a request given up leaves its decision open, recorded with why
    (assumption: a few reminders, about a working week of chasing at ``patience_ticks``)."""
    priority_list_length: Annotated[int, Field(ge=1, le=1_000)] = 2
    """Tasks on each person's priority list (:mod:`sim.priority_list`): an input a holder is asked for
    takes the place of one of them and waits until chosen.  Two is the list Barabasi 2005 (Nature
    435:207) studied and Vazquez 2005 (PRL 95:248701) solved exactly; fixed for the run."""
    highest_priority_first_share: Share = 0.999
    """Chance that a person at the desk does the highest-priority task on their list in a tick (else a
    random one).  Close to 1, where Barabasi 2005 and Vazquez et al. (PRE 73:036127, 2006) find
    heavy-tailed waiting times; the value itself is an assumption."""
    relevant_items_per_kind: Annotated[int, Field(ge=0, le=100)] = 2
    """Knowledge a decision needs besides inputs, per kind: the latest goals, the latest process
    know-how of its holders' departments, and (for customer issues and market opportunities) the
    latest market signals that concern its anchor's department (assumption).  Decision quality is
    the share of these the owner and the contributors know when it is taken."""
    knowing_saves_share: Share = 0.5
    """A holder who knows all the relevant process know-how closes this share of the gap between the
    input's random priority and the top priority (proportionally less for part of it): work one knows
    how to do is done sooner, so it waits less on the priority list (assumption)."""


class Awareness(_Section):
    """Who knows what and whom (transactive memory, :mod:`sim.awareness`): beliefs learned from what
    people read, used by owners to find the holders of inputs."""

    initially_aware: Literal["contacts", "everyone"] = "contacts"
    """Whom people are aware of at the start: their ``contacts`` (ties, team and manager;
    assumption) or ``everyone`` (the textbook setting: every owner asks every holder directly)."""
    max_beliefs_per_person: Annotated[int, Field(ge=1, le=1_000_000)] = 1500
    """Beliefs a person keeps of each kind (colleagues aware of; who-knows-what pairs); later ones are
    not kept (assumption: Dunbar's layer of about 1,500 people one can put a name to, Dunbar 2018,
    "The anatomy of friendship"; it bounds memory at 24 kB a person and does not bind at the default
    size, where the most anyone holds is about 540)."""
    what_panel_size: Annotated[int, Field(ge=1, le=10_000_000)] = 2000
    """Staff whose who-knows-what beliefs are tracked and measured, a random panel, when the
    organisation has more staff; with fewer, every belief holder's are.  Those beliefs steer nobody
    (asking uses who-knows-whom), so the panel changes no behaviour, only the precision of the
    ``awareness_what_*`` readings: a survey sample (assumption; 2,000 people give a mean share within
    about 1 point, one standard error, and leave the default size of about 1,000 people whole).  At
    100,000 people it keeps 2 % of the 115 M beliefs a full census would hold."""
    measure_every_ticks: Annotated[int, Field(ge=1, le=MAX_TICKS)] = 8
    """Ticks between two measurements of awareness accuracy in ``timeseries`` (a working day;
    assumption: the readings move slowly, and measuring costs a pass over the beliefs)."""


class Scenario(_Section):
    """A whole scenario: run length, organisation, channels, adoption, what flows."""

    name: Name = "scenario"
    """Shown in tables and reports; where it names a folder, path separators and a leading dot are
    replaced (:func:`sim.experiments.safe_name`), so it never writes outside the chosen folder."""
    description: Annotated[str, Field(max_length=100_000)] = ""
    """Free text saying what the scenario is for; kept in its record, not used by the model."""
    ticks: Annotated[int, Field(ge=1, le=MAX_TICKS)] = 2000
    """Run length in ticks (2,000 working hours is about one working year; assumption: long enough for
    a change programme to play out and for adoption to level off)."""
    tick_hours: Annotated[float, Field(gt=0, le=10_000)] = 1.0
    """Working hours per tick, used where outputs turn ticks into hours and weeks (a week is 40 working
    hours).  Rates and durations stay per tick, and every default here takes a tick to be one working
    hour (assumption: fine enough for reading and answering mail, coarse enough to run a year fast)."""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 1
    """Seed of the run's random streams: the same scenario and seed give the same run.  An identifier."""
    organisation: Organisation = Organisation()
    """``[organisation]``: departments, hierarchy, ties, partners and customers.  A section holder."""
    gatekeepers: Gatekeepers = Gatekeepers()
    """``[gatekeepers]``: who screens mail on which bridges.  A section holder."""
    attention: Attention = Attention()
    """``[attention]``: reading and writing time, searching.  A section holder."""
    load: Load = Load()
    """``[load]``: background traffic.  A section holder."""
    people: People = People()
    """``[people]``: participation inequality.  A section holder."""
    email: Email = Email()
    """``[email]``: the mail channel.  A section holder."""
    stream: Stream = Stream()
    """``[stream]``: the activity stream and its spaces.  A section holder."""
    adoption: Adoption = Adoption()
    """``[adoption]``: who uses the stream.  A section holder."""
    knowledge: Knowledge = Knowledge()
    """``[knowledge]``: items born and passed on.  A section holder."""
    decisions: Decisions = Decisions()
    """``[decisions]``: decisions and their inputs.  A section holder."""
    awareness: Awareness = Awareness()
    """``[awareness]``: who knows what and whom.  A section holder."""
    interventions: Annotated[list[Intervention], Field(max_length=10_000)] = []
    """The change programme: a timeline of interventions (:mod:`sim.interventions`)."""

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


# Keys of earlier versions and where they went (the fair-channel model, issue 7): named in errors.
_PER_1000 = "now per 1,000 people of the group where they arise"
MOVED = {
    **{f"knowledge.{k}_per_tick": f"renamed knowledge.{k}_per_1000_per_tick ({_PER_1000})" for k in ("market_signals", "goals", "process")},
    **{f"decisions.{k}_per_tick": f"renamed decisions.{k}_per_1000_per_tick ({_PER_1000})" for k in ("customer_issues", "market_opportunities", "internal_improvements")},
    "email.reading_capacity_per_tick": "replaced by attention.reading_minutes_per_tick (one reading budget for both channels)",
    "email.background_share": "replaced by [load] (background traffic is queued and read like the rest)",
    "email.recipients_per_share": "renamed knowledge.ties_per_share",
    "stream.attention_items_per_tick": "replaced by attention.reading_minutes_per_tick and stream.feed_attention_share",
    "stream.background_items_per_tick": "replaced by load.received_per_tick and load.stream_share",
    "knowledge.email_share_propensity": "renamed knowledge.share_propensity (both channels)",
    "knowledge.managers_mail_team": "renamed knowledge.managers_share_with_team",
    "stream.launch_tick": 'replaced by the timeline: [[interventions]] tick = ..., action = "launch_stream" (README, "Change programmes")',
    "gatekeepers.remove_at_tick": 'replaced by the timeline: [[interventions]] tick = ..., action = "remove_gatekeepers" (bridges = [...] for some)',
    "decisions.delegate_from_tick": 'replaced by the timeline: [[interventions]] tick = ..., action = "delegate"',
    "decisions.input_effort_ticks": ("replaced by decisions.priority_list_length and decisions.highest_priority_first_share "
                                     "(an input waits on the holder's priority list, Barabasi 2005; README, Decisions)"),
}


def consistency_problems(s: Scenario) -> list[tuple[str, str, Any]]:
    """Cross-field checks pydantic cannot see: references that must exist."""
    org, problems = s.organisation, []
    generated = org.import_ is None
    names = set(org.departments)
    if len(names) != len(org.departments):
        problems.append(("organisation.departments", "department names must be unique", org.departments))
    if generated:
        for name in org.departments:
            if name in RESERVED_DEPARTMENTS:
                problems.append(("organisation.departments", f"{name!r} is the name orgsim gives its own group ({', '.join(RESERVED_DEPARTMENTS)}); choose another", name))
        for field in ("sales_department", "support_department"):
            value = getattr(org, field)
            if value not in names:
                problems.append((f"organisation.{field}", f"must be one of {sorted(names)}", value))
        if s.adoption.eligible_departments is not None:
            for d in s.adoption.eligible_departments:
                if d not in names:
                    problems.append(("adoption.eligible_departments", f"must name departments in {sorted(names)}", d))
        bridge_needs = {"partner": org.partners, "customer": org.customers}
        for bridge, count in bridge_needs.items():
            if bridge in s.gatekeepers.bridges and count == 0:
                problems.append(("gatekeepers.bridges", f"a {bridge} gatekeeper needs organisation.{bridge}s > 0", bridge))
        if s.decisions.customer_issues_per_1000_per_tick > 0 and org.customers == 0:
            problems.append(("decisions.customer_issues_per_1000_per_tick", "customer issues need organisation.customers > 0", s.decisions.customer_issues_per_1000_per_tick))
        if s.decisions.market_opportunities_per_1000_per_tick > 0 and org.partners == 0:
            problems.append(("decisions.market_opportunities_per_1000_per_tick", "market opportunities need organisation.partners > 0", s.decisions.market_opportunities_per_1000_per_tick))
        if s.knowledge.market_signals_per_1000_per_tick > 0 and org.partners + org.customers == 0:
            problems.append(("knowledge.market_signals_per_1000_per_tick", "market signals are born at partners or customers; there are none", s.knowledge.market_signals_per_1000_per_tick))
    if len(set(s.gatekeepers.bridges)) != len(s.gatekeepers.bridges):
        problems.append(("gatekeepers.bridges", "each bridge may be named once", s.gatekeepers.bridges))
    if s.stream.enabled and not (s.stream.company_space or s.stream.department_spaces or s.stream.team_spaces or s.stream.communities):
        problems.append(("stream.enabled", "a stream needs at least one space (company_space, department_spaces, team_spaces or communities)", True))
    if sum(s.load.level_shares) <= 0 and s.load.received_per_tick > 0:
        problems.append(("load.level_shares", "at least one share must be above zero", s.load.level_shares))
    for field, weights in (("knowledge.audience", s.knowledge.audience), ("knowledge.stream_audience", s.knowledge.stream_audience)):
        if weights is not None and sum(weights.values()) <= 0:
            problems.append((field, "at least one weight must be above zero", weights))
    if sum(s.decisions.scope_shares.values()) <= 0:
        problems.append(("decisions.scope_shares", "at least one share must be above zero", s.decisions.scope_shares))
    if generated and s.stream.community_departments is not None:
        for d in s.stream.community_departments:
            if d not in names:
                problems.append(("stream.community_departments", f"must name departments in {sorted(names)}", d))
    problems += timeline_problems(s)
    return problems


# ------------------------------------------------------------------------------------------ reading
MAX_SCENARIO_BYTES = 1_000_000  # a scenario file is a page of settings; anything larger is not one
_CONTROL = frozenset(map(chr, [*range(32), 127]))
_LINE_BREAKS = frozenset("\t\n\r")  # allowed in the free-text description only
_DROP = object()


def _scrub(node: Any, key: str, problems: list) -> Any:
    """Raw TOML data with what no field accepts taken out and named: dates and times (TOML has them,
    scenarios do not) and control characters such as NUL in any string (a name ends up in tables,
    reports and folder names).  Returns the node, or ``_DROP`` when it must go."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            child = f"{key}.{k}" if key else str(k)
            if any(c in _CONTROL for c in str(k)):
                problems.append((key or "(top level)", "a key holds control characters (such as NUL)", k))
                continue
            v = _scrub(v, child, problems)
            if v is not _DROP:
                out[k] = v
        return out
    if isinstance(node, list):
        items = [_scrub(v, f"{key}.{i}", problems) for i, v in enumerate(node)]
        return _DROP if any(v is _DROP for v in items) else items
    if isinstance(node, (datetime.date, datetime.time)):  # datetime is a date
        problems.append((key, "dates and times are not scenario values; give a number, true/false or a quoted string", node))
        return _DROP
    if isinstance(node, str):
        allowed = _LINE_BREAKS if key == "description" else frozenset()
        if any(c in _CONTROL and c not in allowed for c in node):
            problems.append((key, "control characters (such as NUL or a line break) are not allowed here", node))
            return _DROP
    return node


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def read_user_text(path: Path, source: str, field: str, value: Any, what: str, max_bytes: int, error=ScenarioError) -> str:
    """The text of a file a user named, as UTF-8 (a byte-order mark is accepted and dropped).

    Every way it can fail becomes ``error(source, [(field, message, value)])``: no such file, a
    folder or a device instead of a file, no permission, larger than ``max_bytes``, binary (NUL
    bytes), or not UTF-8.  Used for scenarios and their ``base``, and (from
    :mod:`sim.organisation`) for org charts, edge lists and department files."""

    def fail(message: str):
        raise error(source, [(field, message, value)])

    why = None
    try:
        if path.is_dir():
            why = f"is a folder, not {what}"
        elif path.exists() and not path.is_file():
            why = f"is not a regular file (a device or a pipe), not {what}"
        else:
            with path.open("rb") as fh:
                blob = fh.read(max_bytes + 1)
    except FileNotFoundError:
        why = f"no such {what.removeprefix('a ').removeprefix('an ')}"
    except PermissionError:
        why = f"cannot be read: permission denied ({what})"
    except (OSError, ValueError) as exc:  # a name too long, a NUL in the path, ...
        why = f"cannot be read as {what}: {getattr(exc, 'strerror', None) or exc}"
    if why:
        fail(why)
    if len(blob) > max_bytes:
        fail(f"is larger than {max_bytes:,} bytes, too large for {what}")
    if b"\x00" in blob:
        fail(f"holds binary data (NUL bytes), not {what} in text")
    try:
        return blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"is not UTF-8 text (byte {exc.start} cannot be decoded); save it as UTF-8")


def _read_toml(path: Path, chain: tuple[Path, ...] = (), referrer: tuple[str, Any] | None = None) -> dict:
    """Read a TOML file, following ``base = "..."`` links (relative to the file).  ``path`` is shown
    as given (joined to the referring file's folder for a base); ``referrer`` is (the file that named
    it, its ``base`` value), so a base that cannot be read is named as that file's ``base``."""
    source, field, value = (str(path), "file", str(path)) if referrer is None else (referrer[0], "base", referrer[1])
    text = read_user_text(path, source, field, value, "a scenario file", MAX_SCENARIO_BYTES)
    resolved = path.resolve()
    if resolved in chain:
        raise ScenarioError(source, [("base", "scenarios refer to each other in a loop", str(path))])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), [("file", f"not valid TOML: {exc}", path.name)]) from None
    problems: list = []
    data = _scrub(data, "", problems)
    if problems:
        raise ScenarioError(str(path), problems)
    base = data.pop("base", None)
    data = _resolve_paths(data, path.parent)
    if base is None:
        return data
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(str(path), [("base", "must be the path of another scenario file, relative to this one", base)])
    parent = _read_toml(path.parent / base, chain + (resolved,), referrer=(str(path), base))
    return _merge(parent, data)


def _resolve_paths(data: dict, folder: Path) -> dict:
    """Import paths relative to the scenario file become absolute (a misshapen section is left for
    validation to name)."""
    org = data.get("organisation")
    spec = org.get("import") if isinstance(org, dict) else None
    if isinstance(spec, dict):
        for key in ("org_chart", "edges", "departments"):
            if isinstance(spec.get(key), str) and spec[key]:
                spec[key] = str((folder / spec[key]).resolve())
    return data


def _parse_value(text: str) -> Any:
    """Read a ``--set`` value as TOML (numbers, booleans, lists, quoted strings); else a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(data: dict, overrides: list[str], source: str = "--set") -> dict:
    """Apply ``dotted.key=value`` overrides to raw scenario data (validated afterwards like the file)."""
    data = copy.deepcopy(data)
    problems = []
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(("--set", "expected dotted.key=value", item))
            continue
        parts = [p.strip() for p in key.split(".")]
        if not all(parts):
            problems.append(("--set", f"the dotted key {key!r} has an empty part; expected dotted.key=value, e.g. email.routing=direct", item))
            continue
        node = data
        for part in parts[:-1]:
            if isinstance(node, list):  # an entry of a list of tables, by number: interventions.0.tick
                if not part.isdigit() or int(part) >= len(node):
                    problems.append((key, f"'{part}' is not an entry of the list (0 to {len(node) - 1})", item))
                    break
                child = node[int(part)]
            else:
                child = node.setdefault(part, {})
            if not isinstance(child, (dict, list)):
                problems.append((key, f"'{part}' is a value, not a table", child))
                break
            node = child
        else:
            if isinstance(node, list):
                problems.append((key, "give a field of the entry, e.g. interventions.0.tick=50", item))
            else:
                node[parts[-1]] = _parse_value(text.strip())
    if problems:
        raise ScenarioError(source, problems)
    return data


_TYPE_MESSAGES = {
    "model_type": "must be a table of keys (a [section] in TOML), not a single value",
    "model_attributes_type": "must be a table of keys (a [section] in TOML), not a single value",
    "finite_number": "must be a finite number (not inf or nan)",
    "dict_type": "must be a table {key = value, ...}",
}


def _message(err: dict, field: str) -> str:
    kind, msg, value = err["type"], err["msg"], err.get("input")
    if kind == "extra_forbidden":
        return f"unknown key; {MOVED[field]}" if field in MOVED else "unknown key"
    if kind == "literal_error":
        return f"must be one of {err['ctx']['expected']}"
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind]
    msg = msg.removeprefix("Value error, ")
    if isinstance(value, bool) and kind in ("int_type", "float_type"):
        return f"{msg}, not true or false"
    if kind == "int_type" and isinstance(value, float):
        return f"{msg} (a whole number, without a decimal point)"
    return msg


def _validate(data: dict, source: str) -> Scenario:
    problems: list = []
    data = _scrub(data, "", problems)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append((field, _message(err, field), err.get("input", NO_VALUE)))
    if problems:
        raise ScenarioError(source, problems) from None
    problems = consistency_problems(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Read, merge with its base, apply overrides, validate.  Raises :class:`ScenarioError`."""
    path = Path(path)
    data = _read_toml(path)
    data.setdefault("name", path.stem)
    data = apply_overrides(data, overrides or [], source=str(path))
    return _validate(data, str(path))


def load_scenario_text(text: str, overrides: list[str] | None = None, source: str = "<text>") -> Scenario:
    """Validate a scenario given as TOML text (handy in notebooks and tests)."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [("file", f"not valid TOML: {exc}", source)]) from None
    return _validate(apply_overrides(data, overrides or [], source=source), source)


# ------------------------------------------------------------------------------------------ limits
LIMITS: dict[str, int] = {
    "people": 250_000,  # people in one run, gatekeepers included (the benchmarks go to 100,000)
    "ties": 30_000_000,  # informal and reporting ties drawn while the organisation is built
    "memberships": 30_000_000,  # members of mail lists and spaces, and the community draw (communities x candidates)
    "items": 2_000_000,  # knowledge items expected over a run
    "known_cells": 10_000_000_000,  # people x items expected: who knows what, one byte a cell
    "decisions": 5_000_000,  # decisions expected over a run
    "person_ticks": 1_000_000_000,  # people x ticks: the work of a run (100,000 x 500 is 5e7, about 20 minutes)
    "queue_cells": 400_000_000,  # people x priority levels x hours kept (the unread counters); a hard limit of the model
    "runs": 100_000,  # runs in one experiment: scenarios, sweep points or combinations x replications
    "points": 10_000,  # sweep points: grid combinations, --lhs N, or the Sobol / Morris sample
}
"""Documented caps on what one run, or one experiment, may ask for (README, "Errors and limits").
Besides these, a run whose main arrays are estimated to need more memory than the machine has is
refused.  ``--allow-large`` (``allow_large=True``) lifts every cap but the hard ones."""

HARD_LIMITS = ("queue_cells",)  # the model itself refuses more (sim.attention.MAX_RING_CELLS)

_DRIVERS = {  # the fields that drive each figure, named in the error
    "people": "organisation (departments x people_per_department, partners, customers, gatekeepers)",
    "ties": "organisation.ties_within_department",
    "memberships": "stream.communities",
    "items": "knowledge (*_per_1000_per_tick x people x ticks)",
    "known_cells": "knowledge (people x items)",
    "decisions": "decisions (*_per_1000_per_tick x people x ticks)",
    "person_ticks": "ticks",
    "queue_cells": "email.expire_after_ticks / stream.feed_ttl_ticks",
    "memory_bytes": "organisation / ticks (the run's arrays)",
}

_WHAT = {
    "people": "people", "ties": "ties", "memberships": "list and space memberships", "items": "knowledge items",
    "known_cells": "who-knows-what cells (people x items)", "decisions": "decisions", "person_ticks": "person-ticks (people x ticks)",
    "queue_cells": "unread-queue counters (people x 3 levels x hours kept)", "memory_bytes": "bytes of memory",
}


def machine_memory() -> int | None:
    """Physical memory of this machine in bytes (None where the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def estimate(s: Scenario, department_sizes: list[int] | None = None, partners: int | None = None, customers: int | None = None,
             file_ties: int | None = None) -> dict[str, int]:
    """What one run of ``s`` will hold, estimated from the scenario alone (nothing is built).

    For an imported organisation give its ``department_sizes`` and counts of ``partners`` and
    ``customers`` (and for an edge list the ties in the file, ``file_ties``).  The figures are
    deliberately rough upper estimates; they exist to refuse runs that would never finish or never
    fit, with the figure, before anything is allocated.

    >>> e = estimate(load_scenario_text('ticks = 100'))
    >>> e["people"], e["ties"] < 2_000, e["items"] < 100
    (381, True, True)
    """
    org, k, d = s.organisation, s.knowledge, s.decisions
    generated = department_sizes is None
    if generated:
        department_sizes = [org.people_per_department] * len(org.departments)
        partners, customers = org.partners, org.customers
    partners, customers = int(partners or 0), int(customers or 0)
    staff = int(sum(department_sizes)) + (1 if generated else 0)  # a generated organisation adds its CEO
    externals = partners + customers
    span = org.import_.span_of_control if org.import_ is not None and org.import_.edges is not None else org.span_of_control
    leads = min(staff, staff // span + len(department_sizes) + 1)
    bridges = set(s.gatekeepers.bridges)
    upward = leads if not generated else min(leads, 1 + len(department_sizes) * sum(span**j for j in range(min(s.gatekeepers.upward_max_level, 12))))
    gatekeepers = (upward if "upward" in bridges else 0) + (len(department_sizes) if "department" in bridges else 0) + len(bridges & {"partner", "customer"})
    people = staff + externals + gatekeepers
    if file_ties is not None:
        ties = int(file_ties) + staff
    else:
        half = max(1, round(org.ties_within_department / 2)) if org.ties_within_department > 0 else 0
        lattice = sum(m * min(half, m // 2) for m in department_sizes if m >= 2)
        ties = lattice + round(staff * org.ties_across_departments / 2) + staff + externals * org.contacts_per_external + len(department_sizes)
    ties += gatekeepers
    candidates = staff + (externals if s.stream.externals_in_communities else 0)
    memberships = 3 * staff + leads + s.stream.communities * candidates
    items = math.ceil((k.market_signals_per_1000_per_tick * externals + (k.goals_per_1000_per_tick + k.process_per_1000_per_tick) * staff) / 1000 * s.ticks)
    decisions = math.ceil((d.customer_issues_per_1000_per_tick * customers + d.market_opportunities_per_1000_per_tick * partners
                           + d.internal_improvements_per_1000_per_tick * staff) / 1000 * s.ticks)
    hours_kept = max(1, min(max(s.email.expire_after_ticks, s.stream.feed_ttl_ticks),
                            s.ticks + max(s.email.delivery_delay_ticks, s.stream.delivery_delay_ticks) + 1))
    queue_cells = 3 * hours_kept * people
    groups = 1 + len(department_sizes) + leads + s.stream.communities
    background = s.load.received_per_tick > 0
    memory = (2 * people * items  # who knows what, grown by doubling
              + 2 * 8 * groups * items  # when each group last got each item
              + queue_cells * 4 * (3 if background else 1) + 8 * queue_cells // 3  # unread counters, tracked and background
              + 64 * ties + 24 * memberships + 8 * s.stream.communities * candidates + 48 * decisions)
    return {"people": people, "ties": int(ties), "memberships": int(memberships), "items": items, "known_cells": people * items,
            "decisions": decisions, "person_ticks": people * s.ticks, "queue_cells": queue_cells, "memory_bytes": int(memory)}


def limit_problems(figures: dict[str, int], allow_large: bool = False, memory: int | None = None) -> list[tuple[str, str, Any]]:
    """One problem per figure above its cap (``LIMITS``; memory: the machine's, ``memory`` or
    :func:`machine_memory`).  With ``allow_large`` only the hard limits are checked."""
    problems = []
    lift = "; make it smaller, or pass --allow-large (allow_large=True) to lift the cap"
    for name, value in figures.items():
        hard = name in HARD_LIMITS
        if allow_large and not hard:
            continue
        if name == "memory_bytes":
            cap = memory if memory is not None else machine_memory()
            if cap is not None and value > cap:
                problems.append((_DRIVERS[name], f"a run would need about {value / 2**30:,.1f} GiB of memory, more than this machine has "
                                                 f"({cap / 2**30:,.1f} GiB){lift}", value))
            continue
        cap = LIMITS.get(name)
        if cap is not None and value > cap:
            how = "; shorten the time-to-live (this is the model's own limit)" if hard else lift
            problems.append((_DRIVERS[name], f"a run would hold about {value:,} {_WHAT[name]}, above the cap of {cap:,}{how}", value))
    return problems


def check_limits(s: Scenario, source: str, allow_large: bool = False, **counts) -> dict[str, int]:
    """Estimate ``s`` (:func:`estimate`, ``counts`` for imported organisations) and raise
    :class:`LimitError` naming ``source`` when a figure is over its cap; returns the figures."""
    figures = estimate(s, **counts)
    problems = limit_problems(figures, allow_large)
    if problems:
        raise LimitError(source, problems)
    return figures


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the validated scenario (canonical JSON), identifying it in manifests."""
    blob = json.dumps(scenario.to_dict(), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()
