"""The compiled engine (pyspec/engines/compiled) against the Python engine.

The compiled search must give the reports of the Python search, field for
field (verdicts, distinct and generated counts, depth, counterexamples,
messages): on every model of spec/ (the benchmark models too with
``-m slow``), on random specs of the differential fuzzer's generator, and
on the paths its driver takes between calls of the compiled loop (misses
looked ahead, pending invariants, the state constraint, a stop in the
middle of a level, the hand-over of ``--engine auto``, the fall-back to
the Python engine).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from engine_util import load
from specgen import generate

from pyspec import load_with_diagnostics
from pyspec.engines.embedded import bfs, check, check_model, runner
from pyspec.engines.embedded.bfs import Options, _hand_over, _hand_over_within

pytest.importorskip("numba", reason="numba is not installed: the compiled engine cannot run")

from pyspec.engines.compiled import search  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BIG = {"big", "big3", "kvm_big", "kvm_big3"}
#: models of more than 250,000 states: with the benchmark models (-m slow)
SLOW = {("lamport_mutex", "original"), ("multi_paxos", "original"), ("slush", "original")}


def _fields(r):
    return (r.property, r.verdict, r.kind, r.distinct_states, r.generated_states, r.depth, r.loop_start,
            r.message, [(s.process, s.self, s.label, s.params, s.state) for s in r.trace])


def _same(spec, model, **kw):
    """Check the model with both engines: the same reports.  Returns the
    notes of the compiled run (why it let the Python engine search), or
    None when it searched nothing (liveness alone: the state graph is
    built by the Python engine)."""
    notes: list[str] = []
    ran: list[bool] = []
    real = search.explore

    def spy(cm, opts):
        ran.append(True)
        return real(cm, opts)

    search.explore = spy
    try:
        cp = check_model(spec, model, engine="compiled", note=notes.append, **kw)
    finally:
        search.explore = real
    if not ran and not notes:
        return None
    if ran:
        py = check_model(spec, model, engine="python", **kw)
        assert [_fields(r) for r in cp] == [_fields(r) for r in py]
    return notes


def _models(big: bool):
    out = []
    for path in sorted((ROOT / "spec").rglob("*.pyspec")):
        spec, _ = load_with_diagnostics(str(path), path.read_text(encoding="utf-8"))
        for m in spec.models:
            if (m.name in BIG or (path.stem, m.name) in SLOW) == big:
                out.append(pytest.param(str(path), m.name, id=f"{path.stem}.{m.name}"))
    return out


def _safety_options(spec, cm):
    """The options of the runner's safety pass (temporal properties: their
    always/initial parts), without symmetry."""
    from pyspec.engines.embedded.bfs import Options

    checks = [c.property for c in cm.model.checks]
    invs = [p for p in checks if p != "deadlock" and spec.prop(p).kind == "invariant"]
    extra, init = [], []
    for p in checks:
        if p != "deadlock" and spec.prop(p).kind == "temporal":
            always, initially, _ = cm.implied_invariants(spec.prop(p))
            if always is not None:
                extra.append((p, always[0], always[1]))
            if initially is not None:
                init.append((p, initially[0], initially[1]))
    return Options(invariants=invs, deadlock=cm.model.deadlock != "ignore", extra_invariants=extra,
                   init_invariants=init)


def _explored(res):
    return (res.distinct, res.generated, res.depth, res.stopped, res.queue, res.order,
            {k: (v.index, v.state, v.distinct, v.generated, v.depth, v.kind) for k, v in res.violations.items()},
            res.store.level_ends, [res.store.state(i) for i in range(0, res.distinct, max(1, res.distinct // 97))])


@pytest.mark.parametrize("path,model", _models(big=False))
def test_every_model_of_spec(path, model):
    spec, _ = load_with_diagnostics(path, Path(path).read_text(encoding="utf-8"))
    if any(c.property != "deadlock" and spec.prop(c.property).kind == "temporal" for c in spec.model(model).checks):
        # the safety pass alone (the state graph of liveness is the Python engine's in both)
        from pyspec.compile import compile_model
        from pyspec.engines.embedded.bfs import explore

        py = explore(compile_model(spec, model), _safety_options(spec, compile_model(spec, model)))
        cm = compile_model(spec, model)
        assert _explored(search.explore(cm, _safety_options(spec, cm))) == _explored(py)
        return
    notes = _same(spec, model)
    if notes is not None:
        assert notes == []  # searched by the compiled engine (symmetry and refinements too), no fall-back


@pytest.mark.slow
@pytest.mark.parametrize("path,model", _models(big=True))
def test_benchmark_models(path, model):
    spec, _ = load_with_diagnostics(path, Path(path).read_text(encoding="utf-8"))
    _same(spec, model)


@pytest.mark.parametrize("prop", ["NoWrongExit", "NoStaleAfterIoctl", "deadlock"])
def test_one_property_stops_where_the_python_engine_stops(prop):
    spec = load(str(ROOT / "spec/kvm/v1.pyspec"))
    py = check(spec, "wrap", property=prop, engine="python")
    cp = check(spec, "wrap", property=prop, engine="compiled")
    assert _fields(cp) == _fields(py)


def test_max_depth():
    spec = load(str(ROOT / "spec/kvm/v2.pyspec"))
    assert _same(spec, "live", max_depth=7) == []


@pytest.mark.parametrize("bound", [1, 2, 17, 500, 4096, 20_000, 21_527, 21_528])
def test_max_states_stops_where_the_python_engine_stops(bound):
    """After expanding the state that filled the store to the bound."""
    for path, model in [("spec/corpus/readers_writers.pyspec", "original"), ("spec/kvm/v1.pyspec", "big")]:
        spec = load(str(ROOT / path))
        assert _same(spec, model, max_states=bound) == []


@pytest.mark.parametrize("seed", range(40))
def test_random_specs(seed):
    """The differential fuzzer's specs: both engines, the same reports."""
    text, _ = generate(random.Random(seed))
    spec, diags = load_with_diagnostics("fuzz.pyspec", text)
    assert spec is not None, text
    if any(r.verdict == "incomplete" for r in check_model(spec, "m", engine="python", max_states=4000)):
        pytest.skip("state space too large for the test")
    _same(spec, "m")


def test_tiny_buffers_give_the_same_reports(monkeypatch):
    """Miss buffers of 3 entries, 2 states of look-ahead, 5 expansions per
    call: many more rounds between the loop and the driver (pending
    invariants settled in pieces, a miss cut in the middle of a state)."""
    monkeypatch.setattr(search, "MISS_BUFFER", 3)
    monkeypatch.setattr(search, "LOOKAHEAD", 2)
    monkeypatch.setattr(search, "BUDGET", 5)
    for path, model in [("spec/kvm/v1.pyspec", "small"), ("spec/kvm/v3.pyspec", "wrap"),
                        ("spec/corpus/alternating_bit.pyspec", "original"),
                        ("spec/corpus/two_pc_with_btm.pyspec", "original"),
                        ("spec/corpus/paxos.pyspec", "original")]:  # symmetry with an interned slot
        spec = load(str(ROOT / path))
        for stop_first in (False, True):
            if stop_first:
                py = check(spec, model, engine="python")
                cp = check(spec, model, engine="compiled")
                assert _fields(cp) == _fields(py)
            else:
                _same(spec, model)


@pytest.mark.parametrize("keys_max", [0, 3000])
def test_a_step_memo_without_its_keys_gives_the_same_reports(monkeypatch, keys_max):
    """Past STEP_KEYS_MAX entries the step memo drops its keys and compares
    through the rows of the states that named them: from the start (0), and
    from its first growth on (3000: placeholders and filled entries made
    with keys, looked up without).  Tiny miss buffers too, for many rounds
    of placeholders."""
    monkeypatch.setattr(search, "STEP_KEYS_MAX", keys_max)
    dropped = []
    run = search._Search.run

    def spy(self):
        res = run(self)
        dropped.append(len(self.steps.key) == 0 and self.steps.n > 0)
        return res

    monkeypatch.setattr(search._Search, "run", spy)
    for path, model in [("spec/kvm/v2.pyspec", "small"), ("spec/corpus/lamport_mutex.pyspec", "original"),
                        ("spec/corpus/paxos.pyspec", "original")]:  # symmetry with an interned slot
        spec = load(str(ROOT / path))
        assert _same(spec, model) == []
    monkeypatch.setattr(search, "MISS_BUFFER", 3)
    monkeypatch.setattr(search, "LOOKAHEAD", 2)
    spec = load(str(ROOT / "spec/kvm/v1.pyspec"))
    assert _same(spec, "small") == []
    # one search per model; v1 small's memo stays below 3000 entries and keeps its keys;
    # paxos's steps are keyed by projections of its message set, which are
    # not the rows' words: its memo keeps its keys (test_set_projection.py)
    assert dropped == [True, True, False, keys_max == 0]


def test_constraint_violations_outside_the_constraint():
    """A state outside the constraint is checked, never stored: an
    invariant false there is reported with that state as the last one."""
    text = """spec Bound
var x: int = 0
process p:
    while True:
        inc:
            x = x + 1
invariant Small: x < 3
model m:
    constraint: x < 3
    check Small: violated
"""
    spec, diags = load_with_diagnostics("bound.pyspec", text)
    assert spec is not None, diags.errors
    assert _same(spec, "m") == []
    r = check_model(spec, "m", engine="compiled")[0]
    assert r.verdict == "violated" and r.distinct_states == 3 and r.trace[-1].state["x"] == 3


def test_action_property_on_a_step_to_a_state_seen_before():
    text = '''spec Cycle
var x: 0..2 = 0
process p:
    while True:
        step:
            x = (x + 1) % 3
action invariant Up: next(x) >= x
action invariant Small: next(x) <= 2 and x <= 2
model m:
    check Up: violated
    check Small
'''
    spec, diags = load_with_diagnostics("cycle.pyspec", text)
    assert spec is not None, diags.errors
    assert _same(spec, "m") == []
    up = check_model(spec, "m", engine="compiled")[0]
    assert up.verdict == "violated" and up.distinct_states == 3
    assert [s.state["x"] for s in up.trace] == [0, 1, 2, 0]


def test_an_evaluation_error_falls_back_to_the_python_engine():
    text = '''spec Err
var m: map[int, int] = {0: 0, 1: 0}
var i: 0..3 = 0
process p:
    while True:
        step:
            m[i] = m[i] + 1
            i = i + 1
invariant Fine: True
model m:
    check Fine
'''
    spec, diags = load_with_diagnostics("err.pyspec", text)
    assert spec is not None, diags.errors
    notes = _same(spec, "m")
    r = check_model(spec, "m", engine="compiled")[0]
    assert r.verdict == "error" and "err.pyspec:7" in r.message
    assert any("evaluation error" in n for n in notes)


LATE_ERROR = '''spec Late
var x: 0..7 = 0
var y: 0..7 = 0
var m: map[0..5, int] = {k: 0 for k in 0..5}
process p:
    while True:
        step:
            x = (x + 1) % 8
process q:
    while True:
        step:
            y = (y + 1) % 8
            m[y] = x
invariant Fine: x >= 0
model m:
    check Fine
'''


@pytest.mark.parametrize("engine", ["compiled", "auto"])
def test_an_evaluation_error_after_a_level_boundary_goes_on_from_it(monkeypatch, engine):
    """An evaluation error met at depth 7 (m[6]: outside the map's keys):
    the compiled engine goes back to the last level boundary and the Python
    engine goes on from there (not from the initial states), with the
    report of a search by the Python engine alone."""
    spec, diags = load_with_diagnostics("late.pyspec", LATE_ERROR)
    assert spec is not None, diags.errors
    if engine == "auto":
        monkeypatch.setattr(runner, "HANDOVER_SECONDS", 0.0)  # hand over at once
        monkeypatch.setattr(runner, "HANDOVER_MISSES", float("inf"))
    resumed = []
    real = runner.explore

    def spy(cm, opts):
        resumed.append(None if opts.resume is None else opts.resume.depth)
        return real(cm, opts)

    monkeypatch.setattr(runner, "explore", spy)
    notes: list[str] = []
    got = check_model(spec, "m", engine=engine, note=notes.append)
    monkeypatch.setattr(runner, "explore", real)
    want = check_model(spec, "m", engine="python")
    assert [_fields(r) for r in got] == [_fields(r) for r in want]
    assert got[0].verdict == "error" and "late.pyspec:13" in got[0].message
    assert resumed[-1] is not None and resumed[-1] >= 6  # the boundary before the error's level
    assert any("evaluation error" in n and "from depth" in n for n in notes), notes


@pytest.mark.parametrize("path,model,rule", [("spec/corpus/two_pc_with_btm.pyspec", "original", "time"),
                                             ("spec/kvm/v2.pyspec", "small", "time"),  # symmetry: canonical states
                                             ("spec/kvm/v1.pyspec", "small", "look-ahead")])
def test_auto_hands_over_at_a_level_boundary(monkeypatch, path, model, rule):
    """``--engine auto``: the Python engine starts, the compiled one goes on
    from the level the Python engine stopped at (here: at once, by the time
    limit or by the look-ahead alone, whatever the memo misses so far)."""
    if rule == "time":
        monkeypatch.setattr(runner, "HANDOVER_SECONDS", 0.0)
    else:
        monkeypatch.setattr(runner, "HANDOVER_SECONDS", float("inf"))
        monkeypatch.setattr(runner, "HANDOVER_AHEAD", 0.0)  # any level ahead is worth it
    monkeypatch.setattr(runner, "HANDOVER_MISSES", float("inf"))
    calls = []
    real = search.explore

    def spy(cm, opts):
        calls.append(opts.resume)
        return real(cm, opts)

    monkeypatch.setattr(search, "explore", spy)
    spec = load(str(ROOT / path))
    py = check_model(spec, model, engine="python")
    auto = check_model(spec, model, engine="auto")
    assert [_fields(r) for r in auto] == [_fields(r) for r in py]
    assert calls and calls[0] is not None and calls[0].cursor > 0


def test_auto_hands_over_when_the_next_level_would_take_long():
    """The hand-over rule at a level boundary: after HANDOVER_SECONDS, or
    sooner when the level about to be expanded would take the Python engine
    HANDOVER_AHEAD seconds at its rate so far (numba's start-up paid back
    by that level alone); not when the levels shrink so fast that what is
    left would take less than HANDOVER_SECONDS again."""
    opts = Options(handover=1.0, handover_ahead=0.5)
    assert _hand_over(opts, spent=0.2, expanded=1000, level=3000, previous=900)  # 0.6 s ahead
    assert not _hand_over(opts, spent=0.2, expanded=1000, level=2000, previous=900)  # 0.4 s ahead
    assert _hand_over(opts, spent=1.0, expanded=1000, level=10, previous=5)  # time is up, levels grow
    assert not _hand_over(opts, spent=0.2, expanded=0, level=10, previous=0)  # no rate yet
    assert not _hand_over(Options(handover=1.0), spent=0.2, expanded=1000, level=10 ** 6, previous=10)
    # time is up, the levels shrink: 100 / (1 - 0.5) = 200 states left, 0.2 s at 1,000 states/s
    assert not _hand_over(opts, spent=1.0, expanded=1000, level=100, previous=200)
    # ... 900 / (1 - 0.9) = 9,000 states left, 9 s
    assert _hand_over(opts, spent=1.0, expanded=1000, level=900, previous=1000)
    # levels about as large as the one before (disruptor_mpmc near its peak): shrinking slowly,
    # by 0.95 at most: 2,500 + 19 * 2,500 states left, 0.22 s at 225,000 a second
    flat = Options(handover=0.4)
    assert not _hand_over(flat, spent=0.4, expanded=90_000, level=2500, previous=2480)
    assert _hand_over(flat, spent=1.0, expanded=225_000, level=2500, previous=2480)  # ... until 2.5x the time
    assert _hand_over(flat, spent=0.4, expanded=90_000, level=2700, previous=2480)  # growing by 5% or more
    # levels growing by 1.5 or more: when the next would take handover_growing seconds
    grow = Options(handover=1.0, handover_ahead=0.5, handover_growing=0.1)
    assert _hand_over(grow, spent=0.2, expanded=1000, level=600, previous=400)  # 0.12 s ahead, x1.5
    assert not _hand_over(grow, spent=0.2, expanded=1000, level=600, previous=500)  # x1.2
    assert not _hand_over(grow, spent=0.2, expanded=1000, level=400, previous=200)  # 0.08 s ahead
    assert not _hand_over(opts, spent=0.2, expanded=1000, level=600, previous=400)  # (not asked)


def test_auto_hands_over_in_the_middle_of_a_level_once_time_is_up():
    """In the middle of a level, after HANDOVER_SECONDS: now, unless the
    levels shrink so fast that what is left (the rest of the level, the
    levels after it shrinking as this one did) would take the Python
    engine less than that again."""
    opts = Options(handover=1.0)
    # 1,000 states expanded in 1 s; a level of 1,000 (500 left) after one of 900: growing
    assert _hand_over_within(opts, spent=1.0, expanded=1000, rest=500, size=1000, previous=900)
    assert not _hand_over_within(opts, spent=0.9, expanded=1000, rest=500, size=1000, previous=900)  # not yet
    assert not _hand_over_within(opts, spent=1.0, expanded=1000, rest=0, size=1000, previous=900)  # level's end
    # shrinking by a tenth: 50 + 100 * 100 / 900 = 61 states left, 0.06 s
    assert not _hand_over_within(opts, spent=1.0, expanded=1000, rest=50, size=100, previous=1000)
    # ... by 5%: 500 + 1,000 * 1,000 / 50 = 20,500 states, 20 s
    assert _hand_over_within(opts, spent=1.0, expanded=1000, rest=500, size=1000, previous=1050)
    # the level's end is 0.2 s away (less than a quarter of the hand-over time): at the boundary
    assert not _hand_over_within(opts, spent=1.0, expanded=1000, rest=200, size=1000, previous=900)
    # a level about as large as the one before, 25,000 of its states left (0.11 s): the rest and
    # 19 such levels; a tenth of the one before: the rest and 3,333 states, 0.13 s
    flat = Options(handover=0.4)
    assert _hand_over_within(flat, spent=0.4, expanded=90_000, rest=25_000, size=30_000, previous=29_800)
    assert not _hand_over_within(flat, spent=0.4, expanded=90_000, rest=25_000, size=30_000, previous=300_000)


@pytest.mark.parametrize("path,model", [("spec/corpus/two_pc_with_btm.pyspec", "original"),
                                        ("spec/kvm/v2.pyspec", "small"),  # symmetry
                                        ("spec/corpus/paxos.pyspec", "original")])  # a projected message set
def test_auto_hands_over_in_the_middle_of_a_level(monkeypatch, path, model):
    """The compiled engine expands the rest of the level the Python engine
    stopped in (its successors so far stored): the Python engine's reports."""
    monkeypatch.setattr(runner, "HANDOVER_SECONDS", 0.0)
    monkeypatch.setattr(runner, "HANDOVER_MISSES", float("inf"))
    monkeypatch.setattr(bfs, "_hand_over", lambda *a: False)  # never at a level boundary
    monkeypatch.setattr(bfs, "HANDOVER_EVERY", 7)  # asked every 8 states
    calls = []
    real = search.explore

    def spy(cm, opts):
        if opts.resume is not None:
            calls.append((opts.resume.cursor, list(opts.resume.store.level_ends)))
        return real(cm, opts)

    monkeypatch.setattr(search, "explore", spy)
    spec = load(str(ROOT / path))
    auto = check_model(spec, model, engine="auto")
    monkeypatch.undo()
    py = check_model(spec, model, engine="python")
    assert [_fields(r) for r in auto] == [_fields(r) for r in py]
    assert calls, "no hand-over"
    cursor, level_ends = calls[0]
    assert cursor > 0 and cursor not in level_ends  # inside a level


def _record_stops(monkeypatch) -> list:
    """The ``stopped`` of every compiled search from now on, in order."""
    stops = []
    real = search._Search.run

    def spy(self):
        res = real(self)
        stops.append(res.stopped)
        return res

    monkeypatch.setattr(search._Search, "run", spy)
    return stops


@pytest.mark.parametrize("path,model", [("spec/corpus/two_pc_with_btm.pyspec", "original"),
                                        ("spec/kvm/v2.pyspec", "small"), ("spec/kvm/v1.pyspec", "small")])
def test_auto_hands_a_slow_search_back_to_the_python_engine(monkeypatch, path, model):
    """``auto``: the compiled engine going slower than the Python engine
    did (here: always) hands the search back at a level boundary; the
    Python engine finishes it with the same reports."""
    monkeypatch.setattr(runner, "HANDOVER_SECONDS", 0.0)
    monkeypatch.setattr(runner, "HANDOVER_MISSES", float("inf"))
    monkeypatch.setattr(search, "HANDBACK_SECONDS", 0.0)
    monkeypatch.setattr(search, "HANDBACK_FACTOR", 1e12)
    stops = _record_stops(monkeypatch)
    spec = load(str(ROOT / path))
    py = check_model(spec, model, engine="python")
    auto = check_model(spec, model, engine="auto")
    assert [_fields(r) for r in auto] == [_fields(r) for r in py]
    assert "handback" in stops


def test_the_hand_back_measure_starts_again_after_a_compile(monkeypatch):
    """A loop function compiled (or loaded) during the measured half second
    starts the measure again: here one is at every level boundary, so even
    a hand-back rate no engine reaches never hands the search back (a
    machine's first run compiled for seconds inside the measure and gave
    v2 big back to the Python engine)."""
    from pyspec.engines.compiled.library import library

    monkeypatch.setattr(runner, "HANDOVER_SECONDS", 0.0)
    monkeypatch.setattr(runner, "HANDOVER_MISSES", float("inf"))
    monkeypatch.setattr(search, "HANDBACK_SECONDS", 0.0)
    monkeypatch.setattr(search, "HANDBACK_FACTOR", 1e12)
    count = iter(range(1_000_000))
    monkeypatch.setattr(library(), "loaded", lambda: next(count))
    stops = _record_stops(monkeypatch)
    spec = load(str(ROOT / "spec/kvm/v1.pyspec"))
    auto = check_model(spec, "small", engine="auto")
    assert stops == [None]
    assert [_fields(r) for r in auto] == [_fields(r) for r in check_model(spec, "small", engine="python")]


@pytest.mark.parametrize("gain", [0.75, 1e12])
def test_auto_with_workers_keeps_the_faster_of_the_compiled_engine_and_the_workers(monkeypatch, capsys, gain):
    """``auto`` with ``--workers 2``: the Python engine starts in one
    process and hands over to the compiled engine, which keeps the search
    while it expands states faster than two workers would (WORKER_GAIN
    0.75: the compiled loop is several times faster here), and otherwise
    hands it to the workers at a level boundary (a gain no engine reaches),
    who go on from there: the reports of one Python process, and the
    workers' (the same verdicts and counts, shortest counterexamples of
    the same length, as tests/engines/test_parallel.py compares them)."""
    from pyspec.engines.embedded import parallel

    monkeypatch.setattr(runner, "HANDOVER_SECONDS", 0.0)
    monkeypatch.setattr(runner, "HANDOVER_MISSES", float("inf"))
    monkeypatch.setattr(runner, "WORKER_GAIN", gain)
    monkeypatch.setattr(search, "HANDBACK_SECONDS", 0.0)
    stops, workers = _record_stops(monkeypatch), []
    real_parallel = parallel.explore_parallel

    def parallel_spy(cm, opts, n):
        workers.append((n, opts.resume is not None))
        return real_parallel(cm, opts, n)

    monkeypatch.setattr(parallel, "explore_parallel", parallel_spy)
    spec = load(str(ROOT / "spec/kvm/v1.pyspec"))
    py = check_model(spec, "small", engine="python")
    auto = check_model(spec, "small", engine="auto", workers=2)
    if gain < 1:
        assert [_fields(r) for r in auto] == [_fields(r) for r in py]
        assert stops == [None] and workers == []  # the compiled engine searched it all
        assert "--workers 2: the compiled engine searches in one process" in capsys.readouterr().err
    else:
        def outcome(reports):
            return [(r.property, r.verdict, r.kind, r.distinct_states if r.verdict == "ok" else None,
                     r.generated_states if r.verdict == "ok" else None, len(r.trace or ())) for r in reports]

        assert outcome(auto) == outcome(py) == outcome(check_model(spec, "small", engine="python", workers=2))
        assert stops == ["handback"] and workers[0] == (2, True)  # the workers went on from the boundary


MISSING = """\
spec Missing
var n: int = 0
var last: 0..9 = 0
action Tick(i in 0..9):
    await n < 300
    n = n + 1
    last = i
model m:
    deadlock: ignore
"""


def test_auto_keeps_the_python_engine_when_steps_miss_their_memo(monkeypatch):
    """A search whose steps miss their memo at almost every state (each
    Tick reads n, new in every state: 10 misses per state) is not handed
    to the compiled engine, which would call the same Python steps from its
    loop; the Python engine goes on from the level boundary."""
    monkeypatch.setattr(runner, "HANDOVER_SECONDS", 0.0)
    monkeypatch.setattr(search, "explore", lambda cm, opts: pytest.fail("compiled engine used"))
    spec = load_with_diagnostics("missing.pyspec", MISSING)[0]
    auto = check_model(spec, "m", engine="auto")
    assert [_fields(r) for r in auto] == [_fields(r) for r in check_model(spec, "m", engine="python")]
    assert auto[0].distinct_states == 3001


def test_auto_keeps_the_python_engine_for_short_searches(monkeypatch):
    monkeypatch.setattr(search, "explore", lambda cm, opts: pytest.fail("compiled engine used"))
    spec = load(str(ROOT / "spec/examples/peterson.pyspec"))
    assert all(r.verdict == "ok" for r in check_model(spec, "two", engine="auto"))


def test_a_short_search_never_imports_numba():
    """``auto`` asks whether the compiled engine could run a model without
    importing it: a small model pays neither numba's import nor its memory."""
    import subprocess
    import sys

    code = ("import sys; import pyspec; from pyspec.engines.embedded import check_model; "
            "spec = pyspec.load('spec/examples/peterson.pyspec'); "
            "assert all(r.verdict == 'ok' for r in check_model(spec, 'two')); "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_unknown_engine_is_refused():
    spec = load(str(ROOT / "spec/examples/peterson.pyspec"))
    with pytest.raises(ValueError, match="unknown engine"):
        check_model(spec, "two", engine="fast")


def test_the_search_loop_runs_without_reference_counting():
    """numba increfs and decrefs every array argument of a helper on each
    call, inlined or not (v2 big: 5x the time of the step lookups
    themselves); the loop and the helpers it calls per state or per
    successor are compiled without (``_nrt=False``) and allocate nothing."""
    from pyspec.engines.compiled import kernel as kn

    for f in (kn.run, kn._record_misses, kn._request, kn._actions_hold, kn._canonical, kn.first_failing,
              kn._successors, kn._find_state, kn._store, kn._parts_hold, kn._memo_find, kn._state_hash):
        assert f.targetoptions.get("_nrt") is False, f.py_func.__name__


def test_the_hand_back_judges_the_rate_of_the_last_levels_once_it_stops_rising(monkeypatch):
    """The compiled loop starts slowly (every new key is a Python fill):
    multi_paxos expanded 12,000 states a second at its 12th level and
    25,000 at its 13th, where the Python engine had done 4,000-8,000.  Its
    rate since the hand-over, judged after half a second, handed it back
    (3 s -> 10-13 s).  The rate judged is the last levels' (0.2 s), and
    only once it no longer rises by a quarter (or after 2 s)."""
    monkeypatch.setattr(search, "HANDBACK_SECONDS", 0.5)
    monkeypatch.setattr(search, "HANDBACK_WINDOW", 0.2)
    # multi_paxos's levels from the first boundary after the hand-over
    warming = [(0.0, 990), (0.07, 2107), (0.29, 4514), (0.48, 9373), (0.77, 18230)]
    assert search._hand_back(warming[:3], 6000) is None  # before half a second: not judged
    assert search._hand_back(warming, 6000) is False  # 30,000 a second over the last 0.29 s: kept
    flat = [(0.0, 1000), (0.2, 1400), (0.4, 1800), (0.6, 2200)]  # 2,000 a second, not rising
    assert search._hand_back(flat, 6000) is True
    rising = [(0.0, 1000), (0.25, 1300), (0.55, 2800)]  # 1,200 then 5,000 a second: still filling its memos
    assert search._hand_back(rising, 6000) is None
    late = [(0.0, 1000), (1.0, 1500), (2.1, 3500)]  # rising, but judged after HANDBACK_LATEST
    assert search._hand_back(late, 6000) is True
    last, before = search._window_rates(rising)
    assert round(last) == 5000 and round(before) == 1200
    one = [(0.0, 1000), (0.6, 2200)]  # one window: no sign of a rise, judged on it
    assert search._window_rates(one) == (2000.0, 2000.0) and search._hand_back(one, 6000) is True
