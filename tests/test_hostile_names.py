"""Spec text reaches generated Python and TLA+ only through the escaping
paths: strings with quotes, backslashes, newlines, TLA+ comment openers and
Python code, names that are Python builtins.  Both engines check the spec,
nothing in it runs, and the values come back exactly (traces of both).
Names are free: a spec declaring the names the TLA+ export and the
generated Python use checks the same in both engines and TLC."""

from __future__ import annotations

import pytest

import pyspec
from pyspec.engines.embedded import check
from pyspec.engines.tlc.jar import ENV_VAR


def jar_path():
    import os
    from pathlib import Path

    j = os.environ.get(ENV_VAR)
    return j if j and Path(j).is_file() else None


HOSTILE = r'''spec Hostile
"""Docstring with \"\"\" (* comment *) \\* and ====== and ---- MODULE X ----"""
var s: str = "a\"b\\c(*d*)\\* e\n f'); __import__('os').system('touch PWNED'); ('"
var tags: set[str] = {"\"", "\\", "(*", "*)", "\\*", "''", "{x}", "%s", "\n"}
var os: int = 0
var eval: int = 0
var exec: int = 0
process p:
    step_one:
        s = "\"); import os; os.system(\"touch PWNED2\"); (\"\\"
        os = 1
        eval = 2
        exec = eval + os
invariant Unchanged: s == "a\"b\\c(*d*)\\* e\n f'); __import__('os').system('touch PWNED'); ('"
invariant Tags: "(*" in tags and "\n" in tags and exec >= 0
model m:
    check Tags
    check Unchanged: violated
'''

FIRST = "a\"b\\c(*d*)\\* e\n f'); __import__('os').system('touch PWNED'); ('"
SECOND = "\"); import os; os.system(\"touch PWNED2\"); (\"\\"


def test_embedded_engine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = pyspec.load("hostile.pyspec", text=HOSTILE)
    assert check(spec, "m", property="Tags").verdict == "ok"
    rep = check(spec, "m", property="Unchanged")
    assert rep.verdict == "violated"
    assert [st.state["s"] for st in rep.trace] == [FIRST, SECOND]
    assert not list(tmp_path.iterdir()), "spec text ran"


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: the TLA+ half needs TLC")
def test_tla_export_and_tlc(tmp_path, monkeypatch):
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model

    monkeypatch.chdir(tmp_path)
    spec = pyspec.load("hostile.pyspec", text=HOSTILE)
    tools = resolve(jar_path())
    ((_, ok),) = check_model(spec, spec.model("m"), tools, prop="Tags")
    assert ok.verdict == "ok", ok.message
    ((_, bad),) = check_model(spec, spec.model("m"), tools, prop="Unchanged")
    assert bad.verdict == "violated" and [st.state["s"] for st in bad.trace] == [FIRST, SECOND]
    assert not list(tmp_path.iterdir()), "spec text ran"


# ---------------------------------------------------------------- free names

#: Names the TLA+ export generates (Init, Next, Spec, vars, Fairness, TypeOK,
#: Terminating, NoneValue, pc_<process>, <process>_<label>, helpers), names
#: TLA+ reserves or its standard modules define (STATE, Len, Trace), and
#: names the generated Python uses (s, t, _S, _k1), all declared by the spec.
FREE = r'''spec FreeNames
const N: int = 2
const STATE: int = 3
var vars: int = 0
var Init: int = 0
var Next: optional[int] = none
var NoneValue: int = 0
var pc: int = 0
var pc_worker: int = 0
var worker_Fairness: int = 0
var s: int = 0
var _S: int = 0
var _k1: set[int] = {1, 2}
var MinOf: int = 0
def Spec(n: int) -> int: n + 1
fair process worker(self in 1..N):
    var t: int = 0
    while vars < STATE:
        Fairness:
            vars = Spec(vars)
            Init = Init + min(_k1)
            pc = self
            pc_worker = pc_worker + 1
            t = t + 1
    Terminating:
        Next = vars
        NoneValue = NoneValue + 1
        _S = _S + t
        MinOf = max({MinOf, vars // N})
process Len:
    Trace:
        worker_Fairness = 1
        s = STATE
invariant TypeOK: vars <= STATE + 1
invariant Cardinality: Init < 2
temporal Append: eventually Next != none
temporal Seq: always (vars == 1 implies eventually _S >= 2)
temporal Nat: always (s == STATE implies always worker_Fairness == 2)
model m:
    check TypeOK
    check Cardinality: violated
    check Append
    check Seq
    check Nat: violated
'''

SPEC_NAMES = {"TypeOK", "Init", "Next", "Spec", "vars", "Fairness", "NoneValue", "pc_worker", "worker_Fairness",
              "STATE", "Len", "Trace", "Cardinality", "Append", "Seq", "Nat", "MinOf"}


def test_free_names_embedded_engine():
    import io
    import tokenize

    from pyspec.compile import compile_model
    from pyspec.engines.embedded import check_model as embedded_check_model

    spec = pyspec.load("free.pyspec", text=FREE)
    reports = {r.property: r for r in embedded_check_model(spec, "m")}
    assert {p: r.verdict for p, r in reports.items()} == {
        "TypeOK": "ok", "Cardinality": "violated", "Append": "ok", "Seq": "ok", "Nat": "violated", "deadlock": "ok"}
    assert reports["Cardinality"].trace[-1].state["Init"] == 2
    # spec names never become Python names in the generated module
    cm = compile_model(spec, "m")
    for what in ("full", "inst"):
        cm.codegen.compile_extra(what)
    names = {t.string for t in tokenize.generate_tokens(io.StringIO(cm.codegen.source).readline)
             if t.type == tokenize.NAME}
    assert not names & SPEC_NAMES


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: the TLA+ half needs TLC")
def test_free_names_tlc_agrees_and_reports_spec_names():
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model

    spec = pyspec.load("free.pyspec", text=FREE)
    tools = resolve(jar_path())
    assert compare_model(spec, "m", tools) == []
    runs = {job.name: rep for job, rep in check_model(spec, spec.model("m"), tools)}
    card, nat = runs["Cardinality"], runs["Nat"]
    assert (card.verdict, card.property, card.kind) == ("violated", "Cardinality", "invariant")
    assert card.trace[-1].state["Init"] == 2 and card.trace[1].label == "Fairness"
    assert (nat.verdict, nat.property, nat.kind) == ("violated", "Nat", "liveness")
    assert any(st.process == "Len" and st.label == "Trace" for st in nat.trace)
    assert runs["holds"].verdict == "ok" and runs["holds"].properties == ["TypeOK", "Append", "Seq", "deadlock"]
    # the spec's TypeOK, not the generated one (which --property TypeOK checks when the spec has none)
    ((_, own),) = check_model(spec, spec.model("m"), tools, prop="TypeOK")
    assert own.verdict == "ok" and own.property == "TypeOK"
