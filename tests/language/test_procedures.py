"""Procedures (PlusCal's procedure, call and return): each spec under
tests/language/procedures/ is the transcription of the PlusCal algorithm
next to it; the embedded engine counts the states TLC counts on PlusCal's
own translation (translated by ``pcal.trans`` when a jar is present), TLC
agrees on pyspec's export, and the reference interpreter of the IR reaches
the same states."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.compile import compile_model
from pyspec.engines.embedded import check
from pyspec.engines.embedded.bfs import Options, explore

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from refinterp import Reference, compiled_view  # noqa: E402
from tlc_direct import jar_path  # noqa: E402

HERE = Path(__file__).parent / "procedures"
needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: PlusCal/TLC half skipped")

# (spec, model, distinct, generated): TLC -workers 1 on PlusCal's translation
# of the .tla original (pcal.trans of tla2tools 1.8, cc6b616)
CASES = [("factorial", "small", 130, 239), ("locks", "two", 1008, 1921), ("swap", "m", 137, 227)]


def load(name: str) -> pyspec.Spec:
    return pyspec.load(str(HERE / f"{name}.pyspec"))


def errors(text: str) -> list[str]:
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    return [f"{d.span.line}:{d.span.col}: {d.message}" for d in diags.errors]


@pytest.mark.parametrize("name, model, distinct, generated", CASES)
def test_counts_are_those_of_pluscal(name, model, distinct, generated):
    r = check(load(name), model, property="deadlock")
    assert (r.verdict, r.distinct_states, r.generated_states) == ("ok", distinct, generated)


def test_names_shared_with_the_process_or_another_procedure_are_renamed_as_pluscal_does():
    locals_ = [v.name for v in load("swap").process("P").locals]
    assert locals_ == ["i", "a", "b", "a_twice", "b_twice", "i_twice", "stack"]
    cm = compile_model(load("swap"), "m")
    res = explore(cm, Options())
    finals = [cm.to_values(s) for s in res.store.states()]
    done = [st for st in finals if dict(st["P.pc"]) == {1: "Done", 2: "Done"}]
    # each process's own i went 5 -> 6, untouched by twice's i
    assert done and all(dict(st["P.i"]) == {1: 6, 2: 6} for st in done)
    assert {len(st["out"]) for st in done} == {8}


@pytest.mark.parametrize("name, model", [(c[0], c[1]) for c in CASES])
def test_reference_interpreter_reaches_the_same_states(name, model):
    spec = load(name)
    cm = compile_model(spec, model)
    res = explore(cm, Options())
    assert {compiled_view(cm, s) for s in res.store.states()} == set(Reference(spec, model).reachable())


def test_recursion_saves_and_restores_the_callers_values():
    spec = load("factorial")
    cm = compile_model(spec, "small")
    res = explore(cm, Options())
    states = [cm.to_values(s) for s in res.store.states()]
    deepest = max(states, key=lambda st: max(len(v) for v in st["worker.stack"].values()))
    frames = deepest["worker.stack"][2]  # worker 2 computes 4!: four nested calls
    assert len(frames) == 4
    assert [f["called_at"] for f in frames] == ["f1", "f1", "f1", "w1"]
    assert [f["n"] for f in frames] == [2, 3, 4, 0]  # each caller's n, the process's own 0 last
    done = [st for st in states if dict(st["worker.pc"]) == {1: "Done", 2: "Done"}]
    assert done and all(dict(st["results"]) == {1: 6, 2: 24} for st in done)
    assert all(st["worker.n"][p] == 0 and st["worker.stack"][p] == () for st in done for p in (1, 2))


def test_a_trace_goes_through_the_procedure_steps():
    spec = pyspec.load("locks.pyspec", text=(HERE / "locks.pyspec").read_text()
                       + "\ninvariant Small: count < 2\nmodel witness:\n    check Small: violated\n")
    r = check(spec, "witness", property="Small")
    assert r.verdict == "violated"
    labels = [st.label for st in r.trace[1:]]
    assert labels[:5] == ["p1", "p2", "k1", "k2", "a1"]  # the process, work, then acquire
    # after k2 (a call of acquire), two frames: acquire's over work's
    frames = dict(r.trace[4].state["p.stack"]["#map"])[r.trace[4].self]
    assert [(f["tag"], f["called_at"]) for f in frames] == [("acquire", "k2"), ("work", "p2")]


@pytest.mark.parametrize("body, message", [
    ("procedure f():\n    a:\n        return\nprocess P:\n    s:\n        call g()\n",
     "8:14: undefined procedure 'g'"),
    ("procedure f(n: int):\n    a:\n        return\nprocess P:\n    s:\n        call f()\n",
     "8:9: procedure 'f' takes 1 argument, got 0"),
    ("procedure f(n: int):\n    a:\n        return\nprocess P:\n    s:\n        call f(True)\n",
     "8:16: type mismatch: argument 'n' of 'f' has type 'bool'"),
    ("process P:\n    s:\n        return\n", "'return' ends a procedure"),
    ("procedure f():\n    a:\n        x = 1\nprocess P:\n    s:\n        call f()\n",
     "step 'a' can reach the end of procedure 'f'"),
    ("procedure f():\n    s:\n        return\nprocess P:\n    s:\n        call f()\n",
     "label 's' of procedure 'f' is also a label of process 'P'"),
    ("sort S\nprocedure f(v: S):\n    a:\n        return\nprocess P:\n    s:\n        call f(S.a)\n",
     "parameter 'v' of procedure 'f' needs a default"),
    ("procedure f():\n    var k: int in {1, 2}\n    a:\n        return\nprocess P:\n    s:\n        call f()\n",
     "not 'in' a set"),
    ("procedure f(called_at: int):\n    a:\n        return\nprocess P:\n    s:\n        call f(1)\n",
     "names a field of the frames"),
    ("procedure f(n: int):\n    a:\n        n = n + 1\n        call f(n)\n    b:\n        return\n"
     "process P:\n    s:\n        call f(1)\n",
     "'n' is assigned in this step before the call of 'f'"),
    ("procedure f(n: int):\n    a:\n        n = 2\n        return\nprocess P:\n    s:\n        call f(1)\n",
     "'return' restores the caller's value"),
    ("procedure f():\n    a:\n        return\naction A:\n    call f()\n", "'call' in action 'A'"),
    ("procedure f():\n    a:\n        call f()\nprocess P:\n    s:\n        call f()\n",
     "5:9: after 'f' returns, procedure 'f' would run past its end"),
    ("procedure f():\n    a:\n        return\nprocess P:\n    var stack: int = 0\n    s:\n        call f()\n",
     "rename its own 'stack'"),
    ("procedure f():\n    a:\n        goto s\n    b:\n        return\nprocess P:\n    s:\n        call f()\n",
     "has no label 's'"),
])
def test_errors_are_located(body, message):
    errs = errors("spec S\nvar x: int = 0\n" + body)
    assert any(message in e for e in errs), errs


def test_defaults_nested_calls_and_arguments_that_read_the_parameters():
    text = """\
spec Swap
var out: seq[int] = []
procedure swap(a: int = 7, b: int = 8):
    s1:
        out = out + [a, b]
        return
procedure twice(c: int, d: int):
    t1:
        call swap(d, c)
    t2:
        call swap(c, d)
    t3:
        return
process P:
    p1:
        call twice(1, 2)
model m:
    deadlock: ignore
"""
    spec = pyspec.load("swap.pyspec", text=text)
    cm = compile_model(spec, "m")
    res = explore(cm, Options())
    finals = [cm.to_values(s) for s in res.store.states() if cm.to_values(s)["P.pc"] == "Done"]
    assert [f["out"] for f in finals] == [(2, 1, 1, 2)]
    [init] = cm.initial_states()
    assert (cm.to_values(init)["P.a"], cm.to_values(init)["P.b"]) == (7, 8)  # the defaults before any call


def _pluscal_distinct(tmp_path: Path, module: str) -> tuple[int, int]:
    from pyspec.engines.tlc.jar import resolve

    tools = resolve(jar_path())
    (tmp_path / f"{module}.tla").write_text((HERE / f"{module}.tla").read_text(), encoding="utf-8")
    consts = "CONSTANT N = 3\n" if module == "Factorial" else ""
    (tmp_path / f"{module}.cfg").write_text(consts + "CONSTANT defaultInitValue = defaultInitValue\n"
                                            "SPECIFICATION Spec\n", encoding="utf-8")
    for main, args in (("pcal.trans", ["-nocfg", f"{module}.tla"]),
                       ("tlc2.TLC", ["-config", f"{module}.cfg", "-workers", "1", "-metadir", "states",
                                     f"{module}.tla"])):
        done = subprocess.run(tools.command(main, *args), cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{main}:\n{done.stdout}\n{done.stderr}"
    m = re.search(r"([\d,]+) states generated, ([\d,]+) distinct states found", done.stdout)
    return int(m.group(2).replace(",", "")), int(m.group(1).replace(",", ""))


@needs_tlc
@pytest.mark.parametrize("name, model, distinct, generated", CASES)
def test_pluscal_translation_counts_the_same(tmp_path, name, model, distinct, generated):
    assert _pluscal_distinct(tmp_path, name.capitalize()) == (distinct, generated)


@needs_tlc
@pytest.mark.parametrize("name, model", [(c[0], c[1]) for c in CASES])
def test_tlc_agrees_on_the_export(name, model):
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(name), model, resolve(jar_path()))
    assert not problems, "\n".join(problems)
