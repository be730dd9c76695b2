"""Spec text reaches generated Python and TLA+ only through the escaping
paths: strings with quotes, backslashes, newlines, TLA+ comment openers and
Python code, names that are Python builtins.  Both engines check the spec,
nothing in it runs, and the values come back exactly (traces of both)."""

from __future__ import annotations

import pytest
from pyspec.engines.tlc.jar import ENV_VAR


def jar_path():
    import os
    from pathlib import Path

    j = os.environ.get(ENV_VAR)
    return j if j and Path(j).is_file() else None

import pyspec
from pyspec.engines.embedded import check

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
