"""Liveness under fairness: fair cycles in the reachable state graph.

The temporal properties of the language are conjunctions (``forall`` over
constant sets expanded) of ``always P``, ``eventually P``, ``always
eventually P``, ``eventually always P`` and ``P leads_to Q`` over state
predicates.  Each conjunct is violated exactly when the state graph has a
*fair* infinite path of a given shape, which this module finds directly,
without a tableau:

=====================  ====================================================
conjunct               a violating fair behaviour
=====================  ====================================================
``always P``           reaches a state where P is false (then any fair run)
``eventually P``       starts in an initial state and stays in ¬P forever
``always eventually``  ends in a fair cycle inside ¬P
``eventually always``  ends in a fair cycle through a ¬P state
``P leads_to Q``       reaches a state P ∧ ¬Q, then stays in ¬Q forever
=====================  ====================================================

"Fair" follows TLA+: every state may stutter (terminated and deadlocked
states stutter forever), ``WF(A)`` requires an ``A`` step infinitely often
when ``A`` is eventually always enabled, ``SF(A)`` when it is infinitely
often enabled; an ``A`` step must change the state (``<<A>>_vars``), and
``A`` is enabled in a state when one of its steps leaves it.  An infinite
suffix of a finite graph visits exactly the states and steps of a cycle, so
a fair path exists in a region iff some strongly connected component of it
(possibly one state with its stuttering loop) admits a fair cycle: weak
fairness is checked on the whole component, strong fairness by removing
the states where an untaken action is enabled and recursing (the
Emerson-Lei / Streett refinement).

Counterexamples are lassos: a shortest prefix from an initial state, then a
cycle that takes the steps fairness demands; ``loop_start`` is the index of
the state the last one loops back to.
"""

from __future__ import annotations

import time
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ...compile import CompiledModel
from ...compile.model import Fairness, TemporalLeaf


@dataclass
class Graph:
    """The reachable state graph: states in BFS order, edges grouped by source."""

    states: list[int]
    index: dict[int, int]
    start: array  # edges of u are start[u]:start[u+1]
    to: array
    aid: array
    parents: array  # BFS tree (shortest prefixes)
    init: list[int]
    generated: int = 0
    seconds: float = 0.0
    complete: bool = True
    level_ends: list[int] | None = None
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.states)

    def succ(self, u: int):
        a, b = self.start[u], self.start[u + 1]
        return zip(self.to[a:b], self.aid[a:b])


def build_graph(model: CompiledModel, max_states: int | None = None, progress=None) -> Graph:
    """Explore every reachable state, recording the labelled edges (self-loops
    dropped: stuttering is implicit)."""
    t0 = time.monotonic()
    states: list[int] = []
    index: dict[int, int] = {}
    parents = array("i")
    start = array("Q", [0])
    to = array("I")
    aid_arr = array("H") if len(model.actions) < 65536 else array("I")
    constraint = model.constraint
    init = []
    generated = 0
    for s0 in model.initial_states():
        generated += 1
        if constraint is not None and not constraint(s0):
            continue
        if s0 not in index:
            index[s0] = len(states)
            states.append(s0)
            parents.append(-1)
            init.append(index[s0])
    level_ends = [len(states)]
    out: list = []
    ap = out.append
    next_lab = model.next_lab
    i = 0
    complete = True
    interrupted = False
    try:
        while i < len(states):
            if i == level_ends[-1]:
                level_ends.append(len(states))
            if max_states is not None and len(states) >= max_states:
                complete = False
                break
            s = states[i]
            next_lab(s, ap)
            generated += len(out)
            for a, t in out:
                if t == s:
                    continue
                j = index.get(t)
                if j is None:
                    if constraint is not None and not constraint(t):
                        continue
                    j = len(states)
                    index[t] = j
                    states.append(t)
                    parents.append(i)
                to.append(j)
                aid_arr.append(a)
            out.clear()
            start.append(len(to))
            i += 1
            if progress is not None and not i & 4095:
                progress.update(distinct=len(states), generated=generated, queue=len(states) - i,
                                depth=len(level_ends), seconds=time.monotonic() - t0)
    except KeyboardInterrupt:
        complete = False
        interrupted = True
        del start[i + 1:]
        del to[start[-1]:]
        del aid_arr[start[-1]:]
    while len(start) < len(states) + 1:
        start.append(len(to))
    if level_ends[-1] < len(states):
        level_ends.append(len(states))
    g = Graph(states, index, start, to, aid_arr, parents, init, generated, time.monotonic() - t0, complete,
              level_ends)
    g.interrupted = interrupted
    return g


# --------------------------------------------------------------------------
# Fairness on a graph
# --------------------------------------------------------------------------


class FairGraph:
    """A graph with, per fairness constraint, where it is enabled."""

    def __init__(self, g: Graph, fairness: list[Fairness]):
        self.g = g
        self.fairness = fairness
        n = len(g)
        self.enabled: list[bytearray] = []
        for f in fairness:
            en = bytearray(n)
            aids = f.aids
            st, aid = g.start, g.aid
            for u in range(n):
                for k in range(st[u], st[u + 1]):
                    if aid[k] in aids:
                        en[u] = 1
                        break
            self.enabled.append(en)
        self.weak = [i for i, f in enumerate(fairness) if f.kind == "weak"]
        self.strong = [i for i, f in enumerate(fairness) if f.kind == "strong"]

    def sccs(self, nodes: list[int], member: bytearray) -> list[list[int]]:
        """Strongly connected components of the subgraph induced by ``nodes``
        (``member[u]`` set for them); iterative Tarjan."""
        g = self.g
        st, to = g.start, g.to
        index: dict[int, int] = {}
        low: dict[int, int] = {}
        onstack = set()
        stack: list[int] = []
        out: list[list[int]] = []
        counter = 0
        for root in nodes:
            if root in index:
                continue
            work = [(root, st[root])]
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            onstack.add(root)
            while work:
                u, k = work[-1]
                end = st[u + 1]
                pushed = False
                while k < end:
                    v = to[k]
                    k += 1
                    if not member[v]:
                        continue
                    if v not in index:
                        work[-1] = (u, k)
                        index[v] = low[v] = counter
                        counter += 1
                        stack.append(v)
                        onstack.add(v)
                        work.append((v, st[v]))
                        pushed = True
                        break
                    if v in onstack and index[v] < low[u]:
                        low[u] = index[v]
                if pushed:
                    continue
                work.pop()
                if work:
                    p = work[-1][0]
                    if low[u] < low[p]:
                        low[p] = low[u]
                if low[u] == index[u]:
                    comp = []
                    while True:
                        w = stack.pop()
                        onstack.discard(w)
                        comp.append(w)
                        if w == u:
                            break
                    out.append(comp)
        return out

    def _taken(self, comp_set: set, fi: int) -> tuple[int, int, int] | None:
        """An edge inside the component by an action of constraint ``fi``."""
        g = self.g
        aids = self.fairness[fi].aids
        st, to, aid = g.start, g.to, g.aid
        for u in comp_set:
            for k in range(st[u], st[u + 1]):
                if aid[k] in aids and to[k] in comp_set:
                    return u, to[k], aid[k]
        return None

    def fair_components(self, region: bytearray, accept: bytearray | None, first_only: bool = False):
        """Components of ``region`` containing a fair cycle (through an
        ``accept`` state when given): yields (component, requirements)."""
        nodes = [u for u in range(len(self.g)) if region[u]]
        todo = [(nodes, region)]
        while todo:
            nodes, member = todo.pop()
            for comp in self.sccs(nodes, member):
                cset = set(comp)
                refined = False
                for fi in self.strong:
                    en = self.enabled[fi]
                    if self._taken(cset, fi) is None and any(en[u] for u in comp):
                        sub = [u for u in comp if not en[u]]
                        if sub:
                            m = bytearray(len(self.g))
                            for u in sub:
                                m[u] = 1
                            todo.append((sub, m))
                        refined = True
                        break
                if refined:
                    continue
                req = []  # ("edge", u, v, aid) or ("node", w)
                ok = True
                for fi in self.weak:
                    e = self._taken(cset, fi)
                    if e is not None:
                        req.append(("edge",) + e)
                        continue
                    en = self.enabled[fi]
                    w = next((u for u in comp if not en[u]), None)
                    if w is None:
                        ok = False
                        break
                    req.append(("node", w))
                if not ok:
                    continue
                for fi in self.strong:
                    e = self._taken(cset, fi)
                    if e is not None:
                        req.append(("edge",) + e)
                if accept is not None:
                    w = next((u for u in comp if accept[u]), None)
                    if w is None:
                        continue
                    req.append(("node", w))
                yield comp, req
                if first_only:
                    return

    # -- paths
    def path_within(self, sources: list[int], targets, allowed: bytearray | None) -> list[tuple[int, int]] | None:
        """Shortest path from one of ``sources`` to a node with ``targets(node)``
        through ``allowed`` nodes: [(node, aid reaching it or -1), ...]."""
        g = self.g
        st, to, aid = g.start, g.to, g.aid
        prev: dict[int, tuple[int, int]] = {}
        q = deque()
        for s in sources:
            if s not in prev and (allowed is None or allowed[s]):
                prev[s] = (-1, -1)
                q.append(s)
        while q:
            u = q.popleft()
            if targets(u):
                out = []
                while u != -1:
                    p, a = prev[u]
                    out.append((u, a))
                    u = p
                out.reverse()
                return out
            for k in range(st[u], st[u + 1]):
                v = to[k]
                if v not in prev and (allowed is None or allowed[v]):
                    prev[v] = (u, aid[k])
                    q.append(v)
        return None

    def cycle(self, comp: list[int], req: list, entry: int) -> list[tuple[int, int]]:
        """A cycle in ``comp`` from ``entry`` meeting the requirements:
        [(node, aid)] after ``entry``; its last node steps back to ``entry``
        (an empty list is the stuttering loop on ``entry``)."""
        member = bytearray(len(self.g))
        for u in comp:
            member[u] = 1
        cur = entry
        out: list[tuple[int, int]] = []
        for r in req:
            if r[0] == "node":
                w = r[1]
                if w == cur:
                    continue
                p = self.path_within([cur], lambda x, w=w: x == w, member)
                out.extend(p[1:])
                cur = w
            else:
                _, u, v, a = r
                if u != cur:
                    p = self.path_within([cur], lambda x, u=u: x == u, member)
                    out.extend(p[1:])
                out.append((v, a))
                cur = v
        if cur != entry:
            p = self.path_within([cur], lambda x: x == entry, member)
            out.extend(p[1:])
        # the last step returns to entry: it is the loop's closing step
        if out and out[-1][0] == entry:
            self.closing_aid = out[-1][1]
            out.pop()
        else:
            self.closing_aid = -1
        return out

    def prefix(self, node: int) -> list[tuple[int, int]]:
        """Shortest path from an initial state to ``node`` (BFS tree)."""
        g = self.g
        path = []
        u = node
        while u >= 0:
            path.append(u)
            u = g.parents[u]
        path.reverse()
        out = [(path[0], -1)]
        for a, b in zip(path, path[1:]):
            out.append((b, self._aid_between(a, b)))
        return out

    def _aid_between(self, u: int, v: int) -> int:
        g = self.g
        for k in range(g.start[u], g.start[u + 1]):
            if g.to[k] == v:
                return g.aid[k]
        return -1


@dataclass
class Lasso:
    """A counterexample: nodes with the action reaching each; loop_start indexes it."""

    nodes: list[tuple[int, int]]
    loop_start: int
    closing_aid: int = -1


def check_leaf(fg: FairGraph, leaf: TemporalLeaf) -> Lasso | None:
    """None when the conjunct holds; otherwise a fair lasso violating it."""
    g = fg.g
    n = len(g)
    states = g.states
    p = leaf.p
    if leaf.form in ("always", "initially"):
        bad = bytearray(n)
        if leaf.form == "initially":
            for u in g.init:
                if not p(states[u]):
                    bad[u] = 1
        else:
            for u in range(n):
                if not p(states[u]):
                    bad[u] = 1
        first = next((u for u in range(n) if bad[u]), None)
        if first is None:
            return None
        return _lasso_from(fg, fg.prefix(first), None)
    if leaf.form == "eventually":
        region = bytearray(n)
        for u in range(n):
            if not p(states[u]):
                region[u] = 1
        return _reach_fair(fg, [u for u in g.init if region[u]], region, None)
    if leaf.form == "always_eventually":
        region = bytearray(n)
        for u in range(n):
            if not p(states[u]):
                region[u] = 1
        for comp, req in fg.fair_components(region, None, first_only=True):
            entry = min(comp)  # the component state found first by BFS
            pre = fg.prefix(entry)
            return _close(fg, pre, comp, req)
        return None
    if leaf.form == "eventually_always":
        region = bytearray(b"\x01") * n
        accept = bytearray(n)
        for u in range(n):
            if not p(states[u]):
                accept[u] = 1
        if not any(accept):
            return None
        for comp, req in fg.fair_components(region, accept, first_only=True):
            entry = min(comp)
            pre = fg.prefix(entry)
            return _close(fg, pre, comp, req)
        return None
    if leaf.form == "leads_to":
        q = leaf.q
        region = bytearray(n)
        for u in range(n):
            if not q(states[u]):
                region[u] = 1
        comps = list(fg.fair_components(region, None))
        if not comps:
            return None
        # states of the region that can reach a fair component inside it
        good = bytearray(n)
        comp_of: dict[int, int] = {}
        for ci, (comp, _) in enumerate(comps):
            for u in comp:
                good[u] = 1
                comp_of[u] = ci
        rev: dict[int, list[int]] = {}
        st, to = g.start, g.to
        for u in range(n):
            if region[u]:
                for k in range(st[u], st[u + 1]):
                    v = to[k]
                    if region[v]:
                        rev.setdefault(v, []).append(u)
        q2 = deque(u for u in range(n) if good[u])
        while q2:
            v = q2.popleft()
            for u in rev.get(v, ()):
                if not good[u]:
                    good[u] = 1
                    q2.append(u)
        # the first state in BFS order with P and not Q that can get stuck
        trigger = next((u for u in range(n) if good[u] and p(states[u])), None)
        if trigger is None:
            return None
        pre = fg.prefix(trigger)
        mid = fg.path_within([trigger], lambda x: x in comp_of, region)
        entry = mid[-1][0]
        comp, req = comps[comp_of[entry]]
        return _close(fg, pre + mid[1:], comp, req)
    raise ValueError(f"unsupported temporal form {leaf.form}")


def _reach_fair(fg: FairGraph, sources: list[int], region: bytearray, accept) -> Lasso | None:
    if not sources:
        return None
    comps = list(fg.fair_components(region, accept))
    if not comps:
        return None
    comp_of = {}
    for ci, (comp, _) in enumerate(comps):
        for u in comp:
            comp_of[u] = ci
    path = fg.path_within(sources, lambda x: x in comp_of, region)
    if path is None:
        return None
    entry = path[-1][0]
    comp, req = comps[comp_of[entry]]
    return _close(fg, path, comp, req)


def _lasso_from(fg: FairGraph, pre: list[tuple[int, int]], _unused) -> Lasso:
    """A prefix ending in a violating state, continued by some fair cycle."""
    g = fg.g
    region = bytearray(b"\x01") * len(g)
    last = pre[-1][0]
    comps = list(fg.fair_components(region, None))
    comp_of = {}
    for ci, (comp, _) in enumerate(comps):
        for u in comp:
            comp_of[u] = ci
    path = fg.path_within([last], lambda x: x in comp_of, None)
    if path is None:  # pragma: no cover - a fair continuation always exists
        return Lasso(pre, len(pre) - 1)
    entry = path[-1][0]
    comp, req = comps[comp_of[entry]]
    return _close(fg, pre + path[1:], comp, req)


def _close(fg: FairGraph, pre: list[tuple[int, int]], comp: list[int], req: list) -> Lasso:
    entry = pre[-1][0]
    cyc = fg.cycle(comp, req, entry)
    return Lasso(pre + cyc, len(pre) - 1, fg.closing_aid)


def check_temporal(model: CompiledModel, g: Graph, leaves: list[TemporalLeaf],
                   fg: FairGraph | None = None) -> tuple[TemporalLeaf, Lasso] | None:
    fg = fg or FairGraph(g, model.fairness)
    for leaf in leaves:
        lasso = check_leaf(fg, leaf)
        if lasso is not None:
            return leaf, lasso
    return None


__all__ = ["Graph", "FairGraph", "Lasso", "build_graph", "check_leaf", "check_temporal"]

_ = Callable
