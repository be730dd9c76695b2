"""Run-time errors of a spec are located messages in every engine and
command, never a Python exception's text (bad-input suite, issue 18)."""

from __future__ import annotations

import pytest
from tlc_direct import jar_path

import pyspec
from pyspec.cli import main
from pyspec.engines.embedded import check, simulate

RECURSION = """\
spec Rec
var x: int = 0
def f(n: int) -> int: 0 if n == 0 else f(n + 1)
process p:
    s:
        x = f(1)
invariant I: x >= 0
model m:
    check I
"""

INVARIANT_ERROR = """\
spec SimInv
var m: map[int, int] = {0: 0}
var x: int = 0
process p:
    while True:
        s:
            x = (x + 1) % 3
invariant I: m[x] >= 0
model mm:
    check I
"""

INIT_ERROR = """\
spec InitErr
var x: int = min(set())
process p:
    s:
        x = x + 1
model m:
    deadlock: ignore
"""


def test_runaway_recursion_is_located():
    rep = check(pyspec.load("rec.pyspec", text=RECURSION), "m", property="I")
    assert rep.verdict == "error"
    assert rep.message == "rec.pyspec:6:13: the recursive def 'f' does not terminate (or recurses too deeply)"


def test_simulate_names_the_invariant_that_fails_to_evaluate():
    rep = simulate(pyspec.load("siminv.pyspec", text=INVARIANT_ERROR), "mm", runs=2, depth=5, seed=0)
    assert rep.verdict == "error"
    assert rep.message == "evaluating I: siminv.pyspec:8:14: map applied outside its keys: 1 is not a key of {0: 0}"


@pytest.mark.parametrize("command", ["check", "simulate"])
def test_error_in_an_initial_value_is_a_located_error(tmp_path, capsys, command):
    p = tmp_path / "initerr.pyspec"
    p.write_text(INIT_ERROR)
    assert main([command, str(p)]) == 2
    captured = capsys.readouterr()
    assert f"{p}:2:14: min() of an empty set" in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC needed")
def test_tlc_stack_overflow_names_the_recursive_defs():
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model

    spec = pyspec.load("rec.pyspec", text=RECURSION)
    ((_, rep),) = check_model(spec, spec.model("m"), resolve(jar_path()), prop="I")
    assert rep.verdict == "error"
    assert "a recursive def does not terminate" in rep.message and "recursive defs: f" in rep.message


TLC_ERRORS = """\
spec TlcErr
sort K
const KS: set[K] = {K.k1, K.k2}
var m: map[K, int] = {K.k1: 0}
var k: K = K.k1
process p:
    while True:
        s:
            k = K.k2 if k == K.k1 else K.k1
invariant I: m[k] >= 0
action invariant A: m[next(k)] >= 0
temporal T: eventually (m[k] > 5)
model inv:
    check I
model act:
    check A
model cons:
    constraint: m[k] >= 0
    deadlock: ignore
model temp:
    check T
"""


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC needed")
@pytest.mark.parametrize("model,line,what", [("inv", 10, "Evaluating invariant I failed"),
                                              ("act", 11, "Evaluating action property A failed"),
                                              ("cons", 18, "evaluating the state constraint"),
                                              ("temp", 12, "")])
def test_tlc_errors_in_properties_and_constraints_are_located(model, line, what):
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model

    spec = pyspec.load("tlcerr.pyspec", text=TLC_ERRORS)
    rep = next(r for _, r in check_model(spec, spec.model(model), resolve(jar_path())) if r.verdict == "error")
    emb = check(spec, model)
    assert rep.verdict == emb.verdict == "error"
    assert rep.message.startswith(f"tlcerr.pyspec:{line}: {what}"), rep.message
    assert "map applied outside its keys: K.k2 is not a key of {K.k1: 0}" in rep.message
    assert "map applied outside its keys: K.k2 is not a key of {K.k1: 0}" in emb.message


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC needed")
@pytest.mark.parametrize("text", [RECURSION, INVARIANT_ERROR, TLC_ERRORS])
def test_every_tlc_run_time_error_of_the_spec_exits_2(tmp_path, text, capsys):
    p = tmp_path / "s.pyspec"
    p.write_text(text)
    assert main(["tlc", str(p), "--jar", jar_path()] + (["--model", "cons"] if "model cons" in text else [])) == 2
    assert "Traceback" not in capsys.readouterr().err


LOCAL_INIT_ERROR = """\
spec LocalInitErr
var x: int = 0
process p(self in 1..2):
    var t: int = min(set())
    s:
        x = x + t
model m:
    deadlock: ignore
"""


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC needed")
@pytest.mark.parametrize("text,line", [(INIT_ERROR, 2), (LOCAL_INIT_ERROR, 4)], ids=["var", "local"])
def test_tlc_error_in_an_initial_value_is_located(tmp_path, capsys, text, line):
    """TLC fails while computing the initial states: the message names the
    declaration (the Init operator's lines are in the export's source map;
    they pointed at the spec's first line)."""
    p = tmp_path / "initerr.pyspec"
    p.write_text(text)
    assert main(["tlc", str(p), "--jar", jar_path()]) == 2
    out, err = capsys.readouterr()
    assert f"{p}:{line}: " in out, out
    assert f"{p}:1: " not in out
    assert "Traceback" not in out + err
    assert main(["check", str(p)]) == 2
    assert f"{p}:{line}:" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["simulate"], ["graph"], ["graph", "--property", "I"]])
def test_runaway_recursion_is_located_in_every_command(tmp_path, capsys, command):
    p = tmp_path / "rec.pyspec"
    p.write_text(RECURSION)
    assert main([command[0], str(p), *command[1:]]) == 2
    err = capsys.readouterr().err
    assert f"{p}:6:13: error: the recursive def 'f' does not terminate (or recurses too deeply)" in err.splitlines()
    assert "RecursionError" not in err and "Traceback" not in err


def test_graph_error_in_an_initial_value_is_one_located_line(tmp_path, capsys):
    """graph prints a spec's run-time error as check and simulate do
    (`file:line:col: error: ...`, not `file: error: file:line:col: ...`)."""
    p = tmp_path / "initerr.pyspec"
    p.write_text(INIT_ERROR)
    assert main(["graph", str(p)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{p}:2:14: error: min() of an empty set"]


FACT = """\
spec Fact
var x: int = 0
def fact(n: int) -> int: 1 if n <= 1 else n * fact(n - 1)
def even(n: int) -> bool: True if n == 0 else odd(n - 1)
def odd(n: int) -> bool: False if n == 0 else even(n - 1)
process p:
    while x < 5:
        s:
            x = x + 1
invariant F: fact(x) <= 120 and even(2 * x) and not odd(2 * x)
invariant Small: fact(x) < 24
model m:
    check F
    check Small: violated
"""


def test_docs_and_engines_agree_that_a_def_may_recurse():
    """docs/language.md says a def may call itself (no longer "no
    recursion"): a terminating recursion (also mutual) is accepted and
    evaluated by the embedded engine, and by TLC when a jar is there."""
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs/language.md").read_text(encoding="utf-8")
    assert "A def may call itself" in page and "no recursion" not in page.lower()
    spec = pyspec.load("fact.pyspec", text=FACT)
    assert check(spec, "m", property="F").verdict == "ok"
    small = check(spec, "m", property="Small")
    assert small.verdict == "violated" and small.trace[-1].state["x"] == 4
    if jar_path() is not None:
        from pyspec.engines.crosscheck import compare_model
        from pyspec.engines.tlc.jar import resolve

        assert compare_model(spec, "m", resolve(jar_path())) == []
