"""What must hold of the committed notebooks.

The notebooks themselves run top to bottom through a Jupyter kernel under nbmake (``pytest --nbmake``,
at the small size ``notebooks/conftest.py`` sets), with assertions on the numbers they show.
"""

from __future__ import annotations

import json
import tomllib

import pytest

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHIPPED = {"01_tour.ipynb", "02_email_eu_core.ipynb", "03_sweeps_and_discovery.ipynb"}
CLEAR = "jupyter nbconvert --clear-output --inplace notebooks/*.ipynb"


def test_the_shipped_notebooks_are_there():
    assert SHIPPED <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_without_outputs(path):
    """Outputs stay out of git so that diffs show code and text only."""
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name}, cell {i}: has outputs; run {CLEAR}"
        assert "execution" not in cell.get("metadata", {}), f"{path.name}, cell {i}: has execution timings; run {CLEAR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_size_comes_from_a_parameters_cell(path):
    """The tests choose the small size through ORGSIM_NOTEBOOK_SIZE, read in a cell tagged
    ``parameters`` (papermill's convention) before anything runs."""
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    first = code[0]
    assert "parameters" in first.get("metadata", {}).get("tags", []), f"{path.name}: the first code cell should be tagged 'parameters'"
    assert "ORGSIM_NOTEBOOK_SIZE" in "".join(first["source"])
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_make_test_runs_the_notebooks():
    """Once nbmake is in the test extra (pyproject.toml), the default pytest run must execute the notebooks."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    test_extra = " ".join(project["project"].get("optional-dependencies", {}).get("test", []))
    if "nbmake" not in test_extra:
        pytest.skip("nbmake is not in the test extra yet: notebooks run only with pytest --nbmake notebooks/")
    options = project["tool"]["pytest"]["ini_options"]
    assert "notebooks" in options["testpaths"]
    assert "--nbmake" in options["addopts"].split()
