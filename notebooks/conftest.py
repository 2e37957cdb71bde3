"""The notebooks are run top to bottom through a Jupyter kernel by nbmake (``pytest --nbmake``).

The kernel is a subprocess that inherits this process's environment, so the size set here reaches
each notebook's parameters cell: ``small`` unless ``ORGSIM_NOTEBOOK_SIZE`` is set already
(``ORGSIM_NOTEBOOK_SIZE=full pytest --nbmake notebooks/`` runs them at a researcher's size, with no
time budget).  At the small size each notebook has a wall-clock budget, so that a hang fails the run
instead of stalling it; nbmake's own ``--nbmake-timeout`` limits single cells only.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("ORGSIM_NOTEBOOK_SIZE", "small")

# The suite runs with -W error::DeprecationWarning -W error::FutureWarning (Makefile), but -W flags
# do not reach the kernel, and PYTHONWARNINGS would also stop the kernel's own machinery (jupyter,
# zmq), which warns as it starts.  An IPython startup file, read by the kernel before the first
# cell, makes the same warnings errors where they come from the notebook's cells (__main__) or from
# orgsim (sim.*), which is what the flags are for.
STRICT_WARNINGS = """import warnings
for category in (DeprecationWarning, FutureWarning):
    warnings.filterwarnings("error", category=category, module=r"(__main__|sim)(\\.|$)")
"""
_ipython_dir = Path(tempfile.mkdtemp(prefix="orgsim-ipython-"))
(_ipython_dir / "profile_default" / "startup").mkdir(parents=True)
(_ipython_dir / "profile_default" / "startup" / "00-orgsim-strict-warnings.py").write_text(STRICT_WARNINGS)
os.environ["IPYTHONDIR"] = str(_ipython_dir)
atexit.register(shutil.rmtree, _ipython_dir, True)

# seconds per notebook at the small size: about three times what each takes on two busy cores
BUDGET = {"01_tour.ipynb": 120, "02_email_eu_core.ipynb": 120, "03_sweeps_and_discovery.ipynb": 180, "04_change_programme.ipynb": 150}
DEFAULT_BUDGET = 120
FULL_SIZE_CELL_TIMEOUT = 4 * 3600  # a full-size sweep cell runs for many minutes


def pytest_collection_modifyitems(items):
    """Each notebook takes tens of seconds: ``pytest -m "not slow"`` leaves them out."""
    for item in items:
        if getattr(item, "nbmake", False):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    if not getattr(item, "nbmake", False):
        return (yield)
    if os.environ["ORGSIM_NOTEBOOK_SIZE"] != "small":
        item.config.option.nbmake_timeout = max(item.config.option.nbmake_timeout, FULL_SIZE_CELL_TIMEOUT)
        return (yield)
    if not hasattr(signal, "SIGALRM"):  # no alarm signal on Windows: no budget there
        return (yield)
    budget = BUDGET.get(item.path.name, DEFAULT_BUDGET)

    def expired(signum, frame):
        raise TimeoutError(f"{item.path.name} ran longer than its budget of {budget} s at the small size (notebooks/conftest.py)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(budget)
    try:
        return (yield)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
