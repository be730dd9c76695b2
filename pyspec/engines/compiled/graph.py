"""The state graph of a liveness check, built by the compiled loop.

:func:`build_graph` is the compiled twin of
:func:`pyspec.engines.embedded.liveness.build_graph`: the same states in
the same order, the same edges (every successor that is not a stutter and
is stored, with its action), the same BFS tree, levels, generated count
and per-state masks of the actions that change the state.  The search is
the compiled engine's (:mod:`.search`, ``edges=True``): states, edges and
masks are numpy arrays filled by the loop, then handed to the liveness
checker as the ``array`` columns it reads, so that a graph of millions of
states is built without a Python call per state.  Fairness, SCCs and the
temporal leaves stay in pyspec/engines/embedded/liveness.py.
"""

from __future__ import annotations

import time
from array import array

import numpy as np

from ...compile import CompiledModel
from ..embedded.bfs import Options
from ..embedded.liveness import Graph
from . import Fallback, Unsupported, unsupported_reason
from . import ctl as kn


def build_graph(cm: CompiledModel, max_states: int | None = None, progress=None) -> Graph:
    """Explore every reachable state (no symmetry: liveness needs the whole
    graph), recording the labelled edges.  Raises :class:`Unsupported` or
    :class:`Fallback` (the caller builds the graph in Python then)."""
    from .search import _ints, _Search

    why = unsupported_reason(cm)
    if why is not None:
        raise Unsupported(why)
    t0 = time.monotonic()
    opts = Options(max_states=max_states, progress=progress)
    search = _Search(cm, opts, edges=True)
    res = search.run()
    if res.stopped not in (None, "max-states", "interrupted"):
        raise Fallback(f"the search stopped ({res.stopped})")
    ctl = search.ctl
    n = int(ctl[kn.N])
    expanded = min(search.cursor, n)
    # the states not expanded (a stop) have no edges; edges of the state the
    # stop cut short are dropped, as the Python builder drops them
    nedges = int(search.edge_start[expanded]) if expanded else 0
    start = search.edge_start[:n + 1].copy()
    start[expanded + 1:] = nedges
    masks = search.edge_mask[:n].copy()
    masks[expanded:] = 0
    states = _ints(search.states[:n])
    n_actions = len(cm.actions)
    aid_code = "B" if n_actions < 256 else "H" if n_actions < 65536 else "I"
    aid = array(aid_code)
    aid.frombytes(search.edge_aid[:nedges].astype(np.dtype(aid_code)).tobytes())
    to = array("I")
    to.frombytes(search.edge_to[:nedges].astype(np.uint32).tobytes())
    start_arr = array("Q")
    start_arr.frombytes(start.astype(np.uint64).tobytes())
    parents = array("i")
    parents.frombytes(search.parents[:n].astype(np.int32).tobytes())
    if masks.shape[1] == 1:
        masks_arr = array("Q")
        masks_arr.frombytes(masks.astype(np.uint64).tobytes())
    else:  # more than 64 actions: a Python int per state, as the Python builder keeps them
        masks_arr = _ints(masks)
    level_ends = [e for e in res.store.level_ends if e]
    if not level_ends or level_ends[-1] < n:
        level_ends.append(n)
    init = list(range(level_ends[0])) if level_ends else []
    complete = res.stopped is None
    g = Graph(states, start_arr, to, aid, parents, init, res.generated,
              time.monotonic() - t0, complete, level_ends)
    g.interrupted = res.stopped == "interrupted"
    g.masks = masks_arr
    g.words = search.states[:n]  # predicates evaluated per distinct part value (FairGraph.holds_at)
    return g


__all__ = ["build_graph"]
