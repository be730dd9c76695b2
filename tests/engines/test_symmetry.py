"""Symmetry reduction counts orbits (what TLC counts) and its traces are
real behaviours."""

from __future__ import annotations

import itertools

from engine_util import load, rename

from pyspec.compile import compile_model
from pyspec.engines.embedded import check, check_model
from pyspec.ir.state import state_types
from pyspec.values import ModelValue, format_value, from_itf


def test_orbits_counted_by_brute_force():
    spec = load("symmetry")
    cm = compile_model(spec, "plain")
    seen = set(cm.initial_states())
    todo = list(seen)
    while todo:
        for t in cm.next_states(todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    clients = [ModelValue("Client", n) for n in ("c1", "c2", "c3")]
    perms = [dict(zip(clients, p)) for p in itertools.permutations(clients)]
    orbits = set()
    for s in seen:
        vals = cm.to_values(s)
        images = []
        for perm in perms:
            img = tuple(sorted((k, format_value(rename(v, perm))) for k, v in vals.items()))
            images.append(img)
        orbits.add(min(images))
    reps = {r.property: r for r in check_model(spec, "sym")}
    assert len(seen) == 108
    assert reps["Exclusive"].distinct_states == len(orbits) == 28


def test_symmetric_counterexample_is_a_real_behaviour_of_the_same_length():
    spec = load("symmetry")
    r_sym = check(spec, "sym", property="NotAllServed")
    r_plain = check(spec, "plain", property="NotAllServed")
    assert r_sym.verdict == r_plain.verdict == "violated"
    assert len(r_sym.trace) == len(r_plain.trace) == 7
    cm = compile_model(spec, "sym")
    types = state_types(spec)
    states = [cm.from_values({k: from_itf(v, types[k]) for k, v in st.state.items()}) for st in r_sym.trace]
    assert states[0] in cm.initial_states()
    for a, b in zip(states, states[1:]):
        assert b in cm.next_states(a)


def test_two_symmetric_sets_generate_a_group():
    """kvm-like: two sorts permuted independently and together."""
    import pyspec

    text = '''spec Two
sort A
sort B
const AS: set[A] = {A.a1, A.a2}
const BS: set[B] = {B.b1, B.b2}
var owner: map[B, optional[A]] = {b: none for b in BS}
process p(self in AS):
    run:
        any b in BS if owner[b] == none:
            owner[b] = self
model sym:
    symmetry: AS, BS
    deadlock: ignore
model plain:
    deadlock: ignore
'''
    spec = pyspec.load("two.pyspec", text=text)
    plain = check(spec, "plain").distinct_states
    sym = check(spec, "sym").distinct_states
    cm = compile_model(spec, "plain")
    seen = set(cm.initial_states())
    todo = list(seen)
    while todo:
        for t in cm.next_states(todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    As = [ModelValue("A", "a1"), ModelValue("A", "a2")]
    Bs = [ModelValue("B", "b1"), ModelValue("B", "b2")]
    perms = [{**dict(zip(As, pa)), **dict(zip(Bs, pb))}
             for pa in itertools.permutations(As) for pb in itertools.permutations(Bs)]
    orbits = {min(tuple(sorted((k, format_value(rename(v, pm))) for k, v in cm.to_values(s).items())) for pm in perms)
              for s in seen}
    assert plain == len(seen)
    assert sym == len(orbits)
