"""The regression baseline: headline metrics of small runs of three shipped scenarios, recorded in
``tests/baseline.json``.  A changed number is a decision: re-record with ``scripts/update-baseline``
and say why in the commit message (STYLE.md habit 10)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from sim import run_scenario
from sim.scenario import load_scenario
from sim.summary import headline

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "baseline.json"
SIZE = ["organisation.people_per_department=30", "organisation.partners=10", "organisation.customers=40", "ticks=400"]
RUNS = {"email_gatekept": [], "social_business": [], "change_programme": ["interventions.0.tick=50", "interventions.1.tick=200"]}


def measure() -> dict[str, dict[str, float | None]]:
    out = {}
    for name, extra in RUNS.items():
        values = headline(run_scenario(load_scenario(HERE.parent / "scenarios" / f"{name}.toml", SIZE + extra), seed=1).tables())
        out[name] = {k: (None if math.isnan(v) else ("inf" if math.isinf(v) else v)) for k, v in values.items()}
    return out


if __name__ == "__main__" and sys.argv[1:] == ["write"]:
    BASELINE.write_text(json.dumps(measure(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {BASELINE}")
