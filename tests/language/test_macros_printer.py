"""Macro calls survive the printer (pyspec/printer.py, IR -> spec text).

The IR keeps each macro declaration (``Spec.macros``: its parameters and
its body as the spec wrote it) and marks the statements a call inlined
with that call (``Stmt.macro``: name, arguments); the printer prints the
declaration and, in place of the inlined statements, the call.  The
printed spec loads to an equal IR and printing it again gives the same
text (the round trip of tests/language/test_examples.py), and the
backends see the statements they saw before: the marks aside, the IR of
a call is that of its body written out."""

from __future__ import annotations

import dataclasses

import pytest

import pyspec
from pyspec.ir import nodes as ir
from pyspec.ir.dump import dump
from pyspec.printer import format_spec

AFTER_THE_CALL = """\
spec B
var x: int = 0
var y: int = 0
macro bump(t: int):
    x = x + t
process p:
    a:
        bump(1)
        y = 1
    b:
        pass
model m:
    deadlock: ignore
"""

NESTED = """\
spec Nested
var x: int = 0
var log: seq[int] = []
macro note(v: int):
    log = append(log, v)
macro step(d: int):
    \"\"\"Move by d and note where.\"\"\"
    # comments inside the body are kept
    x = x + d
    note(x)   # a call inside a macro
macro tick():
    step(1)
    await x < 5
process p:
    a: while x < 3:
        either:
            tick()
        or:
            step(2)
    b:
        let z = x
        tick()
        await z < 9
model m:
    constraint: len(log) < 6
    deadlock: ignore
"""

#: a parameter named like the argument (the call site's binder, a
#: variable, a let), twice the same call, a call in an action and in the
#: branch of an if, a macro without parameters, a macro on one line, a
#: macro that is never called
NAMES = """\
spec Names
const CARS: set[int] = {1, 2}
var pos: int = 0
var moved: set[int] = set()
macro move(car: int):
    moved = moved | {car}
macro count(pos: int): moved = moved | {pos + 10}
macro reset():
    moved = set()
    pos = 0
macro unused(k: int):
    pos = k
process p:
    s:
        any car in CARS if car not in moved:
            move(car)
    t:
        let car = pos
        if car == 0:
            move(car)
            pos = 1
        else:
            count(pos)
process q:
    var car: int = 3
    u:
        move(car)
        car = 4
action A(c in CARS):
    count(c)
action R: reset()
model m:
    deadlock: ignore
"""


def load(text: str) -> pyspec.Spec:
    return pyspec.load("macros.pyspec", text=text)


def round_trip(text: str) -> str:
    spec = load(text)
    printed = format_spec(spec)
    again = pyspec.load("printed.pyspec", text=printed)
    assert dataclasses.replace(again, path=spec.path, files=spec.files) == spec
    assert format_spec(again) == printed  # printing is a fixed point
    return printed


def test_statements_after_the_call():
    printed = round_trip(AFTER_THE_CALL)
    assert "macro bump(t: int):\n    x = x + t\n" in printed
    assert "    a:\n        bump(1)\n        y = 1\n" in printed
    assert "let" not in printed


def test_nested_calls():
    printed = round_trip(NESTED)
    assert ('macro step(d: int):\n    """Move by d and note where."""\n    # comments inside the body are kept\n'
            "    x = x + d\n    note(x)   # a call inside a macro\n") in printed
    assert "macro tick():\n    step(1)\n    await x < 5\n" in printed
    assert "    a: while x < 3:\n        either:\n            tick()\n        or:\n            step(2)\n" in printed
    assert "        let z = x\n        tick()\n        await z < 9\n" in printed


def test_parameters_named_like_the_arguments():
    printed = round_trip(NAMES)
    assert "        any car in CARS if car not in moved:\n            move(car)\n    t:\n" in printed
    assert "        let car = pos\n        if car == 0:\n            move(car)\n            pos = 1\n" \
           "        else:\n            count(pos)\n" in printed
    assert "    u:\n        move(q.car)\n        car = 4\n" in printed  # a singleton's local prints so
    assert "macro count(pos: int):\n    moved = moved | {pos + 10}\n" in printed
    assert "action A(c in CARS):\n    count(c)\n" in printed and "action R:\n    reset()\n" in printed
    assert "macro unused(k: int):\n    pos = k\n" in printed


def test_the_same_call_twice_prints_twice():
    text = AFTER_THE_CALL.replace("macro bump(t: int):", "macro guard(t: int):\n    await y < t\nmacro bump(t: int):")
    printed = round_trip(text.replace("        bump(1)\n", "        guard(3)\n        guard(3)\n        bump(1)\n"))
    assert "        guard(3)\n        guard(3)\n        bump(1)\n        y = 1\n" in printed


def _unmarked(x):
    if isinstance(x, tuple):
        return tuple(_unmarked(y) for y in x)
    if isinstance(x, ir.Stmt):
        changes = {f.name: _unmarked(getattr(x, f.name)) for f in dataclasses.fields(x) if f.name != "span"}
        changes["macro"] = None
        return dataclasses.replace(x, **changes)
    return x


def test_the_backends_see_the_body_written_out():
    spec = load(AFTER_THE_CALL)
    by_hand = load(AFTER_THE_CALL.replace("        bump(1)\n", "        let t = 1\n        x = x + t\n"))
    body = spec.process("p").step("a").body
    assert body[0].macro == ir.MacroCall("bump", (ir.Lit(None, ir.INT, 1),))
    assert body[1].macro is None
    assert _unmarked(body) != by_hand.process("p").step("a").body  # the let covers y = 1 there
    flat = (dataclasses.replace(body[0], macro=None, body=body[0].body + (body[1],)),)
    assert flat == by_hand.process("p").step("a").body


def test_the_dump_shows_the_calls():
    text = dump(load(AFTER_THE_CALL))
    assert "macro: MacroCall name='bump' index=0" in text
    assert "macros: [" in text and "body='x = x + t'" in text
    assert "macro: " not in dump(load(AFTER_THE_CALL.replace("        bump(1)\n", "        x = x + 1\n")))


@pytest.mark.parametrize("path", ["spec/corpus/multi_paxos.pyspec", "spec/corpus/single_lane_bridge.pyspec",
                                  "spec/corpus/two_pc_with_btm.pyspec"])
def test_corpus_specs_print_their_macros(path):
    spec = pyspec.load(path)
    printed = format_spec(spec)
    for m in spec.macros:
        assert f"\nmacro {m.name}(" in printed
    assert "\nmacro " in printed
