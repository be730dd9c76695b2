"""The search hands successors to the store in batches; every count, index
and counterexample must be what inserting them one at a time gives.

``one_at_a_time`` is that simpler search (a Python set, invariants checked
when a state is first found), written here as the reference; the engine is
run with tiny blocks and batches so that batches end everywhere in a level.
"""

from __future__ import annotations

import pytest
from engine_util import load

import pyspec
from pyspec.compile import compile_model
from pyspec.engines.embedded import bfs
from pyspec.engines.embedded.bfs import Options, explore


class _Stop(Exception):
    pass


def one_at_a_time(cm, invariants, actions, deadlock, stop_first, max_states=None):
    states, parents, seen = [], [], set()
    found = {}  # property -> (distinct, generated, index of the last stored state, extra final state, length)
    counts = {"generated": 0}
    invs = {n: cm.invariants[n][0] for n in invariants}
    acts = {n: cm.action_properties[n][0] for n in actions}

    tracked = len(invs) + len(acts) + (1 if deadlock else 0)

    def fail(prop, index, state, length):
        if prop not in found:
            found[prop] = (len(states), counts["generated"], index, state, length)
            if stop_first or len(found) == tracked:  # first violation, or all violated
                raise _Stop

    def new_state(t, parent, length):
        seen.add(t)
        states.append(t)
        parents.append(parent)
        for n, f in invs.items():
            if n not in found and not f(t):
                fail(n, len(states) - 1, None, length)

    i, depth, level_end = 0, 1, 0
    cursor = None
    try:
        for s0 in cm.initial_states():
            counts["generated"] += 1
            if cm.constraint is not None and not cm.constraint(s0):
                continue
            if s0 not in seen:
                cursor = 0
                new_state(s0, -1, 1)
        cursor = None
        level_end = len(states)
        while i < len(states):
            if i == level_end:
                level_end = len(states)
                depth += 1
            if max_states is not None and len(states) >= max_states:
                break
            s = states[i]
            out = cm.next_states(s)
            counts["generated"] += len(out)
            if not out:
                if cm.is_terminal(s):
                    counts["generated"] += 1
                elif deadlock:
                    fail("deadlock", i, None, depth)
            for t in out:
                for n, f in acts.items():
                    if t != s and n not in found and not f(s, t):
                        fail(n, i, t, depth + 1)
                if t in seen:
                    continue
                if cm.constraint is not None and not cm.constraint(t):
                    for n, f in invs.items():
                        if n not in found and not f(t):
                            fail(n, i, t, depth + 1)
                    continue
                new_state(t, i, depth + 1)
            i += 1
    except _Stop:
        pass
    if cursor is not None:
        i = cursor
    return len(states), counts["generated"], len(states) - i, found, states, parents


def _path(states, parents, i):
    out = []
    while i >= 0:
        out.append(states[i])
        i = parents[i]
    return out[::-1]


MODELS = [
    ("spec/examples/counter.pyspec", "race"),
    ("spec/examples/bounded_queue.pyspec", "default"),
    ("spec/examples/two_phase_commit.pyspec", "three"),
    ("spec/examples/peterson.pyspec", "two"),
    ("actions", "m"),
    ("constraint", "cut"),
    ("constraint", "cut_violated"),
    ("stmts", "both"),
    ("deadlock", None),
    ("spec/kvm/v1.pyspec", "small"),
]


def _models():
    for path, model in MODELS:
        spec = load(path)
        for m in spec.models:
            if model is None or m.name == model:
                yield pytest.param(path, m.name, id=f"{path.split('/')[-1]}:{m.name}")


@pytest.mark.parametrize("stop_first", [True, False], ids=["stop-first", "all"])
@pytest.mark.parametrize("path,model", list(_models()))
def test_batched_search_equals_one_at_a_time(path, model, stop_first, monkeypatch):
    cm = compile_model(load(path), model)
    if not stop_first and "kvm" in path:
        pytest.skip("the whole KVM state space is too long for this test; the first violation is checked")
    invariants, actions = list(cm.invariants), list(cm.action_properties)
    distinct, generated, queue, found, states, parents = one_at_a_time(cm, invariants, actions, True, stop_first)
    for block, flush in ((1, 1), (3, 5), (7, 2)):
        monkeypatch.setattr(bfs, "BLOCK", block)
        monkeypatch.setattr(bfs, "FLUSH", flush)
        res = explore(cm, Options(invariants=invariants, actions=actions, deadlock=True, stop_first=stop_first))
        assert (res.distinct, res.generated, res.queue) == (distinct, generated, queue), (block, flush)
        assert res.order == list(found)
        for prop, (d, g, index, state, length) in found.items():
            v = res.violations[prop]
            assert (v.distinct, v.generated, v.index, v.state, v.depth) == (d, g, index, state, length), prop
            if index >= 0:
                assert [res.store.state(j) for j in res.store.path(index)] == _path(states, parents, index)
        assert res.store.states() == states[:res.distinct]


@pytest.mark.parametrize("bound", [1, 7, 50, 1000])
@pytest.mark.parametrize("batches", [(1, 1), (3, 5), (4096, 32768)])
def test_max_states_stops_where_one_at_a_time_does(bound, batches, monkeypatch):
    monkeypatch.setattr(bfs, "BLOCK", batches[0])
    monkeypatch.setattr(bfs, "FLUSH", batches[1])
    cm = compile_model(load("spec/kvm/v1.pyspec"), "small")
    distinct, generated, queue, found, states, _ = one_at_a_time(cm, [], [], False, False, bound)
    res = explore(cm, Options(max_states=bound))
    assert res.stopped == "max-states"
    assert (res.distinct, res.generated, res.queue) == (distinct, generated, queue)
    assert res.store.states() == states


def test_a_later_initial_state_violating_reports_its_own_counts():
    spec = pyspec.load("inits.pyspec", '''spec Inits
var cov: set[int] in subsets({1, 2, 3})
process p:
    while True:
        grow:
            cov = cov | {1}
invariant Small: len(cov) <= 1
model m:
    check Small: violated
''')
    cm = compile_model(spec, "m")
    for stop_first in (True, False):
        distinct, generated, queue, found, states, parents = one_at_a_time(cm, ["Small"], [], False, stop_first)
        res = explore(cm, Options(invariants=["Small"], stop_first=stop_first))
        v = res.violations["Small"]
        assert (v.distinct, v.generated, v.index, v.depth) == found["Small"][:3] + (1,)
        assert (res.distinct, res.generated, res.queue) == (distinct, generated, queue)
        assert 1 < v.generated < len(cm.initial_states())


def test_escaped_values_widen_the_store_during_a_search():
    # an unbounded counter: values beyond the pre-run's range escape into the
    # tail above the fixed fields, so states grow past 64 bits mid-search
    spec = pyspec.load("wide.pyspec", '''spec Wide
var n: int = 0
process up:
    while True:
        inc:
            n = n + 1000000000000000000000
invariant Small: n < 90000000000000000000000
model m:
    check Small: violated
''')
    cm = compile_model(spec, "m")
    res = explore(cm, Options(invariants=["Small"], stop_first=True))
    assert res.store.ncols >= 2 and res.violations["Small"].depth == 91
    assert cm.to_values(res.store.state(len(res.store) - 1))["n"] == 90 * 10 ** 21
