"""Sets of maps and of sequences as values: ``maps(S, T)`` (TLA+'s
``[S -> T]``) and ``seqs(S, n)`` (the sequences over S of length at most
n), for nondeterministic initial values, ``any`` choices, quantifiers and
one-line type invariants.  Membership is tested without building the set,
in both engines (TLC's ``[S -> T]`` membership does the same)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.engines.embedded import check
from pyspec.tla.export import render_module

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

SPEC = """\
spec FunctionSets
sort Proc
const PROCS: set[Proc] = {Proc.p1, Proc.p2}
var f: map[Proc, int] in maps(PROCS, 0..2)
var q: seq[int] in seqs({0, 1}, 2)
var net: map[Proc, map[Proc, seq[int]]] = {p: {r: [] for r in PROCS} for p in PROCS}

action Send(p in PROCS, r in PROCS):
    await len(net[p][r]) < 1
    net[p][r] = append(net[p][r], f[p])

action Bump(p in PROCS):
    any v in 0..2 if v != f[p]:
        f[p] = v

invariant TypesOK:
    f in maps(PROCS, 0..2) and q in seqs({0, 1}, 2) and net in maps(PROCS, maps(PROCS, seqs(0..2, 1)))
invariant NotAll: not (forall g in maps(PROCS, 0..1): g != f)
model m:
    check TypesOK
    check NotAll: violated
    deadlock: ignore
"""


def load(text: str = SPEC) -> pyspec.Spec:
    return pyspec.load("fsets.pyspec", text=text)


def test_initial_states_range_over_every_map_and_sequence():
    text = """\
spec InitialMaps
sort Proc
const PROCS: set[Proc] = {Proc.p1, Proc.p2}
var f: map[Proc, int] in maps(PROCS, 0..2)
var q: seq[int] in seqs({0, 1}, 2)
action Never:
    await len(q) > 2
    q = []
model m:
    deadlock: ignore
"""
    # 3^2 maps times the 7 sequences of length <= 2 over {0, 1}
    assert check(load(text), "m", property="deadlock").distinct_states == 9 * 7


def test_counts_and_verdicts():
    spec = load()
    assert check(spec, "m", property="TypesOK").distinct_states == 16128  # TLC's count on the export (test_tlc_agrees)
    rep = check(spec, "m", property="NotAll")
    assert rep.verdict == "violated" and len(rep.trace) == 1


def test_membership_does_not_build_the_set():
    # 101^20 sequences: enumerating them would never end
    text = SPEC.replace("check TypesOK\n", "check Huge\n").replace(
        "invariant NotAll", "invariant Huge: net in maps(PROCS, maps(PROCS, seqs(0..100, 20)))\ninvariant NotAll")
    assert check(load(text), "m", property="Huge").verdict == "ok"
    bad = text.replace("seqs(0..100, 20)", "seqs(1..100, 20)")
    assert check(load(bad), "m", property="Huge").verdict == "violated"  # a 0 is sent


def test_export():
    text, _, _ = render_module(load())
    assert "f \\in [PROCS -> 0..2]" in text
    assert "SeqsUpTo(S, n) == UNION {[1..k -> S] : k \\in 0..n}" in text
    assert "net \\in [PROCS -> [PROCS -> SeqsUpTo(0..2, 1)]]" in text


@pytest.mark.parametrize("expr, message", [
    ("maps(1, {1})", "maps() needs two sets (keys, values), got 'int'"),
    ("maps({1}, 2)", "maps() needs two sets (keys, values), got 'int'"),
    ("seqs(3, 2)", "seqs() needs a set and a maximum length, got 'int'"),
    ("seqs({1}, True)", "the maximum length of seqs()"),
    ("maps({1})", "maps() takes 2 arguments, got 1"),
])
def test_errors(expr, message):
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=f"spec S\nconst C: int = len({expr})\n")
    assert any(message in d.message for d in diags.errors), [d.message for d in diags.errors]


def test_negative_length_is_a_located_error():
    spec = load(SPEC.replace("seqs({0, 1}, 2)", "seqs({0, 1}, -1)"))
    rep = check(spec, "m", property="TypesOK")
    assert rep.verdict == "error" and "seqs() with a negative maximum length (-1)" in rep.message
    assert "fsets.pyspec:5" in rep.message


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")
def test_tlc_agrees():
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(), "m", resolve(jar_path()))
    assert not problems, "\n".join(problems)
