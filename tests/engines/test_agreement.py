"""Both engines mean the same thing: regression tests for the disagreements
found by writing real specs (docs/semantics.md is the contract).

Each case runs the embedded engine; with a jar (``TLA2TOOLS_JAR``) it runs
TLC on the export too and compares verdicts, counts and counterexample
lengths (:func:`pyspec.engines.crosscheck.compare_model`).  Without a jar
the TLC half is skipped with its reason; the embedded half always runs.
"""

from __future__ import annotations

import json

import pytest
from tlc_direct import jar_path

import pyspec
from pyspec.cli import main
from pyspec.compile import compile_model
from pyspec.engines.embedded import check
from pyspec.engines.embedded import check_model as check_model_reports

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half of the agreement skipped")


def load(text: str, name: str = "agree.pyspec") -> pyspec.Spec:
    return pyspec.load(name, text=text)


def tlc_agrees(spec, model: str) -> None:
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(spec, model, resolve(jar_path()))
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- 1. defs read the old state

DEF_READ = """\
spec DefRead
var x: int = 0
var y: int = 0
def dx() -> int: x
process p:
    s:
        x = 1
        y = dx()
invariant YReadsOldX: y == 0
model m:
    check YReadsOldX
"""

# The jug puzzle with defs (16 states when defs read the state before the
# step; 19 when the export primed them).
JUGS = """\
spec Jugs
var small: int = 0
var big: int = 0
def room_big() -> int: 5 - big
def room_small() -> int: 3 - small
process solver:
    while True:
        move:
            either:
                small = 3
            or:
                big = 5
            or:
                small = 0
            or:
                big = 0
            or:
                big = big + min({small, room_big()})
                small = small - min({small, room_big()})
            or:
                small = small + min({big, room_small()})
                big = big - min({big, room_small()})
invariant NotFour: big != 4
model m:
    check NotFour: violated
"""


def test_def_reads_the_state_before_the_step():
    rep = check(load(DEF_READ), "m", property="YReadsOldX")
    assert rep.verdict == "ok" and rep.distinct_states == 2


def test_def_read_after_assignment_warns(tmp_path, capsys):
    p = tmp_path / "defread.pyspec"
    p.write_text(DEF_READ)
    assert main(["lint", str(p)]) == 0
    err = capsys.readouterr().err
    assert f"{p}:8:13: warning: 'dx' reads 'x', assigned earlier in this step" in err
    assert main(["lint", "--strict", str(p)]) == 2


def test_def_called_before_assignment_does_not_warn(tmp_path, capsys):
    p = tmp_path / "ok.pyspec"
    p.write_text(DEF_READ.replace("        x = 1\n        y = dx()\n", "        y = dx()\n        x = 1\n"))
    assert main(["lint", "--strict", str(p)]) == 0


@needs_tlc
def test_def_read_tlc_agrees():
    tlc_agrees(load(DEF_READ), "m")


def _jugs():
    return load(JUGS)


def test_jugs_with_defs():
    rep = check(_jugs(), "m", property="NotFour")
    assert rep.verdict == "violated" and len(rep.trace) == 7


@needs_tlc
def test_jugs_with_defs_tlc_agrees():
    tlc_agrees(_jugs(), "m")


# ---------------------------------------------------------------- 2. declared bounds bound the layout

WIDE = """\
spec Wide
var net: map[1..3, map[1..3, seq[int]]] = {p: {q: [] for q in 1..3} for p in 1..3}
process sender(self in 1..3):
    while True:
        send:
            any q in 1..3 if len(net[self][q]) < 2:
                net[self][q] = append(net[self][q], self)
invariant Short: forall p in 1..3: forall q in 1..3: len(net[p][q]) <= 2
model m:
    check Short
    deadlock: ignore
"""


def test_declared_key_range_bounds_the_layout():
    cm = compile_model(load(WIDE), "m")
    (slot,) = [s for s in cm.slots if s.name == "net"]
    assert slot.codec.keys == [1, 2, 3]  # not widened by the pre-run
    assert cm.layout.bits < 400


def test_wide_nested_maps_of_sequences():
    rep = check(load(WIDE), "m", property="Short")
    assert rep.verdict == "ok" and rep.distinct_states == 3 ** 9


@needs_tlc
def test_wide_tlc_agrees():
    tlc_agrees(load(WIDE), "m")


# ---------------------------------------------------------------- 3. type holes, declared ranges

HOLE = """\
spec Hole
var o: optional[int] = none
var ok: optional[bool] = none
var q: seq[int] = []
var st: set[int] = set()
var mp: map[int, int] = {}
var x: int = 0
process p:
    s:
        {stmt}
invariant Uses: len(q) + len(st) + x >= 0 and (1 not in mp or mp[1] >= 0) and o == none and ok == none
model m:
    check Uses
"""


@pytest.mark.parametrize("stmt,message", [
    ("q = append(q, o)", "the value assigned to 'q' has type 'seq[optional[int]]', expected 'seq[int]'"),
    ("q = q + [o]", "the value assigned to 'q' has type 'seq[optional[int]]', expected 'seq[int]'"),
    ("st = {o}", "the value assigned to 'st' has type 'set[optional[int]]', expected 'set[int]'"),
    ("st = st | {o}", "the value assigned to 'st' has type 'set[optional[int]]', expected 'set[int]'"),
    ("mp = mp | {o: 1}", "has type 'map[optional[int], int]', expected 'map[int, int]'"),
    ("mp = mp | {1: o}", "has type 'map[int, optional[int]]', expected 'map[int, int]'"),
    ("x = 1 if o >= 0 else 2", "'>=' compares ints (or sets), got 'optional[int]'"),
    ("x = o + 1", "'+' needs ints, got 'optional[int]' on its left"),
    ("x = o", "the value assigned to 'x' has type 'optional[int]', expected 'int'"),
])
def test_optional_values_do_not_leak_into_non_optional_types(stmt, message):
    with pytest.raises(pyspec.SpecError) as e:
        load(HOLE.replace("{stmt}", stmt))
    text = e.value.render()
    assert "agree.pyspec:10:" in text and message in text, text


def test_optional_stays_usable_where_it_is_declared():
    spec = load(HOLE.replace("{stmt}", "o = 3 if o == none else none"))
    assert check(spec, "m", property="Uses").verdict == "violated"


RANGE = """\
spec Range
var x: 0..2 = 0
var m: map[1..3, 0..1] = {k: 0 for k in 1..3}
process p:
    while True:
        s:
            x = x + 1
            m[x] = 1 - m[x]
invariant Inv: m[1] >= 0
model m:
    check Inv
    deadlock: ignore
"""


def test_value_outside_declared_range_is_a_located_error():
    rep = check(load(RANGE), "m", property="Inv")
    assert rep.verdict == "error" and rep.distinct_states == 3
    assert rep.message.startswith("agree.pyspec:7:13: the value assigned to 'x' is outside its declared type: 3")


def test_nested_range_checked_on_the_assigned_part():
    spec = load(RANGE.replace("m[x] = 1 - m[x]", "m[x] = m[x] + 1").replace("x = x + 1", "x = x % 2 + 1"))
    rep = check(spec, "m", property="Inv")
    assert rep.verdict == "error"
    assert rep.message.startswith("agree.pyspec:8:13: the value assigned to 'm[...]' is outside its declared type: 2")


def test_initial_value_outside_declared_range():
    rep = check(load(RANGE.replace("var x: 0..2 = 0", "var x: 0..2 = 5")), "m", property="Inv")
    assert rep.verdict == "error"
    assert rep.message == "agree.pyspec:2:15: the initial value of 'x' is outside its declared type: 5"


def test_run_time_spec_error_exits_2_in_check(tmp_path, capsys):
    p = tmp_path / "range.pyspec"
    p.write_text(RANGE)
    assert main(["check", str(p)]) == 2
    assert "outside its declared type: 3" in capsys.readouterr().out


@needs_tlc
@pytest.mark.parametrize("variant", ["step", "init", "nested"])
def test_range_errors_tlc_agrees(variant, tmp_path):
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model as tlc_check_model

    text = {"step": RANGE, "init": RANGE.replace("var x: 0..2 = 0", "var x: 0..2 = 5"),
            "nested": RANGE.replace("m[x] = 1 - m[x]", "m[x] = m[x] + 1").replace("x = x + 1", "x = x % 2 + 1")}[variant]
    spec = load(text)
    emb = check(spec, "m", property="Inv")
    ((_, tlc),) = tlc_check_model(spec, spec.model("m"), resolve(jar_path()), prop="Inv")
    assert emb.verdict == tlc.verdict == "error"
    assert emb.distinct_states == tlc.distinct_states
    line = emb.message.split(":")[1]
    assert tlc.message.startswith(f"agree.pyspec:{line}: "), tlc.message
    assert "outside its declared type" in tlc.message


# ---------------------------------------------------------------- exit codes of crashes


def test_internal_error_exits_3_with_traceback_in_a_file(tmp_path, monkeypatch, capsys):
    import pyspec.commands.check as check_cmd

    def boom(args):
        raise ValueError("simulated bug")

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(check_cmd, "run", boom)
    code = main(["check", "spec/examples/counter.pyspec"])
    err = capsys.readouterr().err
    assert code == 3
    assert "internal error" in err and "ValueError: simulated bug" in err
    assert "reproduce with: pyspec check spec/examples/counter.pyspec" in err
    assert "Traceback" not in err
    (log,) = (tmp_path / "pyspec").glob("internal-error-*.txt")
    assert "Traceback" in log.read_text() and "simulated bug" in log.read_text()


# ---------------------------------------------------------------- 4. symmetry with liveness

SYM_LIVE = """\
spec SymLive
sort P
const PS: set[P] = {P.a, P.b}
var turn: optional[P] = none
var served: set[P] = set()
strong fair process client(self in PS):
    while True:
        ask:
            await turn == none
            turn = self
        done:
            served = served | {self}
            turn = none
temporal AllServed: forall p in PS: eventually p in served
temporal Progress: always eventually turn == none
invariant OneTurn: turn == none or turn in PS
model m:
    symmetry: PS
    check OneTurn
    check AllServed
    check Progress
"""


def test_liveness_with_symmetry_runs_on_the_full_graph():
    reps = {r.property: r for r in check_model_reports(load(SYM_LIVE), "m")}
    assert reps["OneTurn"].distinct_states == 7  # safety: reduced by symmetry
    assert reps["AllServed"].verdict == "ok" and reps["AllServed"].distinct_states == 12  # liveness: full
    assert "without symmetry" in reps["AllServed"].message


def test_symmetry_with_liveness_warns(tmp_path, capsys):
    p = tmp_path / "symlive.pyspec"
    p.write_text(SYM_LIVE)
    assert main(["lint", str(p)]) == 0
    assert "warning: model 'm' declares symmetry and checks liveness (AllServed, Progress)" in capsys.readouterr().err


def test_tlc_runs_liveness_without_symmetry():
    from pyspec.engines.tlc.run import plan
    from pyspec.tla.export import render_model, render_module

    spec = load(SYM_LIVE)
    jobs = plan(spec, spec.model("m"))
    assert [(j.name, j.run.symmetry) for j in jobs] == [("holds", True), ("holds-liveness", False)]
    _, _, r = render_module(spec)
    _, cfg = render_model(spec, r, spec.model("m"), jobs[1].run)
    assert "SYMMETRY" not in cfg and "liveness is checked without symmetry" in cfg
    _, cfg = render_model(spec, r, spec.model("m"), jobs[0].run)
    assert "SYMMETRY Symmetry" in cfg


@needs_tlc
def test_symmetry_with_liveness_tlc_agrees():
    tlc_agrees(load(SYM_LIVE), "m")


# ---------------------------------------------------------------- 5. the same report from both engines


@pytest.mark.parametrize("text,names", [
    ("Temporal property Live was violated.", ["Live"]),
    ("Temporal properties A and B were violated.", ["A", "B"]),
    ("Temporal properties A, B, and C were violated.", ["A", "B", "C"]),
    ("Temporal properties were violated.", []),
])
def test_tlc_temporal_violation_messages(text, names):
    from pyspec.engines.tlc.output import temporal_names

    assert temporal_names(text) == names


def test_tlc_nested_messages_are_parsed():
    from pyspec.engines.tlc.output import ToolParser

    text = "\n".join([
        "@!@!@STARTMSG 2189:0 @!@!@", "Computing initial states...", "@!@!@ENDMSG 2189 @!@!@",
        "@!@!@STARTMSG 1000:1 @!@!@",
        "@!@!@STARTMSG 2132:0 @!@!@",
        "The first argument of Assert evaluated to FALSE; the second argument was:",
        '"s.pyspec:2: the initial value of \'x\' is outside its declared type"',
        "@!@!@ENDMSG 2132 @!@!@",
        "@!@!@ENDMSG 1000 @!@!@",
        "@!@!@STARTMSG 2186:0 @!@!@", "Finished in 455ms", "@!@!@ENDMSG 2186 @!@!@",
    ])
    out = ToolParser().feed_all(text)
    assert out.outcome == "error"
    assert out.error == "s.pyspec:2: the initial value of 'x' is outside its declared type"
    assert [m.code for m in out.messages] == [2189, 2132, 1000, 2186]


EXAMPLES = ["spec/examples/peterson.pyspec", "spec/examples/counter.pyspec", "spec/examples/bounded_queue.pyspec"]


def _example_properties():
    out = []
    for path in EXAMPLES:
        spec = pyspec.load(path)
        for m in spec.models:
            for c in m.checks:
                out.append(pytest.param(path, m.name, c.property, id=f"{path}::{m.name}::{c.property}"))
    return out


@needs_tlc
@pytest.mark.tlc
@pytest.mark.parametrize("path,model,prop", _example_properties())
def test_both_engines_answer_the_same_question_with_the_same_fields(path, model, prop):
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model as tlc_check_model
    from pyspec.report import validate_report

    spec = pyspec.load(path)
    emb = check(spec, model, property=prop)
    ((_, tlc),) = tlc_check_model(spec, spec.model(model), resolve(jar_path()), prop=prop)
    for r in (emb, tlc):
        validate_report(json.loads(r.dumps()))
    same = ("verdict", "property", "kind", "expected", "properties")
    assert {k: getattr(emb, k) for k in same} == {k: getattr(tlc, k) for k in same}
    if emb.verdict == "ok":
        assert emb.distinct_states == tlc.distinct_states
    elif emb.kind in ("invariant", "action", "deadlock"):
        assert len(emb.trace) == len(tlc.trace)


# ---------------------------------------------------------------- 6. values in spec terms

KEY_ERROR = """\
spec KeyErr
sort K
const KS: set[K] = {K.k1, K.k2}
var m: map[K, int] = {K.k1: 0}
process p(self in KS):
    s:
        m[self] = m[self] + 1
model mm:
    deadlock: ignore
"""

BINDINGS = """\
spec Bind
sort K
const KS: set[K] = {K.k1, K.k2}
var got: set[int] = set()
var last: optional[K] = none
var r: record(a: int, k: K) = record(a=0, k=K.k1)
process p:
    s:
        any x in subsets({1, 2}) if len(x) == 2:
            got = x
        any k in KS if k == K.k2:
            last = k
        any rr in {record(a=1, k=K.k1)}:
            r = rr
invariant Never: len(got) == 0 or last == none or r.a == 0
model m:
    check Never: violated
"""


def test_evaluation_errors_show_values_in_spec_syntax():
    (rep,) = check_model_reports(load(KEY_ERROR), "mm")
    assert rep.verdict == "error"
    assert rep.message == "agree.pyspec:7:19: map applied outside its keys: K.k2 is not a key of {K.k1: 0}"


def test_any_bindings_in_spec_syntax():
    from pyspec.report.text import render_report

    spec = load(BINDINGS)
    rep = check(spec, "m", property="Never")
    assert rep.trace[1].display == {"x": "{1, 2}", "k": "K.k2", "rr": "record(a=1, k=K.k1)"}
    assert "with x = {1, 2}, k = K.k2, rr = record(a=1, k=K.k1)" in render_report(rep, spec)


@needs_tlc
def test_tlc_traces_carry_the_same_bindings():
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model as tlc_check_model

    spec = load(BINDINGS)
    ((_, tlc),) = tlc_check_model(spec, spec.model("m"), resolve(jar_path()), prop="Never")
    emb = check(spec, "m", property="Never")
    assert [s.display for s in tlc.trace] == [s.display for s in emb.trace]
    assert [s.params for s in tlc.trace] == [s.params for s in emb.trace]


# ---------------------------------------------------------------- 8. progress and depth


def test_live_distinct_figure_never_overshoots(monkeypatch):
    from pyspec.engines.embedded import bfs

    # small blocks and batches: many progress updates, with successors
    # waiting in the batch at each (what made the figure overshoot)
    monkeypatch.setattr(bfs, "BLOCK", 64)
    monkeypatch.setattr(bfs, "FLUSH", 4096)
    seen = []

    class Recorder:
        stats: dict = {}

        def update(self, **stats):
            seen.append(stats["distinct"])

        def close(self):
            pass

    spec = pyspec.load("spec/kvm/v1.pyspec")
    from pyspec.engines.embedded.runner import compiled

    res = bfs.explore(compiled(spec, "small"), bfs.Options(progress=Recorder()))
    assert len(seen) > 10 and all(a <= b for a, b in zip(seen, seen[1:])), "the live figure fell"
    assert max(seen) <= res.distinct


def test_liveness_violation_depth_is_the_search_depth():
    spec = pyspec.load("spec/kvm/v1.pyspec")
    rep = check(spec, "live", property="EventuallyRam")
    assert rep.verdict == "violated"
    safety = check(spec, "live", property="deadlock")
    assert rep.depth == safety.depth  # the graph's depth, not the lasso's length
    assert len(rep.trace) != rep.depth


# ---------------------------------------------------------------- 9. short lassos


def test_liveness_counterexample_is_short():
    # 28 states before the lasso search tried the nearest fair components and
    # met the fairness requirements nearest first; TLC's lasso has 22
    rep = check(pyspec.load("spec/kvm/v1.pyspec"), "live", property="EventuallyRam")
    assert rep.verdict == "violated" and len(rep.trace) <= 18


# ---------------------------------------------------------------- 10. the constraint, as written

CONSTRAINT = """\
spec Cons
var x: int in {0, 7}
process p:
    while True:
        inc:
            x = x + 1
invariant NotSeven: x != 7
model counts:
    constraint: x <= 3
    deadlock: ignore
model seven:
    constraint: x <= 3
    check NotSeven: violated
    deadlock: ignore
"""


def test_constraint_states_are_checked_not_counted_not_expanded():
    """docs/semantics.md's example: 4 distinct states (x = 0..3; x = 4 is
    reached, checked, not counted), and the initial state 7, outside the
    constraint, violates NotSeven."""
    spec = load(CONSTRAINT)
    (rep,) = check_model_reports(spec, "counts")
    assert rep.verdict == "ok" and rep.distinct_states == 4
    seven = check(spec, "seven", property="NotSeven")
    assert seven.verdict == "violated" and len(seven.trace) == 1 and seven.trace[0].state["x"] == 7


@needs_tlc
def test_constraint_tlc_agrees():
    tlc_agrees(load(CONSTRAINT), "counts")
    tlc_agrees(load(CONSTRAINT), "seven")


# ---------------------------------------------------------------- found writing the corpus

OPTIONAL_RECORD = """\
spec OptionalRecord
var o: optional[record(a: int, b: bool)] = none
process p:
    s:
        o = record(a=1, b=True)
model m:
    deadlock: ignore
"""

MIN_IN_CONST = """\
spec MinInConst
const S: set[int] = {3, 5}
const LOW: int = min(S)
var x: int = 0
process p:
    while x < LOW:
        s:
            x = x + 1
model m:
    deadlock: ignore
"""


def test_typeok_of_an_optional_record_is_parenthesised():
    from pyspec.tla.export import render_module

    text, _, _ = render_module(load(OPTIONAL_RECORD))
    assert '(o = NoneValue \\/ (DOMAIN o = {"a", "b"} /\\ (o.a \\in Int) /\\ (o.b \\in BOOLEAN)))' in text


def test_helpers_of_model_constants_are_defined_in_the_module():
    from pyspec.tla.export import render_module

    text, _, _ = render_module(load(MIN_IN_CONST))
    assert "MinOf(S_1_) ==" in text  # S and x are the spec's: the helper's names give way


@needs_tlc
@pytest.mark.parametrize("text", [OPTIONAL_RECORD, MIN_IN_CONST], ids=["optional-record", "min-in-const"])
def test_corpus_findings_tlc_agrees(text):
    tlc_agrees(load(text), "m")

# ---------------------------------------------------------------- 11. multi-line expressions

LOCK = "tests/language/multiline/lock.pyspec"  # every multi-line form (tests/language/test_multiline.py)


def test_multi_line_expressions_count_like_their_one_line_twin():
    counts = [[(r.property, r.verdict, r.distinct_states, len(r.trace)) for r in check_model_reports(
        pyspec.load(path), "m")] for path in (LOCK, LOCK.replace("lock", "lock_one_line"))]
    assert counts[0] == counts[1] and {c[2] for c in counts[0]} == {48}


@needs_tlc
def test_multi_line_expressions_tlc_agrees():
    tlc_agrees(pyspec.load(LOCK), "m")


BOOL_MAPS = """\
spec BoolMaps
var active: map[0..1, bool] in maps(0..1, {False, True})
action D(i in 0..1):
    await active[i]
    active[i] = False
invariant I: True
model m:
    check I
    deadlock: ignore
"""


def test_a_set_of_bools_is_not_taken_for_an_equal_set_of_ints():
    """Python's {0, 1} == {False, True}: an equality-keyed memo of sorted
    elements handed maps() the ints of the action's domain 0..1 as the
    values of a bool map, and the same states were counted twice (9, not
    TLC's 4)."""
    spec = load(BOOL_MAPS)
    assert check(spec, "m", property="I").distinct_states == 4
    cm = compile_model(spec, "m")
    assert all(type(v) is bool for s in cm.initial_states() for v in cm.to_values(s)["active"].values())


@needs_tlc
def test_bool_maps_tlc_agrees():
    tlc_agrees(load(BOOL_MAPS), "m")


LAZY_LET = """\
spec LazyLet
var s: set[int] = {1}
var x: int = 0
def pick() -> int:
    let y = choose v in s: True
    return y + y if len(s) > 0 else 0
action Drop:
    await len(s) > 0
    s = set()
action Use:
    let z = choose v in s: True
    if len(s) > 0:
        x = z + z
    else:
        x = pick()
invariant I: x >= 0
model m:
    check I
    deadlock: ignore
"""


def test_a_let_is_evaluated_only_where_it_is_used():
    """TLA+'s LET is lazy: a `choose` over an empty set in a let that the
    path taken does not read is no error (TLC: 4 states, no error); the
    embedded engine evaluated it eagerly and stopped with an error."""
    r = check(load(LAZY_LET), "m", property="I")
    assert (r.verdict, r.distinct_states) == ("ok", 4), r.message


@needs_tlc
def test_lazy_let_tlc_agrees():
    tlc_agrees(load(LAZY_LET), "m")
