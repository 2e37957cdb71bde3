"""orgsim: agent-based simulation of communication in organisations.

Layers, data flowing one way: scenario (validated config) -> organisation (arrays) -> model
(Mesa agents, channels) -> results (tidy tables) -> CLI / experiments.

>>> import sim
>>> model = sim.run_scenario(sim.load_scenario_text('ticks = 3\\n[organisation]\\npeople_per_department = 8'))
>>> sorted(model.tables())
['decisions', 'knowledge', 'people', 'timeseries']
"""

from .model import OrgModel
from .scenario import Scenario, ScenarioError, load_scenario, load_scenario_text
from .organisation import Organisation, OrganisationError, Role

__all__ = [
    "OrgModel", "Scenario", "ScenarioError", "Organisation", "OrganisationError", "Role",
    "load_scenario", "load_scenario_text", "run_scenario",
]


def run_scenario(scenario: Scenario, seed: int | None = None, progress: bool = False) -> OrgModel:
    """Build the model for ``scenario`` and run it to the end; returns the finished model."""
    model = OrgModel(scenario, seed=seed)
    model.run(progress=progress)
    return model
