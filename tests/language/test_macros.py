"""Macros (PlusCal's ``macro``): named statement blocks with parameters,
inlined where they are called; each argument is evaluated once, at the
call (a ``let``), unless the macro assigns the parameter (then it names a
place: tests/language/test_macros_places.py).  Both engines and TLC agree."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.engines.embedded import check
from pyspec.tla.export import render_module

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

SPEC = """\
spec Macros
const PROCS: set[int] = {1, 2}
var net: map[int, seq[int]] = {p: [] for p in PROCS}
var got: map[int, int] = {p: 0 for p in PROCS}

macro send(to: int, m: int):
    await len(net[to]) < 2
    net[to] = append(net[to], m)

macro recv(me: int):
    await net[me] != []
    got[me] = got[me] + head(net[me])
    net[me] = tail(net[me])

process node(self in PROCS):
    while True:
        s:
            send(3 - self, self)
        r:
            recv(self)
invariant Bounded: forall p in PROCS: got[p] <= 6
model m:
    constraint: got[1] + got[2] <= 4
    check Bounded
"""

INLINED = SPEC.replace("            send(3 - self, self)\n",
                       "            await len(net[3 - self]) < 2\n"
                       "            net[3 - self] = append(net[3 - self], self)\n").replace(
    "            recv(self)\n", "            await net[self] != []\n"
    "            got[self] = got[self] + head(net[self])\n            net[self] = tail(net[self])\n")


def load(text: str = SPEC) -> pyspec.Spec:
    return pyspec.load("macros.pyspec", text=text)


def errors(text: str) -> list[str]:
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    return [d.message for d in diags.errors]


def test_same_states_as_the_inlined_spec():
    a = check(load(), "m", property="Bounded")
    b = check(load(INLINED), "m", property="Bounded")
    assert a.verdict == b.verdict == "ok" and a.distinct_states == b.distinct_states == 14


def test_export_inlines_with_lets():
    text, _, _ = render_module(load())
    assert "LET to == 3 - self IN" in text and "LET me == self IN" in text


def test_macro_errors_point_into_the_macro():
    errs = errors(SPEC.replace("    await len(net[to]) < 2\n", "    await len(net[to]) < nope\n"))
    assert any("undefined name 'nope'" in e for e in errs), errs


@pytest.mark.parametrize("body, message", [
    ("            nope(1)\n", "'nope(...)' as a statement: undefined macro 'nope'"),
    ("            twice(1)\n", "'twice(...)' as a statement: a def computes a value"),
    ("            bump()\n", "macro 'bump' takes 1 positional argument"),
    ("            bump(True)\n", "argument 'n' of macro 'bump' has type 'int', got 'bool'"),
    ("            loop(1)\n", "macro 'loop' calls itself (through loop -> loop)"),
    ("            bump(1)\n            x = 2\n", "'x' is assigned twice"),
])
def test_errors(body, message):
    text = ("spec S\nvar x: int = 0\ndef twice(n: int) -> int: 2 * n\n"
            "macro bump(n: int):\n    x = x + n\nmacro loop(n: int):\n    loop(n)\n"
            "process p:\n    while True:\n        s:\n" + body)
    errs = errors(text)
    assert any(message in e for e in errs), errs


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")
def test_tlc_agrees():
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(), "m", resolve(jar_path()))
    assert not problems, "\n".join(problems)


def test_unused_macro_warns():
    _, diags = pyspec.load_with_diagnostics("w.pyspec", text="spec S\nvar x: int = 0\nmacro m(n: int):\n    x = n\n"
                                            "process p:\n    s:\n        x = x\n")
    assert any("macro 'm' is never called" in w.message for w in diags.warnings)


SHADOW = """\
spec Shadow
var pos: int = 0
var moved: set[int] = set()
macro move(car: int):
    moved = moved | {car}
macro advance(pos: int):
    moved = moved | {pos + 10}
process p:
    s:
        any car in {1, 2} if car not in moved:
            move(car)
    t:
        advance(pos + 1)
        pos = pos + 1
model m:
    deadlock: ignore
"""


def test_a_macro_parameter_may_have_the_name_the_call_site_uses():
    """PlusCal substitutes a macro's arguments: `move(car)` inside `any car`
    with a parameter named car, where car is also a variable, is ordinary;
    the parameter is bound under a fresh name, so TLA+ sees no rebinding."""
    from pyspec.compile import compile_model
    from pyspec.engines.embedded.bfs import Options, explore

    spec = load(SHADOW)
    cm = compile_model(spec, "m")
    res = explore(cm, Options())
    finals = {(st["pos"], st["moved"]) for st in map(cm.to_values, res.store.states())}
    # `advance(pos + 1)`: inside the macro pos is the parameter (1), outside the variable
    assert finals == {(0, frozenset()), (0, frozenset({1})), (0, frozenset({2})), (1, frozenset({1, 11})),
                      (1, frozenset({2, 11}))}
    # a parameter bound to a value (pos + 1), not to a variable: assigning it is refused
    errs = errors(SHADOW.replace("    moved = moved | {pos + 10}", "    pos = 3"))
    assert any("macro 'advance' assigns its parameter 'pos', so the argument must be a variable" in e
               for e in errs), errs


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")
def test_shadowing_parameters_tlc_agrees():
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(SHADOW), "m", resolve(jar_path()))
    assert not problems, "\n".join(problems)
