"""Liveness under weak/strong fairness, per process and per step, and the
shape of lasso counterexamples."""

from __future__ import annotations

import pytest
from engine_util import load

from pyspec.compile import compile_model
from pyspec.engines.embedded import check, check_model
from pyspec.ir.state import state_types
from pyspec.values import from_itf


def outcomes(spec_name, model):
    return {r.property: r.verdict for r in check_model(load(spec_name), model)}


def test_no_fairness_allows_stopping():
    o = outcomes("liveness", "unfair")
    assert o["XReaches2"] == "violated" and o["Gets"] == "violated" and o["Always"] == "ok"


def test_weak_fairness():
    o = outcomes("fair", "weak")
    assert o["XReaches2"] == "ok" and o["XStays2"] == "ok" and o["FlagOften"] == "ok"
    assert o["OnLeadsOff"] == "ok"
    # the waiter's step is enabled only every other state: weak fairness does not force it
    assert o["Gets"] == "violated" and o["GetsStays"] == "violated"


def test_strong_fairness():
    o = outcomes("strongfair", "strong")
    assert o["Gets"] == "ok" and o["GetsStays"] == "ok" and o["NeverGets"] == "violated"


def test_fairness_of_one_step():
    o = outcomes("steps_fair", "m")
    assert o["AOften"] == "ok" and o["BOften"] == "violated"


def test_peterson_no_starvation_and_mutual_exclusion():
    import pyspec

    o = {r.property: r.verdict for r in check_model(pyspec.load("spec/examples/peterson.pyspec"), "two")}
    assert o == {"MutualExclusion": "ok", "NoStarvation": "ok", "deadlock": "ok"}


def test_always_part_is_checked_like_an_invariant():
    # TLC checks []P properties during its BFS: shortest trace, reported as an invariant
    r = check(load("liveness"), "unfair", property="Never3")
    assert r.verdict == "violated" and r.kind == "invariant" and len(r.trace) == 3


def _states(spec, report):
    cm = compile_model(spec, report.model)
    types = state_types(spec)
    return cm, [cm.from_values({k: from_itf(v, types[k]) for k, v in st.state.items()}) for st in report.trace]


@pytest.mark.parametrize("spec_name,model,prop", [
    ("liveness", "unfair", "XReaches2"),
    ("liveness", "unfair", "Gets"),
    ("fair", "weak", "Gets"),
    ("fair", "weak", "GetsStays"),
    ("steps_fair", "m", "BOften"),
])
def test_lasso_is_a_fair_behaviour(spec_name, model, prop):
    spec = load(spec_name)
    r = check(spec, model, property=prop)
    assert r.verdict == "violated" and r.kind == "liveness"
    assert r.loop_start is not None and 0 <= r.loop_start < len(r.trace)
    cm, states = _states(spec, r)
    assert states[0] in cm.initial_states()
    for a, b in zip(states, states[1:]):
        assert b in cm.next_states(a)
    last, head = states[-1], states[r.loop_start]
    # the loop closes: back to loop_start, or the last state stutters
    assert head in cm.next_states(last) or r.loop_start == len(states) - 1
    # weak fairness on the loop: every constraint enabled in every loop state is taken on the loop
    loop = states[r.loop_start:]
    steps = set()
    for a, b in zip(loop, loop[1:] + [head]):
        for info, t in cm.successors(a):
            if t == b and a != b:
                steps.add(info.aid)
    for f in cm.fairness:
        enabled_everywhere = all(any(i.aid in f.aids and t != a for i, t in cm.successors(a)) for a in loop)
        if f.kind == "weak" and enabled_everywhere:
            assert steps & f.aids, f.what


def test_leads_to_counterexample_reaches_p_and_never_q():
    spec = load("fair")
    # OnLeadsOff holds; make a model-free check on a leads_to that fails: liveness.pyspec unfair
    r = check(load("liveness"), "unfair", property="OnLeadsOff")
    assert r.verdict == "violated"
    assert any(st.state["flag"] for st in r.trace)
    assert not any(not st.state["flag"] for st in r.trace[[st.state["flag"] for st in r.trace].index(True):])
    del spec
