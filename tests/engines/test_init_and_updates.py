"""Initial values that read earlier variables, and several updates of one
variable in a step (issue 19, items 8 and 9; docs/semantics.md).

Each case runs the embedded engine; with a jar (``TLA2TOOLS_JAR``) TLC
checks the export too, and both must agree on verdicts, distinct counts and
counterexample lengths (:func:`pyspec.engines.crosscheck.compare_model`) or
stop with an error at the same spec line.
"""

from __future__ import annotations

import pytest
from tlc_direct import jar_path

import pyspec
from pyspec.compile import compile_model
from pyspec.engines.embedded import check
from pyspec.engines.embedded import check_model as check_model_reports

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half of the agreement skipped")


def load(text: str, name: str = "iu.pyspec") -> pyspec.Spec:
    return pyspec.load(name, text=text)


def tlc_agrees(spec, model: str = "m") -> None:
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(spec, model, resolve(jar_path()))
    assert not problems, "\n".join(problems)


def tlc_report(spec, model: str = "m", prop: str | None = None):
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model as tlc_check_model

    ((_, rep),) = tlc_check_model(spec, spec.model(model), resolve(jar_path()), prop=prop)
    return rep


def initial_states(spec, model: str = "m") -> list[dict]:
    cm = compile_model(spec, model)
    return [cm.to_values(s) for s in cm.initial_states()]


def same_error_line(spec, prop: str, model: str = "m") -> str:
    """Both engines stop with an error at the same spec line; returns the
    embedded engine's message."""
    emb = check(spec, model, property=prop)
    assert emb.verdict == "error", emb.message
    if jar_path() is not None:
        tlc = tlc_report(spec, model, prop)
        assert tlc.verdict == "error"
        if emb.distinct_states:  # (an error in an initial value: TLC counts the state it built)
            assert emb.distinct_states == tlc.distinct_states
        file, line = emb.message.split(":")[:2]
        assert tlc.message.startswith(f"{file}:{line}: "), tlc.message
    return emb.message


# ---------------------------------------------------------------- initial values in declaration order

ORDER = """\
spec Order
const N: int = 3
var a: int in {1, 2}
def scaled(k: int) -> int: k * N + a
var b: int = a * 10
var c: set[int] in {{b}, {b, scaled(1)}}
process p:
    s:
        a = a + 1
invariant Tied: b == 10 * a or b == 10 * (a - 1)
invariant InC: b in c
model m:
    check Tied
    check InC
"""


def test_initial_values_read_earlier_variables_constants_and_defs():
    inits = initial_states(load(ORDER))
    assert [(s["a"], s["b"], sorted(s["c"])) for s in inits] == [
        (1, 10, [10]), (1, 10, [4, 10]), (2, 20, [20]), (2, 20, [5, 20])]
    rep = check(load(ORDER), "m", property="Tied")
    assert rep.verdict == "ok" and rep.distinct_states == 8


@needs_tlc
def test_initial_values_in_order_tlc_agrees():
    tlc_agrees(load(ORDER))


LOCALS = """\
spec Locals
enum Phase: idle, active
const NODES: set[int] = {1, 2, 3}
const BASE: int = 100
var round: int in {0, 1}
def first_of(n: int) -> int: BASE + n + round
process node(self in NODES):
    var initiator: bool in {True, False}
    var state: Phase = Phase.active if initiator else Phase.idle
    var id: int = first_of(self) if initiator else self
    while True:
        wake:
            await state == Phase.idle
            state = Phase.active
process clock:
    var tick: int = round + 1
    t:
        tick = tick + 1
invariant Consistent: forall n in NODES: (node[n].id > BASE) == (node[n].initiator)
model m:
    check Consistent
    deadlock: ignore
"""


def test_locals_read_self_the_variables_and_earlier_locals():
    spec = load(LOCALS)
    inits = initial_states(spec)
    assert len(inits) == 2 * 2 ** 3
    for s in inits:
        for n in (1, 2, 3):
            on = s["node.initiator"][n]
            assert s["node.state"][n] == ("active" if on else "idle") or str(s["node.state"][n]).endswith(
                "active" if on else "idle")
            assert s["node.id"][n] == (100 + n + s["round"] if on else n)
        assert s["clock.tick"] == s["round"] + 1
    (rep,) = check_model_reports(spec, "m")
    assert rep.verdict == "ok"


@needs_tlc
def test_locals_tlc_agrees():
    tlc_agrees(load(LOCALS))


def test_extends_initialises_in_the_order_of_the_final_spec(tmp_path):
    (tmp_path / "base.pyspec").write_text(
        "spec Base\nvar a: int = 1\nvar b: int = a + 1\nprocess p:\n    s:\n        a = b\n")
    (tmp_path / "child.pyspec").write_text(
        "spec Child\nextends base\noverride var a: int in {5, 6}\nvar c: int = a + b\n"
        "invariant Sum: c == 2 * a + 1 or p.pc == \"Done\"\nmodel m:\n    check Sum\n")
    spec = pyspec.load(str(tmp_path / "child.pyspec"))
    assert [v.name for v in spec.vars] == ["a", "b", "c"]  # the override takes the base's place
    assert [(s["a"], s["b"], s["c"]) for s in initial_states(spec)] == [(5, 6, 11), (6, 7, 13)]
    if jar_path() is not None:
        tlc_agrees(spec)


def test_initial_value_outside_its_range_when_it_reads_a_variable():
    spec = load("spec R\nvar a: 0..3 in {1, 3}\nvar b: 0..3 = a + 1\nprocess p:\n    s:\n        a = b\n"
                "invariant I: b >= 0\nmodel m:\n    check I\n")
    msg = same_error_line(spec, "I") if jar_path() else None
    with pytest.raises(pyspec.compile.CompileError, match=r"iu.pyspec:3:15: the initial value of 'b' is outside "
                                                          r"its declared type: 4"):
        compile_model(spec, "m")
    assert msg is None or msg.startswith("iu.pyspec:3:15:")


def test_evaluation_error_in_a_dependent_initial_value_is_located():
    spec = load("spec E\nvar m: map[int, int] = {1: 0}\nvar k: int in {1, 2}\nvar x: int = m[k]\n"
                "process p:\n    s:\n        x = x + 1\nmodel m:\n    deadlock: ignore\n")
    with pytest.raises(pyspec.compile.CompileError, match=r"iu.pyspec:4:14: map applied outside its keys: 2"):
        compile_model(spec, "m")


# ---------------------------------------------------------------- several updates of one variable in a step

# Lamport's mutual exclusion keeps one channel per ordered pair of processes:
# receiving from q and replying to q update two channels in one step.
NETWORK = """\
spec Network
const PROCS: set[int] = {1, 2, 3}
const MAXQ: int = 2
var network: map[int, map[int, seq[int]]] = {p: {q: ([0] if p < q else []) for q in PROCS} for p in PROCS}
var acks: record(sent: int, got: int) = record(sent=0, got=0)
process proc(self in PROCS):
    while True:
        reply:
            any q in PROCS if q != self and len(network[q][self]) > 0 and len(network[self][q]) < MAXQ:
                network[self][q] = append(network[self][q], (head(network[q][self]) + 1) % 3)
                network[q][self] = tail(network[q][self])
                acks.sent = (acks.sent + 1) % 4
                acks.got = (acks.got + acks.sent) % 3
invariant Bounded: forall p in PROCS: forall q in PROCS: len(network[p][q]) <= MAXQ
model m:
    check Bounded
    deadlock: ignore
"""


def test_updates_at_different_paths_in_one_step():
    rep = check(load(NETWORK), "m", property="Bounded")
    assert rep.verdict == "ok" and rep.distinct_states > 50


@needs_tlc
def test_updates_at_different_paths_tlc_agrees():
    tlc_agrees(load(NETWORK))


def test_several_paths_are_one_readable_except():
    from pyspec.tla.export import render_module

    text = render_module(load(NETWORK))[0]
    assert "network' = [network EXCEPT ![self][q] = Append(@, (Head(network[q][self]) + 1) % 3), " \
           "![q][self] = Tail(@)]" in text
    # r.got reads r.sent after its update: the value so far
    assert "acks' = [acks EXCEPT !.sent = (@ + 1) % 4, " \
           "!.got = (@ + [acks EXCEPT !.sent = (@ + 1) % 4].sent) % 3]" in text
    assert "Assert(<<self, q>> # <<q, self>>" in text
    assert render_module(load(NETWORK))[0] == text  # byte-stable


READ_AFTER = """\
spec ReadAfter
var m: map[int, int] = {1: 0, 2: 0, 3: 0}
process p:
    s:
        m[1] = 5
        m[2] = m[1] + 1
        m[3] = m[1] + m[2]
invariant Seen: p.pc != "Done" or (m[1] == 5 and m[2] == 6 and m[3] == 11)
model m:
    check Seen
"""


def test_a_read_after_an_update_sees_the_new_value():
    rep = check(load(READ_AFTER), "m", property="Seen")
    assert rep.verdict == "ok" and rep.distinct_states == 2


@needs_tlc
def test_a_read_after_an_update_tlc_agrees():
    tlc_agrees(load(READ_AFTER))


OVERLAP = """\
spec Overlap
const PROCS: set[int] = {1, 2}
var m: map[int, map[int, int]] = {p: {q: 0 for q in PROCS} for p in PROCS}
process proc(self in PROCS):
    s:
        any q in PROCS:
            m[q][self] = 1
            {second}
invariant I: m[1][1] >= 0
model m:
    check I
    deadlock: ignore
"""


@pytest.mark.parametrize("second,where", [
    ("m[self][q] = 2", "8:13: the assignment to 'm[...][...]' overlaps the assignment to 'm[...][...]' at line 7"),
    ("m[self] = {1: 2, 2: 2}", "8:13: the assignment to 'm[...]' overlaps the assignment to 'm[...][...]' at line 7"),
])
def test_overlapping_updates_are_a_located_error(second, where):
    msg = same_error_line(load(OVERLAP.replace("{second}", second)), "I")
    assert msg.startswith(f"iu.pyspec:{where}: a step may update different parts of a variable"), msg


def test_no_overlap_no_error():
    spec = load(OVERLAP.replace("{second}", "m[self][q] = 2").replace("any q in PROCS:", "any q in PROCS if q != self:"))
    assert check(spec, "m", property="I").verdict == "ok"
    if jar_path() is not None:
        tlc_agrees(spec)


BRANCHES = """\
spec Branches
const K: set[int] = {0, 1, 2}
var m: map[int, int] = {k: 0 for k in K}
var x: int = 0
process p(self in {1, 2}):
    var loc: map[int, int] = {k: 0 for k in K}
    while True:
        s:
            any i in K:
                m[i] = (m[i] + 1) % 3
                if m[i] == 0:
                    m[(i + 1) % 3] = (m[(i + 1) % 3] + self) % 3
                    x = (x + 1) % 4
                else:
                    either:
                        m[(i + 2) % 3] = 1
                    or:
                        pass
                if x == 3:
                    goto t
                loc[i] = (loc[i] + m[0]) % 2
        t:
            loc[self] = (loc[self] + 1) % 2
            loc[0] = (loc[0] + loc[1]) % 2
invariant I: x >= 0
model m:
    check I
    deadlock: ignore
"""


def test_updates_in_branches_and_locals():
    rep = check(load(BRANCHES), "m", property="I")
    assert rep.verdict == "ok"


@needs_tlc
def test_updates_in_branches_and_locals_tlc_agrees():
    tlc_agrees(load(BRANCHES))


RANGED = """\
spec Ranged
var m: map[int, 0..2] = {1: 0, 2: 0}
var go: bool = True
process p:
    while True:
        s:
            m[1] = m[1] + 1
            await go
            m[2] = m[1]
invariant I: m[2] >= 0
model m:
    check I
    deadlock: ignore
"""


def test_range_of_an_update_written_later_is_checked_where_it_runs():
    msg = same_error_line(load(RANGED), "I")
    assert msg.startswith("iu.pyspec:7:13: the value assigned to 'm[...]' is outside its declared type: 3"), msg
