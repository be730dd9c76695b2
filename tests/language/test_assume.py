"""`assume Name: expr` (TLA+'s ASSUME): a condition on the constants (and
defs of them), checked once per model before the search by both engines;
a false one is an error of the model at the assumption (exit code 2, as
TLC's exit code 10 for a false ASSUME), in the same words in both."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.cli import main
from pyspec.engines.embedded import check, check_model
from pyspec.printer import format_spec
from pyspec.tla.export import render_module

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from refinterp import Reference  # noqa: E402
from tlc_direct import jar_path  # noqa: E402

SPEC = """\
spec Assumes
const N: int = 3
const PROCS: set[int] = {1, 2}
var x: 0..9 = 0
def big(n: int) -> bool: n > 2
assume NBig: big(N) and len(PROCS) >= 2
assume Small:
    \"\"\"N is small enough to check.\"\"\"
    let lim = 4
    N <= lim
process p:
    while True:
        a:
            await x < N
            x = x + 1
invariant Bounded: x <= N
model m:
    check Bounded
    deadlock: ignore
model too_big:
    N = 5
    check Bounded
    deadlock: ignore
model too_small:
    N = 1
    check Bounded
    deadlock: ignore
"""


def load(text: str = SPEC) -> pyspec.Spec:
    return pyspec.load("assumes.pyspec", text=text)


def errors(text: str) -> list[str]:
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    return [f"{d.span.line}:{d.span.col}: {d.message}" for d in diags.errors]


def test_a_true_assumption_changes_nothing():
    spec = load()
    assert [a.name for a in spec.assumptions] == ["NBig", "Small"]
    assert check(spec, "m", property="Bounded").verdict == "ok"
    assert check(spec, "m", property="Bounded").distinct_states == 4


@pytest.mark.parametrize("model, where, name", [("too_big", "7:8", "Small"), ("too_small", "6:8", "NBig")])
def test_a_false_assumption_is_an_error_of_the_model_before_the_search(model, where, name):
    spec = load()
    r = check(spec, model, property="Bounded")
    assert r.verdict == "error" and r.distinct_states == 0
    assert r.message == f"assumes.pyspec:{where}: the assumption '{name}' is false"
    [rep] = check_model(spec, model)
    assert rep.verdict == "error" and rep.message == r.message


RECURSIVE = """\
spec Rec
const N: int = 3
def depth(n: int) -> int: 0 if n == 0 else depth(n - 1) + 1
assume Depth: depth(N) == N
var x: int = 0
action Step:
    await x < 1
    x = x + 1
model m:
    deadlock: ignore
model off:
    N = 4
    deadlock: ignore
"""


@pytest.mark.parametrize("engine", ["python", "compiled"])
def test_an_assumption_may_call_a_recursive_def(engine):
    # found by the corpus: the recursive def became a module-level function
    # that the constant evaluation did not see ('_defc_depth' is not defined)
    spec = load(RECURSIVE)
    assert check(spec, "m", engine=engine).verdict == "ok"
    wrong = RECURSIVE.replace("depth(N) == N", "depth(N) == N + 1")
    r = check(load(wrong), "m", engine=engine)
    assert r.verdict == "error" and r.message == "assumes.pyspec:4:8: the assumption 'Depth' is false"


def test_the_assumption_is_checked_before_any_state_is_explored():
    # an initial value that fails: the false assumption is reported, not it
    text = SPEC.replace("var x: 0..9 = 0", "var x: 0..9 = 1 // (N - 5)")
    r = check(load(text), "too_big", property="Bounded")
    assert r.message == "assumes.pyspec:7:8: the assumption 'Small' is false"


def test_an_assumption_that_cannot_be_evaluated_is_a_located_error():
    text = SPEC.replace("N <= lim", "N <= lim and (choose k in PROCS: k > 5) > 0")
    r = check(load(text), "m", property="Bounded")
    assert r.verdict == "error" and "choose found no element" in r.message
    assert r.message.startswith("assumes.pyspec:10:"), r.message


def test_cli_exit_code_is_2_and_names_the_place(tmp_path, capsys):
    path = tmp_path / "assumes.pyspec"
    path.write_text(SPEC, encoding="utf-8")
    assert main(["check", str(path), "--model", "too_small"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:6:8: error: the assumption 'NBig' is false" in err
    assert main(["check", str(path), "--model", "m"]) == 0


@pytest.mark.parametrize("line, message", [
    ("assume A: x > 0", "5:11: variable 'x' cannot be used in an assumption"),
    ("assume A: rx() > 0", "5:11: 'rx' reads the variable 'x', which an assumption cannot read"),
    ("assume A: q.pc == \"s\"", "5:11: an assumption cannot read the state of process 'q'"),
    ("assume A: N", "5:11: assumption 'A' must be a bool, got 'int'"),
    ("assume A: always N > 0", "5:11: temporal operator 'always' is only allowed in a 'temporal' property, "
                               "not in an assumption"),
    ("assume A: next(N) > 0", "5:11: next(...) is only allowed in an 'action invariant'"),
    ("assume N: N > 0", "5:8: 'N' is already defined at line 2"),
])
def test_type_rules_are_located(line, message):
    text = f"""\
spec Bad
const N: int = 3
var x: int = 0
def rx() -> int: x
{line}
process q:
    s:
        x = rx()
model m:
    deadlock: ignore
"""
    errs = errors(text)
    assert any(e.startswith(message) for e in errs), errs


def test_extends_inherits_and_override_replaces(tmp_path):
    (tmp_path / "base.pyspec").write_text(SPEC, encoding="utf-8")
    (tmp_path / "child.pyspec").write_text("""\
spec Child
extends base
override assume Small: N <= 5
model too_big:
    N = 5
    check Bounded
    deadlock: ignore
model too_small:
    N = 1
    check Bounded
    deadlock: ignore
""", encoding="utf-8")
    spec = pyspec.load(str(tmp_path / "child.pyspec"))
    assert check(spec, "too_big", property="Bounded").verdict == "ok"
    r = check(spec, "too_small", property="Bounded")
    assert r.verdict == "error" and r.message.endswith("the assumption 'NBig' is false")


def test_printer_round_trips():
    printed = format_spec(load())
    assert "assume NBig: big(N) and len(PROCS) >= 2" in printed
    assert "assume Small:\n    \"N is small enough to check.\"\n    let lim = 4\n    N <= lim" in printed
    again = load(printed)
    assert again.assumptions == load().assumptions
    assert format_spec(again) == printed


def test_export_is_tla_assume():
    text, sm, _ = render_module(load())
    assert "ASSUME NBig == big(N) /\\ (Cardinality(PROCS) >= 2)" in text
    assert "\\* N is small enough to check.\nASSUME Small == LET lim == 4 IN N <= lim" in text
    line = text.split("\n").index("ASSUME NBig == big(N) /\\ (Cardinality(PROCS) >= 2)") + 1
    assert sm.assume_lines[("Assumes", line)] == "NBig"
    # a name TLA+ reserves is renamed, as for any declaration
    text, sm, _ = render_module(load(SPEC.replace("NBig", "Nat")))
    assert "ASSUME Nat ==" not in text
    tla = next(t for t, n in sm.renamed.items() if n == "Nat")
    assert f"ASSUME {tla} == big(N)" in text and sm.assumptions[tla][0] == "Nat"


def test_reference_interpreter_agrees():
    spec = load()
    assert Reference(spec, "m").assumptions_hold()
    assert not Reference(spec, "too_small").assumptions_hold()


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")
def test_tlc_agrees():
    from pyspec.engines.crosscheck import compare_model, tlc_run
    from pyspec.engines.tlc.jar import resolve

    tools = resolve(jar_path())
    spec = load()
    assert not compare_model(spec, "m", tools)  # same verdicts and distinct states (4)
    for model in ("too_big", "too_small"):
        emb = check(spec, model, property="Bounded")
        tlc = tlc_run(spec, spec.model(model), ["Bounded"], tools)
        assert tlc.verdict == "error" and tlc.message == emb.message, (tlc.message, emb.message)
        assert tlc.spec_error  # pyspec tlc exits with 2, as pyspec check
