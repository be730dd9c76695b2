"""A macro may assign a parameter bound to a place (PlusCal's macro is
textual substitution: ``macro Lose(q) { q := ... }`` called as
``Lose(msgQ)`` assigns msgQ).  When the macro assigns a parameter (or
passes it to a macro that assigns its own), the argument must be a place,
a variable or a path into one (``net[p]``, ``chan.val``); the parameter
then names that place: a read reads it (after an assignment, the new
value), an assignment assigns it.  The IR, so both engines and the TLA+
export, hold the substituted statements: the states are those of the spec
with the macro written out by hand, and TLC agrees."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.engines.embedded import check_model
from pyspec.ir import nodes as ir
from pyspec.printer import format_spec
from pyspec.tla.export import render_module

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

#: AlternatingBit's `lose`: one macro for two queues (of one element type)
LOSE = """\
spec Lose
var msg_q: seq[int] = [1, 2]
var ack_q: seq[int] = [3]
var lost: int = 0
macro lose(q: seq[int]):
    any i in 0..len(q) - 1:
        q = q[:i] + q[i + 1:]
        lost = lost + len(q)
action LoseMsg: lose(msg_q)
action LoseAck: lose(ack_q)
invariant Bounded: lost <= 3
model m:
    check Bounded
    deadlock: ignore
"""

LOSE_INLINED = """\
spec Lose
var msg_q: seq[int] = [1, 2]
var ack_q: seq[int] = [3]
var lost: int = 0
action LoseMsg:
    any i in 0..len(msg_q) - 1:
        msg_q = msg_q[:i] + msg_q[i + 1:]
        lost = lost + len(msg_q)
action LoseAck:
    any i in 0..len(ack_q) - 1:
        ack_q = ack_q[:i] + ack_q[i + 1:]
        lost = lost + len(ack_q)
invariant Bounded: lost <= 3
model m:
    check Bounded
    deadlock: ignore
"""

#: InnerFIFO's channel operators on records, a path into a map (net[1]), a
#: macro that hands its place on to another (relay -> rcv, push), a value
#: parameter read after the place changed (push(q, c.val) after rcv(c)),
#: and a process local as the place (bump(k))
FIFO = """\
spec Fifo
type Chan = record(val: int, rdy: 0..1, ack: 0..1)
var in_chan: Chan = record(val=0, rdy=0, ack=0)
var out_chan: Chan = record(val=0, rdy=0, ack=0)
var net: map[int, seq[int]] = {1: [], 2: []}
var sent: int = 0

macro send(ch: Chan, d: int):
    await ch.rdy == ch.ack
    ch.val = d
    ch.rdy = 1 - ch.rdy

macro rcv(ch: Chan):
    await ch.rdy != ch.ack
    ch.ack = 1 - ch.ack

macro push(q: seq[int], d: int):
    await len(q) < 2
    q = append(q, d)
    sent = sent + len(q)

macro relay(c: Chan, q: seq[int]):
    rcv(c)
    push(q, c.val)

macro bump(n: int):
    n = n + 1

process env:
    var k: int = 0
    e: while k < 3:
        send(in_chan, k)
        bump(k)

process mid:
    m: while True:
        relay(in_chan, net[1])

process sink:
    s: while True:
        await net[1] != []
        send(out_chan, head(net[1]))
        net[1] = tail(net[1])

process out:
    o: while True:
        rcv(out_chan)

invariant Few: sent <= 6
model m:
    check Few
    deadlock: ignore
"""

FIFO_INLINED = """\
spec Fifo
type Chan = record(val: int, rdy: 0..1, ack: 0..1)
var in_chan: Chan = record(val=0, rdy=0, ack=0)
var out_chan: Chan = record(val=0, rdy=0, ack=0)
var net: map[int, seq[int]] = {1: [], 2: []}
var sent: int = 0

process env:
    var k: int = 0
    e: while k < 3:
        await in_chan.rdy == in_chan.ack
        in_chan.val = k
        in_chan.rdy = 1 - in_chan.rdy
        k = k + 1

process mid:
    m: while True:
        await in_chan.rdy != in_chan.ack
        in_chan.ack = 1 - in_chan.ack
        let d = in_chan.val
        await len(net[1]) < 2
        net[1] = append(net[1], d)
        sent = sent + len(net[1])

process sink:
    s: while True:
        await net[1] != []
        let d = head(net[1])
        await out_chan.rdy == out_chan.ack
        out_chan.val = d
        out_chan.rdy = 1 - out_chan.rdy
        net[1] = tail(net[1])

process out:
    o: while True:
        await out_chan.rdy != out_chan.ack
        out_chan.ack = 1 - out_chan.ack

invariant Few: sent <= 6
model m:
    check Few
    deadlock: ignore
"""


def load(text: str, path: str = "places.pyspec") -> pyspec.Spec:
    return pyspec.load(path, text=text)


def errors(text: str) -> list[str]:
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    return [d.message for d in diags.errors]


def _states(spec: pyspec.Spec) -> set:
    from pyspec.compile import compile_model
    from pyspec.engines.embedded.bfs import Options, explore

    cm = compile_model(spec, "m")
    res = explore(cm, Options())
    return {tuple(sorted(cm.to_values(s).items())) for s in res.store.states()}


def _unmarked(x):
    """Statements without the macro calls that put them there."""
    if isinstance(x, tuple):
        return tuple(_unmarked(y) for y in x)
    if isinstance(x, ir.Stmt):
        changes = {f.name: _unmarked(getattr(x, f.name)) for f in dataclasses.fields(x) if f.name != "span"}
        changes["macro"] = None
        return dataclasses.replace(x, **changes)
    return x


@pytest.mark.parametrize("text, inlined", [(LOSE, LOSE_INLINED), (FIFO, FIFO_INLINED)], ids=["lose", "fifo"])
def test_same_states_as_the_spec_written_out(text, inlined):
    assert _states(load(text)) == _states(load(inlined))
    a = {(r.property, r.verdict, r.distinct_states) for r in check_model(load(text), "m", engine="python")}
    b = {(r.property, r.verdict, r.distinct_states) for r in check_model(load(inlined), "m", engine="python")}
    assert a == b


def test_the_ir_is_the_substituted_statements():
    """What the backends see: the steps of the spec written out by hand."""
    a, b = load(LOSE), load(LOSE_INLINED)
    for p, q in zip(a.processes, b.processes):
        assert _unmarked(p.steps[0].body) == q.steps[0].body
        assert p.steps[0].body[0].macro.name == "lose"


def test_compiled_engine_agrees():
    pytest.importorskip("numba", reason="numba is not installed: the compiled engine cannot run")
    for text in (LOSE, FIFO):
        py = check_model(load(text), "m", engine="python")
        cp = check_model(load(text), "m", engine="compiled")
        assert [(r.property, r.verdict, r.distinct_states, r.generated_states) for r in cp] == \
            [(r.property, r.verdict, r.distinct_states, r.generated_states) for r in py]


def test_export_substitutes_the_place():
    text, _, _ = render_module(load(LOSE))
    assert "msg_q' = SliceOf(msg_q, 0, i) \\o SliceOf(msg_q, i + 1, Len(msg_q))" in text
    assert "lost' = lost + Len(msg_q')" in text  # read after the assignment: the new value
    assert "ack_q' = SliceOf(ack_q" in text
    fifo, _, _ = render_module(load(FIFO))
    assert "LET d == in_chan'.val IN" in fifo  # a value parameter, evaluated at the call (after rcv)
    assert "net' = [net EXCEPT ![1] = Append(net[1], d)]" in fifo


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")
@pytest.mark.parametrize("text, inlined", [(LOSE, LOSE_INLINED), (FIFO, FIFO_INLINED)], ids=["lose", "fifo"])
def test_tlc_agrees(text, inlined):
    from tlc_direct import run_tlc

    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(text), "m", resolve(jar_path()))
    assert not problems, "\n".join(problems)
    tlc = run_tlc(load(text), "m")
    by_hand = run_tlc(load(inlined), "m")
    assert tlc.verdict == by_hand.verdict == "ok"
    assert tlc.distinct == by_hand.distinct == check_model(load(text), "m")[0].distinct_states


SIMPLE = """\
spec S
const N: int = 3
var x: int = 0
var m: map[int, int] = {1: 0, 2: 0}
var i: int = 1
macro setv(v: int):
    v = v + 1
macro twice(w: int):
    setv(w)
    x = w
macro at_i(c: int):
    i = 2
    c = 7
process p:
    a:
        CALL
model m:
    deadlock: ignore
"""


@pytest.mark.parametrize("call, final", [
    ("setv(x)", (1, 1, ((1, 0), (2, 0)))),
    ("setv(m[i])", (1, 0, ((1, 1), (2, 0)))),
    ("twice(m[2])", (1, 1, ((1, 0), (2, 1)))),   # a read after the assignment sees the new value
    ("at_i(m[i])", (2, 0, ((1, 0), (2, 7)))),    # the key is read where the parameter is: after i = 2
])
def test_reads_and_assignments_go_to_the_place(call, final):
    spec = load(SIMPLE.replace("CALL", call))
    from pyspec.compile import compile_model
    from pyspec.engines.embedded.bfs import Options, explore

    cm = compile_model(spec, "m")
    states = [cm.to_values(s) for s in explore(cm, Options()).store.states()]
    got = {(s["i"], s["x"], tuple(sorted(s["m"].items()))) for s in states if s["p.pc"] == "Done"}
    assert got == {final}, states


def test_a_parameter_named_like_its_argument():
    """`lose(msg_q)` with a parameter named msg_q, and `lose(ack_q)`: inside
    the macro msg_q is the parameter (PlusCal substitutes)."""
    text = LOSE.replace("macro lose(q: seq[int]):\n    any i in 0..len(q) - 1:\n"
                        "        q = q[:i] + q[i + 1:]\n        lost = lost + len(q)\n",
                        "macro lose(msg_q: seq[int]):\n    any i in 0..len(msg_q) - 1:\n"
                        "        msg_q = msg_q[:i] + msg_q[i + 1:]\n        lost = lost + len(msg_q)\n")
    assert "macro lose(msg_q" in text
    assert _states(load(text)) == _states(load(LOSE_INLINED))


@pytest.mark.parametrize("call, why", [
    ("setv(N)", "'N' is a constant"),
    ("setv(x + 1)", "it is an expression, not a variable"),
    ("any k in {1, 2}:\n            setv(k)", "'k' is bound by a quantifier, 'any', 'let' or a macro parameter"),
    ("let y = x\n        setv(y)", "'y' is bound by a quantifier, 'any', 'let' or a macro parameter"),
    ("twice(N)", "'N' is a constant"),   # assigned through the macro it calls
])
def test_a_parameter_bound_to_no_place_cannot_be_assigned(call, why):
    errs = errors(SIMPLE.replace("CALL", call))
    macro = "twice" if call.startswith("twice") else "setv"
    param = "w" if macro == "twice" else "v"
    assert any(f"macro '{macro}' assigns its parameter '{param}', so the argument must be a variable or a "
               f"part of one (x, m[k], r.f): {why}" in e for e in errs), errs


def test_an_action_parameter_cannot_be_assigned():
    text = SIMPLE.replace("process p:\n    a:\n        CALL\n", "action A(j in {1, 2}):\n    setv(j)\n")
    errs = errors(text)
    assert any("'self' and an action's parameters cannot be assigned" in e for e in errs), errs


def test_a_value_parameter_is_still_evaluated_once():
    """A parameter the macro does not assign stays a `let` of its argument,
    next to one it assigns."""
    text = SIMPLE.replace("macro at_i(c: int):", "macro show(c: int, r: int):\n    x = c\n    r = r + c\n"
                          "macro at_i(c: int):").replace("CALL", "show(i + 1, m[1])")
    tla, _, _ = render_module(load(text))
    assert "LET c == i + 1 IN" in tla and "m' = [m EXCEPT ![1] = m[1] + c]" in tla


def test_the_error_is_located_at_the_argument(tmp_path):
    path = tmp_path / "bad.pyspec"
    path.write_text(SIMPLE.replace("CALL", "setv(N)"), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "pyspec", "lint", str(path)], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{path}:16:14: error: macro 'setv' assigns its parameter 'v'" in r.stdout + r.stderr


def test_round_trip_through_the_printer():
    for text in (LOSE, FIFO, SIMPLE.replace("CALL", "twice(m[i])")):
        spec = load(text)
        printed = format_spec(spec)
        again = pyspec.load("printed.pyspec", text=printed)
        assert dataclasses.replace(again, path=spec.path, files=spec.files) == spec
        assert format_spec(again) == printed
    assert "        relay(in_chan, net[1])\n" in format_spec(load(FIFO))
