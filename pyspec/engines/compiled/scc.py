"""Strongly connected components of a liveness check's state graph, in
compiled code.

:func:`.scc_kernel.tarjan` is :meth:`pyspec.engines.embedded.liveness.FairGraph.sccs`
step for step (the same iterative Tarjan: the same roots in the same
order, each state's edges in order, the same low-link updates), so the
components, their order (reverse topological) and the order of the states
in each are the Python method's, and so are the lassos built from them.
The graph is its CSR arrays (``start``, ``to``); the per-state numbers and
the stacks are arrays the caller allocates once per graph.
"""

from __future__ import annotations

import numpy as np

from .library import library

#: the index of a state already in a component (the Python method's _DONE)
DONE = 1 << 62


class CompiledSccs:
    """The arrays :func:`.scc_kernel.tarjan` works on, for one graph of ``n`` states."""

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
        nc = library().tarjan(arr, self.start, self.to, m, use, self.index, self.low, self.stack, self.work_u,
                              self.work_k, self.out_nodes, self.out_starts)
        return self.out_nodes[:self.out_starts[nc]], self.out_starts[:nc + 1]


def split(nodes: np.ndarray, starts: np.ndarray) -> list[list[int]]:
    """Components as lists of states."""
    flat = nodes.tolist()
    bounds = starts.tolist()
    return [flat[a:b] for a, b in zip(bounds, bounds[1:])]


__all__ = ["CompiledSccs", "DONE", "split"]
