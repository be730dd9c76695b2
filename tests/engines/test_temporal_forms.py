"""Every temporal form (pyspec/ir/temporal.py), holding and violated, in
both engines: the embedded engine's verdicts, its lassos checked against a
brute-force search for the shortest fair lasso violating the property, and
(with a jar) TLC's verdicts, kinds and, for the lassos, a length no shorter
than the embedded engine's (TLC's own lasso is not always a shortest one,
nor the same from run to run)."""

from __future__ import annotations

import pytest
from tlc_direct import jar_path

import pyspec
from pyspec.compile import compile_model
from pyspec.engines.embedded import check
from pyspec.ir.state import state_types
from pyspec.values import from_itf

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half of the agreement skipped")

FORMS = """\
spec Forms
\"\"\"Each temporal form, holding and violated.\"\"\"
var x: int in {0, 1}
var y: int = 0
var flag: bool = False

fair process counter:
    while x < 3:
        inc:
            x = x + 1
    done:
        y = 7

process toggler:
    while True:
        on:
            flag = True
        off:
            flag = False

temporal LeadsAlways: always (x == 3 implies eventually y == 7)
temporal LeadsAlwaysBad: always (flag implies eventually not flag)
temporal InitImplies: x == 0 implies eventually y == 7
temporal InitImpliesBad: x == 1 implies eventually flag
temporal EvAlways: eventually always y == 7
temporal EvAlwaysBad: eventually always flag
temporal AlwaysEv: always eventually x == 3
temporal AlwaysEvBad: always eventually flag
temporal AlwaysP: always x <= 3
temporal AlwaysPBad: always x <= 2
temporal InitAlways: x == 1 implies always x >= 1
temporal InitAlwaysBad: x == 0 implies always x <= 1
temporal Stays: always (x == 3 implies always x == 3)
temporal StaysBad: always (flag implies always flag)
temporal Both: (x == 0 implies eventually y == 7) and (always eventually x == 3) and (always (x >= 1 implies always x >= 1))
temporal BothBad: (always eventually x == 3) and (x == 1 implies eventually flag)
temporal AlwaysImpliesEv: (always not flag) implies eventually (x == 3 and not flag)
temporal AlwaysImpliesEvBad: (always x <= 3) implies eventually flag
temporal AlwaysImpliesEvVacuous: (always y == 0) implies eventually flag
temporal AlwaysImpliesAlwaysEv: (always not flag) implies always eventually (x == 3 and not flag)
temporal AlwaysImpliesAlwaysEvBad: (always x >= 0) implies always eventually flag

model m:
    check LeadsAlways
    check LeadsAlwaysBad: violated
    check InitImplies
    check InitImpliesBad: violated
    check EvAlways
    check EvAlwaysBad: violated
    check AlwaysEv
    check AlwaysEvBad: violated
    check AlwaysP
    check AlwaysPBad: violated
    check InitAlways
    check InitAlwaysBad: violated
    check Stays
    check StaysBad: violated
    check Both
    check BothBad: violated
    check AlwaysImpliesEv
    check AlwaysImpliesEvBad: violated
    check AlwaysImpliesEvVacuous
    check AlwaysImpliesAlwaysEv
    check AlwaysImpliesAlwaysEvBad: violated
    deadlock: ignore
"""

# Indexed processes, strong fairness, forall over a constant and the TLA+
# habit of writing leads-to as [](P => <>Q).
TOKENS = """\
spec Tokens
const N: int = 2
var holder: int = 0
var served: set[int] = set()

strong fair process client(self in 1..N):
    while True:
        ask:
            await holder == 0
            holder = self
        give:
            served = served | {self}
            holder = 0

process thief:
    grab:
        await holder == 0
        holder = 9

temporal Served: forall i in 1..N: always (client[i].pc == "give" implies eventually i in served)
temporal Fed: forall i in 1..N: holder != 9 implies eventually i in served
temporal KeepsServed: forall i in 1..N: always (i in served implies always i in served)
temporal NeverNine: holder == 0 implies always holder != 9

model m:
    check Served
    check Fed: violated
    check KeepsServed
    check NeverNine: violated
    deadlock: ignore
"""

SPECS = {"forms": FORMS, "tokens": TOKENS}


def _spec(name: str):
    return pyspec.load(f"{name}.pyspec", text=SPECS[name])


def _cases():
    out = []
    for name in SPECS:
        for c in _spec(name).model("m").checks:
            out.append(pytest.param(name, c.property, c.expected, id=f"{name}::{c.property}"))
    return out


# ---------------------------------------------------------------- the oracle


def _violates(form: str, p, q, states: list[int], loop: int) -> bool:
    """Does the behaviour states[:loop] (states[loop:])^ω violate the conjunct?"""
    cyc = states[loop:]

    def later(i: int) -> list[int]:  # the states at or after position i, forever
        return states[i:] + (cyc if i > loop else [])

    if form == "always":
        return not all(map(p, states))
    if form == "initially":
        return not p(states[0])
    if form == "eventually":
        return not any(map(p, states))
    if form == "always_eventually":
        return not any(map(p, cyc))
    if form == "eventually_always":
        return not all(map(p, cyc))
    if form == "leads_to":
        return any(p(s) and not any(map(q, later(i))) for i, s in enumerate(states))
    if form == "implies_eventually":
        return p(states[0]) and not any(map(q, states))
    if form == "implies_always":
        return p(states[0]) and not all(map(q, states))
    if form == "always_implies_always":
        return any(p(s) and not all(map(q, later(i))) for i, s in enumerate(states))
    if form == "always_implies_eventually":
        return all(map(p, states)) and not any(map(q, states))
    if form == "always_implies_always_eventually":
        return all(map(p, states)) and not any(map(q, cyc))
    raise AssertionError(form)


def _fair(cm, loop_states: list[int], taken: set[int]) -> bool:
    """Is a cycle through ``loop_states`` taking the steps ``taken`` fair?"""
    def enabled(f, s):
        return any(i.aid in f.aids and t != s for i, t in cm.successors(s))

    for f in cm.fairness:
        en = [enabled(f, s) for s in loop_states]
        need = all(en) if f.kind == "weak" else any(en)
        if need and not (taken & f.aids):
            return False
    return True


def shortest_violation(cm, leaves, limit: int = 9) -> int | None:
    """The length (states) of a shortest fair lasso violating one of the
    conjuncts, by brute force over every path of at most ``limit`` states."""
    edges: dict[int, list[tuple[int, int]]] = {}

    def succ(s):
        if s not in edges:
            edges[s] = [(i.aid, t) for i, t in cm.successors(s) if t != s]
        return edges[s]

    def closes(path: list[int], loop: int) -> list[int | None]:
        """The aids of the steps closing the loop (None: stuttering)."""
        last, head = path[-1], path[loop]
        if loop == len(path) - 1:
            return [None]
        return [a for a, t in succ(last) if t == head]

    for length in range(1, limit + 1):
        stack = [([s], [-1]) for s in cm.initial_states()]
        while stack:
            path, aids = stack.pop()
            if len(path) == length:
                for loop in range(length):
                    for a in closes(path, loop):
                        taken = set(aids[loop + 1:]) | ({a} if a is not None else set())
                        if not _fair(cm, path[loop:], taken):
                            continue
                        if any(_violates(lf.form, lf.p, lf.q, path, loop) for lf in leaves):
                            return length
                continue
            for a, t in succ(path[-1]):
                stack.append((path + [t], aids + [a]))
    return None


def shortest_bad_prefix(cm, leaves) -> int | None:
    """The length of a shortest path to a state violating an 'always' conjunct."""
    always = [lf.p for lf in leaves if lf.form == "always"]
    level, seen, n = list(cm.initial_states()), set(cm.initial_states()), 1
    while level:
        if any(not p(s) for s in level for p in always):
            return n
        nxt = []
        for s in level:
            for t in cm.next_states(s):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        level, n = nxt, n + 1
    return None


def _states(spec, cm, report) -> list[int]:
    types = state_types(spec)
    return [cm.from_values({k: from_itf(v, types[k]) for k, v in st.state.items()}) for st in report.trace]


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("name,prop,expected", _cases())
def test_embedded_verdicts_and_shortest_lassos(name, prop, expected):
    spec = _spec(name)
    rep = check(spec, "m", property=prop)
    assert rep.verdict == ("ok" if expected == "holds" else "violated"), rep.message
    cm = compile_model(spec, "m")
    leaves = cm.temporal_leaves(spec.prop(prop))
    if expected == "holds":
        assert shortest_violation(cm, leaves) is None
        return
    states = _states(spec, cm, rep)
    assert states[0] in cm.initial_states()
    assert all(b in cm.next_states(a) for a, b in zip(states, states[1:]))
    if rep.kind == "invariant":  # an 'always' part, found by the breadth-first search
        assert len(states) == shortest_bad_prefix(cm, leaves)
        return
    assert rep.kind == "liveness" and rep.loop_start is not None
    assert len(states) == shortest_violation(cm, leaves)
    loop = rep.loop_start
    if loop < len(states) - 1:
        assert states[loop] in cm.next_states(states[-1])
    cycle = list(zip(states[loop:], states[loop + 1:] + [states[loop]])) if loop < len(states) - 1 else []
    taken = {i.aid for a, b in cycle for i, t in cm.successors(a) if t == b}
    assert _fair(cm, states[loop:], taken)
    assert any(_violates(lf.form, lf.p, lf.q, states, loop) for lf in leaves)


def test_leads_to_lasso_takes_the_nearest_trigger():
    # the trigger (flag) is nearer from the initial state x == 1: the lasso
    # starts there (the first trigger in breadth-first order gave 6 states)
    spec = _spec("forms")
    rep = check(spec, "m", property="LeadsAlwaysBad")
    assert len(rep.trace) == 5 and rep.trace[0].state["x"] == 1


def test_messages_name_the_form():
    rep = check(_spec("tokens"), "m", property="Fed")
    assert rep.message.startswith("violated: implies eventually (Fed [i=1])")


@needs_tlc
@pytest.mark.tlc
@pytest.mark.parametrize("name,prop,expected", _cases())
def test_tlc_agrees(name, prop, expected):
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model as tlc_check_model

    spec = _spec(name)
    emb = check(spec, "m", property=prop)
    ((_, tlc),) = tlc_check_model(spec, spec.model("m"), resolve(jar_path()), prop=prop)
    same = ("verdict", "property", "kind", "distinct_states")
    assert {k: getattr(emb, k) for k in same} == {k: getattr(tlc, k) for k in same}, tlc.message
    if emb.verdict != "violated":
        return
    if emb.kind == "invariant":
        assert len(emb.trace) == len(tlc.trace)
    else:
        assert tlc.loop_start is not None and len(emb.trace) <= len(tlc.trace)


@needs_tlc
@pytest.mark.tlc
@pytest.mark.parametrize("name", list(SPECS))
def test_tlc_crosscheck(name):
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    assert compare_model(_spec(name), "m", resolve(jar_path())) == []
