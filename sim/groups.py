"""Audiences: the groups a message can be shared with, the same on both channels.

A group is a set of people: the whole company (internal staff), a department, a team (a manager and
their direct reports), or a community across departments.  By mail a group is a distribution list;
on the stream it is a space (when the scenario opens one for its kind).  Sharing picks an audience
kind by the same weights whichever channel carries it (:mod:`sim.sharing`).

Communities draw their members from ``stream.community_departments`` (all departments when null)
with ``stream.community_membership_share``; partners and customers join only when
``stream.externals_in_communities`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import scipy.sparse as sp

from .organisation import Organisation, Role

__all__ = ["GroupKind", "Groups", "build_groups"]


class GroupKind(IntEnum):
    COMPANY = 0
    DEPARTMENT = 1
    TEAM = 2
    COMMUNITY = 3


@dataclass
class Groups:
    """Who belongs to which group.  ``members_indptr/indices``: CSR group -> people (sorted);
    ``person_indptr/indices``: CSR person -> groups; ``kind[g]``; ``is_space[g]``: a stream space;
    ``has_externals[g]``; ``department_group[d]``, ``team_of[p]`` (the team a person leads, else the
    team they belong to; -1 if none), ``company`` (group id or -1)."""

    names: list[str]
    kind: np.ndarray
    is_space: np.ndarray
    has_externals: np.ndarray
    members_indptr: np.ndarray
    members_indices: np.ndarray
    person_indptr: np.ndarray
    person_indices: np.ndarray
    department_group: np.ndarray
    team_of: np.ndarray
    company: int

    @property
    def count(self) -> int:
        return len(self.names)

    def members(self, g: int) -> np.ndarray:
        return self.members_indices[self.members_indptr[g] : self.members_indptr[g + 1]]

    def of_person(self, p: int) -> np.ndarray:
        return self.person_indices[self.person_indptr[p] : self.person_indptr[p + 1]]

    def size(self) -> np.ndarray:
        return np.diff(self.members_indptr)

    def in_a_space(self) -> np.ndarray:
        """Who belongs to at least one stream space, per person."""
        mask = np.zeros(len(self.person_indptr) - 1, bool)
        mask[self.members_indices[np.repeat(self.is_space, self.size())]] = True
        return mask

    def spaces_of(self, p: int) -> np.ndarray:
        mine = self.of_person(p)
        return mine[self.is_space[mine]]


def build_groups(org: Organisation, stream_cfg, rng: np.random.Generator, externals_join: tuple[Role, ...] | None = None) -> Groups:
    """Company, departments, teams and communities; gatekeepers belong to none (screening is their job).

    ``externals_join`` (roles) overrides ``stream.externals_in_communities``: which externals join the
    communities.  The draws are the same whoever joins, so opening communities later (an
    intervention) rebuilds the same groups with the externals added."""
    internal = np.flatnonzero((org.department >= 0) & (org.role != Role.GATEKEEPER))
    external = np.flatnonzero(org.department < 0)
    names, kinds, spaces, rows, cols = [], [], [], [], []

    def add(name, kind, space, people):
        rows.append(np.full(len(people), len(names)))
        cols.append(np.asarray(people, np.int64))
        names.append(name)
        kinds.append(kind)
        spaces.append(space)
        return len(names) - 1

    company = add("company", GroupKind.COMPANY, stream_cfg.company_space, internal)
    dept_group = np.full(len(org.department_names), -1, np.int64)
    for d, dname in enumerate(org.department_names):
        people = internal[org.department[internal] == d]
        if len(people):
            dept_group[d] = add(f"department:{dname}", GroupKind.DEPARTMENT, stream_cfg.department_spaces, people)
    team_of = np.full(org.n, -1, np.int64)
    leads = np.flatnonzero(np.isin(org.role, (Role.MANAGER, Role.EXECUTIVE)))
    for lead in leads.tolist():
        reports = org.reports_indices[org.reports_indptr[lead] : org.reports_indptr[lead + 1]]
        reports = reports[(org.department[reports] >= 0) & (org.role[reports] != Role.GATEKEEPER)]
        if len(reports) == 0:
            continue
        g = add(f"team:{lead}", GroupKind.TEAM, stream_cfg.team_spaces, np.r_[lead, reports])
        team_of[lead] = g
        free = reports[team_of[reports] < 0]
        team_of[free] = g
    c = stream_cfg.communities
    if c:
        pool = internal
        if stream_cfg.community_departments is not None:
            codes = [org.department_names.index(d) for d in stream_cfg.community_departments if d in org.department_names]
            pool = internal[np.isin(org.department[internal], codes)]
        inside = rng.random((c, len(pool))) < stream_cfg.community_membership_share
        join = (Role.PARTNER, Role.CUSTOMER) if stream_cfg.externals_in_communities else () if externals_join is None else externals_join
        if join and len(external):
            ext = rng.random((c, len(external))) < stream_cfg.community_membership_share
            ext[rng.integers(0, c, len(external)), np.arange(len(external))] = True  # each in one at least
            ext &= np.isin(org.role[external], join)[None, :]
        else:
            ext = np.zeros((c, len(external)), bool)
        for k in range(c):
            add(f"community:{k}", GroupKind.COMMUNITY, True, np.concatenate([pool[inside[k]], external[ext[k]]]))
    r, cidx = np.concatenate(rows), np.concatenate(cols)
    mat = sp.csr_matrix((np.ones(len(r), np.int8), (r, cidx)), shape=(len(names), org.n))
    mat.sum_duplicates()
    mat.sort_indices()
    t = mat.T.tocsr()
    t.sort_indices()
    is_external = org.department < 0
    has_ext = np.array([is_external[mat.indices[mat.indptr[g] : mat.indptr[g + 1]]].any() for g in range(len(names))], bool)
    return Groups(
        names=names, kind=np.array(kinds, np.int8), is_space=np.array(spaces, bool), has_externals=has_ext,
        members_indptr=mat.indptr.astype(np.int64), members_indices=mat.indices.astype(np.int64),
        person_indptr=t.indptr.astype(np.int64), person_indices=t.indices.astype(np.int64),
        department_group=dept_group, team_of=team_of, company=company,
    )
