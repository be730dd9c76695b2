"""The compiled functions of :mod:`.scc` (numba): Tarjan's algorithm over
a state graph's CSR arrays, and the components a liveness check's
fairness leaves blocked."""

from __future__ import annotations

import numpy as np
from numba import njit

from .scc import DONE


@njit(cache=True)
def tarjan(nodes, start, to, member, use_member, index, low, stack, work_u, work_k, out_nodes, out_starts):
    """Components of the subgraph induced by ``nodes`` (``member[u] != 0``
    for them when ``use_member``; else the whole graph): their states in
    ``out_nodes``, component c being ``out_starts[c]:out_starts[c + 1]``;
    returns the number of components.  ``index`` must be -1 on entry for
    the states the search may visit; ``nodes``' entries are -1 again on exit
    (as the Python method leaves them)."""
    done = np.int64(DONE)
    counter = 0
    sp = 0  # stack pointer
    n_out = 0
    n_comp = 0
    for ri in range(nodes.shape[0]):
        root = nodes[ri]
        if index[root] >= 0:
            continue
        index[root] = counter
        low[root] = counter
        counter += 1
        stack[sp] = root
        sp += 1
        wp = 1
        work_u[0] = root
        work_k[0] = start[root]
        while wp > 0:
            u = work_u[wp - 1]
            k = work_k[wp - 1]
            end = start[u + 1]
            descended = False
            while k < end:
                v = np.int64(to[k])
                k += 1
                if use_member and member[v] == 0:
                    continue
                iv = index[v]
                if iv < 0:
                    index[v] = counter
                    low[v] = counter
                    counter += 1
                    stack[sp] = v
                    sp += 1
                    work_k[wp - 1] = k
                    work_u[wp] = v
                    work_k[wp] = start[v]
                    wp += 1
                    descended = True
                    break
                if iv < low[u]:  # on the stack (states in a component have index DONE)
                    low[u] = iv
            if descended:
                continue
            wp -= 1
            lu = low[u]
            if wp > 0:
                p = work_u[wp - 1]
                if lu < low[p]:
                    low[p] = lu
            if lu == index[u]:
                out_starts[n_comp] = n_out
                while True:
                    sp -= 1
                    w = stack[sp]
                    index[w] = done
                    out_nodes[n_out] = w
                    n_out += 1
                    if w == u:
                        break
                n_comp += 1
    out_starts[n_comp] = n_out
    for ri in range(nodes.shape[0]):
        index[nodes[ri]] = -1
    return n_comp


@njit(cache=True)
def blocked_components(nodes, starts, start, to, edge_aids, weak_at, aidmask, use_steps, step_rows):
    """Per component of more than one state, ``FairGraph._blocked``: 1 when
    some weakly fair constraint is enabled in every state of it and none of
    its steps stays inside it (``weak_at[u]``: bit j set when the j-th weak
    constraint is enabled at u; its steps are the edges whose action is in
    ``aidmask[j]``: ``edge_aids`` are the edges' actions), or those ``step_rows[j]`` marks when ``use_steps[j]``)."""
    nc = starts.shape[0] - 1
    n = weak_at.shape[0]
    comp_of = np.full(n, -1, np.int64)
    for c in range(nc):
        for x in range(starts[c], starts[c + 1]):
            comp_of[nodes[x]] = c
    out = np.zeros(nc, np.uint8)
    for c in range(nc):
        a, b = starts[c], starts[c + 1]
        if b - a < 2:
            continue
        always = ~np.uint64(0)
        for x in range(a, b):
            always &= weak_at[nodes[x]]
        if always == 0:
            continue
        taken = np.uint64(0)
        for x in range(a, b):
            u = nodes[x]
            for e in range(start[u], start[u + 1]):
                if comp_of[to[e]] != c:
                    continue
                bits = always & ~taken
                j = 0
                while bits != 0:
                    if bits & np.uint64(1):
                        if use_steps[j]:
                            hit = step_rows[j, e] != 0
                        else:
                            hit = (aidmask[j] >> np.uint64(edge_aids[e])) & np.uint64(1) != 0
                        if hit:
                            taken |= np.uint64(1) << np.uint64(j)
                    bits >>= np.uint64(1)
                    j += 1
        if always & ~taken != 0:
            out[c] = 1
    return out
