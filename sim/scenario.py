"""Scenario files: TOML read with ``tomllib``, validated by pydantic, with errors that name the field.

A scenario says what organisation to build, which channels exist and how people use them, and what
flows through them.  Every default below states its unit and, where it rests on a published figure,
its source (see ``REFERENCES.md`` in the shared folder and the README's assumptions section).

Time is counted in ticks; a tick is one working hour unless ``tick_hours`` says otherwise.  Rates of
what flows are per tick and per person or per 1,000 people (of the group where it arises), so that a
larger organisation carries more traffic; capacities are items per tick.

A scenario may start from another one with ``base = "other.toml"`` (a path relative to the file); its
own keys are merged over the base's, table by table.

>>> s = load_scenario_text('name = "tiny"\\nticks = 10')
>>> s.ticks, s.email.routing
(10, 'direct')
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "load_scenario_text",
    "apply_overrides",
    "scenario_hash",
]

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0)]
Ticks = Annotated[int, Field(ge=0)]


class ScenarioError(ValueError):
    """Bad scenario input.  ``problems`` holds one ``(dotted.field, message, value)`` per fault."""

    def __init__(self, source: str, problems: list[tuple[str, str, Any]]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.source}: {field}: {msg} (got {value!r})" for field, msg, value in self.problems]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImportSpec(_Section):
    """Read the organisation from files instead of generating it.

    Either ``org_chart`` (CSV with columns ``id, manager_id, department, role``; extra columns are kept)
    or ``edges`` plus ``departments`` (an edge list ``u v`` per line and ``person department`` labels,
    as in the SNAP email-Eu-core data).  Relative paths are resolved against the scenario file.
    """

    org_chart: str | None = None
    edges: str | None = None
    departments: str | None = None
    span_of_control: Annotated[int, Field(ge=2, le=100)] = 7
    """For an edge list without a hierarchy: reports per manager when the chart is inferred
    (people are ranked by number of ties inside their department; the best connected lead)."""

    @model_validator(mode="after")
    def _one_source(self) -> ImportSpec:
        if (self.org_chart is None) == (self.edges is None):
            raise ValueError("give exactly one of org_chart or edges")
        if self.edges is not None and self.departments is None:
            raise ValueError("edges needs departments (a 'person department' file)")
        return self


class Organisation(_Section):
    """Who works where, who reports to whom, and who knows whom."""

    departments: list[str] = Field(
        default=["sales", "support", "marketing", "engineering", "operations", "finance"], min_length=1
    )
    people_per_department: Annotated[int, Field(ge=1, le=200_000)] = 40
    """Internal staff per department, the department head included."""
    span_of_control: Annotated[int, Field(ge=2, le=100)] = 6
    """Direct reports per manager; 5-10 is usual (Urwick's classic range)."""
    ties_within_department: Annotated[float, Field(ge=0, le=200_000)] = 6.0
    """Mean number of informal ties a person has inside the department, besides reporting lines."""
    rewire_share: Share = 0.1
    """Share of in-department ties moved to a random colleague (Watts & Strogatz 1998: a little
    rewiring keeps clustering and makes paths short)."""
    ties_across_departments: Annotated[float, Field(ge=0, le=50)] = 1.0
    """Mean number of weak ties to other departments (Granovetter 1973: these carry news across)."""
    executive_team_ties: bool = True
    """Department heads know each other (a ring of ties); false leaves a pure reporting tree when
    the other tie counts are zero."""
    partners: Annotated[int, Field(ge=0, le=100_000)] = 20
    """Resellers; each is tied to ``contacts_per_external`` people of the sales department."""
    customers: Annotated[int, Field(ge=0, le=1_000_000)] = 120
    """Customers; each is tied to ``contacts_per_external`` people of the support department."""
    contacts_per_external: Annotated[int, Field(ge=1, le=10)] = 1
    sales_department: str = "sales"
    support_department: str = "support"
    import_: ImportSpec | None = Field(default=None, alias="import")


class Gatekeepers(_Section):
    """Gatekeepers on chosen bridges: every message crossing a gated bridge waits in their inbox."""

    bridges: list[Literal["upward", "department", "partner", "customer"]] = []
    """upward: an assistant in front of each manager of level <= upward_max_level (0 = CEO);
    department: one gatekeeper per department for mail from outside it; partner / customer: a desk
    in front of resellers / customers for mail in both directions."""
    upward_max_level: Annotated[int, Field(ge=0, le=20)] = 1
    capacity_per_tick: Rate = 6.0
    """Messages a gatekeeper handles per tick (their whole job)."""
    filter_share: Share = 0.05
    """Share of handled messages a gatekeeper does not pass on (judged not worth the recipient's time)."""
    hold_ticks: Ticks = 0
    """Extra wait a gatekeeper adds before forwarding (batching, sign-off)."""
    remove_at_tick: Ticks | None = None
    """Tick from which no new message is routed via gatekeepers (a change programme's phase-out)."""


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


class Load(_Section):
    """Traffic the model does not track one by one, queued and read like everything else."""

    received_per_tick: Annotated[float, Field(ge=0, le=1_000_000)] = 11.0
    """Background messages arriving per person and tick: about 88 received a day (Radicati 2015,
    about 122 sent and received per business user a day; unverified) over 8 working hours."""
    sent_per_tick: Annotated[float, Field(ge=0, le=10_000)] = 4.25
    """Background messages written per person and tick (34 a day, same source); they cost writing time."""
    stream_share: Share = 0.3
    """Share of a stream user's background that arrives as feed items instead of mail (assumption)."""
    level_shares: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=3, max_length=3)] = [0.25, 0.35, 0.40]
    """Background by reading priority: addressed to me, shared with a group I am in, routine
    (assumption).  Normalised to sum to one."""


class People(_Section):
    """People differ in how much they pass on (participation inequality)."""

    read_only_share: Share = 0.6
    """Share of people who never pass knowledge on, on either channel (SWOOP 2022/23: about 60 % of
    enterprise-social-network users only read; Nielsen 2006's 90-9-1 as the reference)."""
    activity_sigma: Annotated[float, Field(ge=0, le=5)] = 1.0
    """Spread of the contributors' activity: log-normal sigma of each person's weight on the share
    propensity, scaled to a mean of one over contributors (assumption; 0 makes everyone alike)."""


class Email(_Section):
    """Email-style channel: messages to named people or lists, held in inboxes."""

    delivery_delay_ticks: Annotated[int, Field(ge=1, le=1000)] = 1
    """Ticks from sending until a message can be read (1 = readable the next tick)."""
    expire_after_ticks: Annotated[int, Field(ge=1, le=1_000_000)] = 40
    """Mail unread this long is never read (Kooti et al. 2015: under load people answer a smaller
    share, not later). 40 ticks = one working week, the same as the stream's feed by default."""
    routing: Literal["direct", "through_channels", "closest_contact"] = "direct"
    """How addressed mail travels (see :mod:`sim.routing`): direct: to the recipient;
    through_channels: without a tie, up to the common manager and down; closest_contact: each holder
    passes it to whichever of its contacts is closest to the recipient in the reporting tree (Dodds,
    Watts & Sabel 2003)."""
    send_capacity_per_tick: Annotated[int, Field(ge=1)] | None = None
    """Mails a person can send per tick (a CC list counts once per recipient); more wait in their
    outbox, oldest first.  null: no limit.  Posts have no such limit (a gap)."""
    random_mail_per_tick: Rate = 0.0
    """Routine mails per tick between uniformly random pairs of internal people (Poisson), routed like
    any mail; they carry nothing the model tracks but load inboxes, relays and gatekeepers."""


class Stream(_Section):
    """Stream-style channel: posts to spaces, read from followers' feeds."""

    enabled: bool = False
    launch_tick: Ticks = 0
    delivery_delay_ticks: Annotated[int, Field(ge=1, le=1000)] = 1
    """Ticks from posting until a post can be read (the same as mail by default)."""
    feed_ttl_ticks: Annotated[int, Field(ge=1, le=1_000_000)] = 40
    """Feed items older than this drop out unread (the same as mail's expiry by default)."""
    routing: Literal["direct", "through_channels", "closest_contact"] = "direct"
    """How @mentions travel, with the same choices as ``email.routing``."""
    mentions_bypass_gatekeepers: bool = False
    """True lets @mentions past the gatekeepers that screen mail (an assistant screens both by default)."""
    feed_attention_share: Share = 1.0
    """Share of feed items (posts in followed spaces, background) a stream user ever looks at; the
    rest scroll by unseen.  @mentions are always seen.  1.0 treats the feed like the inbox."""
    company_space: bool = True
    department_spaces: bool = True
    team_spaces: bool = True
    """Each manager's team has a space (as each team has a mail list)."""
    communities: Annotated[int, Field(ge=0, le=1000)] = 0
    """Cross-department community spaces (also mail lists)."""
    community_membership_share: Share = 0.2
    """Chance that a person (or an included external) belongs to a given community."""
    community_departments: list[str] | None = None
    """Departments whose people may join communities; null means all."""
    externals_in_communities: bool = False
    """Partners and customers join the community spaces (the community-centric strategy)."""
    policy: Literal["open", "restricted"] = "open"
    restricted_attention_factor: Share = 0.25
    """Under a "not during work" policy, the share of feed items still looked at, of background
    posting still made, and of visible use that drives imitation."""


class Adoption(_Section):
    """Who uses the stream: Bass-style adoption (training p, imitation q) among eligible people."""

    initial_share: Share = 0.0
    eligible_departments: list[str] | None = None
    """Departments whose people may adopt; null means all departments."""
    externals_initial_share: Share = 0.0
    """Share of partners and customers using the stream from the start (only if they are in a space)."""
    training_p: Rate = 0.0
    """Per-tick chance of adopting through training alone (Bass p)."""
    imitation_q: Rate = 0.0
    """Per-tick imitation strength (Bass q), times the share of visible users."""
    abandon_rate: Rate = 0.0
    """Per-tick chance that a user goes back to email only."""


AudienceWeights = Annotated[dict[Literal["ties", "team", "department", "community", "company"], Annotated[float, Field(ge=0)]], Field(min_length=1)]


class Knowledge(_Section):
    """Knowledge items: born at an origin, passed on with some propensity to an audience."""

    market_signals_per_1000_per_tick: Rate = 0.5
    """Market signals born per tick per 1,000 partners and customers, at one of them: each external
    brings one about every 2,000 working hours, a year (assumption)."""
    goals_per_1000_per_tick: Rate = 0.03
    """Management goals born per tick per 1,000 internal staff, at an executive: about one a week in a
    1,000-person organisation (assumption)."""
    process_per_1000_per_tick: Rate = 0.15
    """Process know-how born per tick per 1,000 internal staff, at an employee: about 1.2 a working
    day per 1,000 people (assumption)."""
    share_propensity: Share = 0.5
    """Mean chance that someone who learns an item passes it on (times their activity weight, see
    ``[people]``), on either channel (assumption)."""
    stream_share_propensity: Share | None = None
    """A different propensity for stream users; null: the same as ``share_propensity``."""
    audience: AudienceWeights = {"ties": 0.55, "team": 0.25, "department": 0.1, "community": 0.05, "company": 0.05}
    """Weights of the audience a share goes to, on either channel: ``ties_per_share`` named ties (a CC
    list / @mentions), the team, the department, a community the sharer is in, the whole company
    (assumption; kinds the sharer has no group of are left out)."""
    stream_audience: AudienceWeights | None = None
    """Different audience weights for stream users; null: the same as ``audience``."""
    ties_per_share: Annotated[int, Field(ge=0, le=50)] = 3
    """Named recipients of a share to ties."""
    managers_share_with_team: bool = True
    """Managers and executives who pass an item on also send it to their team (either channel)."""
    leak_share: Share = 0.0
    """Share of internal items (goals, process know-how) that reach partners and customers when shared
    with an audience that holds them; 0: internal items never reach externals."""
    retell_for_ticks: Ticks = 0
    """After learning an item, people pass it on again every tick, with the same propensity, for
    this many ticks (0: once, when they learn it).  Rumour-style spreading; costly in big runs."""


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
    """People whose input is needed, the originator included."""
    scope_shares: dict[Literal["team", "department", "cross"], Annotated[float, Field(ge=0)]] = {"team": 0.4, "department": 0.35, "cross": 0.25}
    """Where the other inputs come from: the originator's (or contact's) team, department, or other
    departments (assumption).  Under escalation the scope decides how high the owner sits."""
    ownership: Literal["escalation", "involved"] = "escalation"
    """escalation: the lowest manager over all input holders decides; involved: the originator (or
    the originator's internal contact) decides."""
    delegate_from_tick: Ticks | None = None
    """From this tick on, new decisions are owned by the people involved."""
    deadline_ticks: Annotated[int, Field(ge=1)] = 80
    """Ticks after the owner hears of a decision until it is taken with whatever inputs arrived."""
    patience_ticks: Annotated[int, Field(ge=1, le=100_000)] = 16
    """Ticks whoever waits for an answer (the originator for the owner, the owner for an input) waits
    before following up with the same message again, on either channel (assumption: two working days)."""
    max_follow_ups: Annotated[int, Field(ge=0, le=100)] = 3
    """Follow-ups before giving up; a request given up leaves its decision open, recorded with why."""
    input_effort_ticks: Annotated[float, Field(ge=0, le=10_000)] = 2.0
    """Mean ticks a holder takes to produce an input once asked (exponential; assumption)."""


class Scenario(_Section):
    """A whole scenario: run length, organisation, channels, adoption, what flows."""

    name: str = "scenario"
    description: str = ""
    ticks: Annotated[int, Field(ge=1, le=1_000_000)] = 2000
    """Run length in ticks (2,000 working hours is about one working year)."""
    tick_hours: Annotated[float, Field(gt=0)] = 1.0
    seed: Annotated[int, Field(ge=0)] = 1
    organisation: Organisation = Organisation()
    gatekeepers: Gatekeepers = Gatekeepers()
    attention: Attention = Attention()
    load: Load = Load()
    people: People = People()
    email: Email = Email()
    stream: Stream = Stream()
    adoption: Adoption = Adoption()
    knowledge: Knowledge = Knowledge()
    decisions: Decisions = Decisions()

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
}


def consistency_problems(s: Scenario) -> list[tuple[str, str, Any]]:
    """Cross-field checks pydantic cannot see: references that must exist."""
    org, problems = s.organisation, []
    generated = org.import_ is None
    names = set(org.departments)
    if len(names) != len(org.departments):
        problems.append(("organisation.departments", "department names must be unique", org.departments))
    if generated:
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
    if s.stream.enabled and s.stream.launch_tick >= s.ticks:
        problems.append(("stream.launch_tick", f"must be below ticks ({s.ticks})", s.stream.launch_tick))
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
    return problems


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _read_toml(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    """Read a TOML file, following ``base = "..."`` links (relative to the file)."""
    if path in chain:
        raise ScenarioError(str(path), [("base", "scenarios refer to each other in a loop", str(path))])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(str(path), [("file", "no such scenario file", str(path))]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), [("file", f"not valid TOML: {exc}", path.name)]) from None
    base = data.pop("base", None)
    if base is None:
        return _resolve_paths(data, path.parent)
    if not isinstance(base, str):
        raise ScenarioError(str(path), [("base", "must be a path to another scenario file", base)])
    parent = _read_toml((path.parent / base).resolve(), chain + (path,))
    return _merge(parent, _resolve_paths(data, path.parent))


def _resolve_paths(data: dict, folder: Path) -> dict:
    spec = data.get("organisation", {}).get("import")
    if isinstance(spec, dict):
        for key in ("org_chart", "edges", "departments"):
            if isinstance(spec.get(key), str):
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
    data = json.loads(json.dumps(data))  # deep copy of plain data
    problems = []
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(("--set", "expected dotted.key=value", item))
            continue
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                problems.append((key, f"'{part}' is a value, not a table", child))
                break
            node = child
        else:
            node[parts[-1]] = _parse_value(text.strip())
    if problems:
        raise ScenarioError(source, problems)
    return data


def _validate(data: dict, source: str) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = f"unknown key; {MOVED[field]}" if field in MOVED else "unknown key"
            elif err["type"] == "literal_error":
                msg = f"must be one of {err['ctx']['expected']}"
            problems.append((field, msg, err.get("input")))
        raise ScenarioError(source, problems) from None
    problems = consistency_problems(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Read, merge with its base, apply overrides, validate.  Raises :class:`ScenarioError`."""
    path = Path(path)
    data = _read_toml(path.resolve())
    data.setdefault("name", path.stem)
    data = apply_overrides(data, overrides or [], source=str(path))
    return _validate(data, str(path))


def load_scenario_text(text: str, overrides: list[str] | None = None, source: str = "<text>") -> Scenario:
    """Validate a scenario given as TOML text (handy in notebooks and tests)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [("file", f"not valid TOML: {exc}", source)]) from None
    return _validate(apply_overrides(data, overrides or [], source=source), source)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the validated scenario (canonical JSON), identifying it in manifests."""
    blob = json.dumps(scenario.to_dict(), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()
