"""Storylines for a workshop: which two scenarios the dashboard shows side by side, and what to say.

A workshop goes hook -> build-up -> sandbox: one gatekeeper in front of one manager, one department,
the whole organisation, the change programme, then free play.  Each storyline names the "before"
and "after" scenario files (in ``scenarios/``), settings applied to both (``--set`` style), and live
controls (:mod:`sim.controls`) applied to the after pane at tick 0.  The small organisations of the
first two raise the per-1,000 rates so that something happens every few hours.

>>> sorted(STORYLINES)
['change_programme', 'department', 'free_play', 'gatekeeper', 'organisation']
>>> load_pair(STORYLINES["gatekeeper"])[0].organisation.people_per_department
7
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .scenario import Scenario, load_scenario

__all__ = ["SCENARIOS", "STORYLINES", "Storyline", "load_pair"]

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

_SMALL = (  # a small organisation inside: no partners or customers, so nothing arises at them
    "organisation.partners=0", "organisation.customers=0",
    "knowledge.market_signals_per_1000_per_tick=0",
    "decisions.customer_issues_per_1000_per_tick=0", "decisions.market_opportunities_per_1000_per_tick=0",
)


@dataclass(frozen=True)
class Storyline:
    """Two panes and what they are for.  ``before``/``after`` are paths (relative ones are looked up
    in ``scenarios/``)."""

    key: str
    title: str
    stage: str  # hook, build-up or sandbox
    story: str  # what the trainer shows, in plain words
    before: str = "email_gatekept.toml"
    after: str = "email_gatekept.toml"
    settings: tuple[str, ...] = ()  # dotted.key=value, applied to both panes
    after_controls: tuple[tuple[str, object], ...] = ()  # (control, value) on the after pane at tick 0

    def path(self, which: str) -> Path:
        p = Path(getattr(self, which))
        return p if p.is_absolute() else SCENARIOS / p


STORYLINES = {s.key: s for s in (
    Storyline(
        "gatekeeper", "1. One gatekeeper in front of one manager", "hook",
        "A team of six and their manager; an assistant screens everything addressed to the manager, "
        "about three messages an hour, and takes twenty minutes over each. Both panes are the same "
        "organisation on the same seed: everything is identical until you change something. Ask the "
        "room how long decisions take, then switch the assistant off on the right.",
        settings=(*_SMALL, "organisation.departments=['team']", "organisation.people_per_department=7",
                  "organisation.sales_department='team'", "organisation.support_department='team'",
                  "gatekeepers.bridges=['upward']", "gatekeepers.capacity_per_tick=3.0", "decisions.scope_shares={team=1.0}",
                  "decisions.internal_improvements_per_1000_per_tick=25", "knowledge.goals_per_1000_per_tick=6",
                  "knowledge.process_per_1000_per_tick=10"),
    ),
    Storyline(
        "department", "2. One department", "build-up",
        "Sixty people in one department, mail through channels, assistants in front of the head and the "
        "CEO. Launch the stream on the right, push training, and watch who knows the latest goal.",
        settings=(*_SMALL, "organisation.departments=['product']", "organisation.people_per_department=60",
                  "organisation.sales_department='product'", "organisation.support_department='product'",
                  "gatekeepers.bridges=['upward', 'department']", "decisions.internal_improvements_per_1000_per_tick=2",
                  "knowledge.goals_per_1000_per_tick=0.5", "knowledge.process_per_1000_per_tick=1"),
    ),
    Storyline(
        "organisation", "3. The whole organisation", "build-up",
        "1,060 people in eight departments with partners and customers: the classic e-mail organisation on "
        "the left, social business on the right (a stream for everyone, no gatekeepers, decisions taken by "
        "the people involved). Try the 'no social at work' policy and poor stream attention on the right.",
        after="social_business.toml",
    ),
    Storyline(
        "change_programme", "4. The change programme", "build-up",
        "The same organisation on both sides; on the right the stream is launched at hour 200, adoption "
        "grows through training and imitation, and at hour 1,000 gatekeepers go and decisions are delegated. "
        "Bring any of these forward, or hold them back, live.",
        after="change_programme.toml",
    ),
    Storyline(
        "free_play", "5. Free play", "sandbox",
        "The classic e-mail organisation on both sides. The room decides what to change on the right, and when.",
    ),
)}


def load_pair(story: Storyline) -> tuple[Scenario, Scenario]:
    """The before and after scenarios of a storyline, validated (raises ``ScenarioError``)."""
    return load_scenario(story.path("before"), list(story.settings)), load_scenario(story.path("after"), list(story.settings))
