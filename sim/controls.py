"""Live controls: change a running :class:`~sim.model.OrgModel` between two ticks, and log the change.

A trainer's dashboard (:mod:`sim.app`) turns gatekeepers off, launches the stream, pushes training
and so on while the model runs.  Every such change goes through :func:`apply`, which makes it an
entry of the scenario timeline (:mod:`sim.interventions`) at the model's next tick (ticks are
working hours), applies it the way the timeline would, and records it, in the model's timeline log
(so reports and figures see it) and in a log of live changes (:func:`live_changes`).  The entries
are what :mod:`sim.intervention_file` saves as ``[[interventions]]`` of a scenario file, so a run
of the saved file makes the same changes at the same ticks.

Controls and the timeline actions they make:

- ``gatekeepers.<bridge>`` (``upward``, ``department``, ``partner``, ``customer``), True/False:
  ``restore_gatekeepers`` / ``remove_gatekeepers`` on that bridge (only bridges the organisation was
  built with: gatekeepers are people, none are hired mid-run; a removed gatekeeper's queue drains);
- ``stream.launch`` (the pilot group's share of eligible people): ``launch_stream``; a launch the
  scenario had scheduled for later is dropped;
- ``adoption.training_p``, ``adoption.imitation_q`` (per tick), ``stream.feed_attention_share``: ``set``;
- ``adoption.managers_set_the_norm`` (True/False): ``set``; whether a team whose manager stays off the
  stream looks at it as under a "no social at work" policy (:meth:`sim.adoption.Adoption.norm`);
- ``stream.policy`` (``open``/``restricted``): ``lift_restriction`` / ``restrict``;
- ``decisions.ownership`` (``escalation``/``involved``): ``escalate`` / ``delegate``, for decisions
  arising from then on.

>>> from sim.scenario import load_scenario_text
>>> from sim.model import OrgModel
>>> m = OrgModel(load_scenario_text('ticks = 20\\n[organisation]\\npeople_per_department = 10\\n[gatekeepers]\\nbridges = ["upward"]'))
>>> m.run(5)
>>> apply(m, "gatekeepers.upward", False).label
'upward gatekeepers off'
>>> gate_open(m, "upward"), live_changes(m)[0].tick, live_changes(m)[0].entry.action
(False, 5, 'remove_gatekeepers')
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from .interventions import BRIDGE_KINDS as BRIDGES
from .interventions import Intervention as TimelineEntry

__all__ = ["BRIDGES", "CONTROLS", "ControlError", "LiveChange", "apply", "current", "gate_built", "gate_open", "live_changes"]

# control -> what it is, in words a trainer uses
CONTROLS = {
    **{f"gatekeepers.{b}": f"{b} gatekeepers screen messages" for b in BRIDGES},
    "stream.launch": "launch the stream (share of eligible people in the pilot group)",
    "adoption.training_p": "training push: per-hour chance of adopting through training alone (Bass p)",
    "adoption.imitation_q": "imitation: per-hour pull of colleagues' visible use (Bass q)",
    "stream.policy": "'no social at work' policy: open or restricted",
    "decisions.ownership": "who decides new decisions: escalation or the people involved",
    "stream.feed_attention_share": "stream attention: share of feed items users look at",
    "adoption.managers_set_the_norm": "managers set the norm: a team whose manager stays off the stream treats it as restricted",
}
_SET = ("adoption.training_p", "adoption.imitation_q", "stream.feed_attention_share")
_SET_SWITCH = ("adoption.managers_set_the_norm",)


class ControlError(ValueError):
    """A control that cannot be applied now (unknown, invalid value, nothing to switch)."""


@dataclass(frozen=True)
class LiveChange:
    """One live change: from ``tick`` on (the next tick the model runs), ``control`` has ``value``;
    ``entry`` is the same change as a scenario timeline entry."""

    tick: int
    control: str
    value: Any
    label: str
    entry: TimelineEntry


_LOGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def live_changes(model) -> list[LiveChange]:
    """The live changes made to ``model`` so far, oldest first."""
    return list(_LOGS.get(model, []))


# ---------------------------------------------------------------------------------------- state
def gate_built(model, bridge: str) -> bool:
    """Whether the organisation has gatekeepers on ``bridge`` (whatever their state now)."""
    return bridge in model.config.gatekeepers.bridges and model.router.has_gates


def gate_open(model, bridge: str) -> bool:
    """Whether gatekeepers on ``bridge`` screen new messages from the next tick on."""
    return gate_built(model, bridge) and model.router.bridge_active(bridge, model.now)


def current(model, control: str):
    """The value ``control`` has now (what the dashboard shows)."""
    if control.startswith("gatekeepers."):
        return gate_open(model, control.split(".", 1)[1])
    if control == "stream.launch":
        return bool(model.adoption.live)
    if control == "decisions.ownership":
        return model.decision_desk.ownership or model.config.decisions.ownership
    if control not in CONTROLS:
        raise ControlError(f"unknown control {control!r}; one of {sorted(CONTROLS)}")
    section, name = control.split(".")
    return getattr(getattr(model.config, section), name)


# ---------------------------------------------------------------------------------------- changes
def _entry(model, control: str, value) -> tuple[TimelineEntry, Any]:
    """The timeline entry for a control, and the value as recorded.  Raises ControlError."""
    now = model.now
    if control.startswith("gatekeepers."):
        bridge, on = control.split(".", 1)[1], bool(value)
        if bridge not in BRIDGES:
            raise ControlError(f"gatekeepers: no bridge {bridge!r}; one of {BRIDGES}")
        if not gate_built(model, bridge):
            raise ControlError(f"gatekeepers.{bridge}: this organisation has no {bridge} gatekeepers to switch")
        return TimelineEntry(tick=now, action="restore_gatekeepers" if on else "remove_gatekeepers", bridges=[bridge]), on
    if control == "stream.launch":
        if model.adoption.live:
            raise ControlError("stream.launch: the stream is already live")
        share = _number(value, control)
        if not 0 <= share <= 1:
            raise ControlError(f"stream.launch: the pilot group is a share between 0 and 1 (got {value!r})")
        return TimelineEntry(tick=now, action="launch_stream", pilot_share=share), share
    if control == "stream.policy":
        if value not in ("open", "restricted"):
            raise ControlError(f"stream.policy: 'open' or 'restricted' (got {value!r})")
        return TimelineEntry(tick=now, action="restrict" if value == "restricted" else "lift_restriction"), value
    if control == "decisions.ownership":
        if value not in ("escalation", "involved"):
            raise ControlError(f"decisions.ownership: 'escalation' or 'involved' (got {value!r})")
        return TimelineEntry(tick=now, action="delegate" if value == "involved" else "escalate"), value
    if control in _SET:
        number = _number(value, control)
        section, name = control.split(".")
        try:
            getattr(model.config, section).model_validate({**getattr(model.config, section).model_dump(), name: number})
        except Exception as exc:  # pydantic's ValidationError: pass its words on
            raise ControlError(f"{control}: {exc.errors()[0]['msg']} (got {value!r})") from None
        return TimelineEntry(tick=now, action="set", field=control, value=number), number
    if control in _SET_SWITCH:
        if not isinstance(value, bool):
            raise ControlError(f"{control}: True or False (got {value!r})")
        return TimelineEntry(tick=now, action="set", field=control, value=value), value
    raise ControlError(f"unknown control {control!r}; one of {sorted(CONTROLS)}")


def _number(value, control: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ControlError(f"{control}: a number (got {value!r})")
    return float(value)


_LABELS = {
    "remove_gatekeepers": lambda c: f"{c.entry.bridges[0]} gatekeepers off",
    "restore_gatekeepers": lambda c: f"{c.entry.bridges[0]} gatekeepers on",
    "launch_stream": lambda c: f"stream launched (pilot group {100 * c.value:.0f} %)",
    "restrict": lambda c: "'no social at work' policy",
    "lift_restriction": lambda c: "policy lifted: the stream is open",
    "delegate": lambda c: "decisions owned by the people involved",
    "escalate": lambda c: "decisions escalate",
}
_SET_LABELS = {
    "adoption.training_p": lambda v: f"training push p = {v:g} per hour",
    "adoption.imitation_q": lambda v: f"imitation q = {v:g} per hour",
    "stream.feed_attention_share": lambda v: f"stream attention {100 * v:.0f} %",
    "adoption.managers_set_the_norm": lambda v: "managers set the norm" if v else "managers' example no longer sets the norm",
}


def apply(model, control: str, value) -> LiveChange:
    """Change ``model`` from its next tick on and log it.  Raises :class:`ControlError` when the
    control is unknown, the value invalid, or there is nothing to change.  Changing the same control
    twice at one tick keeps only the last value in the log (a slider being dragged)."""
    entry, value = _entry(model, control, value)
    timeline, now = model.timeline, model.now
    if entry.action == "launch_stream":  # the live launch replaces one the scenario scheduled
        timeline.pending = [iv for iv in timeline.pending if iv.action != "launch_stream"]
    timeline.apply(entry, now)
    label = _SET_LABELS[control](value) if entry.action == "set" else _LABELS[entry.action](LiveChange(now, control, value, "", entry))
    change = LiveChange(now, control, value, label, entry.model_copy(update={"label": label}))
    log = _LOGS.setdefault(model, [])
    if log and log[-1].tick == now and log[-1].control == control:
        replaced = log.pop()
        timeline.log = [e for e in timeline.log if not (e[0] == now and e[2] == replaced.label)]
    log.append(change)
    timeline.log.append((now, entry.action, label))
    return change
