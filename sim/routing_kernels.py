"""The per-message loops of routing (:mod:`sim.routing`), compiled with numba.

Decision messages are written a few at a time (a request, an ask to two holders), and each call
through numpy paid some forty small-array operations, about 0.2 ms a mail.  These kernels take one
pass over the messages instead; they draw nothing, so results are those of the numpy rules they
replace, to the bit.  Compiled on first use and cached beside this file.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["through_channels", "next_holders"]


@njit(cache=True)
def through_channels(frm, target, edge_keys, n, level, ancestors, manager, out):
    """The next logical holder "through channels": the target when the writer knows them (a tie)
    or is them; one step down the target's reporting line when the writer is above the target;
    else the writer's manager."""
    top = ancestors.shape[0] - 1
    for i in range(len(frm)):
        f, t = frm[i], target[i]
        key = f * n + t
        j = np.searchsorted(edge_keys, key)
        if f == t or (j < len(edge_keys) and edge_keys[j] == key):
            out[i] = t
        elif level[f] < level[t] and ancestors[level[f], t] == f:
            out[i] = ancestors[min(level[f] + 1, top), t]
        else:
            out[i] = manager[f]


@njit(cache=True)
def next_holders(frm, hop, cleared, screened, is_partner, is_customer, partner_desk, customer_desk, department, department_gate,
                 assistant, removed, out):
    """The next gatekeeper each message still has to pass on its hop, else the hop itself.

    The gates of a hop, in crossing order: the partner or customer desk (when the hop crosses
    between externals and staff), the receiving department's gatekeeper (when it crosses
    departments), the receiving person's assistant.  A gate on a removed bridge (``removed``:
    partner, customer, department, upward) or held by the writer or the hop is no gate.  A
    message that has cleared ``cleared`` gates goes to the next; unscreened messages go to the hop."""
    for i in range(len(frm)):
        f, h = frm[i], hop[i]
        out[i] = h
        if not screened[i]:
            continue
        ext = -1
        if partner_desk >= 0 and is_partner[f] != is_partner[h]:
            ext = partner_desk
        if customer_desk >= 0 and is_customer[f] != is_customer[h]:
            ext = customer_desk
        if (removed[0] and ext == partner_desk) or (removed[1] and ext == customer_desk):
            ext = -1
        dept = -1
        if department[h] >= 0 and department[f] != department[h] and not removed[2]:
            dept = department_gate[department[h]]
        up = -1 if removed[3] else assistant[h]
        passed = 0
        for gate in (ext, dept, up):
            if gate >= 0 and gate != f and gate != h:
                if passed == cleared[i]:
                    out[i] = gate
                    break
                passed += 1
