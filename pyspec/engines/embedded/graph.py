"""The reachable state graph of a small model, with every transition's step.

For ``pyspec graph`` (pictures of small models): a breadth-first
exploration over :meth:`CompiledModel.successors`, which gives each
successor with its :class:`~pyspec.compile.StepInfo` (process, instance,
label and the values ``any`` chose), so that edges can be labelled in the
spec's terms.  The graph is the one the liveness checker builds
(:func:`.liveness.build_graph`): no symmetry reduction (every state is
shown), states outside the model's state constraint are left out, and a
step that leaves the state unchanged is stuttering, not an edge.  The
exploration stops as soon as the graph has more than ``max_states`` states.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...compile import CompiledModel, StepInfo


class TooManyStates(Exception):
    """The model has more reachable states than the bound."""

    def __init__(self, bound: int):
        super().__init__(f"more than {bound:,} reachable states")
        self.bound = bound


@dataclass
class StateGraph:
    """States in BFS order (packed), the initial ones, and the edges
    ``(u, v, step)`` between state indices, grouped by source in BFS order."""

    states: list[int]
    init: list[int]
    edges: list[tuple[int, int, StepInfo]] = field(default_factory=list)
    index: dict[int, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.states)


def state_graph(cm: CompiledModel, max_states: int) -> StateGraph:
    """Every reachable state and transition; :class:`TooManyStates` beyond
    ``max_states`` states, ``EvalError`` when the spec fails at run time."""
    states: list[int] = []
    index: dict[int, int] = {}
    init: list[int] = []
    constraint = cm.constraint
    for s0 in cm.initial_states():
        if constraint is not None and not constraint(s0):
            continue
        if s0 not in index:
            index[s0] = len(states)
            states.append(s0)
            init.append(index[s0])
    if len(states) > max_states:
        raise TooManyStates(max_states)
    edges: list[tuple[int, int, StepInfo]] = []
    i = 0
    while i < len(states):
        s = states[i]
        seen_here: set = set()
        for info, t in cm.successors(s):
            if t == s:
                continue  # stuttering
            j = index.get(t)
            if j is None:
                if constraint is not None and not constraint(t):
                    continue
                j = len(states)
                index[t] = j
                states.append(t)
                if len(states) > max_states:
                    raise TooManyStates(max_states)
            key = (j, info.aid, tuple(sorted(info.params.items(), key=lambda kv: kv[0])))
            try:
                if key in seen_here:
                    continue
                seen_here.add(key)
            except TypeError:  # pragma: no cover - an unhashable choice: keep every edge
                pass
            edges.append((i, j, info))
        i += 1
    return StateGraph(states, init, edges, index)
