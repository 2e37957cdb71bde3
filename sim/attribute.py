"""Which factor causes which part of the difference between two scenarios: a 2^k full factorial.

Method
------
Two validated scenarios A and B are flattened to dotted keys and compared field by field (``name``,
``description`` and ``seed`` aside; lists are compared whole).  The fields that differ are grouped
into k named *factors* by :data:`FACTOR_TABLE` (dotted-key prefixes or ``*`` patterns; the longest
match wins; unmapped fields form a factor named after their top-level section), or by the user's
``--factor NAME=key1,key2`` (which wins over the table).

Every one of the 2^k combinations ("cells") takes all the fields of each factor either from A
(level 0, coded -1) or from B (level 1, coded +1), is validated like a scenario file, and runs the
same replication seeds (common random numbers), so that each replication is a complete factorial.
Cell ``c`` switches factor ``j`` to B when bit ``j`` of ``c`` is set; cell 0 is A, cell 2^k - 1 is B.

Per replication and headline metric, the effect of a set S of factors is the Yates contrast

    effect_S = (2 / 2^k) * sum_cells y_cell * prod_{j in S} x_j          (x_j = -1 or +1)

so a main effect is mean(y | f at B) - mean(y | f at A), averaged over all other factors, and a
two-factor interaction is half the change of one factor's effect when the other is switched.  The
total difference is y(B) - y(A), paired by replication.  With this coding

    y(B) - y(A) = sum of the effects of all terms of odd order

(mains, three-factor interactions, ...): even-order interactions shift A and B alike.  With two
factors, the two main effects add up exactly to the total.  The tables report the mean over
replications with a 95 % t interval (:func:`sim.experiments.interval`), and for main effects and
odd-order interactions the share of the total they account for (mean effect / mean total), given
only when the total's interval excludes 0.  A replication where a metric is not finite in some cell
(a knowledge time never reached, or a failed run) is left out for that metric; ``replications``
says how many were used.

>>> y = np.array([[1.0, 3.0, 4.0, 11.0]])   # cells A, A+a, A+b, B of y = 1 + 2a + 3b + 5ab
>>> {term: float(v[0]) for term, v in factorial_effects(y, 2).items()}
{(0,): 4.5, (1,): 5.5, (0, 1): 2.5}
>>> detect_factors({"gatekeepers": {"bridges": ["upward"]}, "email": {"routing": "direct"}},
...                {"gatekeepers": {"bridges": []}, "email": {"routing": "through_channels"}})
{'gatekeepers': [('gatekeepers.bridges', ['upward'], [])], 'routing': [('email.routing', 'direct', 'through_channels')]}
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .experiments import RunSpec, safe_name, check_resumable, interval, replication_seeds, run_specs, write_manifest
from .scenario import Scenario, ScenarioError, _validate, apply_overrides, load_scenario
from .summary import METRICS

__all__ = [
    "FACTOR_TABLE", "MAX_FACTORS", "IGNORED", "AttributionError", "Attribution", "Plan", "Cell",
    "parse_factor_options", "detect_factors", "plan_attribution", "factorial_effects", "attribution_table",
    "key_metrics", "sentences", "format_main_effects", "run_attribution", "attribute",
]

# Dotted-key prefix (or fnmatch pattern with ``*``) -> factor.  A prefix matches the key itself and
# every key below it ("stream" matches "stream.policy").  The longest match wins (ties: the earlier
# row).  Fields matched by no row form a factor named after their top-level section.  Edit freely:
# rows naming fields that do not exist (yet) are harmless.
FACTOR_TABLE: list[tuple[str, str]] = [
    ("stream", "channel"),
    ("adoption", "channel"),
    ("gatekeepers", "gatekeepers"),
    ("email.routing", "routing"),
    ("stream.routing", "routing"),
    ("decisions.ownership", "ownership"),
    ("interventions", "programme"),
    ("adoption.managers_participate", "management"),
    ("adoption.manager_example", "management"),
    ("adoption.managers_set_the_norm", "management"),
    ("stream.policy", "policy"),
    ("stream.restricted_attention_factor", "policy"),
    ("stream.communities", "communities"),
    ("stream.community_membership_share", "communities"),
    ("stream.externals_in_communities", "communities"),
    ("stream.community_departments", "communities"),
    ("sharing", "audience"),
    ("knowledge.*audience*", "audience"),
    ("load", "load"),
    ("email.reading_*", "load"),
    ("attention", "load"),
    ("organisation", "organisation"),
]

IGNORED = ("name", "description", "seed")
"""Top-level fields that never make a factor (they do not change what the model does)."""

MAX_FACTORS = 8
"""At most 2^8 = 256 cells per replication."""

KIND_MAIN, KIND_INTERACTION, KIND_TOTAL = "main", "interaction", "total"
COLUMNS = ["metric", "term", "kind", "effect", "low", "high", "share_of_total", "replications", "order"]
_RESERVED = {"point", "replication", "seed", "total"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_NO_VALUE = object()


class _Missing:
    """A field present in one scenario only (an optional table set in one, null in the other)."""

    def __repr__(self) -> str:
        return "<absent>"


MISSING = _Missing()


class AttributionError(ScenarioError):
    """Bad input to an attribution: one ``(field, message, value)`` per problem, printed one a line."""

    def lines(self) -> list[str]:
        return [f"{self.source}: {f}: {m}" + ("" if v is _NO_VALUE else f" (got {v!r})") for f, m, v in self.problems]


def _fail(problems: list[tuple[str, str, Any]]) -> AttributionError:
    return AttributionError("attribute", problems)


# ------------------------------------------------------------------------------------------ factors
def _is_pattern(p: str) -> bool:
    return any(c in p for c in "*?[")


def _matches(pattern: str, key: str) -> bool:
    if _is_pattern(pattern):
        return fnmatch.fnmatchcase(key, pattern)
    return key == pattern or key.startswith(pattern + ".")


def _specificity(pattern: str) -> int:
    return len(pattern.replace("*", "").replace("?", ""))


def _best(rules: list[tuple[str, str]], key: str) -> tuple[str, str] | None:
    """The longest rule matching ``key`` (the first of equally long ones), as (pattern, factor)."""
    best = None
    for pattern, factor in rules:
        if _matches(pattern, key) and (best is None or _specificity(pattern) > _specificity(best[0])):
            best = (pattern, factor)
    return best


def _leaves(a: Any, b: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """Every leaf of two nested dicts walked together, as (dotted key, value in a, value in b)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in list(a) + [k for k in b if k not in a]:
            out += _leaves(a.get(k, MISSING), b.get(k, MISSING), f"{prefix}.{k}" if prefix else str(k))
        return out
    return [(prefix, a, b)]


def parse_factor_options(items: list[str] | dict | None) -> dict[str, list[str]]:
    """``NAME=key1,key2,...`` (repeatable) or a dict ``{name: [keys] or "k1,k2"}`` -> ``{name: [keys]}``.

    >>> parse_factor_options(["structure=organisation,gatekeepers.bridges"])
    {'structure': ['organisation', 'gatekeepers.bridges']}
    """
    if not items:
        return {}
    pairs = []
    if isinstance(items, dict):
        pairs = [(str(n), v.split(",") if isinstance(v, str) else list(v), f"{n}={v}") for n, v in items.items()]
    else:
        for item in items:
            name, sep, keys = item.partition("=")
            if not sep:
                raise _fail([("--factor", "expected NAME=key1,key2,...", item)])
            pairs.append((name, keys.split(","), item))
    out: dict[str, list[str]] = {}
    problems = []
    for name, keys, item in pairs:
        name, keys = name.strip(), [k.strip() for k in keys if k.strip()]
        if not _NAME.match(name) or name in _RESERVED or name in METRICS:
            problems.append(("--factor", "NAME must be a letter then letters, digits, '_' or '-' (and not a metric or "
                             f"one of {sorted(_RESERVED)})", item))
        elif not keys:
            problems.append(("--factor", "expected NAME=key1,key2,... with at least one key", item))
        else:
            out.setdefault(name, []).extend(keys)
    if problems:
        raise _fail(problems)
    return out


def detect_factors(a: dict, b: dict, user: dict[str, list[str]] | list[str] | None = None,
                   table: list[tuple[str, str]] | None = None, max_factors: int = MAX_FACTORS) -> dict[str, list[tuple[str, Any, Any]]]:
    """Group the fields in which scenario dicts ``a`` and ``b`` differ into factors.

    Returns ``{factor: [(dotted key, value in a, value in b), ...]}``, factors in the order of their
    first field in ``a``.  ``user`` (``--factor``) wins over ``table`` (default :data:`FACTOR_TABLE`).
    Raises :class:`AttributionError` when the scenarios do not differ, a ``--factor`` key names no
    field (or no differing one), or there are more than ``max_factors`` factors.
    """
    table = FACTOR_TABLE if table is None else table
    user = parse_factor_options(user)
    leaves = [(k, va, vb) for k, va, vb in _leaves(a, b) if k.split(".")[0] not in IGNORED]
    differing = [(k, va, vb) for k, va, vb in leaves if va != vb]
    problems = []
    user_rules = [(key, name) for name, keys in user.items() for key in keys]
    for key, name in user_rules:
        if not any(_matches(key, k) for k, _, _ in leaves):
            problems.append((f"--factor {name}", "no scenario field matches this key", key))
    if problems:
        raise _fail(problems)
    if not differing:
        raise _fail([("scenarios", "A and B do not differ in any field (name, description and seed aside); nothing to attribute", _NO_VALUE)])
    groups: dict[str, list[tuple[str, Any, Any]]] = {}
    for k, va, vb in differing:
        mine = [r for r in user_rules if _matches(r[0], k)]
        best = _best(mine, k)
        if best is not None:
            rivals = {f for p, f in mine if _specificity(p) == _specificity(best[0])}
            if len(rivals) > 1:
                problems.append((k, f"named by more than one --factor ({', '.join(sorted(rivals))}); name it in one only", _NO_VALUE))
            factor = best[1]
        else:
            hit = _best(table, k)
            factor = hit[1] if hit is not None else k.split(".")[0]
        groups.setdefault(factor, []).append((k, va, vb))
    for name in user:
        if name not in groups:
            problems.append((f"--factor {name}", "none of its fields differ between A and B", ",".join(user[name])))
    if problems:
        raise _fail(problems)
    if len(groups) > max_factors:
        raise _fail([("factors", f"{len(groups)} factors ({', '.join(groups)}) make {2 ** len(groups)} combinations; at most "
                      f"{max_factors} ({2 ** max_factors}) are run. Merge some with --factor NAME=key1,key2,... "
                      f"(e.g. --factor {list(groups)[0]}={','.join(_prefixes(groups[list(groups)[0]] + groups[list(groups)[1]]))})", _NO_VALUE)])
    return groups


def _prefixes(fields: list[tuple[str, Any, Any]]) -> list[str]:
    return list(dict.fromkeys(k for k, _, _ in fields))


# ------------------------------------------------------------------------------------------ cells
@dataclass(frozen=True)
class Cell:
    """One combination: ``levels[j]`` is 1 when factor j takes B's fields."""

    name: str
    levels: tuple[int, ...]
    scenario: Scenario


@dataclass
class Plan:
    """Everything decided before running: the two scenarios, the factors, every validated cell."""

    a: Scenario
    b: Scenario
    factors: dict[str, list[tuple[str, Any, Any]]]
    cells: list[Cell]

    def factors_json(self) -> dict[str, list[dict]]:
        def plain(v):
            return None if v is MISSING else v

        return {f: [{"field": k, "A": plain(va), "B": plain(vb)} for k, va, vb in fields] for f, fields in self.factors.items()}


def _set(data: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    if value is MISSING:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = json.loads(json.dumps(value))


def _cell_name(a: Scenario, b: Scenario, factors: list[str], levels: tuple[int, ...]) -> str:
    if all(levels) and b.name != a.name:
        return b.name
    return "+".join([a.name, *(f for f, lv in zip(factors, levels) if lv)])


def _build_cells(a: Scenario, b: Scenario, factors: dict[str, list[tuple[str, Any, Any]]], orgs: dict | None = None):
    """Validate every cell; returns (cells, problems) with problems named by cell.  ``orgs`` caches
    the organisations built (by their sections) across calls."""
    from .model import check_against_organisation
    from .organisation import OrganisationError, build_organisation

    names = list(factors)
    base = a.to_dict()
    cells, problems = [], []
    orgs = {} if orgs is None else orgs
    for c in range(2 ** len(names)):
        levels = tuple((c >> j) & 1 for j in range(len(names)))
        name = _cell_name(a, b, names, levels)
        data = json.loads(json.dumps(base))
        for f, lv in zip(names, levels):
            if lv:
                for k, _, vb in factors[f]:
                    _set(data, k, vb)
        data["name"] = name
        try:
            s = _validate(data, name)
            # the organisation depends on these two sections only; build each distinct one once
            org_key = json.dumps([data.get("organisation"), data.get("gatekeepers")], sort_keys=True, default=str)
            if org_key not in orgs:
                try:
                    orgs[org_key] = build_organisation(s, np.random.default_rng(0))
                except OrganisationError as exc:
                    orgs[org_key] = exc
            if isinstance(orgs[org_key], OrganisationError):
                raise ScenarioError(name, [("organisation.import", str(orgs[org_key]), _NO_VALUE)])
            check_against_organisation(s, orgs[org_key])
            cells.append(Cell(name, levels, s))
        except ScenarioError as exc:
            problems += [(f"combination {name}", f"{fld}: {msg}", value) for fld, msg, value in exc.problems]
    return cells, problems


def _merged(factors: dict, f: str, g: str) -> dict:
    out = {}
    for name, fields in factors.items():
        if name == g:
            continue
        out[name] = fields + factors[g] if name == f else fields
    return out


def plan_attribution(a: Scenario, b: Scenario, factors: dict[str, list[str]] | list[str] | None = None,
                     table: list[tuple[str, str]] | None = None) -> Plan:
    """Detect the factors and validate all 2^k cells; raises :class:`AttributionError` listing every
    invalid cell (and, when merging two factors would fix them all, the ``--factor`` that does)."""
    groups = detect_factors(a.to_dict(), b.to_dict(), factors, table)
    orgs: dict = {}
    cells, problems = _build_cells(a, b, groups, orgs)
    if problems:
        hint = "merge the factors that must change together with --factor NAME=key1,key2,..."
        for f, g in itertools.combinations(groups, 2):
            if not _build_cells(a, b, _merged(groups, f, g), orgs)[1]:
                hint += f" (this one works: --factor {f}={','.join(_prefixes(groups[f] + groups[g]))})"
                break
        raise _fail(problems + [("--factor", hint, _NO_VALUE)])
    return Plan(a, b, groups, cells)


# ------------------------------------------------------------------------------------------ effects
def factorial_effects(y: np.ndarray, k: int) -> dict[tuple[int, ...], np.ndarray]:
    """Yates effects of every non-empty set of factors, per replication.

    ``y`` has shape (replications, 2^k); column ``c`` is the cell where factor ``j`` is at B iff bit
    ``j`` of ``c`` is set.  Returns ``{(j, ...): effects}`` ordered by order, then factor index.
    """
    y = np.atleast_2d(np.asarray(y, dtype=float))
    n = 2 ** k
    if y.shape[1] != n:
        raise ValueError(f"expected {n} cells per replication for k={k} (got {y.shape[1]})")
    coded = np.array([[1.0 if (c >> j) & 1 else -1.0 for j in range(k)] for c in range(n)]).reshape(n, k)
    tiny = 1e-12 * np.abs(y).max(axis=1, initial=0.0)  # rounding left over where the cells cancel exactly
    out = {}
    for order in range(1, k + 1):
        for term in itertools.combinations(range(k), order):
            contrast = np.prod(coded[:, list(term)], axis=1)
            effect = y @ contrast * (2.0 / n)
            out[term] = np.where(np.abs(effect) <= tiny, 0.0, effect)
    return out


def attribution_table(runs: pd.DataFrame, factors: list[str], metrics: list[str] | None = None) -> pd.DataFrame:
    """Effects with intervals from one row per run (columns ``replication``, one 0/1 column per
    factor, one column per metric).  One row per metric x term (total first), columns
    :data:`COLUMNS`."""
    metrics = [m for m in (list(METRICS) if metrics is None else metrics) if m in runs.columns]
    k = len(factors)
    cell = sum(runs[f].astype(int).to_numpy() << j for j, f in enumerate(factors)) if k else np.zeros(len(runs), int)
    runs = runs.assign(_cell=cell)
    rows = []
    for metric in metrics:
        wide = runs.pivot_table(index="replication", columns="_cell", values=metric, aggfunc="first", dropna=False)
        wide = wide.reindex(columns=range(2 ** k))
        y = wide.to_numpy(float)
        y = y[np.isfinite(y).all(axis=1)]
        used = len(y)
        total = y[:, -1] - y[:, 0] if used else np.array([])
        t_mean, t_lo, t_hi = interval(total)
        clear = bool(np.isfinite(t_lo) and (t_lo > 0 or t_hi < 0))
        rows.append({"metric": metric, "term": "total", "kind": KIND_TOTAL, "effect": t_mean, "low": t_lo, "high": t_hi,
                     "share_of_total": 1.0 if clear else math.nan, "replications": used, "order": 0})
        effects = factorial_effects(y.reshape(used, 2 ** k), k) if used else {t: np.array([]) for t in _terms(k)}
        for term, values in effects.items():
            mean, lo, hi = interval(values)
            share = mean / t_mean if clear and len(term) % 2 == 1 else math.nan
            rows.append({"metric": metric, "term": " x ".join(factors[j] for j in term),
                         "kind": KIND_MAIN if len(term) == 1 else KIND_INTERACTION, "effect": mean, "low": lo, "high": hi,
                         "share_of_total": share, "replications": used, "order": len(term)})
    return pd.DataFrame(rows, columns=COLUMNS).astype({"replications": int, "order": int})


def _terms(k: int):
    return [t for order in range(1, k + 1) for t in itertools.combinations(range(k), order)]


# ------------------------------------------------------------------------------------------ words
def key_metrics() -> list[str]:
    """The metrics shown in the terminal, the figure and the sentences (those that exist)."""
    latency = [m for m in ("decision_latency_mean", "decision_latency_median") if m in METRICS]
    latency = latency or [m for m in METRICS if m.startswith("decision_latency")]
    return [m for m in [*latency[:1], "decisions_open_share", "process_coverage_concerned"] if m in METRICS]


def _unit(metric: str) -> str:
    unit = METRICS.get(metric, (metric, "", ""))[1]
    return "percentage points" if unit == "share" else unit


def _scale(metric: str) -> float:
    return 100.0 if METRICS.get(metric, ("", "", ""))[1] == "share" else 1.0


def _num(v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    v = v + 0.0
    text = f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 1 else f"{v:.2f}"
    return "0.00" if text == "-0.00" else text


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _label(metric: str) -> str:
    """'decision latency, mean' -> 'mean decision latency'."""
    label = METRICS.get(metric, (metric,))[0]
    head, sep, tail = label.partition(", ")
    return f"{tail} {head}" if sep else label


def _with_interval(r, s: float) -> str:
    text = _num(r["effect"] * s)
    return text + (f" [{_num(r['low'] * s)}, {_num(r['high'] * s)}]" if np.isfinite(r["low"]) else "")


def sentences(effects: pd.DataFrame, a: str, b: str, metrics: list[str] | None = None, replications: int | None = None) -> list[str]:
    """Plain sentences: how much of the difference in each metric each factor accounts for."""
    lines = []
    for metric in key_metrics() if metrics is None else metrics:
        sub = effects[effects["metric"] == metric]
        if sub.empty:
            continue
        s, unit, label = _scale(metric), _unit(metric), _label(metric)
        total = sub[sub["kind"] == KIND_TOTAL].iloc[0]
        used = int(total["replications"])
        note = f" ({used} of {replications} replications; the others never reached it or failed)" if replications and used < replications else ""
        if used == 0:
            lines.append(f"{label}: not finite in any complete replication; nothing to attribute")
            continue
        if not np.isfinite(total["share_of_total"]):
            lines.append(f"{label}: the difference {b} - {a} of {_with_interval(total, s)} {unit} is not distinguishable "
                         f"from zero, so no shares are given{note}")
            continue
        mains = sub[sub["kind"] == KIND_MAIN].copy()
        mains = mains.reindex(mains["effect"].abs().sort_values(ascending=False).index)
        clear = (mains["low"] > 0) | (mains["high"] < 0)
        for _, r in mains[clear].iterrows():
            against = ", against the difference" if r["share_of_total"] < 0 else ""
            lines.append(f"the {r['term']} factor accounts for {_num(r['effect'] * s)} of the {_num(total['effect'] * s)} {unit} "
                         f"({100 * r['share_of_total'] + 0.0:.0f} %{against}) of the difference in {label} ({b} - {a}){note}")
        if (~clear).any():
            others = ", ".join(f"{r['term']} {_num(r['effect'] * s)}" for _, r in mains[~clear].iterrows())
            lines.append(f"{label}: main effects not distinguishable from zero: {others} {unit}")
        rest = sub[(sub["kind"] == KIND_INTERACTION) & (sub["order"] % 2 == 1)]
        if len(rest) and abs(rest["share_of_total"].sum()) >= 0.005:
            lines.append(f"interactions of three or more factors (odd orders) account for {_num(rest['effect'].sum() * s)} {unit} "
                         f"({100 * rest['share_of_total'].sum() + 0.0:.0f} %) of the difference in {label}")
    return lines


def format_main_effects(effects: pd.DataFrame, factors: list[str], metrics: list[str] | None = None) -> str:
    """Terminal table: total and main effects [95 % interval] for the key metrics."""
    metrics = [m for m in (key_metrics() if metrics is None else metrics) if m in set(effects["metric"])]
    heads = [f"{METRICS[m][0]} ({_unit(m)})" for m in metrics]
    terms = ["total", *factors]
    cells = []
    for term in terms:
        row = []
        for m in metrics:
            r = effects[(effects["metric"] == m) & (effects["term"] == term)]
            row.append(_with_interval(r.iloc[0], _scale(m)) if len(r) else "")
        cells.append(row)
    col_w = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads)]
    name_w = max(len("total (B - A)"), *(len(f) for f in factors))
    lines = [" " * name_w + "  " + "  ".join(h.rjust(w) for h, w in zip(heads, col_w))]
    for term, row in zip(terms, cells):
        lines.append((term if term != "total" else "total (B - A)").ljust(name_w) + "  " + "  ".join(c.rjust(w) for c, w in zip(row, col_w)))
    return "\n".join(lines)


def _markdown(plan: Plan, effects: pd.DataFrame, replications: int, base_seed: int, figures: list[str], failures: dict) -> str:
    a, b = plan.a.name, plan.b.name
    factors = list(plan.factors)
    out = [
        f"# Attribution: {a} -> {b}",
        "",
        f"{_count(len(factors), 'factor')}, {len(plan.cells)} combinations x {replications} replications with common random numbers "
        f"(base seed {base_seed}; each replication is a complete 2^{len(factors)} factorial). Effects are Yates contrasts on "
        f"levels coded -1 ({a}) / +1 ({b}): a main effect is the mean change when the factor's fields are switched from {a} "
        f"to {b}, averaged over all settings of the other factors. Means over replications with 95 % t intervals. The total "
        f"{b} - {a} equals the sum of the main effects and the odd-order interactions; 'share' is effect / total, given when "
        f"the total's interval excludes 0. Effects on metrics that are shares are in percentage points.",
        "",
        "## Factors",
        "",
        "| factor | field | " + a + " | " + b + " |",
        "|---|---|---|---|",
        *[f"| {f} | `{k}` | {json.dumps(None if va is MISSING else va)} | {json.dumps(None if vb is MISSING else vb)} |"
          for f, fields in plan.factors.items() for k, va, vb in fields],
        "",
        "## In words",
        "",
        *[f"- {line}" for line in sentences(effects, a, b, replications=replications)],
        "",
        *[f"![{Path(f).stem}]({f})" for f in figures],
        "",
    ]
    for metric, (label, _, better) in METRICS.items():
        sub = effects[effects["metric"] == metric]
        if sub.empty:
            continue
        s, unit = _scale(metric), _unit(metric)
        used = int(sub["replications"].iloc[0])
        out += [f"## {label} (effects in {unit}; {better} is better)", "",
                f"{used} of {replications} replications used" + ("." if used >= replications else
                "; the rest had a value never reached (or a failed run) in some combination."), ""]
        if used == 0:
            continue
        out += ["| term | effect | 95 % interval | share of total |", "|---|---|---|---|"]
        for _, r in sub[sub["kind"].isin([KIND_TOTAL, KIND_MAIN])].iterrows():
            share = f"{100 * r['share_of_total'] + 0.0:.0f} %" if np.isfinite(r["share_of_total"]) else "—"
            term = f"total ({b} - {a})" if r["kind"] == KIND_TOTAL else r["term"]
            out.append(f"| {term} | {_num(r['effect'] * s)} | {_num(r['low'] * s)} to {_num(r['high'] * s)} | {share} |")
        inter = sub[sub["kind"] == KIND_INTERACTION]
        if len(inter):
            top = inter.reindex(inter["effect"].abs().sort_values(ascending=False).index).head(3)
            out += ["", "Largest interactions: " + "; ".join(
                f"{r['term']} {_num(r['effect'] * s)} ({_num(r['low'] * s)} to {_num(r['high'] * s)})" for _, r in top.iterrows()) + "."]
        words = sentences(effects, a, b, [metric], replications)
        out += ["", *[f"- {w}" for w in words], ""]
    if failures:
        out += ["## Failed runs", "", *[f"- {k} (seed {v['seed']}): {v['error'].splitlines()[0]}" for k, v in failures.items()], ""]
    return "\n".join(out)


def _figure(effects: pd.DataFrame, factors: list[str], a: str, b: str, path: Path) -> Path | None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    metrics = [m for m in key_metrics() if np.isfinite(effects.loc[effects["metric"] == m, "effect"]).any()]
    if not metrics:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(4.4 * len(metrics), 0.45 * (len(factors) + 1) + 1.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(metrics), sharey=True))
    labels = [f"total ({b} - {a})", *factors]
    for ax, metric in zip(axes, metrics):
        s = _scale(metric)
        sub = effects[effects["metric"] == metric].set_index("term")
        rows = [sub.loc["total"], *(sub.loc[f] for f in factors)]
        eff = np.array([r["effect"] for r in rows]) * s
        lo = np.array([r["low"] for r in rows]) * s
        hi = np.array([r["high"] for r in rows]) * s
        err = np.nan_to_num(np.vstack([eff - lo, hi - eff]), nan=0.0)
        ypos = np.arange(len(rows))
        ax.barh(ypos, np.nan_to_num(eff), xerr=err, color=["0.45", *["C0"] * len(factors)], alpha=0.85, capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(ypos, labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(METRICS[metric][0], fontsize=9)
        ax.set_xlabel(_unit(metric), fontsize=8)
    fig.suptitle(f"Main effects of switching each factor from {a} to {b} (95 % intervals over replications)", fontsize=10)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=120)
    return path


# ------------------------------------------------------------------------------------------ running
@dataclass
class Attribution:
    """What :func:`attribute` returns.

    ``effects``: one row per metric x term (``total``, each factor, each interaction ``f1 x f2``)
    with ``effect``, 95 % interval ``low``/``high``, ``share_of_total`` and ``replications`` used;
    ``factors``: factor -> fields with A's and B's values; ``report``: ``attribution.md``;
    ``figures``: PNG paths; ``failures``: runs that raised; ``runs``: one row per run (cell,
    replication, seed, factor levels 0/1, every headline metric); ``folder``: where it all is.
    """

    effects: pd.DataFrame = field(repr=False)
    factors: dict[str, list[dict]]
    report: Path
    figures: list[Path]
    failures: dict[str, dict]
    folder: Path
    runs: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    sentences: list[str] = field(default_factory=list)

    def main_effects(self, metric: str) -> pd.Series:
        """The main effects of one metric, indexed by factor."""
        sub = self.effects[(self.effects["metric"] == metric) & (self.effects["kind"] == KIND_MAIN)]
        return sub.set_index("term")["effect"]

    def _repr_markdown_(self) -> str:  # how a notebook shows the result
        factors = "; ".join(f"**{f}**: " + ", ".join(f"`{x['field']}`" for x in fields) for f, fields in self.factors.items())
        return "\n".join([f"Attribution in `{self.folder}` (report `{self.report.name}`)", "", f"Factors: {factors}", "",
                          *[f"- {line}" for line in self.sentences]])


def _check_folder(folder: Path, plan: Plan, base_seed: int) -> None:
    cells = {c.name: c.scenario for c in plan.cells}
    why = check_resumable(folder, cells, base_seed)
    manifest = folder / "manifest.json"
    if why is None and manifest.exists():
        old = json.loads(manifest.read_text())
        if old.get("kind") != "attribute":
            why = f"it holds a different experiment ({old.get('kind', 'compare')})"
        elif sorted(old.get("scenarios", {})) != sorted(cells):
            why = "it holds an attribution with other combinations (other factors or scenarios)"
    if why:
        raise _fail([("--out", f"cannot resume the attribution in '{folder}': {why}; choose another folder", _NO_VALUE)])


def run_attribution(plan: Plan, replications: int, folder: Path, base_seed: int = 1, executor: str = "process",
                    workers: int | None = None, scheduler: str | None = None, progress: bool = True,
                    command: list[str] | None = None, overrides: list[str] | None = None, sources: tuple = ()) -> Attribution:
    """Run every cell ``replications`` times into ``folder`` (resuming what is there), compute the
    effects and write ``attribution.parquet``, ``factors.json``, ``attribution.md`` and the figure."""
    folder = Path(folder)
    _check_folder(folder, plan, base_seed)
    factors = list(plan.factors)
    seeds = replication_seeds(base_seed, replications)
    specs = [RunSpec(c.name, c.scenario.to_dict(), i, seed, tuple(zip(factors, c.levels)), keep_tables=False)
             for c in plan.cells for i, seed in enumerate(seeds)]
    write_manifest(folder, {c.name: c.scenario for c in plan.cells}, base_seed, seeds, command, kind="attribute",
                   scenario_a=plan.a.name, scenario_b=plan.b.name, sources=[str(s) for s in sources], overrides=overrides or [],
                   factors={f: _prefixes(fields) for f, fields in plan.factors.items()},
                   cells={c.name: dict(zip(factors, c.levels)) for c in plan.cells})
    factors_json = plan.factors_json()
    (folder / "factors.json").write_text(json.dumps(factors_json, indent=2, default=str))
    exp = run_specs(specs, folder, executor, workers, scheduler, progress)
    runs = exp.wide()
    runs.to_parquet(folder / "summary.parquet", index=False)
    if runs.empty:
        runs = pd.DataFrame(columns=["point", "replication", "seed", *factors, *METRICS])
    effects = attribution_table(runs, factors)
    effects.to_parquet(folder / "attribution.parquet", index=False)
    figure = _figure(effects, factors, plan.a.name, plan.b.name, folder / "figures" / "attribution.png")
    figures = [figure] if figure is not None else []
    report = folder / "attribution.md"
    report.write_text(_markdown(plan, effects, replications, base_seed, [str(f.relative_to(folder)) for f in figures], exp.failures))
    return Attribution(effects=effects, factors=factors_json, report=report, figures=figures, failures=exp.failures, folder=folder,
                       runs=runs, sentences=sentences(effects, plan.a.name, plan.b.name, replications=replications))


def _load(s, overrides: list[str]) -> Scenario:
    if isinstance(s, Scenario):
        return _validate(apply_overrides(s.to_dict(), overrides, source=s.name), s.name) if overrides else s
    return load_scenario(s, overrides)


def attribute(a, b, replications: int = 5, out=None, seed: int = 1, factors: dict[str, list[str]] | list[str] | None = None,
              overrides: list[str] | None = None, executor: str = "process", workers: int | None = None,
              progress: bool = True) -> Attribution:
    """Which factor causes which part of the difference between scenarios ``a`` and ``b``.

    Runs a 2^k full factorial over the groups of fields ("factors") in which the two scenarios
    differ, each cell ``replications`` times with common random numbers, as ``orgsim attribute``.

    Parameters
    ----------
    a, b : path or Scenario
        The two scenarios; A is the reference (level 0), B the target (level 1).
    replications : int
        Replications per combination (at least 2 for intervals and shares).
    out : path, optional
        Output folder (default ``results/attribute-<A>-vs-<B>-<timestamp>/``); an earlier
        attribution of the same scenarios there is resumed.
    seed : int
        Base seed of the replication seeds.
    factors : dict or list, optional
        Override the grouping: ``{"structure": ["organisation", "gatekeepers.bridges"]}`` or
        ``["structure=organisation,gatekeepers.bridges"]``; keys may be prefixes.
    overrides : list of str, optional
        ``dotted.key=value`` applied to both scenarios.
    executor, workers, progress
        As for :func:`sim.compare`.

    Returns
    -------
    Attribution
        ``effects`` (metric, term, kind, effect, low, high, share_of_total, replications, order),
        ``factors``, ``report``, ``figures``, ``failures``, ``runs``, ``sentences``.

    Raises
    ------
    AttributionError
        (a :class:`sim.ScenarioError`) for identical scenarios, unknown ``factors`` keys, more than
        8 factors, or combinations that are not valid scenarios (before anything runs).

    Example (a notebook cell)::

        r = sim.attribute("scenarios/email_gatekept.toml", "scenarios/social_business.toml", replications=5)
        r.main_effects("decision_latency_mean")     # one value per factor, in ticks
        r.effects.query("metric == 'process_coverage_concerned'")
        print("\n".join(r.sentences))
    """
    overrides = list(overrides or [])
    sa, sb = _load(a, overrides), _load(b, overrides)
    plan = plan_attribution(sa, sb, factors)
    folder = Path(out) if out is not None else Path("results") / f"attribute-{safe_name(sa.name)}-vs-{safe_name(sb.name)}-{time.strftime('%Y%m%d-%H%M%S')}"
    sources = tuple(x if not isinstance(x, Scenario) else x.name for x in (a, b))
    return run_attribution(plan, replications, folder, seed, executor, workers, None, progress, overrides=overrides, sources=sources)
