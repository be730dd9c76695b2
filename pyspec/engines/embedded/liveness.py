"""Liveness under fairness: fair cycles in the reachable state graph.

The temporal properties of the language are conjunctions (``forall`` over
constant sets expanded) of the forms :mod:`pyspec.ir.temporal` lists, over
state predicates.  Each conjunct is violated exactly when the state graph
has a *fair* infinite path of a given shape, which this module finds
directly, without a tableau:

==============================  =============================================
conjunct                        a violating fair behaviour
==============================  =============================================
``always P``                    reaches a state where P is false (then any
                                fair run)
``eventually P``                starts in an initial state and stays in ¬P
                                forever
``always eventually``           ends in a fair cycle inside ¬P
``eventually always``           ends in a fair cycle through a ¬P state
``P leads_to Q``, also written  reaches a state P ∧ ¬Q, then stays in ¬Q
``always (P implies             forever
eventually Q)``
``P implies eventually Q``      starts in an initial state P ∧ ¬Q and stays
                                in ¬Q forever
``P implies always Q``          starts in an initial state with P, reaches a
                                ¬Q state (then any fair run)
``always (P implies always Q)`` reaches a state with P, then (there or later)
                                a ¬Q state (then any fair run)
``(always P) implies            starts in an initial state and stays in
eventually Q``                  P ∧ ¬Q forever
``(always P) implies always     starts in an initial state, stays in P and
eventually Q``                  ends in a fair cycle inside P ∧ ¬Q
``weak_fair(A)``,               ends in a fair cycle that takes no A step, A
``strong_fair(A)``              enabled in each of its states (strong: in
                                one), :func:`unfair_lasso`
==============================  =============================================

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

The strongly connected components of the whole graph are computed once
(shared by every conjunct and property); a component in which a weakly fair
action is enabled everywhere but never taken cannot hold a fair cycle, nor
can any part of it, so each conjunct only looks (with Tarjan again, on its
region) inside the remaining candidate components.

Counterexamples are lassos: a shortest prefix from an initial state, then a
cycle that takes the steps fairness demands; ``loop_start`` is the index of
the state the last one loops back to.  For the conjuncts with a trigger
(``eventually``, ``leads_to``, the ``implies`` forms) the prefix comes from
a breadth-first search over (state, phase of a small monitor), and the
cycle also visits what the monitor still waits for, so that the violation
may happen on the loop (see :func:`_monitor`).
"""

from __future__ import annotations

import time
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from itertools import accumulate, repeat
from operator import and_, ne, not_, or_
from typing import Any

from ...compile import CompiledModel
from ...compile.model import Fairness, TemporalLeaf


@dataclass
class Graph:
    """The reachable state graph: states in BFS order, edges grouped by source."""

    states: list[int]
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
    masks: Any = None  # per state, bit a set when step instance a changes it (array or list)
    # the states as rows of 64-bit words (numpy), when the compiled loop built
    # the graph: predicates are then evaluated once per distinct value of
    # the bits they read (FairGraph.holds_at)
    words: Any = None

    def __len__(self) -> int:
        return len(self.states)

    def succ(self, u: int):
        a, b = self.start[u], self.start[u + 1]
        return zip(self.to[a:b], self.aid[a:b])


class Handover(Exception):
    """The graph takes longer than the caller's hand-over time: the caller
    builds it with the compiled loop (pyspec/engines/compiled/graph.py)."""


def build_graph(model: CompiledModel, max_states: int | None = None, progress=None,
                handover: float | None = None) -> Graph:
    """Explore every reachable state, recording the labelled edges (self-loops
    dropped: stuttering is implicit).  With ``handover`` (seconds), raise
    :class:`Handover` when the exploration runs longer than that."""
    t0 = time.monotonic()
    states: list[int] = []
    index: dict[int, int] = {}
    parents = array("i")
    start = array("Q", [0])
    to = array("I")
    n_actions = len(model.actions)
    aid_arr = array("B" if n_actions < 256 else "H" if n_actions < 65536 else "I")
    bit = [1 << a for a in range(n_actions)]
    masks = array("Q") if n_actions <= 64 else []
    is_terminal = model.is_terminal
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
    index_get = index.get
    states_ap, parents_ap, to_ap, aid_ap = states.append, parents.append, to.append, aid_arr.append
    start_ap, masks_ap = start.append, masks.append
    n_states = len(states)
    n_edges = 0
    limit = max_states if max_states is not None else 1 << 62
    level_end = level_ends[-1]
    try:
        while i < n_states:
            if i == level_end:
                level_end = n_states
                level_ends.append(level_end)
            if n_states >= limit:
                complete = False
                break
            s = states[i]
            next_lab(s, ap)
            generated += len(out)
            if not out and is_terminal(s):
                generated += 1  # TLC's Terminating step (a stutter) counts as generated
            m = 0
            for a, t in out:
                if t == s:
                    continue
                m |= bit[a]
                j = index_get(t)
                if j is None:
                    if constraint is not None and not constraint(t):
                        continue
                    j = n_states
                    n_states += 1
                    index[t] = j
                    states_ap(t)
                    parents_ap(i)
                to_ap(j)
                aid_ap(a)
                n_edges += 1
            out.clear()
            start_ap(n_edges)
            masks_ap(m)
            i += 1
            if handover is not None and not i & 4095 and time.monotonic() - t0 >= handover:
                raise Handover
            if progress is not None and not i & 4095:
                progress.update(distinct=len(states), generated=generated, queue=len(states) - i,
                                depth=len(level_ends), seconds=time.monotonic() - t0)
    except KeyboardInterrupt:
        complete = False
        interrupted = True
        del start[i + 1:]
        del to[start[-1]:]
        del aid_arr[start[-1]:]
        del masks[i:]
    while len(start) < len(states) + 1:
        start.append(len(to))
        masks.append(0)
    if level_ends[-1] < len(states):
        level_ends.append(len(states))
    g = Graph(states, start, to, aid_arr, parents, init, generated, time.monotonic() - t0, complete,
              level_ends)
    g.interrupted = interrupted
    g.masks = masks
    return g


# --------------------------------------------------------------------------
# Fairness on a graph
# --------------------------------------------------------------------------


_DONE = 1 << 62


def _bit_planes(arrays: list[bytearray], n: int) -> list[int]:
    """Per position, the bits of ``arrays`` (0/1 bytes of length ``n``):
    bit j is ``arrays[j][u]``.  Eight arrays at a time, as one big int each
    (a 0/1 byte shifted by at most 7 bits stays in its byte)."""
    out: list[int] | None = None
    for j0 in range(0, len(arrays), 8):
        x = 0
        for j, a in enumerate(arrays[j0:j0 + 8]):
            x |= int.from_bytes(a, "little") << j
        plane = list(x.to_bytes(n, "little")) if n else []
        if out is None:
            out = plane
        else:
            out = list(map(or_, out, (b << j0 for b in plane)))
    return out if out is not None else [0] * n


def _enabled(g: Graph, aids: frozenset) -> bytearray:
    """The states where one of the step instances ``aids`` changes the state."""
    n = len(g)
    st, aid = g.start, g.aid
    if g.masks is not None and len(g.masks) == n:
        fmask = 0
        for a in aids:
            fmask |= 1 << a
        if isinstance(g.masks, array) and fmask < 1 << 64:
            import numpy as np

            hit = np.frombuffer(g.masks, dtype=np.uint64) & np.uint64(fmask)
            return bytearray((hit != 0).view(np.uint8).tobytes())
        return bytearray(map(bool, map(and_, g.masks, repeat(fmask))))
    if aid.typecode == "B":
        table = bytearray(256)
        for a in aids:
            table[a] = 1
        # per edge 1 when it is such a step, running totals, then per state
        # whether the total grows over its edges (all at C speed)
        flags = aid.tobytes().translate(table)
        cum = list(accumulate(flags, initial=0))
        at = list(map(cum.__getitem__, st))
        return bytearray(map(ne, at[1:n + 1], at[:n]))
    en = bytearray(n)
    for u in range(n):
        for k in range(st[u], st[u + 1]):
            if aid[k] in aids:
                en[u] = 1
                break
    return en


def fairness_marks(g: Graph, f: Fairness) -> tuple[bytearray, bytearray | None]:
    """Where the fairness condition ``f`` is enabled (per state) and, when
    the step instances it names depend on the state (``Fairness.at``), which
    edges are its steps (per edge: a step of an instance it names in the
    edge's source state); None: the edges of its ``aids``."""
    if f.at is None:
        return _enabled(g, f.aids), None
    n = len(g)
    st, aid = g.start, g.aid
    masks = g.masks if g.masks is not None and len(g.masks) == n else None
    en = bytearray(n)
    taken = bytearray(len(g.to))
    bits: dict[frozenset, int] = {}
    at = f.at
    for u, s in enumerate(g.states):
        aids = at(s)
        if not aids:
            continue
        if masks is not None:  # every step that changes the state, kept or not (a state constraint)
            m = bits.get(aids)
            if m is None:
                m = bits[aids] = sum(1 << a for a in aids)
            if not masks[u] & m:
                continue
            en[u] = 1
        for k in range(st[u], st[u + 1]):
            if aid[k] in aids:
                taken[k] = en[u] = 1
    return en, taken


class FairGraph:
    """A graph with, per fairness constraint, where it is enabled."""

    def __init__(self, g: Graph, fairness: list[Fairness], compiled_sccs: bool = False, parts=None):
        """``compiled_sccs``: find components with the compiled twin of
        :meth:`sccs` (pyspec/engines/compiled/scc.py: the same components in
        the same order; numba must be importable).  ``parts``: a predicate's
        parts, ``(expr, env) -> [(function, read mask)]``
        (``Codegen.predicate_parts``), for :meth:`holds_at`."""
        self.g = g
        self._parts = parts
        self.fairness = fairness
        n = len(g)
        marks = [fairness_marks(g, f) for f in fairness]
        self.enabled: list[bytearray] = [en for en, _ in marks]
        # per constraint whose instances depend on the state: its steps, per edge
        self._steps: list[bytearray | None] = [taken for _, taken in marks]
        # a state where some fairness constraint is enabled: its stuttering
        # loop alone is not fair
        anyen = 0
        for en in self.enabled:
            anyen |= int.from_bytes(en, "little")
        self.any_enabled = bytearray(anyen.to_bytes(n, "little"))
        self.weak = [i for i, f in enumerate(fairness) if f.kind == "weak"]
        self.strong = [i for i, f in enumerate(fairness) if f.kind == "strong"]
        # per state, bit j set when the j-th weak constraint is enabled there
        self._weak_at = _bit_planes([self.enabled[fi] for fi in self.weak], n)
        # Tarjan's per-node numbers, reused (reset after each search)
        self._index = [-1] * n
        self._low = [0] * n
        self._candidates: list[list[int]] | None = None
        self._compiled = None
        if compiled_sccs:
            from ..compiled.scc import CompiledSccs

            self._compiled = CompiledSccs(g.start, g.to, n)

    def holds_at(self, p, expr=None, env=None) -> bytearray:
        """1 at the states where the predicate ``p`` holds.  On a graph the
        compiled loop built (``g.words``), each part of the predicate
        (``expr`` split at its ``and``s) is evaluated once per distinct value
        of the bits it reads; any error there, and the whole predicate is
        evaluated at every state (where its errors belong)."""
        fast = self._holds_by_parts(expr, env)
        if fast is not None:
            return fast
        return bytearray(map(bool, map(p, self.g.states)))

    def false_at(self, p, expr=None, env=None) -> bytearray:
        """1 at the states where the predicate ``p`` is false."""
        fast = self._holds_by_parts(expr, env)
        if fast is not None:
            return fast.translate(_NOT)
        return _false_at(self.g.states, p)

    def _holds_by_parts(self, expr, env) -> bytearray | None:
        g = self.g
        if g.words is None or expr is None or self._parts is None or not len(g):
            return None
        import numpy as np

        words = g.words
        n, k = words.shape
        states = g.states
        ok = np.ones(n, dtype=bool)
        try:
            parts = self._parts(expr, env)
            for fn, mask in parts:
                # the distinct values of the bits the part reads, numbered
                # word by word (sorting uint64 columns, not rows of bytes)
                code, count = np.zeros(n, dtype=np.int64), 1
                for c in range(k):
                    m = (mask >> (64 * c)) & ((1 << 64) - 1)
                    if m:
                        u, inv = np.unique(words[:, c] & np.uint64(m), return_inverse=True)
                        if count == 1:
                            code, count = inv.ravel(), len(u)
                        else:
                            u, code = np.unique(code * len(u) + inv.ravel(), return_inverse=True)
                            code, count = code.ravel(), len(u)
                first = np.empty(count, dtype=np.int64)  # the first state of each value
                first[code[::-1]] = np.arange(n - 1, -1, -1)
                vals = np.fromiter((bool(fn(states[i])) for i in first.tolist()), dtype=bool, count=count)
                ok &= vals[code]
        except Exception:  # noqa: BLE001 - the whole predicate, state by state, reports it
            return None
        return bytearray(ok.view(np.uint8).tobytes())

    def sccs(self, nodes, member: bytearray | None) -> list[list[int]]:
        """Strongly connected components of the subgraph induced by ``nodes``
        (``member[u]`` set for them; None: the whole graph), in reverse
        topological order (a component comes after every component it
        reaches); iterative Tarjan."""
        if self._compiled is not None:
            from ..compiled.scc import split

            return split(*self._compiled.run(nodes, member))
        g = self.g
        st, to = g.start, g.to
        index, low = self._index, self._low  # -1: not visited; DONE: in a component
        done = _DONE
        stack: list[int] = []
        push = stack.append
        out: list[list[int]] = []
        counter = 0
        try:
            for root in nodes:
                if index[root] >= 0:
                    continue
                index[root] = low[root] = counter
                counter += 1
                push(root)
                work = [(root, iter(to[st[root]:st[root + 1]]))]
                while work:
                    u, it = work[-1]
                    for v in it:
                        if member is not None and not member[v]:
                            continue
                        iv = index[v]
                        if iv < 0:
                            index[v] = low[v] = counter
                            counter += 1
                            push(v)
                            work.append((v, iter(to[st[v]:st[v + 1]])))
                            break
                        if iv < low[u]:  # on the stack (done states have index DONE)
                            low[u] = iv
                    else:
                        work.pop()
                        lu = low[u]
                        if work:
                            p = work[-1][0]
                            if lu < low[p]:
                                low[p] = lu
                        if lu == index[u]:
                            if stack[-1] == u:  # a single state (the common case)
                                stack.pop()
                                index[u] = done
                                out.append([u])
                                continue
                            comp = []
                            while True:
                                w = stack.pop()
                                index[w] = done
                                comp.append(w)
                                if w == u:
                                    break
                            out.append(comp)
        finally:
            for u in nodes:
                index[u] = -1
        return out

    def _taken_edges(self, comp_set: set, fi: int):
        """The edges inside the component by an action of constraint ``fi``:
        (source, target, aid)."""
        g = self.g
        aids = self.fairness[fi].aids
        steps = self._steps[fi]
        st, to, aid = g.start, g.to, g.aid
        for u in comp_set:
            for k in range(st[u], st[u + 1]):
                if (aid[k] in aids if steps is None else steps[k]) and to[k] in comp_set:
                    yield u, to[k], aid[k]

    def _all_taken(self, comp_set: set, fi: int) -> dict[int, list[tuple[int, int]]]:
        """Every such edge: source -> [(target, aid)]."""
        out: dict[int, list[tuple[int, int]]] = {}
        for u, v, a in self._taken_edges(comp_set, fi):
            out.setdefault(u, []).append((v, a))
        return out

    def _taken(self, comp_set: set, fi: int) -> tuple[int, int, int] | None:
        """One such edge (None: the constraint is never taken inside)."""
        return next(self._taken_edges(comp_set, fi), None)

    def fair_parts(self, comp: list[int], accept: bytearray | None):
        """The parts of the strongly connected component ``comp`` that hold a
        fair cycle (through an ``accept`` state when given), with what the
        cycle must visit: yields (component, requirements)."""
        if len(comp) == 1:
            # one state and its stuttering loop (self-loops are not edges):
            # fair unless some fairness constraint is enabled there
            u = comp[0]
            if not self.any_enabled[u] and (accept is None or accept[u]):
                yield comp, [("nodes", frozenset([u]))] * (len(self.weak) + (accept is not None))
            return
        todo = [comp]
        while todo:
            comp = todo.pop()
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
                        todo.extend(self.sccs(sub, m))
                    refined = True
                    break
            if refined:
                continue
            # what the cycle must do, each with every way to do it (the
            # cycle is built greedily, nearest way first, to stay short):
            # ("edges", {u: [(v, aid)]}) take one of these steps, or
            # ("nodes", {w}) visit one of these states
            req = []
            ok = True
            for fi in self.weak:
                edges = self._all_taken(cset, fi)
                if edges:
                    req.append(("edges", edges))
                    continue
                en = self.enabled[fi]
                ws = frozenset(u for u in comp if not en[u])
                if not ws:
                    ok = False
                    break
                req.append(("nodes", ws))
            if not ok:
                continue
            for fi in self.strong:
                edges = self._all_taken(cset, fi)
                if edges:
                    req.append(("edges", edges))
            if accept is not None:
                ws = frozenset(u for u in comp if accept[u])
                if not ws:
                    continue
                req.append(("nodes", ws))
            yield comp, req

    def _blocked(self, comp: list[int]) -> bool:
        """No part of the component can hold a fair cycle: a weakly fair
        action is enabled in each of its states and never taken inside it
        (true of every subset too)."""
        if len(comp) == 1:
            return bool(self.any_enabled[comp[0]])
        # the weak constraints enabled in every state of the component
        always = reduce(and_, map(self._weak_at.__getitem__, comp))
        if not always:
            return False
        cset = set(comp)
        j = 0
        while always:
            if always & 1 and self._taken(cset, self.weak[j]) is None:
                return True
            always >>= 1
            j += 1
        return False

    def candidates(self) -> list[list[int]]:
        """The strongly connected components of the whole graph that may hold
        a fair cycle, in reverse topological order; computed once.  A fair
        cycle inside a region lies inside one of them."""
        if self._candidates is None:
            n = len(self.g)
            if self._compiled is not None:
                self._candidates = self._compiled_candidates(n)
            else:
                comps = self.sccs(range(n), None)
                self._candidates = [c for c in comps if not self._blocked(c)]
        return self._candidates

    def _compiled_candidates(self, n: int) -> list[list[int]]:
        """:meth:`candidates` from the compiled components: the single
        states (most of a graph) are kept or dropped at numpy speed, as
        :meth:`_blocked` decides for them (blocked where a fairness
        constraint is enabled); only what is kept becomes lists."""
        import numpy as np

        from ..compiled.library import library

        nodes, starts = self._compiled.run(range(n), None)
        sizes = np.diff(starts)
        first = nodes[starts[:-1]]
        enabled = np.frombuffer(bytes(self.any_enabled), dtype=np.uint8) if n else np.zeros(0, np.uint8)
        keep = (sizes > 1) | (enabled[first] == 0)
        blocked = None
        if len(self.weak) <= 64 and all(a < 64 for fi in self.weak for a in self.fairness[fi].aids):
            g = self.g
            steps = [self._steps[fi] for fi in self.weak]
            aidmask = np.array([sum(1 << a for a in self.fairness[fi].aids) for fi in self.weak] or [0], np.uint64)
            use_steps = np.array([st is not None for st in steps] or [False], np.bool_)
            step_rows = np.zeros((max(1, len(steps)), max(1, len(g.to))), np.uint8)
            for j, st in enumerate(steps):
                if st is not None and len(st):
                    step_rows[j, :len(st)] = np.frombuffer(bytes(st), dtype=np.uint8)
            blocked = library().blocked_components(nodes, starts, self._compiled.start, self._compiled.to,
                                         np.frombuffer(g.aid, dtype=np.dtype(g.aid.typecode)).astype(np.int64),
                                         np.array(self._weak_at, dtype=np.uint64), aidmask, use_steps, step_rows)
            keep &= ~blocked.astype(bool) | (sizes == 1)
        flat = nodes.tolist()
        out = []
        for c in np.flatnonzero(keep).tolist():
            a, b = int(starts[c]), int(starts[c + 1])
            comp = flat[a:b]
            if b - a == 1 or blocked is not None or not self._blocked(comp):
                out.append(comp)
        return out

    def fair_components(self, region: bytearray, accept: bytearray | None, first_only: bool = False):
        """Components of ``region`` containing a fair cycle (through an
        ``accept`` state when given): yields (component, requirements)."""
        for big in self.candidates():
            sub = [u for u in big if region[u]]
            if not sub:
                continue
            comps = [sub] if len(sub) == len(big) else self.sccs(sub, region)
            for comp in comps:
                for found in self.fair_parts(comp, accept):
                    yield found
                    if first_only:
                        return

    # -- paths
    def bfs(self, sources: list[int], allowed: bytearray | None, prev: dict[int, tuple[int, int]]):
        """Breadth-first search from ``sources`` through ``allowed`` nodes:
        yields each node when it is expanded, after recording in ``prev``
        node -> (parent or -1, aid reaching it or -1)."""
        g = self.g
        st, to, aid = g.start, g.to, g.aid
        q = deque()
        for s in sources:
            if s not in prev and (allowed is None or allowed[s]):
                prev[s] = (-1, -1)
                q.append(s)
        while q:
            u = q.popleft()
            yield u
            for k in range(st[u], st[u + 1]):
                v = to[k]
                if v not in prev and (allowed is None or allowed[v]):
                    prev[v] = (u, aid[k])
                    q.append(v)

    def path_within(self, sources: list[int], targets, allowed: bytearray | None) -> list[tuple[int, int]] | None:
        """Shortest path from one of ``sources`` to a node with ``targets(node)``
        through ``allowed`` nodes: [(node, aid reaching it or -1), ...]."""
        prev: dict[int, tuple[int, int]] = {}
        for u in self.bfs(sources, allowed, prev):
            if targets(u):
                return _tree_path(prev, u)
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
        todo = list(req)

        def meet(node: int, step: tuple[int, int, int] | None) -> None:
            # drop the requirements a visited node or a taken step meets
            todo[:] = [r for r in todo if not (
                (r[0] == "nodes" and node in r[1]) or
                (r[0] == "edges" and step is not None and (step[1], step[2]) in r[1].get(step[0], ())))]

        meet(cur, None)
        while todo:
            # the nearest state that meets a requirement (a node) or starts a
            # step that meets one (the step is then taken)
            def useful(x: int) -> bool:
                return any((r[0] == "nodes" and x in r[1]) or (r[0] == "edges" and x in r[1]) for r in todo)

            p = self.path_within([cur], useful, member)
            prev = cur
            for node, a in p[1:]:
                out.append((node, a))
                meet(node, (prev, node, a))
                prev = node
            cur = p[-1][0]
            meet(cur, None)
            r = next((r for r in todo if r[0] == "edges" and cur in r[1]), None)
            if r is not None:
                v, a = r[1][cur][0]
                out.append((v, a))
                meet(v, (cur, v, a))
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


#: bytes.translate table: 0 <-> 1
_NOT = bytes([1, 0]) + bytes(254)


def _false_at(states: list[int], p) -> bytearray:
    """1 at the states where the predicate is false."""
    return bytearray(map(not_, map(p, states)))


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
            bad = fg.false_at(p, leaf.p_expr, leaf.env)
        first = bad.find(1)
        if first < 0:
            return None
        return _lasso_from(fg, fg.prefix(first), None)
    if leaf.form in ("eventually", "implies_eventually", "leads_to", "implies_always", "always_implies_always",
                     "always_implies_eventually", "always_implies_always_eventually"):
        return _monitored_lasso(fg, leaf)
    if leaf.form in ("weak_fair", "strong_fair"):
        # the condition itself: violated by a fair lasso whose loop takes no
        # step of it while it is enabled in every state (strong: in one)
        enabled, taken = fairness_marks(g, leaf.fairness)
        if taken is None:
            aids = leaf.fairness.aids
            taken = bytearray(a in aids for a in g.aid)
        return unfair_lasso(fg, enabled, taken, leaf.form == "strong_fair")
    if leaf.form in ("always_eventually", "eventually_always"):
        if leaf.form == "always_eventually":
            region, accept = fg.false_at(p, leaf.p_expr, leaf.env), None
        else:
            accept = fg.false_at(p, leaf.p_expr, leaf.env)
            if accept.find(1) < 0:
                return None
            region = bytearray(b"\x01") * n
        # the shortest lasso among the fair components reached first by the
        # search: prefix to the component's first state, then its cycle
        comps = sorted(fg.fair_components(region, accept), key=lambda cr: min(cr[0]))
        return _shortest(fg, [(fg.prefix(min(comp)), comp, req) for comp, req in comps[:CANDIDATES]])
    raise ValueError(f"unsupported temporal form {leaf.form}")


#: Fair components tried when choosing the shortest lasso (nearest first).
CANDIDATES = 16


def _shortest(fg: FairGraph, options: list) -> Lasso | None:
    """The shortest lasso among (prefix, component, requirements) options."""
    best = None
    for pre, comp, req in options:
        lasso = _close(fg, pre, comp, req)
        if best is None or len(lasso.nodes) < len(best.nodes):
            best = lasso
    return best


def _tree_path(prev: dict[int, tuple[int, int]], node: int) -> list[tuple[int, int]]:
    out = []
    while node != -1:
        p, a = prev[node]
        out.append((node, a))
        node = p
    out.reverse()
    return out


# The conjuncts with a trigger are violated by a fair lasso on which a small
# monitor reaches its last phase (phases: 0 nothing yet, 1 triggered, 2 for
# the 'always' forms: violated).  The search is breadth-first over (state,
# phase) pairs; a lasso's loop is a fair cycle of a component, entered in
# some phase, that does what remains to be done (it repeats, so visiting a
# state with P and one without Q, in any order, is P then not Q):
#
#   eventually P / P implies eventually Q / P leads_to Q (waited: W = P / Q)
#       phase 1 from a trigger (an initial state; with P, initial for
#       'implies') and only through states without W; the loop stays
#       without W (components of that region).  'leads_to' may also enter a
#       component untriggered (phase 0) and meet P on its loop.
#   P implies always Q / always (P implies always Q)
#       phase 1 at a state with P (initial for 'implies'), 2 at a state
#       without Q at or after it; the loop meets what the phase lacks.
#   (always P) implies eventually Q / (always P) implies always eventually Q
#       phase 1 from an initial state, only through states with P (and
#       without Q for 'eventually'); the loop stays in P and without Q.


def _monitor(fg: FairGraph, leaf: TemporalLeaf):
    """For a conjunct with a trigger: the phases of an initial state, the
    phases after a step into a state, the region the loop stays in (None:
    anywhere) and, per phase, the predicates (0/1 per state) of states the
    loop must visit."""
    form = leaf.form
    holds_p = fg.holds_at(leaf.p, leaf.p_expr, leaf.env)
    fails_q = None if leaf.q is None else fg.false_at(leaf.q, leaf.q_expr, leaf.env)
    if form in ("always_implies_eventually", "always_implies_always_eventually"):
        region = bytearray(map(and_, holds_p, fails_q))
        through = region if form == "always_implies_eventually" else holds_p

        def first(u: int) -> tuple[int, ...]:
            return (1,) if through[u] else ()

        def step(ph: int, v: int) -> tuple[int, ...]:
            return (1,) if through[v] else ()

        return first, step, region, {1: []}
    if form in ("eventually", "implies_eventually", "leads_to"):
        region = bytearray(holds_p).translate(_NOT) if form == "eventually" else fails_q
        trig = region if form == "eventually" else bytearray(map(and_, region, holds_p))
        untriggered = (0,) if form == "leads_to" else ()  # 'leads_to' may trigger later

        def first(u: int) -> tuple[int, ...]:
            return ((1,) if trig[u] else ()) + untriggered

        def step(ph: int, v: int) -> tuple[int, ...]:
            if ph == 1:
                return (1,) if region[v] else ()
            return (0, 1) if trig[v] else (0,)

        return first, step, region, {0: [holds_p], 1: []}
    initial_only = form == "implies_always"

    def after(ph: int, v: int) -> int:
        if ph == 0 and holds_p[v]:
            ph = 1
        return 2 if ph == 1 and fails_q[v] else ph

    def first(u: int) -> tuple[int, ...]:
        ph = after(0, u)
        return () if initial_only and ph == 0 else (ph,)  # no P initially: 'implies' holds

    def step(ph: int, v: int) -> tuple[int, ...]:
        return (after(ph, v),)

    return first, step, None, {0: [holds_p, fails_q], 1: [fails_q], 2: []}


def _monitored_lasso(fg: FairGraph, leaf: TemporalLeaf) -> Lasso | None:
    """A short fair lasso violating a conjunct with a trigger (see above):
    for the nearest entries (state, phase) of the fair components, the
    prefix to the entry and a cycle meeting fairness and what the phase
    lacks; the shortest of them."""
    g = fg.g
    st, to, aid = g.start, g.to, g.aid
    first, step, region, needs = _monitor(fg, leaf)
    comps = list(fg.fair_components(region if region is not None else bytearray(b"\x01") * len(g), None))
    if not comps:
        return None  # no fair cycle (inside the region) at all
    comp_of = {u: i for i, (comp, _) in enumerate(comps) for u in comp}
    prev: dict[tuple[int, int], tuple[tuple[int, int] | None, int]] = {}
    todo: deque = deque()

    def visit(node: tuple[int, int], back, a: int) -> None:
        if node not in prev:
            prev[node] = (back, a)
            todo.append(node)

    for u in g.init:
        for ph in first(u):
            visit((u, ph), None, -1)
    options = []
    tried: set[tuple[int, int]] = set()
    while todo and len(options) < CANDIDATES:
        node = todo.popleft()
        u, ph = node
        i = comp_of.get(u)
        if i is not None and (i, ph) not in tried:
            tried.add((i, ph))
            comp, req = comps[i]
            extra = [("nodes", frozenset(w for w in comp if must[w])) for must in needs[ph]]
            if all(ws for _, ws in extra):
                options.append((_pair_path(prev, node), comp, req + extra))
        for k in range(st[u], st[u + 1]):
            v = to[k]
            for ph2 in step(ph, v):
                visit((v, ph2), node, aid[k])
    return _shortest(fg, options)


def _pair_path(prev: dict, node: tuple[int, int]) -> list[tuple[int, int]]:
    """The path the search found to (state, phase) ``node``: [(state, aid reaching it or -1), ...]."""
    out = []
    at: tuple[int, int] | None = node
    while at is not None:
        back, a = prev[at]
        out.append((at[0], a))
        at = back
    out.reverse()
    return out


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


# --------------------------------------------------------------------------
# Fairness of another spec's action, observed on this graph (refinement)
# --------------------------------------------------------------------------


def _edge_subgraph(g: Graph, keep: bytearray) -> Graph:
    """``g`` with only the edges ``keep`` marks; the same states, BFS tree and
    per-state masks (so that where this graph's fairness constraints are
    enabled is still read from every step, taken or not)."""
    start = array("Q", [0])
    to = array(g.to.typecode)
    aid = array(g.aid.typecode)
    st, gto, gaid = g.start, g.to, g.aid
    for u in range(len(g)):
        for k in range(st[u], st[u + 1]):
            if keep[k]:
                to.append(gto[k])
                aid.append(gaid[k])
        start.append(len(to))
    sub = Graph(g.states, start, to, aid, g.parents, g.init, g.generated, g.seconds, g.complete,
                g.level_ends)
    sub.masks = g.masks
    return sub


def unfair_lasso(fg: FairGraph, enabled: bytearray, taken: bytearray, strong: bool) -> Lasso | None:
    """A behaviour fair for ``fg``'s fairness on which weak (``strong``:
    strong) fairness of some action A fails, A being given on this graph by
    the states where it is ``enabled`` and the edges that are ``taken`` A
    steps: a fair lasso whose loop takes no A step and stays in states
    where A is enabled (strong: visits one).  That is TLA+'s ``WF_v(A) ==
    []<>~ENABLED A \\/ []<><<A>>_v`` (``SF_v(A) == <>[]~ENABLED A \\/
    []<><<A>>_v``) violated; None when it holds.  The prefix is a shortest
    path of the whole graph (it may take A steps)."""
    n = len(fg.g)
    if enabled.find(1) < 0:
        return None  # never enabled: both hold
    sub = _edge_subgraph(fg.g, bytearray(map(not_, taken)))
    sfg = FairGraph(sub, fg.fairness)
    region, accept = (bytearray(b"\x01") * n, enabled) if strong else (enabled, None)
    comps = sorted(sfg.fair_components(region, accept), key=lambda cr: min(cr[0]))[:CANDIDATES]
    best = None
    for comp, req in comps:
        pre = fg.prefix(min(comp))
        cyc = sfg.cycle(comp, req, pre[-1][0])
        lasso = Lasso(pre + cyc, len(pre) - 1, sfg.closing_aid)
        if best is None or len(lasso.nodes) < len(best.nodes):
            best = lasso
    return best


def check_temporal(model: CompiledModel, g: Graph, leaves: list[TemporalLeaf],
                   fg: FairGraph | None = None) -> tuple[TemporalLeaf, Lasso] | None:
    fg = fg or FairGraph(g, model.fairness)
    for leaf in leaves:
        lasso = check_leaf(fg, leaf)
        if lasso is not None:
            return leaf, lasso
    return None


__all__ = ["Graph", "FairGraph", "Handover", "Lasso", "build_graph", "check_leaf", "check_temporal", "fairness_marks",
           "unfair_lasso"]

_ = Callable
