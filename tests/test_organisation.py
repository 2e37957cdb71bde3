"""The organisation: a valid reporting tree, ties as specified, gatekeepers where asked, imports."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import OrgModel
from sim.organisation import OrganisationError, Role, build_organisation
from sim.scenario import load_scenario_text

from .conftest import EU_CORE, bare


def org_of(*overrides, rng=None):
    return build_organisation(load_scenario_text("", list(overrides)), rng or np.random.default_rng(0))


def test_generated_tree_counts_and_span():
    org = org_of("organisation.departments=['a','b','c']", "organisation.people_per_department=31", "organisation.span_of_control=5", "organisation.partners=7", "organisation.customers=11", "organisation.sales_department='a'", "organisation.support_department='b'")
    assert org.n == 1 + 3 * 31 + 7 + 11
    assert (org.manager < 0).sum() == 1 and org.level[org.manager < 0][0] == 0
    internal_reports = np.bincount(org.manager[(org.manager >= 0) & (org.department >= 0)], minlength=org.n)
    assert internal_reports[org.role == Role.MANAGER].max() <= 5
    assert (internal_reports[org.role == Role.EMPLOYEE] == 0).all()
    # every department head reports to the CEO; depth of a 31-person department with span 5 is 3
    ceo = int(np.flatnonzero(org.manager < 0)[0])
    assert (org.manager[org.role == Role.EXECUTIVE] == ceo).sum() == 3
    assert org.level[org.department == 0].max() == 3
    # externals hang below staff of the right department
    assert (org.department[org.manager[org.role == Role.PARTNER]] == 0).all()
    assert (org.department[org.manager[org.role == Role.CUSTOMER]] == 1).all()


def test_ties_are_symmetric_loop_free_and_near_the_asked_degree():
    org = org_of("organisation.people_per_department=200", "organisation.ties_within_department=8", "organisation.ties_across_departments=2")
    rows = np.repeat(np.arange(org.n), org.degree)
    assert not (rows == org.ties_indices).any()
    assert org.has_tie(org.ties_indices, rows).all()  # symmetric
    internal = org.department >= 0
    # lattice ties (8) + reporting lines (~2) + cross ties (~2), minus overlaps
    assert 9 <= org.degree[internal].mean() <= 13
    cross = org.department[rows] != org.department[org.ties_indices]
    both_internal = internal[rows] & internal[org.ties_indices]
    assert 1.2 <= (cross & both_internal).sum() / internal.sum() <= 2.8


def test_same_rng_same_org_and_different_rng_different_ties():
    a, b = org_of(rng=np.random.default_rng(7)), org_of(rng=np.random.default_rng(7))
    c = org_of(rng=np.random.default_rng(8))
    assert np.array_equal(a.ties_indices, b.ties_indices) and np.array_equal(a.manager, b.manager)
    assert not np.array_equal(a.ties_indices, c.ties_indices)


def test_gatekeepers_on_each_bridge():
    org = org_of("gatekeepers.bridges=['upward','department','partner','customer']", "gatekeepers.upward_max_level=1")
    gk = org.role == Role.GATEKEEPER
    guarded = np.flatnonzero(org.assistant >= 0)
    assert set(org.level[guarded]) == {0, 1}
    assert (org.role[org.assistant[guarded]] == Role.GATEKEEPER).all()
    n_depts = len(org.department_names) - 1  # the executive office has no department gatekeeper
    assert (org.department_gate >= 0).sum() == n_depts
    assert org.partner_desk >= 0 and org.customer_desk >= 0
    assert gk.sum() == len(guarded) + n_depts + 2


def test_lowest_common_manager():
    org = org_of("organisation.departments=['a','b']", "organisation.people_per_department=13", "organisation.span_of_control=3", "organisation.sales_department='a'", "organisation.support_department='b'")
    # department a: person 1 is head, 2..4 report to it, 5..7 report to 2
    assert org.manager[5] == 2 and org.manager[2] == 1
    assert org.lowest_common_manager([5, 6]) == 2
    assert org.lowest_common_manager([5, 3]) == 1
    assert org.lowest_common_manager([5, 15]) == 0  # across departments: the CEO


CHART = """id,manager_id,department,role,site
ceo,,board,executive,HQ
s1,ceo,sales,manager,HQ
s2,s1,sales,employee,Lyon
s3,s1,sales,employee,Lyon
e1,ceo,eng,manager,HQ
e2,e1,eng,employee,Oslo
c1,s2,,customer,
"""


def test_org_chart_import_keeps_extra_columns(tmp_path):
    path = tmp_path / "chart.csv"
    path.write_text(CHART)
    s = bare(f'[organisation.import]\norg_chart = "{path}"', "knowledge.goals_per_1000_per_tick=0.1", "knowledge.market_signals_per_1000_per_tick=0.1")
    model = OrgModel(s)
    org = model.org
    assert org.n == 7 and org.department_names == ["board", "sales", "eng"]
    assert org.attributes["site"][2] == "Lyon"
    assert org.role[6] == Role.CUSTOMER and org.manager[6] == 2 and org.department[6] == -1
    model.run(20)
    people = model.tables()["people"]
    assert list(people["external_id"]) == ["ceo", "s1", "s2", "s3", "e1", "e2", "c1"]
    assert list(people["attr_site"]) == ["HQ", "HQ", "Lyon", "Lyon", "HQ", "Oslo", ""]


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t.replace("s2,s1,", "s2,zz,"), "row 4: manager_id: no person with this id (got 'zz')"),
        (lambda t: t.replace("s3,s1,sales,employee", "s3,s1,sales,wizard"), "row 5: role: must be one of"),
        (lambda t: t.replace("e1,ceo,", "e1,,"), "exactly one person may have no manager"),
        (lambda t: t.replace("s1,ceo,", "s1,s2,").replace("ceo,,board", "ceo,,board"), "cycle"),
        (lambda t: t.replace("e2,e1", "s2,e1"), "row 7: id: duplicate id"),
        (lambda t: t.replace("id,manager_id", "key,manager_id"), "missing column(s) ['id']"),
    ],
)
def test_org_chart_errors_name_row_and_field(tmp_path, edit, message):
    path = tmp_path / "chart.csv"
    path.write_text(edit(CHART))
    s = bare(f'[organisation.import]\norg_chart = "{path}"')
    with pytest.raises(OrganisationError) as info:
        build_organisation(s, np.random.default_rng(0))
    assert message in str(info.value)


@pytest.mark.skipif(not EU_CORE.exists(), reason="needs ../shared/data/email-eu-core")
def test_email_eu_core_imports_and_runs():
    s = bare(
        f'[organisation.import]\nedges = "{EU_CORE / "email-Eu-core.txt"}"\ndepartments = "{EU_CORE / "email-Eu-core-department-labels.txt"}"',
        "knowledge.goals_per_1000_per_tick=0.05", "knowledge.process_per_1000_per_tick=0.1", "decisions.internal_improvements_per_1000_per_tick=0.1",  # per 1,000 of 1,005 people
        "gatekeepers.bridges=['upward','department']", "ticks=200",
    )
    model = OrgModel(s)
    org = model.org
    people = org.role != Role.GATEKEEPER
    assert people.sum() == 1005 and len(org.department_names) == 42
    # 25,571 directed edges, 642 self-loops; as undirected ties plus inferred reporting lines
    rows = np.repeat(np.arange(org.n), org.degree)
    mailed = np.loadtxt(EU_CORE / "email-Eu-core.txt", dtype=int)
    assert org.has_tie(mailed[mailed[:, 0] != mailed[:, 1], 0], mailed[mailed[:, 0] != mailed[:, 1], 1]).all()
    assert (rows < org.ties_indices).sum() >= 16_064  # the file holds 16,064 distinct unordered pairs besides loops
    assert (org.manager < 0).sum() == 1
    model.run()
    t = model.tables()
    assert len(t["knowledge"]) > 0 and t["knowledge"]["coverage_employees"].max() > 0.05
    assert t["decisions"]["decided_tick"].notna().any()


def test_to_networkx_matches_the_arrays():
    org = org_of("gatekeepers.bridges=['upward']")
    g = org.to_networkx()
    assert g.number_of_nodes() == org.n and g.number_of_edges() == org.degree.sum() // 2
    some = int(org.ties_indices[0])
    assert g.has_edge(0, some) and g.nodes[0]["role"] == "executive"
