"""Where each person is drawn in the dashboard's organisation view: computed once, cached.

Departments are clusters on a circle, each a sunflower (Vogel) spiral with the department head at
its centre and people further out the lower they sit in the tree, so teams stay together; the
executive office (the CEO) is in the middle.  Gatekeepers stand next to what they guard: an
assistant beside their manager, a department's gatekeeper between its cluster and the middle, the
partner and customer desks on the way out.  Partners and customers sit around the edge, opposite
the department of their internal contact.  Everything is O(n) numpy, with no force-directed layout,
so a 1,000-person organisation is placed in milliseconds and a 100,000-person one in well under a
second; the result is cached by the organisation's structure.

>>> from sim.scenario import load_scenario_text
>>> from sim.organisation import build_organisation
>>> import numpy as np
>>> org = build_organisation(load_scenario_text('[gatekeepers]\\nbridges = ["upward", "customer"]'), np.random.default_rng(1))
>>> xy = network_layout(org)
>>> xy.shape == (org.n, 2) and bool(np.isfinite(xy).all())
True
>>> network_layout(org) is xy  # cached
True
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

from .organisation import Organisation, Role

__all__ = ["network_layout"]

GOLDEN_ANGLE = np.pi * (3 - np.sqrt(5))
_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_CACHE_SIZE = 16


def _key(org: Organisation) -> str:
    h = hashlib.sha1()
    for a in (org.role, org.department, org.manager, org.assistant, org.department_gate, np.array([org.partner_desk, org.customer_desk])):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def network_layout(org: Organisation) -> np.ndarray:
    """Positions (n, 2) in about [-1.6, 1.6]^2, cached by the organisation's roles, tree and gatekeepers.
    The returned array is shared: do not change it."""
    key = _key(org)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    xy = _compute(org)
    xy.setflags(write=False)
    _CACHE[key] = xy
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return xy


def _spiral(k: int, radius: float) -> np.ndarray:
    """``k`` points filling a disc evenly (Vogel's sunflower), the first at the centre."""
    i = np.arange(k)
    r = radius * np.sqrt(i / max(k - 1, 1))
    return np.c_[r * np.cos(i * GOLDEN_ANGLE), r * np.sin(i * GOLDEN_ANGLE)]


def _compute(org: Organisation) -> np.ndarray:
    n = org.n
    xy = np.zeros((n, 2))
    gk = org.role == Role.GATEKEEPER
    external = org.department < 0
    exec_office = len(org.department_names) - 1 if org.department_names and org.department_names[-1] == "executive office" else -1
    depts = [d for d in range(len(org.department_names)) if d != exec_office and ((org.department == d) & ~gk).any()]
    k = max(len(depts), 1)
    angle = {d: 2 * np.pi * i / k + np.pi / 2 for i, d in enumerate(depts)}
    ring = 1.0 if k > 1 else 0.0
    cluster_r = min(0.45, 0.9 * np.sin(np.pi / k)) if k > 1 else 0.6
    centre = {d: ring * np.array([np.cos(a), np.sin(a)]) for d, a in angle.items()}
    for d in depts:
        people = np.flatnonzero((org.department == d) & ~gk)
        order = people[np.lexsort((people, org.manager[people], org.level[people]))]  # head first, then by level, teams together
        scale = cluster_r * min(1.0, max(0.25, np.sqrt(len(order) / 100)))  # small departments draw small
        xy[order] = centre[d] + _spiral(len(order), scale)
    if exec_office >= 0:
        office = np.flatnonzero((org.department == exec_office) & ~gk)
        top = xy[(org.department >= 0) & (org.department != exec_office) & ~gk, 1].max(initial=0.0)
        middle = np.array([0.0, 0.0]) if k > 1 else np.array([0.0, top + 0.12])  # one department: the CEO above it
        xy[office] = middle + _spiral(len(office), 0.08)
    # gatekeepers: next to whom or what they guard
    guarded = np.flatnonzero(org.assistant >= 0)
    xy[org.assistant[guarded]] = xy[guarded] + np.array([0.07, 0.05])
    for d in depts:
        g = org.department_gate[d]
        if g >= 0:
            xy[g] = centre[d] * (1 - (cluster_r + 0.08) / max(ring, 1e-9)) if k > 1 else centre[d] + np.array([0.0, cluster_r + 0.12])
    outer = (ring + cluster_r) + 0.35
    _place_externals(org, xy, external, angle, outer, k)
    for desk, ext_role in ((org.partner_desk, Role.PARTNER), (org.customer_desk, Role.CUSTOMER)):
        if desk >= 0:
            mine = org.role == ext_role
            a = _mean_angle(xy[mine]) if mine.any() else 0.0
            xy[desk] = (outer - 0.18) * np.array([np.cos(a), np.sin(a)])
    return xy


def _mean_angle(points: np.ndarray) -> float:
    return float(np.arctan2(points[:, 1].mean(), points[:, 0].mean()))


def _place_externals(org: Organisation, xy: np.ndarray, external: np.ndarray, angle: dict, outer: float, k: int) -> None:
    """Partners and customers evenly around the edge, in the order of their contact's department
    (each group turned towards it as far as the others allow), in several rows when one is full."""
    ext = np.flatnonzero(external)
    m = len(ext)
    if m == 0:
        return
    contact_dept = org.department[np.maximum(org.manager[ext], 0)]
    contact_angle = np.array([angle.get(d, -np.pi / 2) for d in contact_dept.tolist()]) % (2 * np.pi)
    order = np.lexsort((ext, org.role[ext], contact_angle))
    ext, contact_angle = ext[order], contact_angle[order]
    spacing = 0.045
    rows = int(np.ceil(m / max(int(2 * np.pi * outer / spacing), 1)))
    slots = int(np.ceil(m / rows))
    j = np.arange(m)
    step = 2 * np.pi / slots
    a = (j // rows) * step
    first = contact_angle == contact_angle[0]  # centre the first group on its department
    a += contact_angle[0] - a[first].mean()
    r = outer + (j % rows) * spacing
    xy[ext] = np.c_[r * np.cos(a), r * np.sin(a)]
