"""Interventions: a change programme as a typed timeline in the scenario.

Each ``[[interventions]]`` entry happens at the start of its ``tick`` (before anyone acts that
hour) and holds from then on; an entry at or after the end of the run never happens (so a shorter
``--set ticks=...`` keeps the file valid)::

    [[interventions]]
    tick = 200
    action = "launch_stream"
    pilot_share = 0.05          # share of eligible people in the pilot group

    [[interventions]]
    tick = 400
    action = "train"
    group = "managers"          # "everyone", "managers" or a department name
    share = 0.3                 # share of the group's non-users who start using the stream

    [[interventions]]
    tick = 1000
    action = "remove_gatekeepers"
    bridges = ["upward"]        # leave out for every bridge

Actions: ``launch_stream``, ``train``, ``remove_gatekeepers`` / ``restore_gatekeepers``,
``delegate`` / ``escalate`` (who owns decisions arising from then on), ``restrict`` /
``lift_restriction`` (the "not during work" policy), ``open_communities`` (partners and / or
customers join the community spaces), and ``set`` (one of the fields in :data:`SETTABLE` to a new
value).  They replace the one-off fields of earlier versions (``stream.launch_tick``,
``gatekeepers.remove_at_tick``, ``decisions.delegate_from_tick``).

The live controls of the dashboard (:mod:`sim.controls`) make the same changes, so a session in
the browser can be saved as a timeline.  Reports mark interventions on the time axis and split the
run into phases at their ticks (:func:`phases`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Intervention", "Timeline", "ACTIONS", "SETTABLE", "timeline_problems", "phases", "describe"]

ACTIONS = (
    "launch_stream", "train", "remove_gatekeepers", "restore_gatekeepers", "delegate", "escalate",
    "restrict", "lift_restriction", "open_communities", "set",
)
BRIDGE_KINDS = ("upward", "department", "partner", "customer")

# fields ``set`` may change during a run (read afresh every tick by the model's processes)
SETTABLE = {
    "adoption.training_p": "per-tick chance of adopting through training alone (Bass p)",
    "adoption.imitation_q": "per-tick imitation strength (Bass q)",
    "stream.feed_attention_share": "share of feed items users look at",
    "stream.restricted_attention_factor": "what a restriction leaves of feed attention and visible use",
    "knowledge.share_propensity": "chance of passing on what one learns",
    "adoption.managers_set_the_norm": "whether a manager who stays off the stream sets their team's norm (true/false)",
}

# which optional fields each action takes (anything else given is an error)
_PARAMS = {
    "launch_stream": {"pilot_share"},
    "train": {"group", "share"},
    "remove_gatekeepers": {"bridges"},
    "restore_gatekeepers": {"bridges"},
    "delegate": set(),
    "escalate": set(),
    "restrict": set(),
    "lift_restriction": set(),
    "open_communities": {"to"},
    "set": {"field", "value"},
}
_REQUIRED = {"train": {"share"}, "set": {"field", "value"}}


class Intervention(BaseModel):
    """One entry of the timeline; which of the optional fields apply depends on ``action``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    tick: Annotated[int, Field(ge=0, le=1_000_000)]
    """Tick at whose start the change happens."""
    action: Literal[ACTIONS]  # type: ignore[valid-type]
    label: Annotated[str, Field(max_length=200)] | None = None
    """Shown on figures and in reports; a plain description of the action when left out."""
    pilot_share: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    """launch_stream: share of eligible people using the stream from the launch (null: ``adoption.initial_share``)."""
    group: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """train: "everyone" (default), "managers" (managers and executives) or a department name."""
    share: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    """train: share of the group's eligible non-users who start using the stream at once."""
    bridges: Annotated[list[Literal[BRIDGE_KINDS]], Field(min_length=1, max_length=4)] | None = None  # type: ignore[valid-type]
    """remove_gatekeepers / restore_gatekeepers: which bridges (null: all)."""
    to: Annotated[list[Literal["partners", "customers"]], Field(min_length=1, max_length=2)] | None = None
    """open_communities: who joins (null: both)."""
    field: str | None = None
    """set: the dotted field (one of :data:`SETTABLE`)."""
    value: float | int | str | bool | None = None
    """set: its new value, checked like the field in a scenario file."""


def describe(iv: Intervention) -> str:
    """Plain words for an intervention (its label if it has one)."""
    if iv.label:
        return iv.label
    return {
        "launch_stream": lambda: "stream launched" + (f" (pilot {100 * iv.pilot_share:.0f} %)" if iv.pilot_share is not None else ""),
        "train": lambda: f"training: {iv.group or 'everyone'} ({100 * (iv.share or 0):.0f} %)",
        "remove_gatekeepers": lambda: f"gatekeepers removed ({', '.join(iv.bridges) if iv.bridges else 'all'})",
        "restore_gatekeepers": lambda: f"gatekeepers back ({', '.join(iv.bridges) if iv.bridges else 'all'})",
        "delegate": lambda: "decisions delegated",
        "escalate": lambda: "decisions escalate",
        "restrict": lambda: "'no social at work' policy",
        "lift_restriction": lambda: "policy lifted",
        "open_communities": lambda: f"communities opened to {' and '.join(iv.to or ['partners', 'customers'])}",
        "set": lambda: f"{iv.field} = {iv.value}",
    }[iv.action]()


def timeline_problems(s) -> list[tuple[str, str, Any]]:
    """Checks a timeline needs the rest of the scenario for: fields that fit the action, groups and
    bridges that exist, values valid for the field they set.  Returns (field, message, value)."""
    problems = []
    for i, iv in enumerate(s.interventions):
        where = f"interventions.{i}"
        given = {k for k in _PARAMS["set"] | {"pilot_share", "group", "share", "bridges", "to"} if getattr(iv, k) is not None}
        for extra in sorted(given - _PARAMS[iv.action]):
            problems.append((f"{where}.{extra}", f"not used by action {iv.action!r} (it takes {sorted(_PARAMS[iv.action]) or 'nothing'})", getattr(iv, extra)))
        for missing in sorted(_REQUIRED.get(iv.action, set()) - given):
            problems.append((f"{where}.{missing}", f"action {iv.action!r} needs it", None))
        if iv.action in ("launch_stream", "train", "open_communities") and not s.stream.enabled:
            problems.append((f"{where}.action", f"{iv.action} needs a stream: set stream.enabled = true (the launch tick comes from this entry)", iv.action))
        if iv.action == "train" and iv.group not in (None, "everyone", "managers") and s.organisation.import_ is None and iv.group not in s.organisation.departments:
            problems.append((f"{where}.group", f"must be 'everyone', 'managers' or one of {sorted(s.organisation.departments)}", iv.group))
        if iv.action in ("remove_gatekeepers", "restore_gatekeepers"):
            missing = sorted(set(iv.bridges or []) - set(s.gatekeepers.bridges))
            if missing:
                problems.append((f"{where}.bridges", f"no gatekeepers on {missing}; gatekeepers.bridges = {list(s.gatekeepers.bridges)}", iv.bridges))
        if iv.action == "open_communities" and s.stream.communities == 0:
            problems.append((f"{where}.action", "open_communities needs stream.communities > 0", iv.action))
        if iv.action == "set" and iv.field is not None:
            if iv.field not in SETTABLE:
                problems.append((f"{where}.field", f"must be one of {sorted(SETTABLE)}", iv.field))
            elif iv.value is not None:
                section, name = iv.field.split(".")
                try:
                    getattr(s, section).model_validate({**getattr(s, section).model_dump(), name: iv.value})
                except Exception as exc:  # pydantic's ValidationError: pass its words on
                    problems.append((f"{where}.value", f"not valid for {iv.field}: {exc.errors()[0]['msg']}", iv.value))
    launches = [i for i, iv in enumerate(s.interventions) if iv.action == "launch_stream"]
    if len(launches) > 1:
        problems.append((f"interventions.{launches[1]}.action", "the stream can be launched once", "launch_stream"))
    return problems


def phases(interventions, ticks: int) -> list[tuple[int, int, str]]:
    """The run split at the interventions' ticks: (start, end, name) with ``end`` exclusive; the
    first phase is "before", each later one is named after what started it."""
    cuts: dict[int, list[str]] = {}
    for iv in sorted(interventions, key=lambda x: x.tick):
        if 0 < iv.tick < ticks:
            cuts.setdefault(iv.tick, []).append(describe(iv))
    starts = [0, *cuts]
    names = ["before", *("; ".join(v) for v in cuts.values())]
    if 0 in {iv.tick for iv in interventions}:
        names[0] = "; ".join(describe(iv) for iv in interventions if iv.tick == 0)
    return [(a, b, n) for a, b, n in zip(starts, [*starts[1:], ticks], names)]


class Timeline:
    """Applies a scenario's interventions to a running model, each at the start of its tick, and
    keeps what happened (``log``: tick, action, words) for reports and figures."""

    def __init__(self, model, interventions):
        self.model = model
        self.pending = sorted(interventions, key=lambda iv: iv.tick)  # stable: same tick keeps file order
        self.log: list[tuple[int, str, str]] = []
        self.rng = model.rngs["interventions"]

    @property
    def launches_stream(self) -> bool:
        return any(iv.action == "launch_stream" for iv in self.pending)

    def step(self, now: int) -> None:
        while self.pending and self.pending[0].tick <= now:
            iv = self.pending.pop(0)
            self.apply(iv, now)
            self.log.append((now, iv.action, describe(iv)))

    def apply(self, iv: Intervention, now: int) -> None:
        m = self.model
        bridges = iv.bridges or BRIDGE_KINDS
        match iv.action:
            case "launch_stream":
                m.adoption.launch(now, iv.pilot_share)
            case "train":
                m.adoption.train(_group_mask(m, iv.group or "everyone"), iv.share, self.rng, now)
            case "remove_gatekeepers":
                m.router.remove_gates(bridges)
            case "restore_gatekeepers":
                m.router.restore_gates(bridges)
            case "delegate":
                m.decision_desk.ownership = "involved"
            case "escalate":
                m.decision_desk.ownership = "escalation"
            case "restrict":
                m.change("stream", policy="restricted")
            case "lift_restriction":
                m.change("stream", policy="open")
            case "open_communities":
                m.open_communities(tuple(iv.to or ("partners", "customers")))
            case "set":
                section, name = iv.field.split(".")
                m.change(section, **{name: iv.value})


def _group_mask(model, group: str):
    """People of a training group: everyone, managers (and executives), or a department."""
    import numpy as np

    from .organisation import Role

    org = model.org
    if group == "everyone":
        return np.ones(org.n, bool)
    if group == "managers":
        return np.isin(org.role, (Role.MANAGER, Role.EXECUTIVE))
    if group not in org.department_names:
        raise ValueError(f"interventions: train group {group!r} is not a department of this organisation ({org.department_names})")
    return org.department == org.department_names.index(group)
