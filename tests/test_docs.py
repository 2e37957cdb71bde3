"""The README documents every output column and keeps its two set-up commands true."""

from __future__ import annotations

import re

import pytest

from sim import load_scenario_text, run_scenario

from .conftest import ROOT

README = (ROOT / "README.md").read_text()


def documented_columns(table: str) -> set[str]:
    section = re.split(r"\n#{1,6} ", README.split(f"### `{table}.parquet`")[1])[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.M))


@pytest.fixture(scope="module")
def tables():
    return run_scenario(load_scenario_text("ticks = 30\n[organisation]\npeople_per_department = 10\n[stream]\nenabled = true")).tables()


@pytest.mark.parametrize("table", ["timeseries", "decisions", "knowledge", "people", "edges", "person_week"])
def test_every_column_is_documented(tables, table):
    documented = documented_columns(table)
    for column in tables[table].columns:
        generic = re.sub(r"^informed_[a-z]+_[a-z]+$", "informed_<kind>_<group>", column)
        generic = re.sub(r"^awareness_(what|whom_department|whom_across)_[a-z_]+$", "awareness_<measure>_<group>", generic)
        assert column in documented or generic in documented, f"{table}.{column} is not in the README"
    assert documented - {"informed_<kind>_<group>", "awareness_<measure>_<group>", "attr_<column>"} <= set(tables[table].columns), "README lists columns that do not exist"


def test_readme_set_up_commands_exist_and_ci_runs_the_test_command():
    assert "make demo" in README and "make test" in README
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
