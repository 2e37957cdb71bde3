"""Save the live changes made to a model (:mod:`sim.controls`) as a scenario file.

The file says ``base = <the pane's scenario file>``, repeats the settings the pane began with where
they differ from that file (a storyline's small organisation, the seed), and holds the whole
timeline as ``[[interventions]]``: the scenario's own entries and every live change at the tick it
was made, so running the saved file makes the same changes at the same ticks (a launch the scenario
had scheduled is left out when the stream was launched live).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .controls import live_changes
from .scenario import Scenario, load_scenario

__all__ = ["saved_scenario_text", "save_scenario", "timeline_entries"]


def timeline_entries(model, start: Scenario) -> list:
    """The scenario's own timeline entries with the live changes merged in, by tick (entries of one
    tick keep their order: the scenario's first)."""
    live = live_changes(model)
    launched_live = any(c.entry.action == "launch_stream" for c in live)
    own = [iv for iv in start.interventions if not (launched_live and iv.action == "launch_stream")]
    return sorted([*own, *(c.entry for c in live)], key=lambda iv: iv.tick)


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # a TOML basic string


def saved_scenario_text(model, start: Scenario, source: str | Path, out_dir: str | Path, pane: str = "after") -> str:
    """A scenario file, ``base = source`` (written relative to ``out_dir``), that reproduces ``start``
    (the pane's scenario as it began) with the live changes made to ``model``."""
    source, out_dir = Path(source).resolve(), Path(out_dir).resolve()
    live = live_changes(model)
    wanted = start.to_dict()
    wanted["seed"] = model.seed_value
    if any(c.entry.action == "launch_stream" for c in live):
        wanted["stream"] = {**wanted["stream"], "enabled": True}  # the launch tick comes from the timeline
    base = load_scenario(source).to_dict()
    lines = [f"# {start.name}-dashboard: saved from the orgsim dashboard on {time.strftime('%Y-%m-%d %H:%M')}",
             f"# ({pane} pane, seed {model.seed_value}, {model.now} ticks run; ticks are working hours).",
             "# Live changes (tick: change), written into the timeline below:"]
    lines += [f"#   tick {c.tick}: {c.label}" for c in live] or ["#   none"]
    lines += [f"base = {_toml_value(os.path.relpath(source, out_dir))}", f"name = {_toml_value(start.name + '-dashboard')}"]
    tables = []
    for key, value in wanted.items():
        if key in ("name", "description", "interventions") or value == base.get(key):
            continue
        if isinstance(value, dict):
            diff = {k: v for k, v in value.items() if v != base[key].get(k) and v is not None}
            if diff:
                tables += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in diff.items()]
        elif value is not None:
            lines.append(f"{key} = {_toml_value(value)}")
    for iv in timeline_entries(model, start):
        tables += ["", "[[interventions]]"] + [f"{k} = {_toml_value(v)}" for k, v in iv.model_dump(exclude_none=True).items()]
    return "\n".join(lines + tables) + "\n"


def save_scenario(model, start: Scenario, source: str | Path, out_dir: str | Path, pane: str = "after") -> Path:
    """Write :func:`saved_scenario_text` to ``out_dir/<name>-dashboard-<time>.toml``, check that it
    loads (raises ``ScenarioError`` if not), and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{start.name}-dashboard-{time.strftime('%Y%m%d-%H%M%S')}"
    path, k = out_dir / f"{stem}.toml", 1
    while path.exists():
        k += 1
        path = out_dir / f"{stem}-{k}.toml"
    path.write_text(saved_scenario_text(model, start, source, out_dir, pane), encoding="utf-8")
    load_scenario(path)
    return path
