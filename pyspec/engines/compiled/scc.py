"""Strongly connected components of a liveness check's state graph, in
compiled code.

:func:`tarjan` is :meth:`pyspec.engines.embedded.liveness.FairGraph.sccs`
step for step (the same iterative Tarjan: the same roots in the same
order, each state's edges in order, the same low-link updates), so the
components, their order (reverse topological) and the order of the states
in each are the Python method's, and so are the lassos built from them.
The graph is its CSR arrays (``start``, ``to``); the per-state numbers and
the stacks are arrays the caller allocates once per graph.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: the index of a state already in a component (the Python method's _DONE)
DONE = 1 << 62


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
def blocked_components(nodes, starts, start, to, aid, weak_at, aidmask, use_steps, step_rows):
    """Per component of more than one state, ``FairGraph._blocked``: 1 when
    some weakly fair constraint is enabled in every state of it and none of
    its steps stays inside it (``weak_at[u]``: bit j set when the j-th weak
    constraint is enabled at u; its steps are the edges whose action is in
    ``aidmask[j]``, or those ``step_rows[j]`` marks when ``use_steps[j]``)."""
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
                            hit = (aidmask[j] >> np.uint64(aid[e])) & np.uint64(1) != 0
                        if hit:
                            taken |= np.uint64(1) << np.uint64(j)
                    bits >>= np.uint64(1)
                    j += 1
        if always & ~taken != 0:
            out[c] = 1
    return out


class CompiledSccs:
    """The arrays :func:`tarjan` works on, for one graph of ``n`` states."""

    def __init__(self, start, to, n: int) -> None:
        self.start = np.frombuffer(start, dtype=np.uint64).astype(np.int64)
        self.to = np.frombuffer(to, dtype=np.uint32) if len(to) else np.zeros(1, np.uint32)
        self.index = np.full(n, -1, np.int64)
        self.low = np.zeros(n, np.int64)
        self.stack = np.zeros(n, np.int64)
        self.work_u = np.zeros(n, np.int64)
        self.work_k = np.zeros(n, np.int64)
        self.out_nodes = np.zeros(n, np.int64)
        self.out_starts = np.zeros(n + 1, np.int64)
        self.no_member = np.zeros(1, np.uint8)

    def run(self, nodes, member) -> tuple[np.ndarray, np.ndarray]:
        """(states in component order, component starts) of ``nodes``."""
        arr = np.arange(len(self.index), dtype=np.int64) if isinstance(nodes, range) and len(nodes) == len(
            self.index) and nodes.start == 0 and nodes.step == 1 else np.asarray(list(nodes), dtype=np.int64)
        use = member is not None
        m = np.frombuffer(member, dtype=np.uint8) if use else self.no_member
        nc = tarjan(arr, self.start, self.to, m, use, self.index, self.low, self.stack, self.work_u, self.work_k,
                    self.out_nodes, self.out_starts)
        return self.out_nodes[:self.out_starts[nc]], self.out_starts[:nc + 1]


def split(nodes: np.ndarray, starts: np.ndarray) -> list[list[int]]:
    """Components as lists of states."""
    flat = nodes.tolist()
    bounds = starts.tolist()
    return [flat[a:b] for a, b in zip(bounds, bounds[1:])]


__all__ = ["CompiledSccs", "DONE", "blocked_components", "split", "tarjan"]
