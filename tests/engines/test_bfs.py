"""Breadth-first search: counts, shortest counterexamples, deadlock, action
properties, constraints, bounds."""

from __future__ import annotations

from engine_util import load
from refinterp import Reference

import pyspec
from pyspec.compile import compile_model
from pyspec.engines.embedded import check, check_model
from pyspec.engines.embedded.bfs import Options, explore


def by_prop(reports):
    return {r.property: r for r in reports}


def test_peterson_counts_match_tlc():
    # TLC: 45 states generated, 26 distinct states found, depth 8
    r = check(pyspec.load("spec/examples/peterson.pyspec"), "two")
    assert (r.verdict, r.distinct_states, r.generated_states, r.depth) == ("ok", 26, 45, 8)


def test_lost_update_is_found_with_a_shortest_trace():
    r = check(pyspec.load("spec/examples/counter.pyspec"), "race", property="BothCounted")
    assert r.verdict == "violated" and r.kind == "invariant"
    assert len(r.trace) == 5  # TLC's trace has 5 states too
    last = r.trace[-1].state
    assert last["count"] == 1


def test_counterexample_is_shortest():
    """The violating state found first is at the least BFS depth among all
    violating states (computed independently with the reference)."""
    spec = load("stmts")
    r = check(spec, "both", property="NeverBump")
    ref = Reference(spec, "both")
    frontier = list(ref.initial_states())
    seen = set(frontier)
    depth = 1
    while frontier and not any(not ref.holds("NeverBump", t) for t in frontier):
        nxt = []
        for t in frontier:
            for _, u in ref.successors(t):
                if u not in seen:
                    seen.add(u)
                    nxt.append(u)
        frontier = nxt
        depth += 1
    assert len(r.trace) == depth


def test_trace_is_a_behaviour():
    spec = load("stmts")
    r = check(spec, "both", property="NeverBump")
    cm = compile_model(spec, "both")
    states = [cm.from_values(_decode(spec, st.state)) for st in r.trace]
    assert states[0] in cm.initial_states()
    for a, b in zip(states, states[1:]):
        assert b in cm.next_states(a)
    for st in r.trace[1:]:
        assert st.process and st.label and "stmts.pyspec:" in st.source


def _decode(spec, itf_state):
    from pyspec.ir.state import state_types
    from pyspec.values import from_itf

    types = state_types(spec)
    return {k: from_itf(v, types[k]) for k, v in itf_state.items()}


def test_deadlock_found_and_terminating_is_not_deadlock():
    reps = by_prop(check_model(load("deadlock"), "stuck"))
    d = reps["deadlock"]
    assert d.verdict == "violated" and d.kind == "deadlock" and len(d.trace) == 3  # as TLC
    assert by_prop(check_model(load("deadlock"), "ignored")).keys() == {"Fine"}
    t = check_model(load("terminate"), "done")
    assert [(r.property, r.verdict) for r in t] == [("deadlock", "ok")]


def test_no_deadlock_flag():
    r = check(load("deadlock"), "stuck", deadlock=False)
    assert r.verdict == "ok" and r.distinct_states == 13


def test_action_property_violation():
    r = check(load("actions"), "m", property="NeverDecreases")
    assert r.verdict == "violated" and r.kind == "action" and len(r.trace) == 5
    assert (r.trace[-2].state["n"], r.trace[-1].state["n"]) == (3, 0)
    assert check(load("actions"), "m", property="StepsByOne").verdict == "ok"


def test_constraint_states_are_checked_but_not_counted_or_expanded():
    # TLC: 9 distinct states (constraint n <= 2 and m <= 4), invariants hold
    reps = by_prop(check_model(load("constraint"), "cut"))
    assert reps["Small"].verdict == "ok" and reps["Small"].distinct_states == 9
    # a successor outside the constraint is still checked: n = 3 > 2 reached from n = 2 ... with n <= 4
    v = check(load("constraint"), "cut_violated", property="Small")
    assert v.verdict == "violated" and len(v.trace) == 5 and v.distinct_states == 8


def test_max_states_and_max_depth_are_incomplete():
    spec = load("stmts")
    r = check(spec, "both", property="TotalBound", max_states=50)
    assert r.verdict == "incomplete" and "max-states" in r.message and r.distinct_states >= 50
    r = check(spec, "both", property="TotalBound", max_depth=3)
    assert r.verdict == "incomplete" and "max-depth" in r.message
    full = check(spec, "both", property="TotalBound")
    assert full.verdict == "ok" and full.distinct_states == 1616


def test_one_exploration_answers_every_safety_property():
    reps = by_prop(check_model(load("stmts"), "both"))
    assert reps["NeverBump"].verdict == "violated"
    for p in ("TotalBound", "TurnValid", "LogShort", "SeenBound", "TotalMonotone"):
        assert reps[p].verdict == "ok" and reps[p].distinct_states == 1616


def test_explore_stops_when_all_tracked_properties_are_violated():
    cm = compile_model(load("exprs"), "witnesses")
    res = explore(cm, Options(invariants=["WrongArith", "WrongLater"]))
    assert res.stopped == "all-violated" and set(res.violations) == {"WrongArith", "WrongLater"}
    assert res.violations["WrongArith"].depth == 1 and res.violations["WrongLater"].depth == 2


def test_expression_semantics():
    reps = check_model(load("exprs"), "all")
    assert all(r.verdict == "ok" for r in reps), [(r.property, r.verdict, r.message) for r in reps]


def test_evaluation_error_names_the_position():
    r = check(load("errors"), "bad_key")
    assert r.verdict == "error"
    assert "errors.pyspec:11:9" in r.message and "not a key" in r.message
    assert len(r.trace) == 2
