"""Shared helpers: small versions of the shipped scenarios, fast enough for many replications."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.scenario import load_scenario, load_scenario_text

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SHARED = ROOT.parent / "shared"
EU_CORE = SHARED / "data" / "email-eu-core"

SMALL = [
    "organisation.people_per_department=30",
    "organisation.partners=10",
    "organisation.customers=40",
    "ticks=500",
    # rates are per 1,000 people: raised so that a small run carries as many items and decisions as a
    # full-size one (0.125 market signals, 0.025 goals, 0.125 process items, 0.25 decisions a tick)
    "knowledge.market_signals_per_1000_per_tick=2.5",
    "knowledge.goals_per_1000_per_tick=0.1",
    "knowledge.process_per_1000_per_tick=0.5",
    "decisions.customer_issues_per_1000_per_tick=2.5",
    "decisions.market_opportunities_per_1000_per_tick=5",
    "decisions.internal_improvements_per_1000_per_tick=0.4",
]


def small(name: str, *overrides: str):
    """A shipped scenario shrunk to ~300 people and 500 ticks, with the traffic of a full-size one."""
    return load_scenario(SCENARIOS / f"{name}.toml", SMALL + list(overrides))


def bare(text: str = "", *overrides: str):
    """A scenario from TOML text with nothing flowing unless asked: no items, no decisions."""
    quiet = [
        "knowledge.market_signals_per_1000_per_tick=0", "knowledge.goals_per_1000_per_tick=0", "knowledge.process_per_1000_per_tick=0",
        "decisions.customer_issues_per_1000_per_tick=0", "decisions.market_opportunities_per_1000_per_tick=0",
        "decisions.internal_improvements_per_1000_per_tick=0",
    ]
    return load_scenario_text(text, quiet + list(overrides))


def open_decision(model, originator: int, owner: int, holders: list[int]):
    """A decision (an internal improvement, arising now) registered with ``model``'s desk as
    :meth:`sim.decision_desk.DecisionDesk.arise` registers one: open, its people known to the desk."""
    from sim.decisions import Decision, DecisionKind

    desk = model.decision_desk
    dec = Decision(len(desk.decisions), DecisionKind.INTERNAL_IMPROVEMENT, originator, owner, list(holders), model.now)
    desk.decisions.append(dec)
    desk.open.append(dec)
    desk.participant_keys = np.union1d(desk.participant_keys, dec.id * model.org.n + np.array([originator, owner, *holders]))
    return dec


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
