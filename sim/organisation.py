"""The organisation as arrays: roles, departments, the reporting tree, informal ties, gatekeepers.

Everything here is plain numpy so that a 100,000-person organisation builds in about a second and
the channels can index it directly.  People are numbered 0..n-1.  The reporting tree holds
everybody: executives at the top, staff below their managers, partners and customers below their
internal contact (their account person), gatekeepers below the person or unit they guard.  Routing
"through channels" and escalation both walk this tree.

Two ways in: :func:`generate` (from ``[organisation]`` in a scenario) and :func:`import_org_chart` /
:func:`import_edge_list` (from files).  Both end in :func:`add_gatekeepers`, then :class:`Organisation`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .errors import NO_VALUE, OrganisationError
from .scenario import RESERVED_DEPARTMENTS, read_user_text

__all__ = [
    "Role",
    "Group",
    "Organisation",
    "OrganisationError",
    "generate",
    "import_org_chart",
    "import_edge_list",
    "build_organisation",
    "import_counts",
    "organisation_problems",
]

MAX_FILE_BYTES = 512 * 2**20  # an org chart or edge list larger than this is refused before it is read
MAX_PROBLEMS = 20  # problems listed per file; the rest are counted


class Role(IntEnum):
    EMPLOYEE = 0
    MANAGER = 1
    EXECUTIVE = 2
    GATEKEEPER = 3
    PARTNER = 4
    CUSTOMER = 5


class Group(IntEnum):
    """Groups over which knowledge coverage is reported."""

    EMPLOYEES = 0  # employees and gatekeepers
    MANAGERS = 1  # managers and executives
    PARTNERS = 2
    CUSTOMERS = 3


ROLE_GROUP = np.array([Group.EMPLOYEES, Group.MANAGERS, Group.MANAGERS, Group.EMPLOYEES, Group.PARTNERS, Group.CUSTOMERS])
EXTERNAL_ROLES = (Role.PARTNER, Role.CUSTOMER)


@dataclass
class Organisation:
    """An organisation, immutable once built.

    Attributes (arrays of length ``n`` unless noted):
        role: :class:`Role` codes.
        department: department index, ``-1`` for partners and customers.
        manager: parent in the reporting tree (the contact for externals), ``-1`` at the root.
        level: depth in the tree (root = 0).
        ties_indptr, ties_indices: symmetric CSR adjacency of who knows whom (sorted per row).
        assistant: for each person, the gatekeeper in front of them (upward bridge) or ``-1``.
        department_gate: per department, its gatekeeper or ``-1`` (length = number of departments).
        partner_desk, customer_desk: the gatekeeper in front of partners / customers, or ``-1``.
        attributes: extra per-person columns from an imported chart (name -> list).
    """

    role: np.ndarray
    department: np.ndarray
    department_names: list[str]
    manager: np.ndarray
    ties_indptr: np.ndarray
    ties_indices: np.ndarray
    assistant: np.ndarray
    department_gate: np.ndarray
    partner_desk: int = -1
    customer_desk: int = -1
    external_ids: list[str] | None = None
    attributes: dict[str, list] = field(default_factory=dict)
    level: np.ndarray = field(init=False)
    reports_indptr: np.ndarray = field(init=False)
    reports_indices: np.ndarray = field(init=False)
    ancestors: np.ndarray = field(init=False)
    group: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.level = _levels(self.manager)
        self.ancestors = _ancestor_table(self.manager, self.level)
        self.group = ROLE_GROUP[self.role]
        has_boss = np.flatnonzero(self.manager >= 0)
        order = has_boss[np.argsort(self.manager[has_boss], kind="stable")]
        self.reports_indptr = np.r_[0, np.cumsum(np.bincount(self.manager[has_boss], minlength=self.n))].astype(np.int64)
        self.reports_indices = order.astype(np.int32)  # direct reports (and externals' contacts' customers)
        self._edge_keys = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.ties_indptr)) * self.n + self.ties_indices

    @property
    def n(self) -> int:
        return len(self.role)

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.ties_indptr)

    def has_tie(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Vectorised test whether u and v know each other (``_edge_keys`` is sorted)."""
        keys = np.asarray(u, dtype=np.int64) * self.n + np.asarray(v, dtype=np.int64)
        pos = np.searchsorted(self._edge_keys, keys)
        pos = np.minimum(pos, len(self._edge_keys) - 1)
        return self._edge_keys[pos] == keys if len(self._edge_keys) else np.zeros(len(keys), bool)

    def members(self, *roles: Role) -> np.ndarray:
        return np.flatnonzero(np.isin(self.role, roles))

    def is_external(self) -> np.ndarray:
        return np.isin(self.role, EXTERNAL_ROLES)

    def tree_distance(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Hops between u and v along the reporting tree (vectorised)."""
        u, v = np.asarray(u), np.asarray(v)
        common = np.zeros(len(u), np.int64)
        top = np.minimum(self.level[u], self.level[v])
        for d in range(1, self.ancestors.shape[0]):
            same = (d <= top) & (self.ancestors[np.minimum(d, self.ancestors.shape[0] - 1), u] == self.ancestors[np.minimum(d, self.ancestors.shape[0] - 1), v])
            common = np.where(same, d, common)
        return self.level[u] + self.level[v] - 2 * common

    def lowest_common_manager(self, people: list[int]) -> int:
        """The lowest person in the tree above or at all of ``people``."""
        common = int(people[0])
        for p in people[1:]:
            p = int(p)
            lv = min(self.level[common], self.level[p])
            a, b = self.ancestors[lv, common], self.ancestors[lv, p]
            while a != b:
                lv -= 1
                a, b = self.ancestors[lv, common], self.ancestors[lv, p]
            common = int(a)
        return common

    def to_networkx(self):
        """The tie graph as a networkx Graph with role, department and manager as node attributes."""
        import networkx as nx

        g = nx.Graph()
        for i in range(self.n):
            g.add_node(i, role=Role(self.role[i]).name.lower(), department=int(self.department[i]), manager=int(self.manager[i]))
        rows = np.repeat(np.arange(self.n), self.degree)
        mask = rows < self.ties_indices
        g.add_edges_from(zip(rows[mask].tolist(), self.ties_indices[mask].tolist()))
        return g


def _levels(manager: np.ndarray) -> np.ndarray:
    n = len(manager)
    level = np.full(n, -1, dtype=np.int32)
    level[manager < 0] = 0
    for _ in range(n + 1):
        todo = level < 0
        if not todo.any():
            return level
        parent_level = level[manager[todo]]
        known = parent_level >= 0
        idx = np.flatnonzero(todo)[known]
        level[idx] = parent_level[known] + 1
        if not known.any():
            break
    raise OrganisationError("", [("manager", "the reporting lines form a cycle", NO_VALUE)])


def _ancestor_table(manager: np.ndarray, level: np.ndarray) -> np.ndarray:
    """``table[d, i]`` = the ancestor of i at depth d (i itself at its own depth, -1 below it)."""
    depth = int(level.max()) + 1 if len(level) else 1
    table = np.full((depth, len(manager)), -1, dtype=np.int32)
    current = np.arange(len(manager), dtype=np.int32)
    cur_level = level.copy()
    for _ in range(depth):
        table[cur_level, np.arange(len(manager))] = current
        has_parent = cur_level > 0
        current = np.where(has_parent, manager[current], current)
        cur_level = np.where(has_parent, cur_level - 1, cur_level)
    return table


def _csr(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric, deduplicated, loop-free CSR from edge endpoint arrays."""
    u, v = np.asarray(u, np.int64), np.asarray(v, np.int64)
    keep = u != v
    a, b = np.minimum(u[keep], v[keep]), np.maximum(u[keep], v[keep])
    keys = np.unique(a * n + b)
    a, b = keys // n, keys % n
    m = sp.csr_matrix((np.ones(2 * len(a), np.int8), (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    m.sum_duplicates()
    m.sort_indices()
    return m.indptr.astype(np.int64), m.indices.astype(np.int32)


class _Builder:
    """Accumulates people and ties before the organisation is frozen."""

    def __init__(self, department_names: list[str]):
        self.department_names = list(department_names)
        self.role: list[np.ndarray] = []
        self.department: list[np.ndarray] = []
        self.manager: list[np.ndarray] = []
        self.edges_u: list[np.ndarray] = []
        self.edges_v: list[np.ndarray] = []
        self.n = 0

    def add(self, role, department, manager) -> np.ndarray:
        role = np.atleast_1d(np.asarray(role, np.int8))
        k = len(role)
        self.role.append(role)
        self.department.append(np.broadcast_to(np.asarray(department, np.int32), (k,)).copy())
        self.manager.append(np.broadcast_to(np.asarray(manager, np.int32), (k,)).copy())
        ids = np.arange(self.n, self.n + k, dtype=np.int32)
        self.n += k
        return ids

    def tie(self, u, v) -> None:
        u, v = np.broadcast_arrays(np.atleast_1d(np.asarray(u, np.int64)), np.atleast_1d(np.asarray(v, np.int64)))
        self.edges_u.append(u.ravel())
        self.edges_v.append(v.ravel())

    def arrays(self):
        return np.concatenate(self.role), np.concatenate(self.department), np.concatenate(self.manager)


def _lattice_ties(members: np.ndarray, mean_ties: float, rng: np.random.Generator, rewire: float = 0.1):
    """Small-world ties inside one group (Watts-Strogatz style, numpy): neighbours in hierarchy order,
    a share ``rewire`` of them moved to a random member.  With ``mean_ties >= len(members) - 1`` and
    no rewiring everyone knows everyone.  Returns endpoint arrays."""
    m = len(members)
    if m < 2 or mean_ties <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    half = max(1, int(round(mean_ties / 2)))
    half = min(half, m // 2)
    local = np.arange(m)
    u = np.repeat(local, half)
    v = (u + np.tile(np.arange(1, half + 1), m)) % m
    moved = rng.random(len(v)) < rewire
    v[moved] = rng.integers(0, m, moved.sum())
    return members[u], members[v]


def _random_cross_ties(internal: np.ndarray, dept: np.ndarray, mean_ties: float, rng: np.random.Generator):
    k = int(round(len(internal) * mean_ties / 2))
    if k == 0 or len(internal) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    u = internal[rng.integers(0, len(internal), k)]
    v = internal[rng.integers(0, len(internal), k)]
    keep = dept[u] != dept[v]
    return u[keep], v[keep]


def generate(org_cfg, rng: np.random.Generator, department_sizes: list[int] | None = None) -> _Builder:
    """Build departments, a reporting tree, informal ties, partners and customers from a scenario's
    ``[organisation]`` table.  All randomness comes from ``rng``.  ``department_sizes`` gives each
    department its own size instead of ``people_per_department`` (the calibration against a real
    network uses it); the rules and the order of draws are the same."""
    names = list(org_cfg.departments) + ["executive office"]
    sizes = [org_cfg.people_per_department] * len(org_cfg.departments) if department_sizes is None else list(department_sizes)
    if len(sizes) != len(org_cfg.departments):
        raise ValueError(f"one size per department: {len(org_cfg.departments)} departments, {len(sizes)} sizes")
    b = _Builder(names)
    ceo = b.add(Role.EXECUTIVE, len(names) - 1, -1)[0]
    s = org_cfg.span_of_control
    heads = []
    for d, m in enumerate(sizes):
        local = np.arange(m)
        parent_local = np.where(local == 0, -1, (local - 1) // s)
        has_reports = local * s + 1 < m
        first = b.n
        roles = np.where(has_reports, Role.MANAGER, Role.EMPLOYEE)
        roles[0] = Role.EXECUTIVE
        manager = np.where(parent_local < 0, ceo, first + parent_local)
        ids = b.add(roles, d, manager)
        heads.append(ids[0])
        b.tie(ids[1:], manager[1:])
        b.tie(ids[0], ceo)
        b.tie(*_lattice_ties(ids, org_cfg.ties_within_department, rng, org_cfg.rewire_share))
    role, dept, _ = b.arrays()
    internal = np.arange(b.n)
    b.tie(*_random_cross_ties(internal, dept, org_cfg.ties_across_departments, rng))
    if org_cfg.executive_team_ties:
        b.tie(heads, np.roll(heads, 1))  # the executive team knows each other

    for count, role_code, dept_name in (
        (org_cfg.partners, Role.PARTNER, org_cfg.sales_department),
        (org_cfg.customers, Role.CUSTOMER, org_cfg.support_department),
    ):
        if count == 0:
            continue
        d = names.index(dept_name)
        staff = np.flatnonzero((dept == d) & (role != Role.EXECUTIVE))
        if len(staff) == 0:
            staff = np.flatnonzero(dept == d)
        contacts = staff[rng.integers(0, len(staff), (count, org_cfg.contacts_per_external))]
        ids = b.add(np.full(count, role_code), -1, contacts[:, 0])
        for c in range(org_cfg.contacts_per_external):
            b.tie(ids, contacts[:, c])
    return b


def _read_text(path: Path, what: str) -> str:
    """A user's organisation file as text; every failure names the file (see :func:`sim.scenario.read_user_text`)."""
    return read_user_text(path, str(path), "", NO_VALUE, what, MAX_FILE_BYTES, error=OrganisationError)


def _raise(path: Path, problems: list[tuple[str, str, object]]) -> None:
    if problems:
        more = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS] + ([("", f"... and {more} more problem(s) in this file", NO_VALUE)] if more > 0 else [])
        raise OrganisationError(str(path), shown)


ROLE_NAMES = {r.name.lower(): r for r in Role}
CHART_COLUMNS = ["id", "manager_id", "department", "role"]


@dataclass
class _Chart:
    """An org chart read and checked: one entry per row, in file order."""

    ids: list[str]
    department_names: list[str]
    department: list[int]
    role: list[int]
    manager: list[int]
    extra: dict[str, list]


def _read_chart(path: Path) -> _Chart:
    """Read a CSV org chart and check every row; all problems are reported together, each naming
    its row (as a spreadsheet counts them: the header is row 1) and column.  Spaces after commas are
    allowed (``id, manager_id, department, role``), as is a UTF-8 byte-order mark."""
    text = _read_text(path, "an org chart (CSV)")
    try:
        lines = [r for r in csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)]
    except csv.Error as exc:
        raise OrganisationError(str(path), [("", f"not a readable CSV file: {exc}", NO_VALUE)]) from None
    numbered = [(i + 1, [c.strip() for c in r]) for i, r in enumerate(lines) if any(c.strip() for c in r)]
    if not numbered:
        raise OrganisationError(str(path), [("", f"the org chart is empty; it needs a header {', '.join(CHART_COLUMNS)} and one row per person", NO_VALUE)])
    (_, header), body = numbered[0], numbered[1:]
    missing = [c for c in CHART_COLUMNS if c not in header]
    doubled = sorted({c for c in header if header.count(c) > 1})
    if missing or doubled or "" in header:
        problems = [("row 1", f"missing column(s) {missing}; needed: {CHART_COLUMNS}", header)] if missing else []
        problems += [("row 1", f"column(s) named more than once: {doubled}", header)] if doubled else []
        problems += [("row 1", "a column has no name", header)] if "" in header else []
        _raise(path, problems)
    if not body:
        _raise(path, [("", "the org chart has a header but no people", NO_VALUE)])
    problems: list = []
    rows = []
    for line, cells in body:
        if len(cells) != len(header):
            problems.append((f"row {line}", f"has {len(cells)} field(s), the header has {len(header)} ({', '.join(header)})", ",".join(cells)))
            continue
        rows.append((line, dict(zip(header, cells))))
    _raise(path, problems)
    index: dict[str, int] = {}
    for i, (line, r) in enumerate(rows):
        key = r["id"]
        if not key:
            problems.append((f"row {line}: id", "must not be empty", key))
        elif key in index:
            problems.append((f"row {line}: id", f"duplicate id (first on row {rows[index[key]][0]})", key))
        else:
            index[key] = i
    allowed = [k for k in ROLE_NAMES if k != "gatekeeper"]
    roles = []
    for line, r in rows:
        rname = r["role"].lower()
        if rname not in allowed:
            problems.append((f"row {line}: role", f"must be one of {allowed}", r["role"]))
        roles.append(ROLE_NAMES.get(rname, Role.EMPLOYEE))
    _raise(path, problems)
    names: list[str] = []
    dept, manager = [], []
    for i, (line, r) in enumerate(rows):
        role, boss, dname = roles[i], r["manager_id"], r["department"]
        is_ext = role in EXTERNAL_ROLES
        rname = role.name.lower()
        if boss and boss not in index:
            problems.append((f"row {line}: manager_id", "no person with this id", boss))
        elif boss == r["id"]:
            problems.append((f"row {line}: manager_id", "a person cannot be their own manager", boss))
        elif boss:
            boss_role = roles[index[boss]]
            if boss_role in EXTERNAL_ROLES:
                whose = f"a {rname}'s internal contact" if is_ext else f"an {rname}'s manager" if rname[0] in "aeiou" else f"a {rname}'s manager"
                problems.append((f"row {line}: manager_id", f"{whose} must be an employee, manager or executive, not a {boss_role.name.lower()}", boss))
        elif is_ext:
            problems.append((f"row {line}: manager_id", f"a {rname} needs an internal contact", boss))
        if not is_ext:
            if not dname:
                problems.append((f"row {line}: department", f"an {rname} needs a department" if rname[0] in "aeiou" else f"a {rname} needs a department", dname))
            elif dname in RESERVED_DEPARTMENTS:
                problems.append((f"row {line}: department", f"{dname!r} is the name orgsim gives its own group ({', '.join(RESERVED_DEPARTMENTS)}); rename it", dname))
            elif dname not in names:
                names.append(dname)
        dept.append(-1 if is_ext or dname not in names else names.index(dname))
        manager.append(index.get(boss, -1) if boss else -1)
    _raise(path, problems)
    roots = [rows[i][1]["id"] for i, m in enumerate(manager) if m < 0]
    if len(roots) != 1:
        _raise(path, [("manager_id", f"exactly one person may have no manager (got {len(roots)}: {roots[:5]})", NO_VALUE)])
    cycle = _a_cycle(np.asarray(manager, np.int64))
    if cycle:
        ids = [rows[i][1]["id"] for i in cycle]
        first = rows[cycle[0]]
        _raise(path, [(f"row {first[0]}: manager_id", f"the reporting lines form a cycle: {' -> '.join(ids + ids[:1])}", first[1]["manager_id"])])
    extra = {c: [r[c] for _, r in rows] for c in header if c not in CHART_COLUMNS}
    return _Chart([r["id"] for _, r in rows], names, dept, [int(x) for x in roles], manager, extra)


def _a_cycle(manager: np.ndarray) -> list[int]:
    """People on one cycle of reporting lines (in reporting order), or [] when the lines form a tree."""
    level = np.full(len(manager), -1, np.int64)
    level[manager < 0] = 0
    for _ in range(len(manager) + 1):
        todo = np.flatnonzero(level < 0)
        if len(todo) == 0:
            return []
        parent = level[manager[todo]]
        if not (parent >= 0).any():
            break
        level[todo[parent >= 0]] = parent[parent >= 0] + 1
    start, seen = int(np.flatnonzero(level < 0)[0]), []
    while start not in seen:  # from anyone left over, following managers ends in a loop
        seen.append(start)
        start = int(manager[start])
    return seen[seen.index(start):]


def import_org_chart(path: str | Path, org_cfg, rng: np.random.Generator) -> tuple[_Builder, list[str], dict]:
    """Read a CSV org chart (``id, manager_id, department, role`` + any extra columns).

    Roles: employee, manager, executive, partner, customer (gatekeepers come from the scenario).
    Partners' and customers' ``manager_id`` names their internal contact.  Informal ties are drawn as
    for a generated organisation, from the scenario's tie parameters.  Raises
    :class:`OrganisationError` naming the file, row and column of every problem.
    """
    chart = _read_chart(Path(path))
    b = _Builder(chart.department_names)
    b.add(chart.role, chart.department, chart.manager)
    role_a, dept_a, man_a = b.arrays()
    who = np.flatnonzero(man_a >= 0)
    b.tie(who, man_a[who])
    internal = np.flatnonzero(dept_a >= 0)
    for d in range(len(chart.department_names)):
        b.tie(*_lattice_ties(internal[dept_a[internal] == d], org_cfg.ties_within_department, rng, org_cfg.rewire_share))
    b.tie(*_random_cross_ties(internal, dept_a, org_cfg.ties_across_departments, rng))
    return b, chart.ids, chart.extra


def _read_pairs(path: Path, what: str, columns: str) -> np.ndarray:
    """Whole numbers, two per line (``#`` starts a comment), as an (m, 2) array."""
    text = _read_text(path, what)
    data = [line for line in text.splitlines() if line.split("#", 1)[0].strip()]
    if not data:
        raise OrganisationError(str(path), [("", f"holds no lines of data; expected {columns} per line", NO_VALUE)])
    try:
        pairs = np.loadtxt(io.StringIO("\n".join(data)), dtype=np.int64, ndmin=2, comments="#")
    except (ValueError, OverflowError) as exc:
        raise OrganisationError(str(path), [("", f"expected whole numbers, {columns} per line ({exc})", NO_VALUE)]) from None
    if pairs.shape[1] != 2:
        raise OrganisationError(str(path), [("", f"expected two columns per line ({columns}); got {pairs.shape[1]}", NO_VALUE)])
    return pairs


def import_edge_list(edges_path: str | Path, departments_path: str | Path, span_of_control: int) -> tuple[_Builder, list[str]]:
    """Read an edge list (``u v`` per line) and labels (``person department`` per line).

    There is no reporting chart in such data, so one is inferred: inside each department people are
    ranked by ties inside the department; the best connected becomes head, the next ones managers,
    with ``span_of_control`` reports each, in rank order.  The best connected head overall is CEO.
    Direction and self-loops are dropped; the ties are who-mailed-whom.
    """
    edges_path, departments_path = Path(edges_path), Path(departments_path)
    labels = _read_pairs(departments_path, "a department file", "person department")
    edges = _read_pairs(edges_path, "an edge list", "u v")
    ids, first, counts = np.unique(labels[:, 0], return_index=True, return_counts=True)
    if (counts > 1).any():
        twice = ids[counts > 1][:5].tolist()
        raise OrganisationError(str(departments_path), [("person", "each person must be listed once", twice)])
    pos = {int(p): i for i, p in enumerate(labels[:, 0])}
    unknown = [int(x) for x in np.unique(edges) if int(x) not in pos]
    if unknown:
        raise OrganisationError(str(edges_path), [("", f"people without a department label in {departments_path.name}", unknown[:5])])
    n = len(labels)
    remap = np.vectorize(pos.__getitem__, otypes=[np.int64])
    u, v = remap(edges[:, 0]), remap(edges[:, 1])
    dept_codes, dept = np.unique(labels[:, 1], return_inverse=True)
    indptr, indices = _csr(n, u, v)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    inside = np.bincount(rows[dept[rows] == dept[indices]], minlength=n)
    total = np.diff(indptr)
    manager = np.full(n, -1, np.int64)
    role = np.full(n, Role.EMPLOYEE, np.int8)
    heads = []
    for d in range(len(dept_codes)):
        members = np.flatnonzero(dept == d)
        order = members[np.lexsort((members, -total[members], -inside[members]))]
        local = np.arange(len(order))
        parent = np.where(local == 0, -1, (local - 1) // span_of_control)
        manager[order[1:]] = order[parent[1:]]
        has_reports = local * span_of_control + 1 < len(order)
        role[order[has_reports]] = Role.MANAGER
        heads.append(order[0])
    heads = np.array(heads)
    ceo = heads[np.lexsort((heads, -total[heads]))[0]]
    manager[heads[heads != ceo]] = ceo
    role[heads] = Role.EXECUTIVE
    b = _Builder([f"department {c}" for c in dept_codes])
    b.add(role, dept, manager)
    b.tie(u, v)
    who = np.flatnonzero(manager >= 0)
    b.tie(who, manager[who])
    return b, [str(int(p)) for p in labels[:, 0]]


def add_gatekeepers(b: _Builder, gk_cfg) -> dict:
    """Place gatekeepers on the chosen bridges; they are people too (role GATEKEEPER)."""
    role, dept, manager = b.arrays()
    level = _levels(manager)
    n_people = b.n
    assistant = np.full(n_people, -1, np.int32)
    dept_gate = np.full(len(b.department_names), -1, np.int32)
    desks = {"partner": -1, "customer": -1}
    bridges = set(gk_cfg.bridges)
    if "upward" in bridges:
        guarded = np.flatnonzero(np.isin(role, (Role.MANAGER, Role.EXECUTIVE)) & (level <= gk_cfg.upward_max_level))
        ids = b.add(np.full(len(guarded), Role.GATEKEEPER), dept[guarded], guarded)
        assistant[guarded] = ids
        b.tie(ids, guarded)
    if "department" in bridges:
        for d in range(len(b.department_names)):
            members = np.flatnonzero((dept == d) & (role != Role.GATEKEEPER))
            if len(members) == 0 or b.department_names[d] == "executive office":
                continue
            head = members[np.argmin(level[members])]
            dept_gate[d] = b.add(Role.GATEKEEPER, d, head)[0]
            b.tie(dept_gate[d], head)
    for kind, ext_role in (("partner", Role.PARTNER), ("customer", Role.CUSTOMER)):
        if kind not in bridges:
            continue
        externals = np.flatnonzero(role == ext_role)
        if len(externals) == 0:
            raise OrganisationError("", [("gatekeepers.bridges", f"a {kind} gatekeeper needs {kind}s, the organisation has none", kind)])
        contacts = manager[externals]
        contact_dept = int(np.bincount(dept[contacts]).argmax())
        members = np.flatnonzero(dept == contact_dept)
        head = members[np.argmin(level[members])]
        desks[kind] = int(b.add(Role.GATEKEEPER, contact_dept, head)[0])
        b.tie(desks[kind], head)
    assistant = np.concatenate([assistant, np.full(b.n - n_people, -1, np.int32)])
    return {"assistant": assistant, "department_gate": dept_gate, "partner_desk": desks["partner"], "customer_desk": desks["customer"]}


def build_organisation(scenario, rng: np.random.Generator) -> Organisation:
    """Generate or import the organisation a scenario describes, then place its gatekeepers."""
    org_cfg = scenario.organisation
    spec = org_cfg.import_
    external_ids, attributes = None, {}
    if spec is None:
        b = generate(org_cfg, rng)
    elif spec.org_chart is not None:
        b, external_ids, attributes = import_org_chart(spec.org_chart, org_cfg, rng)
    else:
        b, external_ids = import_edge_list(spec.edges, spec.departments, spec.span_of_control)
    gates = add_gatekeepers(b, scenario.gatekeepers)
    role, dept, manager = b.arrays()
    indptr, indices = _csr(b.n, np.concatenate(b.edges_u), np.concatenate(b.edges_v))
    return Organisation(
        role=role,
        department=dept,
        department_names=b.department_names,
        manager=manager,
        ties_indptr=indptr,
        ties_indices=indices,
        external_ids=external_ids,
        attributes=attributes,
        **gates,
    )


def import_counts(spec) -> dict:
    """What an ``[organisation.import]`` holds, read from its files before anything is built, for
    :func:`sim.scenario.estimate`: people per department, partners, customers and, for an edge list,
    the lines of the edge file.  Raises :class:`OrganisationError` as the importers do."""
    if spec.org_chart is not None:
        chart = _read_chart(Path(spec.org_chart))
        dept = np.asarray(chart.department)
        role = np.asarray(chart.role)
        sizes = np.bincount(dept[dept >= 0], minlength=len(chart.department_names)).tolist()
        return {"department_sizes": sizes, "partners": int((role == Role.PARTNER).sum()), "customers": int((role == Role.CUSTOMER).sum())}
    labels = _read_pairs(Path(spec.departments), "a department file", "person department")
    edges = _read_pairs(Path(spec.edges), "an edge list", "u v")
    return {"department_sizes": np.unique(labels[:, 1], return_counts=True)[1].tolist(), "partners": 0, "customers": 0, "file_ties": len(edges)}


def organisation_problems(scenario, org: Organisation) -> list[tuple[str, str, object]]:
    """Departments a scenario names must exist in the organisation it built (an imported chart's
    departments are only known once it is read)."""
    names = [d for d in org.department_names if d != "executive office"]
    problems = []
    for key, wanted in (("adoption.eligible_departments", scenario.adoption.eligible_departments),
                        ("stream.community_departments", scenario.stream.community_departments)):
        for d in wanted or []:
            if d not in names:
                shown = names if len(names) <= 12 else names[:12] + ["..."]
                problems.append((key, f"must name departments of the organisation: {shown}", d))
    return problems
