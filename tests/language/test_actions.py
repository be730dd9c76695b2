"""Action-style specs: named, parameterised steps without a program counter
(TLA+'s ``Request(p) == ...`` with ``\\E p \\in PROCS : Request(p)`` in Next).

Both engines reproduce TLC's counts on the originals (the jug puzzle of
tlaplus/Examples' DieHard.tla has 16 distinct states); the export is the
action-style TLA+ a user would write; traces name the action and its
arguments; fairness applies per instance (per tuple of arguments).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.cli import main
from pyspec.engines.embedded import check
from pyspec.printer import format_spec
from pyspec.report.text import render_trace
from pyspec.tla.export import render_module

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")

DIEHARD = """\
spec DieHard
\"\"\"The jug puzzle of Die Hard 3, as tlaplus/Examples' DieHard.tla writes it.\"\"\"
var big: 0..5 = 0
var small: 0..3 = 0

action FillSmallJug:
    small = 3
action FillBigJug:
    big = 5
action EmptySmallJug:
    small = 0
action EmptyBigJug:
    big = 0
action SmallToBig:
    let poured = min({small, 5 - big})
    big = big + poured
    small = small - poured
action BigToSmall:
    let poured = min({big, 3 - small})
    big = big - poured
    small = small + poured

invariant NotSolved: big != 4
action invariant BigNeverOverflows: next(big) <= 5
model m:
    check NotSolved: violated
    check BigNeverOverflows
"""

COUNTERS = """\
spec Counters
const PROCS: set[int] = {1, 2}
var c: map[int, int] = {p: 0 for p in PROCS}
var sent: set[tuple[int, int]] = set()

fair action Inc(p in PROCS):
    \"\"\"Each counter goes up to 2.\"\"\"
    await c[p] < 2
    c[p] = c[p] + 1

action Send(p in PROCS, q in PROCS - {p}):
    await (p, q) not in sent and c[p] > 0
    sent = sent | {(p, q)}

invariant Bounded: forall p in PROCS: c[p] <= 2
temporal AllTwo: eventually (forall p in PROCS: c[p] == 2)
temporal AllSent: eventually len(sent) == 2
model m:
    check Bounded
    check AllTwo
    check AllSent: violated
    deadlock: violated
"""


def load(text: str, name: str = "actions.pyspec") -> pyspec.Spec:
    return pyspec.load(name, text=text)


def errors(text: str) -> list[str]:
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    return [d.message for d in diags.errors]


# ------------------------------------------------------------------ meaning

def test_diehard_counts_as_tlc_on_the_original():
    rep = check(load(DIEHARD), "m", property="deadlock")
    assert rep.verdict == "ok" and rep.distinct_states == 16  # TLC on DieHard.tla: 16 distinct states


def test_trace_names_the_actions():
    spec = load(DIEHARD)
    rep = check(spec, "m", property="NotSolved")
    assert rep.verdict == "violated" and len(rep.trace) == 7
    lines = render_trace(rep, spec)
    assert lines[3].startswith("State 2: FillBigJug  (actions.pyspec:8)")
    assert not any(".pc" in ln for ln in lines), "an action has no program counter in states"


def test_parameterised_actions_and_their_arguments_in_traces():
    spec = load(COUNTERS)
    rep = check(spec, "m", property="deadlock")
    assert rep.verdict == "violated" and rep.distinct_states == 25
    titles = [ln for ln in render_trace(rep, spec) if ln.startswith("State ")]
    assert titles[1] == "State 2: Inc(1)  (actions.pyspec:6)"
    assert titles[-1] == "State 7: Send(2, 1)  (actions.pyspec:11)"


def test_fairness_is_per_instance():
    spec = load(COUNTERS)
    assert check(spec, "m", property="AllTwo").verdict == "ok"
    unfair = load(COUNTERS.replace("fair action Inc", "action Inc"))
    rep = check(unfair, "m", property="AllTwo")
    assert rep.verdict == "violated"
    # one fair instance is not enough: Inc(2) may starve while Inc(1) runs
    half = load(COUNTERS.replace("fair action Inc(p in PROCS):", "fair action Inc1:\n    await c[1] < 2\n"
                                 "    c[1] = c[1] + 1\naction Inc(p in PROCS):"))
    assert check(half, "m", property="AllTwo").verdict == "violated"


MIXED = """\
spec Mixed
var x: int = 0
process p:
    s:
        x = 1
action A:
    await x == 5
    x = 0
model m:
    deadlock: holds
"""


def test_a_process_that_is_done_terminates_even_with_actions_disabled():
    text = MIXED
    assert check(load(text), "m", property="deadlock").verdict == "ok"
    # actions alone never terminate: a state where none is enabled is a deadlock
    alone = text.replace("process p:\n    s:\n        x = 1\n", "")
    assert check(load(alone), "m", property="deadlock").verdict == "violated"


# ------------------------------------------------------------------ export

def test_export_is_action_style_tla():
    text, _, _ = render_module(load(COUNTERS))
    assert "pc_" not in text and "Terminating" not in text
    assert "Inc(p) ==\n    /\\ c[p] < 2" in text
    assert "Send(p, q) ==" in text
    assert "\\/ (\\E p \\in PROCS : Inc(p))" in text
    assert "\\/ (\\E p \\in PROCS : \\E q \\in (PROCS \\ {p}) : Send(p, q))" in text
    assert "\\A p \\in PROCS : WF_vars(Inc(p))" in text
    # a property's binder keeps its name: the parameters are the operator's own
    assert "Bounded == \\A p \\in PROCS : c[p] <= 2" in text


@needs_tlc
@pytest.mark.parametrize("text", [DIEHARD, COUNTERS, MIXED, MIXED.replace("process p:\n    s:\n        x = 1\n", "")],
                         ids=["diehard", "counters", "mixed", "actions-deadlock"])
def test_tlc_agrees(text):
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(text), "m", resolve(jar_path()))
    assert not problems, "\n".join(problems)


@needs_tlc
def test_tlc_trace_names_the_action_instances(tmp_path, capsys, monkeypatch):
    p = tmp_path / "counters.pyspec"
    p.write_text(COUNTERS)
    monkeypatch.setenv("TLA2TOOLS_JAR", jar_path())
    main(["tlc", str(p)])
    out = capsys.readouterr().out
    assert "State 2: Inc(1)" in out and "Send(2, 1)" in out


# ------------------------------------------------------------------ language

def test_printer_round_trips_actions():
    spec = load(COUNTERS)
    printed = format_spec(spec)
    assert "fair action Inc(p in PROCS):" in printed
    assert "action Send(p in PROCS, q in PROCS - {p}):" in printed
    again = load(printed, "printed.pyspec")
    assert format_spec(again) == printed
    assert check(again, "m", property="deadlock").distinct_states == 25


@pytest.mark.parametrize("body, message", [
    ("action A:\n    goto A\n", "'goto' in action 'A': an action has no labels"),
    ("action A(p in 1..2):\n    x = self\n", "'self' is not defined in action 'A': name its parameters"),
    ("action A:\n    x = 1\ninvariant I: A.pc == \"A\"\n", "'A' is an action: it has no program counter or locals"),
    ("action A:\n    x = 1\ninvariant I: A == 1\n", "'A' is an action, not a value"),
    ("action A(p in 1..2, p in 1..2):\n    x = p\n", "'p' is already bound in this expression"),
    ("action A(p in 1..2):\n    any p in 1..2:\n        x = p\n", "'p' hides a parameter of action 'A'"),
    ("action A(x in 1..2):\n    pass\n", "'x' hides the declaration at line 2"),
    ("process A:\n    s:\n        x = 1\naction A:\n    x = 2\n", "'A' is already defined at line 3"),
    ("action A: next(x) >= x\n", "'action A:' declares an action (a step of statements, TLA+'s A == ...); "
                                 "a property over steps is written 'action invariant A: ...'"),
    ("action A(p in x):\n    x = p\n", "variable 'x' cannot be used"),
])
def test_errors(body, message):
    errs = errors("spec S\nvar x: int = 0\n" + body + "model m:\n    deadlock: ignore\n")
    assert any(message in e for e in errs), errs


def test_old_action_property_message_is_located(tmp_path, capsys):
    p = tmp_path / "old.pyspec"
    p.write_text("spec S\nvar x: int = 0\nprocess w:\n    s:\n        x = 1\naction Grows:\n    next(x) >= x\n")
    assert main(["lint", str(p)]) == 2
    err = capsys.readouterr().err
    assert f"{p}:6:1: error: 'action Grows:' declares an action" in err


def test_a_spec_without_processes_or_actions_stutters():
    """Every process is done when there is none: no deadlock, and the
    export's Next is Terminating (an empty Next does not parse)."""
    text = "spec NoProc\nvar x: int = 0\ninvariant Zero: x == 0\nmodel m:\n    check Zero\n"
    assert check(load(text), "m", property="deadlock").verdict == "ok"
    module, _, _ = render_module(load(text))
    assert "Terminating == UNCHANGED vars" in module and "    \\/ Terminating" in module
