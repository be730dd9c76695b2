"""PlusCal-faithful loops and fairness: ``l: while c:`` makes the test of
``c`` step ``l`` itself (the statements before the body's first label
belong to it), and ``unfair l:`` leaves a step out of its fair process's
fairness (PlusCal's ``l:-``).  Each pyspec spec here is the transcription
of a PlusCal algorithm; with a jar the algorithm is translated by
``pcal.trans`` and checked by TLC, which must count the same states."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.engines.embedded import check
from pyspec.printer import format_spec

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: PlusCal/TLC half skipped")

LOOPS_PLUSCAL = """\
---- MODULE Loops ----
EXTENDS Integers, TLC
(* --algorithm Loops
variables x = 0, flag = 0;
fair process P \\in 1..2
begin
  ncs:- while TRUE do
    x := (x + 1) % 4;
    e: await flag = 0;
       flag := self;
    cs: skip;
    out: flag := 0;
    inner: while x < 3 do
      x := x + 1;
    end while;
  end while;
end process;
end algorithm; *)
\\* BEGIN TRANSLATION
\\* END TRANSLATION
Live == \\A q \\in 1..2 : (pc[q] = "e") ~> (pc[q] = "cs")
====
"""

LOOPS = """\
spec Loops
var x: int = 0
var flag: int = 0
fair process P(self in 1..2):
    unfair ncs: while True:
        x = (x + 1) % 4
        e:
            await flag == 0
            flag = self
        cs:
            pass
        out:
            flag = 0
        inner: while x < 3:
            x = x + 1
temporal Live: forall q in 1..2: P[q].pc == "e" leads_to P[q].pc == "cs"
model m:
    check Live: violated
"""

# the test of a labelled while is a state of its own: 3 states, as PlusCal
# (pc = l with i = 0 and 1, then Done); a plain `while` has 2
COUNT_PLUSCAL = """\
---- MODULE Count ----
EXTENDS Integers
(* --algorithm Count
variables i = 0;
process P = 1
begin
  l: while i < 1 do
    i := i + 1;
  end while;
end process;
end algorithm; *)
\\* BEGIN TRANSLATION
\\* END TRANSLATION
====
"""

COUNT = """\
spec Count
var i: int = 0
process P:
    l: while i < 1:
        i = i + 1
model m:
    deadlock: holds
"""

UNFAIR_NCS = """\
spec Ncs
var x: int = 0
fair process P:
    unfair ncs: while True:
        pass
        cs:
            x = 1 - x
temporal SometimesOne: eventually x == 1
model m:
    check SometimesOne: violated
"""


def load(text: str, name: str = "loops.pyspec") -> pyspec.Spec:
    return pyspec.load(name, text=text)


def errors(text: str) -> list[str]:
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    return [d.message for d in diags.errors]


def test_labelled_while_test_is_a_step():
    assert check(load(COUNT), "m", property="deadlock").distinct_states == 3
    plain = COUNT.replace("    l: while i < 1:\n        i = i + 1\n", "    while i < 1:\n        l:\n            i = i + 1\n")
    assert check(load(plain), "m", property="deadlock").distinct_states == 2


def test_loops_count_as_pluscal():
    spec = load(LOOPS)
    assert check(spec, "m", property="deadlock").distinct_states == 71  # TLC on the PlusCal translation: 71
    assert check(spec, "m", property="Live").verdict == "violated"


def test_unfair_step_is_left_out_of_the_process_fairness():
    assert check(load(UNFAIR_NCS), "m", property="SometimesOne").verdict == "violated"
    fair = load(UNFAIR_NCS.replace("unfair ncs:", "ncs:"))
    assert check(fair, "m", property="SometimesOne").verdict == "ok"


def test_export_is_pluscals_translation():
    from pyspec.tla.export import render_module

    text, _, _ = render_module(load(LOOPS))
    assert "WF_vars((pc_P[self] \\notin {\"ncs\"}) /\\ P(self))" in text
    assert 'ELSE /\\ UNCHANGED <<x, flag>>\n               /\\ pc_P\' = [pc_P EXCEPT ![self] = "ncs"]' in text


def test_printer_round_trips():
    printed = format_spec(load(LOOPS))
    assert "    unfair ncs: while True:\n        x = (x + 1) % 4\n        e:\n" in printed
    assert "        inner: while x < 3:\n            x = x + 1\n" in printed
    assert format_spec(load(printed)) == printed


@pytest.mark.parametrize("text, message", [
    ("unfair process P:\n    s:\n        x = 1\n", "'unfair' applies to a step of a fair process"),
    ("process P:\n    unfair s:\n        x = 1\n", "'unfair' leaves a step out of its process's fairness, "
                                                 "and process 'P' is not fair"),
    ("process P:\n    l: while x < 2:\n        a:\n            x = x + 1\n        x = 0\n",
     "a statement after a labelled step of a loop belongs to a step"),
    ("process P:\n    l: while x:\n        x = 1\n", "'while' condition"),
])
def test_errors(text, message):
    errs = errors("spec S\nvar x: int = 0\n" + text)
    assert any(message in e for e in errs), errs


def _pluscal_distinct(tmp_path: Path, module: str, text: str) -> int:
    from pyspec.engines.tlc.jar import resolve

    tools = resolve(jar_path())
    (tmp_path / f"{module}.tla").write_text(text, encoding="utf-8")
    (tmp_path / f"{module}.cfg").write_text("SPECIFICATION Spec\n", encoding="utf-8")
    for main, args in (("pcal.trans", ["-nocfg", f"{module}.tla"]),
                       ("tlc2.TLC", ["-config", f"{module}.cfg", "-workers", "1", "-metadir", "states",
                                     f"{module}.tla"])):
        done = subprocess.run(tools.command(main, *args), cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{main}:\n{done.stdout}\n{done.stderr}"
    return int(re.search(r"([\d,]+) distinct states found", done.stdout).group(1).replace(",", ""))


@needs_tlc
@pytest.mark.parametrize("module, pluscal, spec", [("Count", COUNT_PLUSCAL, COUNT), ("Loops", LOOPS_PLUSCAL, LOOPS)])
def test_pluscal_translation_counts_the_same(tmp_path, module, pluscal, spec):
    expected = check(load(spec), "m", property="deadlock").distinct_states
    assert _pluscal_distinct(tmp_path, module, pluscal) == expected


@needs_tlc
@pytest.mark.parametrize("text", [LOOPS, COUNT, UNFAIR_NCS, UNFAIR_NCS.replace("unfair ncs:", "ncs:")],
                         ids=["loops", "count", "unfair", "fair"])
def test_tlc_agrees_on_the_export(text):
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(text), "m", resolve(jar_path()))
    assert not problems, "\n".join(problems)
