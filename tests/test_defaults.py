"""The project rule "every default cites its source or says 'assumption'", checked on ``sim/scenario.py``.

The schema is read with :mod:`ast` (not imported), so what is checked is the text a reader sees: the
attribute docstring under each field, or a comment on the field's line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SCENARIO_PY = Path(__file__).resolve().parents[1] / "sim" / "scenario.py"

# A citation: an author or organisation followed by a year, e.g. "Kooti et al. 2015", "Dodds, Watts &
# Sabel 2003", "Sultan, Farley & Lehmann (1990)", "SWOOP 2022/23", "McKinsey 2012's".
_NAME = r"[A-Z][A-Za-z'-]+"
CITATION = re.compile(rf"{_NAME}(?:(?:, | & | and ){_NAME})*(?: et al\.)?,? \(?(?:19|20)\d\d\b")
ASSUMPTION = re.compile(r"\bassumption\b", re.I)

# Fields that make no empirical claim, so need a docstring but no source.  Keep this short; a new
# field belongs here only if its default is not a claim about organisations or people.
EXEMPT: dict[str, str] = {
    # identifiers: names and labels chosen by the user, not facts about organisations
    **dict.fromkeys(["Scenario.name", "Scenario.description", "Scenario.seed",
                     "Organisation.sales_department", "Organisation.support_department"], "identifier"),
    # section holders: they hold a section whose own fields carry the sources
    **dict.fromkeys([f"Scenario.{s}" for s in ("organisation", "gatekeepers", "attention", "load", "people", "email", "stream",
                                               "adoption", "knowledge", "decisions", "awareness")]
                    + ["Organisation.import_"], "section holder"),
    # import paths: files the user names
    **dict.fromkeys(["ImportSpec.org_chart", "ImportSpec.edges", "ImportSpec.departments"], "import path"),
    # the intervention timeline: empty unless a scenario has a change programme
    "Scenario.interventions": "intervention field",
    # switches off by default: the default turns a feature off (0, false, empty, null = no separate value)
    **dict.fromkeys(["Gatekeepers.bridges", "Gatekeepers.hold_ticks", "Email.send_capacity_per_tick", "Email.random_mail_per_tick",
                     "Stream.enabled", "Stream.mentions_bypass_gatekeepers", "Stream.communities", "Stream.community_departments",
                     "Stream.externals_in_communities", "Stream.policy", "Adoption.initial_share", "Adoption.eligible_departments",
                     "Adoption.externals_initial_share", "Adoption.training_p", "Adoption.imitation_q", "Adoption.abandon_rate",
                     "Knowledge.stream_share_propensity", "Knowledge.stream_audience", "Knowledge.leak_share",
                     "Knowledge.retell_for_ticks"], "switch off by default"),
}


def fields(src: str) -> list[tuple[str, str, str]]:
    """(Class.field, docstring, comment on the field's line) for every field with a default."""
    lines = src.splitlines()
    out = []
    for cls in (n for n in ast.parse(src).body if isinstance(n, ast.ClassDef)):
        body = cls.body
        for i, node in enumerate(body):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                doc = ""
                nxt = body[i + 1] if i + 1 < len(body) else None
                if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str):
                    doc = nxt.value.value
                line = lines[node.lineno - 1]
                comment = line.split("#", 1)[1] if "#" in line else ""
                out.append((f"{cls.name}.{node.target.id}", doc, comment))
    return out


def undocumented(src: str) -> list[str]:
    """Fields that break the rule: no docstring, or (outside ``EXEMPT``) neither a source nor 'assumption'."""
    bad = []
    for name, doc, comment in fields(src):
        if not doc.strip():
            bad.append(f"{name}: no docstring")
        elif name not in EXEMPT and not (CITATION.search(doc + " " + comment) or ASSUMPTION.search(doc + " " + comment)):
            bad.append(f"{name}: cites no source (author year) and does not say 'assumption'")
        elif EXEMPT.get(name) == "switch off by default" and "default" not in doc:
            bad.append(f"{name}: an exempt switch whose docstring does not say what the default does")
    return bad


def test_every_default_cites_its_source_or_says_assumption():
    src = SCENARIO_PY.read_text()
    found = {name for name, _, _ in fields(src)}
    assert len(found) > 100, "the scan found the scenario fields"
    assert not set(EXEMPT) - found, f"exemptions for fields that no longer exist: {sorted(set(EXEMPT) - found)}"
    assert undocumented(src) == []


def test_the_check_catches_a_field_without_docstring_or_source():
    src = SCENARIO_PY.read_text()
    anchor = 'class Decisions(_Section):\n    """Decisions that need inputs held by several people."""\n'
    assert anchor in src
    bare = src.replace(anchor, anchor + "    dummy_rate: float = 0.5\n")
    uncited = src.replace(anchor, anchor + '    dummy_rate: float = 0.5\n    """A rate chosen by hand."""\n')
    cited = src.replace(anchor, anchor + '    dummy_rate: float = 0.5\n    """A rate (Kooti et al. 2015)."""\n')
    assumed = src.replace(anchor, anchor + '    dummy_rate: float = 0.5\n    """A rate (assumption: a round number)."""\n')
    assert undocumented(bare) == ["Decisions.dummy_rate: no docstring"]
    assert undocumented(uncited) == ["Decisions.dummy_rate: cites no source (author year) and does not say 'assumption'"]
    assert undocumented(cited) == [] and undocumented(assumed) == []


def test_citation_pattern():
    for text in ("Kooti et al. 2015", "Dodds, Watts & Sabel 2003", "Sultan, Farley & Lehmann (1990)", "SWOOP 2022/23",
                 "McKinsey 2012's 28 %", "Radicati 2015", "Watts & Strogatz 1998"):
        assert CITATION.search(text), text
    for text in ("2,000 working hours", "one working year", "in 2000 ticks", "(1 = readable the next tick)"):
        assert not CITATION.search(text), text
