"""Sequences as Python has them: slicing (``q[lo:hi]``, bounds cut to the
length, a negative bound an error), comprehensions (``[e for x in q if
c]`` over a sequence or a range, in order), and iterating a sequence's
elements wherever a set is iterated (quantifiers, set comprehensions,
``any``).  Both engines, the reference interpreter and TLC on the export
agree."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.compile import compile_model
from pyspec.engines.embedded import check
from pyspec.engines.embedded.bfs import Options, explore
from pyspec.printer import format_spec

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from refinterp import Reference, compiled_view, without_action_pcs  # noqa: E402
from tlc_direct import jar_path  # noqa: E402

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")

SPEC = '''\
spec Seqs
"""Slicing, sequence comprehensions and iterating sequences."""

const N: int = 3

var q: seq[0..N] = []
var log: seq[int] = []

action Push(v in 0..N):
    await len(q) < 3
    q = q + [v]

action Drop(i in 0..2):
    await i < len(q)
    q = q[:i] + q[i + 1:]                  # remove position i

action Evens:
    await len(q) > 0 and len(log) < 2
    log = log + [len([x for x in q if x % 2 == 0])]
    q = [x + 1 for x in q if x < N]

action Pick:
    await len(log) == 1
    any x in q if x > 1:
        log = log + [x]

invariant Small: forall x in q: x <= N
invariant Firsts: len(q[0:2]) <= 2 and [i * i for i in 0..2] == [0, 1, 4]
invariant NoBig: {x for x in q if x > 2} == set() or len(q) > 0 or N in q

model m:
    deadlock: ignore
    check Small
    check Firsts
    check NoBig
'''


def load(text: str = SPEC) -> pyspec.Spec:
    return pyspec.load("seqs.pyspec", text=text)


def value(expr: str, decls: str = "var q: seq[int] = [4, 5, 6]\n"):
    """The value of ``expr`` in the initial state, through the embedded engine."""
    spec = load(f"spec V\n{decls}var out: bool = False\naction A:\n    out = {expr}\nmodel m:\n"
                f"    deadlock: ignore\n")
    cm = compile_model(spec, "m")
    [s] = cm.initial_states()
    [(_, t)] = cm.successors(s)
    return cm.to_values(t)["out"]


@pytest.mark.parametrize("expr", [
    "q[1:] == [5, 6]", "q[:1] == [4]", "q[1:2] == [5]", "q[0:9] == q", "q[5:] == []", "q[2:1] == []",
    "q[:] == q", "[x * 2 for x in q] == [8, 10, 12]", "[x for x in q if x != 5] == [4, 6]",
    "[i for i in 2..4] == [2, 3, 4]", "[i for i in 3..1] == []", "(forall x in q: x > 3)",
    "(exists x in q: x == 6)", "{x % 2 for x in q} == {0, 1}", "len([x for x in q[1:] if x > 4]) == 2",
    "5 in q", "7 not in q", "(6 in q[1:] and 4 not in q[1:])",
])
def test_values(expr):
    assert value(expr) is True


def test_a_negative_bound_is_a_located_error():
    spec = load("spec V\nvar q: seq[int] = [1]\nvar k: int = 0\naction A:\n    k = len(q[k - 1:])\n"
                "model m:\n    deadlock: ignore\n")
    r = check(spec, "m", property="deadlock")
    assert r.verdict == "error", r
    assert "negative slice bound [-1:1]" in r.message and r.message.startswith("seqs.pyspec:5:"), r.message


def test_counts_and_reference_states():
    spec = load()
    r = check(spec, "m", property="Small")
    assert (r.verdict, r.distinct_states) == ("ok", 1785)  # TLC on the export: 1,785
    cm = compile_model(spec, "m")
    res = explore(cm, Options())
    assert {compiled_view(cm, s) for s in res.store.states()} == without_action_pcs(spec, Reference(spec, "m")
                                                                                    .reachable())


def test_printer_round_trips():
    printed = format_spec(load())
    assert "q = q[:i] + q[i + 1:]" in printed and "[x + 1 for x in q if x < N]" in printed
    assert "forall x in q: x <= N" in printed
    assert format_spec(load(printed)) == printed


@pytest.mark.parametrize("expr, message", [
    ("[x for x in {1, 2}]", "a sequence comprehension iterates a sequence or a range"),
    ("q[True:]", "a slice bound"),
    ("k[1:]", "only a sequence can be sliced"),
])
def test_errors(expr, message):
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=f"spec B\nvar q: seq[int] = []\nvar k: int = 0\n"
                                                                f"invariant I: len({expr}) >= 0\n")
    assert any(message in d.message for d in diags.errors), [d.message for d in diags.errors]


@needs_tlc
def test_tlc_agrees_on_the_export():
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(), "m", resolve(jar_path()))
    assert not problems, "\n".join(problems)


@needs_tlc
def test_tlc_agrees_on_the_negative_bound_error():
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model

    spec = load("spec V\nvar q: seq[int] = [1]\nvar k: int = 0\naction A:\n    k = len(q[k - 1:])\n"
                "model m:\n    deadlock: ignore\n")
    reports = check_model(spec, spec.model("m"), resolve(jar_path()))
    assert reports and all(r.verdict == "error" for _, r in reports), reports
