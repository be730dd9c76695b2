"""Liveness in compiled code: the state graph built by the compiled loop
(pyspec/engines/compiled/graph.py), its strongly connected components and
blocked components (pyspec/engines/compiled/scc.py), and predicates
evaluated per distinct part value (FairGraph.holds_at).  Each is the
Python version's twin: the same graph field by field, the same components
in the same order, the same reports and lassos."""

from __future__ import annotations

import random
import sys
from array import array

import pytest
from engine_util import load
from hypothesis import given, settings
from hypothesis import strategies as st

import pyspec
from pyspec.compile.model import Fairness
from pyspec.engines.embedded import check
from pyspec.engines.embedded import runner as runner_mod
from pyspec.engines.embedded.liveness import FairGraph, Graph, build_graph
from pyspec.engines.embedded.runner import compiled

pytest.importorskip("numba")

from pyspec.engines.compiled import Unsupported  # noqa: E402
from pyspec.engines.compiled.graph import build_graph as compiled_graph  # noqa: E402

GRAPH_FIELDS = ("states", "init", "generated", "complete", "level_ends", "interrupted")
ARRAY_FIELDS = ("start", "to", "aid", "parents", "masks")

#: (spec, model): models with liveness properties, small enough for a test
LIVE_MODELS = [
    ("liveness", None),
    ("strongfair", None),
    ("steps_fair", None),
    ("fair", None),
    ("spec/examples/peterson.pyspec", None),
    ("spec/corpus/disruptor_mpmc.pyspec", "liveness"),
    ("spec/corpus/simple_allocator.pyspec", None),
    ("spec/corpus/single_lane_bridge.pyspec", None),
    ("spec/corpus/ewd840.pyspec", None),
    ("spec/corpus/sync_termination_detection.pyspec", None),
    ("spec/corpus/chang_roberts.pyspec", None),
    ("spec/corpus/live_internal_memory.pyspec", None),
    ("spec/corpus/readers_writers.pyspec", None),
    ("spec/kvm/v1.pyspec", "live_wrap"),
]


def _models(spec_name, model):
    spec = load(spec_name)
    names = [model] if model else [m.name for m in spec.models]
    return spec, names


def _cases():
    out = []
    for spec_name, model in LIVE_MODELS:
        spec, names = _models(spec_name, model)
        for name in names:
            out.append(pytest.param(spec_name, name, id=f"{spec_name.split('/')[-1]}:{name}"))
    return out


def _same_graph(a: Graph, b: Graph) -> None:
    for f in GRAPH_FIELDS:
        assert getattr(a, f) == getattr(b, f), f
    for f in ARRAY_FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        assert len(x) == len(y), f
        assert list(x) == list(y), f


@pytest.mark.parametrize("spec_name,model", _cases())
def test_compiled_graph_is_the_python_graph(spec_name, model):
    spec = load(spec_name)
    cm = compiled(spec, model)
    try:
        b = compiled_graph(cm)
    except Unsupported as e:
        pytest.skip(str(e))
    _same_graph(build_graph(cm), b)
    assert b.words is not None and b.words.shape[0] == len(b)


@pytest.mark.parametrize("bound", [1, 7, 100, 1000])
def test_compiled_graph_cut_at_max_states(bound):
    cm = compiled(load("spec/corpus/disruptor_mpmc.pyspec"), "liveness")
    a, b = build_graph(cm, bound), compiled_graph(cm, bound)
    assert not a.complete
    _same_graph(a, b)


def test_compiled_graph_with_a_state_constraint():
    spec = pyspec.load_with_diagnostics("c.pyspec", CONSTRAINED)[0]
    cm = compiled(spec, "m")
    a, b = build_graph(cm), compiled_graph(cm)
    assert len(a) == 5  # x in 0..4: the constraint cuts the rest
    _same_graph(a, b)
    assert a.masks[4] != 0  # the step out of the constraint still counts as changing the state


CONSTRAINED = """\
spec C
var x: int = 0
var y: bool = False
action Inc:
    x = x + 1
action Flip:
    y = not y
temporal Live: eventually x == 3
model m:
    constraint: x <= 4 and not y
    check Live
    deadlock: ignore
"""


MANY_ACTIONS = """\
spec Many
var done: map[0..69, bool] = {i: False for i in 0..69}
var turns: int = 0
fair action Finish(i in 0..69):
    await not done[i] and turns < 2
    done[i] = True
    turns = turns + 1
temporal Settles: eventually always turns == 2
temporal LastDone: eventually done[69]
model m:
    check Settles
    check LastDone: violated
    deadlock: ignore
"""


def test_a_graph_of_more_than_64_actions():
    """70 actions: a state's mask of the actions that change it is a row of
    two words in the loop, a Python int per state in the graph, as the
    Python builder keeps it; the same graph and the same reports."""
    spec = pyspec.load_with_diagnostics("many.pyspec", MANY_ACTIONS)[0]
    cm = compiled(spec, "m")
    assert len(cm.actions) == 70
    a, b = build_graph(cm), compiled_graph(cm)
    assert len(a) == 2486  # at most two of the seventy finish
    _same_graph(a, b)
    assert max(b.masks).bit_length() == 70  # (Finish(69) enabled in the initial state)
    for prop in ("Settles", "LastDone"):
        notes: list[str] = []
        co = check(spec, "m", property=prop, engine="compiled", note=notes.append)
        assert notes == [] and _report_key(co) == _report_key(check(spec, "m", property=prop, engine="python"))
        assert co.verdict == ("ok" if prop == "Settles" else "violated")


def _report_key(r):
    return (r.verdict, r.property, r.message, r.distinct_states, r.generated_states, r.depth, r.loop_start,
            [(s.state, getattr(s, "action", None)) for s in r.trace])


@pytest.mark.parametrize("spec_name,model", _cases())
def test_liveness_reports_agree(spec_name, model):
    """Every temporal property of the model, alone: the compiled graph, SCCs
    and predicate parts give the Python engine's report, lasso included."""
    spec = load(spec_name)
    checked = {c.property for c in spec.model(model).checks}
    temporal = [p.name for p in spec.properties if p.kind == "temporal" and p.name in checked]
    if not temporal:
        pytest.skip("the model checks no temporal property")
    for prop in temporal:
        py = check(spec, model, property=prop, engine="python")
        co = check(spec, model, property=prop, engine="compiled")
        assert _report_key(co) == _report_key(py), prop


def test_auto_builds_a_big_graph_in_compiled_code(monkeypatch):
    spec = load("spec/corpus/disruptor_mpmc.pyspec")
    calls = []
    import pyspec.engines.compiled.graph as cgraph

    real = cgraph.build_graph

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(cgraph, "build_graph", spy)
    monkeypatch.setattr(runner_mod, "HANDOVER_SECONDS", 0.0)  # the Python build hands over at once
    checked = {c.property for c in spec.model("liveness").checks}
    temporal = [p.name for p in spec.properties if p.kind == "temporal" and p.name in checked]
    auto = [check(spec, "liveness", property=p, engine="auto") for p in temporal]
    assert calls, "the hand-over did not reach the compiled graph"
    monkeypatch.setattr(cgraph, "build_graph", real)
    py = [check(spec, "liveness", property=p, engine="python") for p in temporal]
    assert [_report_key(a) for a in auto] == [_report_key(p) for p in py]


def test_auto_after_a_big_safety_search_builds_the_graph_in_compiled_code(monkeypatch):
    """check_model's safety search found GRAPH_COMPILED_STATES states or more:
    no Python build first."""
    from pyspec.engines.embedded import check_model
    from pyspec.engines.embedded import liveness as live

    spec = load("spec/corpus/disruptor_mpmc.pyspec")
    monkeypatch.setattr(runner_mod, "GRAPH_COMPILED_STATES", 10)

    def no_python(*a, **k):
        raise AssertionError("the graph was built in Python")

    monkeypatch.setattr(live, "build_graph", no_python)
    auto = check_model(spec, "liveness")
    monkeypatch.undo()
    py = check_model(spec, "liveness", engine="python")
    assert [_report_key(a) for a in auto] == [_report_key(p) for p in py]


def test_python_engine_never_builds_the_graph_in_compiled_code(monkeypatch):
    import pyspec.engines.compiled.graph as cgraph

    def boom(*a, **k):
        raise AssertionError("compiled graph built with --engine python")

    monkeypatch.setattr(cgraph, "build_graph", boom)
    monkeypatch.setattr(runner_mod, "SCC_COMPILED_STATES", 0)
    spec = load("liveness")
    for p in [p.name for p in spec.properties if p.kind == "temporal"]:
        check(spec, "unfair", property=p, engine="python")


def test_a_small_liveness_check_never_imports_numba():
    import subprocess

    code = ("import sys, pyspec\n"
            "from pyspec.engines.embedded import check\n"
            "spec = pyspec.load('tests/engines/specs/liveness.pyspec')\n"
            "for p in [p.name for p in spec.properties if p.kind == 'temporal']:\n"
            "    check(spec, 'unfair', property=p)\n"
            "print('numba' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the components, on random graphs ------------------------------------------


def _random_graph(rng: random.Random, n: int, density: float, n_actions: int) -> Graph:
    start, to, aid = array("Q", [0]), array("I"), array("B")
    masks = array("Q")
    for _ in range(n):
        m = 0
        for _ in range(rng.randrange(0, 1 + int(density * 4))):
            v = rng.randrange(n)
            a = rng.randrange(n_actions)
            to.append(v)
            aid.append(a)
            m |= 1 << a
        start.append(len(to))
        masks.append(m | (1 << rng.randrange(n_actions) if rng.random() < 0.2 else m))
    g = Graph(list(range(n)), start, to, aid, array("i", [-1] * n), [0], 0, 0.0, True, [n])
    g.masks = masks
    return g


def _random_fairness(rng: random.Random, n_actions: int) -> list[Fairness]:
    out = []
    for _ in range(rng.randrange(0, 4)):
        aids = frozenset(rng.sample(range(n_actions), rng.randrange(1, n_actions + 1)))
        out.append(Fairness(rng.choice(["weak", "strong"]), aids, "f"))
    return out


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 60), st.floats(0.2, 1.5))
def test_compiled_sccs_are_the_python_sccs(seed, n, density):
    """The same components, in the same order, through a sequence of calls on
    subgraphs sharing the per-state numbers (as fair_components makes them)."""
    rng = random.Random(seed)
    g = _random_graph(rng, n, density, 4)
    fair = _random_fairness(rng, 4)
    py, co = FairGraph(g, fair), FairGraph(g, fair, compiled_sccs=True)
    assert co.sccs(range(n), None) == py.sccs(range(n), None)
    assert co.candidates() == py.candidates()
    for _ in range(5):
        member = bytearray(rng.random() < 0.6 for _ in range(n))
        nodes = [u for u in range(n) if member[u] and rng.random() < 0.8]
        assert co.sccs(nodes, member) == py.sccs(nodes, member)
    region = bytearray(rng.random() < 0.7 for _ in range(n))
    accept = bytearray(rng.random() < 0.5 for _ in range(n))
    assert list(co.fair_components(region, accept)) == list(py.fair_components(region, accept))


def test_fairness_depending_on_the_state_blocks_as_in_python():
    """A constraint whose steps are marked per edge (Fairness.at): the
    compiled blocked test reads those marks."""
    rng = random.Random(7)
    for _ in range(40):
        n = rng.randrange(2, 30)
        g = _random_graph(rng, n, 1.0, 3)
        at_sets = {u: frozenset(rng.sample(range(3), rng.randrange(0, 3))) for u in range(n)}
        fair = [Fairness("weak", frozenset(range(3)), "f", at=lambda s, t=at_sets: t[s])]
        py, co = FairGraph(g, fair), FairGraph(g, fair, compiled_sccs=True)
        assert co.candidates() == py.candidates()


# -- predicates by parts ---------------------------------------------------------


PARTS_SPEC = """\
spec P
var x: 0..3 = 0
var y: 0..3 = 0
var m: map[int, int] = {1: 0, 2: 0}
action IncX:
    x = (x + 1) % 4
action IncY:
    y = (y + 1) % 4
action Put(k in {1, 2}):
    m[k] = (m[k] + 1) % 2
temporal A: always ((x < 3 or y < 3) and (m[1] == 0 or x > 0))
temporal B: always eventually (x == 0 and m[2] == 1)
temporal C: (x == 1) leads_to (y == 2 and m[1] == 1)
temporal D: always (y > 0 and 10 // y >= 3)
model m:
    check A
    check B
    check C
    check D
    deadlock: ignore
"""


@pytest.mark.parametrize("prop", ["A", "B", "C", "D"])
def test_predicates_by_parts_agree(prop):
    spec = pyspec.load_with_diagnostics("p.pyspec", PARTS_SPEC)[0]
    cm = compiled(spec, "m")
    g = compiled_graph(cm)
    fg = FairGraph(g, cm.fairness, parts=cm.codegen.predicate_parts)
    for leaf in cm.temporal_leaves(spec.prop(prop)):
        for fn, expr in ((leaf.p, leaf.p_expr), (leaf.q, leaf.q_expr)):
            if fn is None:
                continue
            want = bytearray(map(bool, map(fn, g.states)))
            assert (fg._holds_by_parts(expr, leaf.env) is None) == (prop == "D")  # D: a part fails
            assert fg.holds_at(fn, expr, leaf.env) == want
            assert fg.false_at(fn, expr, leaf.env) == bytearray(1 - b for b in want)
    py = check(spec, "m", property=prop, engine="python")
    co = check(spec, "m", property=prop, engine="compiled")
    assert _report_key(co) == _report_key(py)


def test_a_part_that_fails_leaves_the_whole_predicate_to_decide():
    """``y > 0 and 10 // y >= 3`` never divides by zero as a whole (``and``
    stops at ``y > 0``); its second part alone does, at y == 0: the whole
    predicate then decides, state by state, and there is no error."""
    spec = pyspec.load_with_diagnostics("p.pyspec", PARTS_SPEC)[0]
    cm = compiled(spec, "m")
    leaf = cm.temporal_leaves(spec.prop("D"))[0]
    assert len(cm.codegen.predicate_parts(leaf.p_expr, leaf.env)) == 2
    g = compiled_graph(cm)
    fg = FairGraph(g, cm.fairness, parts=cm.codegen.predicate_parts)
    assert fg._holds_by_parts(leaf.p_expr, leaf.env) is None  # the part failed: the whole decides
    assert fg.false_at(leaf.p, leaf.p_expr, leaf.env) == bytearray(not leaf.p(s) for s in g.states)
    r = check(spec, "m", property="D", engine="compiled")
    assert r.verdict == "violated" and r.trace[-1].state["y"] == 0
