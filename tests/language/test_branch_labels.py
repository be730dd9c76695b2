"""PlusCal's labels inside the branches of if/either
(pyspec/language/branch_labels.py): the same IR, states and TLA+ as the
spec written by hand with gotos, TLC's count on the export, and located
errors where PlusCal refuses a label."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.engines.embedded import check_model
from pyspec.printer import format_spec

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")

NESTED = """\
spec Lab
var x: 0..9 = 0
var log: seq[0..9] = []
process p(self in {1, 2}):
    a:
        either:
            log = append(log, 1)
            b:
                x = 2
            c:
                if x == 2:
                    d:
                        x = 3
                else:
                    x = 4
        or:
            e:
                x = 5
        or:
            x = 6
    f:
        if len(log) < 2:
            log = append(log, x)
model m:
    deadlock: ignore
"""

#: the same algorithm written with gotos, as before labels in branches
BY_HAND = """\
spec Lab
var x: 0..9 = 0
var log: seq[0..9] = []
process p(self in {1, 2}):
    a:
        either:
            log = append(log, 1)
            goto b
        or:
            goto e
        or:
            x = 6
        goto f
    b:
        x = 2
    c:
        if x == 2:
            goto d
        else:
            x = 4
        goto f
    d:
        x = 3
        goto f
    e:
        x = 5
    f:
        if len(log) < 2:
            log = append(log, x)
model m:
    deadlock: ignore
"""

IN_LOOP = """\
spec Loop
var n: 0..3 = 0
var hits: 0..9 = 0
process p:
    while n < 3:
        a:
            if n % 2 == 0:
                b:
                    hits = hits + 1
                c:
                    hits = hits + 1
            else:
                n = n + 1
        z:
            if n < 3:
                n = n + 1
model m:
    deadlock: ignore
"""

IN_LOOP_BY_HAND = """\
spec Loop
var n: 0..3 = 0
var hits: 0..9 = 0
process p:
    while n < 3:
        a:
            if n % 2 == 0:
                goto b
            else:
                n = n + 1
            goto z
        b:
            hits = hits + 1
        c:
            hits = hits + 1
        z:
            if n < 3:
                n = n + 1
model m:
    deadlock: ignore
"""


def _load(text: str, name: str = "s.pyspec"):
    spec, diags = pyspec.load_with_diagnostics(name, text=text)
    assert spec is not None, [str(d) for d in diags.errors]
    return spec


def _same_ir(a, b) -> bool:
    return dataclasses.replace(a, path="x", files=()) == dataclasses.replace(b, path="x", files=())


@pytest.mark.parametrize("nested,by_hand", [(NESTED, BY_HAND), (IN_LOOP, IN_LOOP_BY_HAND)])
def test_the_ir_of_the_spec_written_with_gotos(nested, by_hand):
    a, b = _load(nested), _load(by_hand)
    assert [s.label for p in a.processes for s in p.steps] == [s.label for p in b.processes for s in p.steps]
    assert _same_ir(a, b)
    assert format_spec(a) == format_spec(b)


def test_states_and_traces():
    spec = _load(NESTED)
    (r,) = check_model(spec, "m", engine="python")
    (h,) = check_model(_load(BY_HAND), "m", engine="python")
    assert r.verdict == "ok" and r.distinct_states == h.distinct_states > 20
    # e falls to f, past the steps of the first branch
    one = NESTED.replace("process p(self in {1, 2})", "process p")
    spec = _load(one.replace("model m:", "invariant NotFive: not (x == 5 and len(log) == 1)\nmodel m:\n"
                             "    check NotFive"))
    (r,) = check_model(spec, "m", engine="python")
    assert r.verdict == "violated"
    assert [s.label for s in r.trace[1:]] == ["a", "e", "f"]


def test_statement_after_an_if_with_labels_is_refused():
    text = NESTED.replace("        or:\n            x = 6\n", "        or:\n            x = 6\n        x = 7\n")
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    assert any("needs a label of its own" in d.message and d.span.line == 21 for d in diags.errors)


def test_statement_after_a_labelled_step_of_a_branch_is_refused():
    text = NESTED.replace("            e:\n                x = 5\n", "            e:\n                x = 5\n            x = 1\n")
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    assert any("after a labelled step of a branch" in d.message and d.span.line == 19 for d in diags.errors)


@pytest.mark.parametrize("where,text", [
    ("any", "spec A\nvar x: int = 0\nprocess p:\n    a:\n        any v in {1, 2}:\n            b:\n"
            "                x = v\n"),
    ("action", "spec A\nvar x: int = 0\naction Inc:\n    if x < 2:\n        b:\n            x = x + 1\n"),
    ("body", "spec A\nvar x: int = 0\nprocess p:\n    a:\n        x = 1\n        b:\n            x = 2\n"),
])
def test_labels_elsewhere_in_a_step_are_refused(where, text):
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    assert any("step label 'b:' inside a step" in d.message for d in diags.errors), [str(d) for d in diags.errors]


def test_a_label_used_twice_across_branches():
    text = NESTED.replace("            e:\n", "            b:\n")
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    assert any("label 'b' is already used" in d.message for d in diags.errors)


@needs_tlc
@pytest.mark.parametrize("text", [NESTED, IN_LOOP])
def test_tlc_counts_the_same_states(text, tmp_path):
    """TLC on the export: the states, verdicts and depth of the embedded engine."""
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(_load(text, str(tmp_path / "s.pyspec")), "m", resolve(jar_path()))
    assert not problems, "\n".join(problems)


def test_two_pc_with_btm_reads_as_the_original():
    """The corpus spec puts labels TC/F1 and TA/F2 in the branches of TS, as 2PCwithBTM.tla does."""
    text = Path("spec/corpus/two_pc_with_btm.pyspec").read_text(encoding="utf-8")
    assert "goto" not in text
    (c, d) = check_model(pyspec.load("spec/corpus/two_pc_with_btm.pyspec"), "original")
    assert c.distinct_states == d.distinct_states == 1245
