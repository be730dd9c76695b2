"""`let`: a name for a value, in a step (for the rest of its block) and
before the result of a def or an invariant/action (docs/language.md)."""

from __future__ import annotations

import dataclasses

import pytest

import pyspec
from pyspec.engines.embedded import check
from pyspec.ir import nodes as ir
from pyspec.printer import format_spec

JUGS = """\
spec JugsLet
var small: 0..3 = 0
var big: 0..5 = 0
def pour(frm: int, room: int) -> int:
    let room_left = room
    return min({frm, room_left})
invariant NotFour:
    let b = big
    b != 4
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
                let poured = pour(small, 5 - big)
                big = big + poured
                small = small - poured
            or:
                let poured = pour(big, 3 - small)
                small = small + poured
                big = big - poured
model m:
    check NotFour: violated
"""


def load(text: str) -> pyspec.Spec:
    return pyspec.load("let.pyspec", text=text)


def test_let_in_a_step_binds_the_rest_of_the_block():
    spec = load(JUGS)
    either = spec.processes[0].steps[0].body[0]
    let = either.branches[4][0]
    assert isinstance(let, ir.Let) and let.name == "poured" and len(let.body) == 2
    assert isinstance(spec.definition("pour").body, ir.LetIn)
    rep = check(spec, "m", property="NotFour")
    assert rep.verdict == "violated" and len(rep.trace) == 7
    assert all(not st.params for st in rep.trace)  # a let is not a choice: no binding shown


def test_let_reads_the_new_value_of_a_variable_assigned_before_it():
    spec = load("spec L\nvar x: int = 0\nvar y: int = 0\nprocess p:\n    s:\n        x = 5\n"
                "        let z = x + 1\n        y = z\ninvariant I: y == 0\nmodel m:\n    check I: violated\n")
    rep = check(spec, "m", property="I")
    assert rep.trace[-1].state["y"] == 6


def test_printer_round_trip():
    spec = load(JUGS)
    again = pyspec.load("printed.pyspec", text=format_spec(spec))
    assert dataclasses.replace(again, path=spec.path, files=spec.files) == spec


@pytest.mark.parametrize("text,message", [
    ("spec L\nvar x: int = 0\nprocess p:\n    s:\n        if x == 0:\n            let z = 1\n"
     "            x = z\n        x = z\nmodel m:\n    deadlock: ignore\n", "8:13: error: undefined name 'z'"),
    ("spec L\nvar x: int = 0\nprocess p:\n    s:\n        let x = 1\n        pass\nmodel m:\n"
     "    deadlock: ignore\n", "5:13: error:"),
    ("spec L\nvar x: int = 0\nprocess p:\n    s:\n        x = 1\ntemporal T:\n    let y = x\n"
     "    eventually y == 1\nmodel m:\n    check T\n", "error: 'let' is not allowed in a temporal property"),
    ("spec L\nvar x: int = 0\nprocess p:\n    s:\n        let z = 1\n        z = 2\nmodel m:\n"
     "    deadlock: ignore\n", "error: cannot assign to 'z'"),
])
def test_let_errors(text, message):
    with pytest.raises(pyspec.SpecError) as e:
        load(text)
    assert message in e.value.render(), e.value.render()


def _jar():
    import os
    from pathlib import Path

    j = os.environ.get("TLA2TOOLS_JAR")
    return j if j and Path(j).is_file() else None


@pytest.mark.skipif(_jar() is None, reason="TLA2TOOLS_JAR not set: TLC half of the let test skipped")
def test_let_tlc_agrees():
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(JUGS), "m", resolve(_jar()))
    assert not problems, problems
