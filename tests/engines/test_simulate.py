"""Random walks are deterministic for a seed and find violations."""

from __future__ import annotations

from engine_util import load

import pyspec
from pyspec.engines.embedded import simulate


def test_same_seed_same_report():
    spec = load("stmts")
    a = simulate(spec, "both", runs=30, depth=20, seed=7)
    b = simulate(spec, "both", runs=30, depth=20, seed=7)
    strip = lambda r: {**r.to_json(), "seconds": 0}  # noqa: E731
    assert strip(a) == strip(b)


def test_different_seeds_walk_differently():
    spec = load("counters")
    a = simulate(spec, "big", runs=5, depth=30, seed=1, property="Fine")
    b = simulate(spec, "big", runs=5, depth=30, seed=2, property="Fine")
    assert a.verdict == b.verdict == "ok"
    assert a.distinct_states != b.distinct_states or a.generated_states != b.generated_states


def test_simulation_finds_the_lost_update():
    r = simulate(pyspec.load("spec/examples/counter.pyspec"), "race", runs=50, depth=10, seed=0)
    assert r.verdict == "violated" and r.property == "BothCounted"
    assert r.trace[0].process is None and r.trace[-1].state["count"] == 1


def test_simulation_finds_deadlock_and_action_violations():
    r = simulate(load("deadlock"), "stuck", runs=50, depth=10, seed=0)
    assert r.verdict == "violated" and r.property == "deadlock"
    r = simulate(load("actions"), "m", runs=20, depth=20, seed=0, property="NeverDecreases")
    assert r.verdict == "violated" and r.kind == "action"
