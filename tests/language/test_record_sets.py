"""Sets of records and of tuples -- ``records(f=S, g=T)`` (TLA+'s ``[f: S,
g: T]``) and ``product(S, T)`` (TLA+'s ``S \\X T``) -- tuple patterns in
binders (``forall (p, q) in S``, ``{... for (p, q) in S}``, ``any (p, q) in
S``) and ``any`` with several binders: typing, both engines, the reference
interpreter, the TLA+ export, the printer, and TLC's counts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.compile import compile_model
from pyspec.engines.embedded import check
from pyspec.printer import format_spec
from pyspec.report.text import render_trace
from pyspec.tla.export import render_module

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from refinterp import Reference, compiled_view  # noqa: E402
from tlc_direct import jar_path  # noqa: E402

SPEC_PATH = Path(__file__).parents[1] / "engines" / "specs" / "recsets.pyspec"


def load(text: str | None = None) -> pyspec.Spec:
    if text is None:
        return pyspec.load(str(SPEC_PATH))
    return pyspec.load("recsets.pyspec", text=text)


def errors(body: str) -> list[str]:
    text = f"""\
spec Bad
const P: set[int] = {{1, 2}}
var x: int = 0
{body}
"""
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    return [f"{d.span.line}:{d.span.col}: {d.message}" for d in diags.errors]


# ---------------------------------------------------------------- counts

def test_counts_and_verdicts():
    spec = load()
    # TLC's counts on the export (test_tlc_agrees)
    assert check(spec, "m", property="TypesOK").distinct_states == 904
    r = check(spec, "m", property="NotEverySum")
    assert r.verdict == "violated" and len(r.trace) == 6
    assert check(spec, "one_value", property="SumsSeen").distinct_states == 40
    assert check(spec, "m", property="ChosenEdge").verdict == "ok"


def test_choose_with_a_tuple_pattern_gives_the_tuple():
    """TLA+'s CHOOSE <<p, q>> \\in S : P: the first tuple in TLC's order."""
    spec, diags = pyspec.load_with_diagnostics("c.pyspec", text=(
        "spec C\nconst S: set[int] = {1, 2, 3}\n"
        "def best() -> tuple[int, int]: choose (a, b) in product(S, S): a < b and b - a == 1\n"
        "def pair() -> int: (choose (c, d) in product(S, S): c + d == 5)[1]\n"
        "var x: int = 0\nprocess p:\n    s:\n        x = best()[0] * 10 + pair()\n"
        "invariant I: x == 0 or x == 13\nmodel m:\n    check I\n"))
    assert spec is not None, [str(d) for d in diags.errors]
    assert check(spec, "m", property="I").verdict == "ok"


def test_values_and_types():
    spec = load()
    msgs = spec.consts[2]
    assert str(msgs.default.type) == "set[record(src: Proc, val: int)]"
    product_t = next(e.type for e in _exprs(spec) if isinstance(e, pyspec.ir.Builtin) and e.name == "product")
    assert str(product_t) == "set[tuple[Proc, int]]" or str(product_t) == "set[tuple[Proc, Proc]]"
    cm = compile_model(spec, "m")
    assert len(cm.constants["MSGS"]) == 4  # every record of [src: PROCS, val: VALS]


def _exprs(spec):
    from pyspec.ir.walk import iter_exprs

    return iter_exprs((spec.consts, spec.processes, spec.properties))


def test_three_sets_give_triples_and_an_empty_set_no_record():
    text = """\
spec Small
var x: int = 0
invariant Triples: len(product({1, 2}, {True}, {"a", "b", "c"})) == 6 and (1, True, "c") in product({1, 2}, {True}, {"a", "b", "c"})
invariant NoRecord: len(records(a={1}, b=set())) == 0 and len(product({1}, set())) == 0
invariant Exactly: record(b=2, a=1) in records(a={1}, b={2}) and not (record(b=2, a=2) in records(a={1}, b={2}))
model m:
    check Triples
    check NoRecord
    check Exactly
    deadlock: ignore
"""
    spec = load(text)
    for p in ("Triples", "NoRecord", "Exactly"):
        assert check(spec, "m", property=p).verdict == "ok", p


def test_membership_does_not_build_the_set():
    # 10^6 * 10^6 records, 10^6^3 tuples: enumerating them would never end
    text = """\
spec Huge
var r: record(a: int, b: int) = record(a=5, b=7)
var t: tuple[int, int, int] = (1, 2, 3)
invariant InRecords: r in records(a=0..1000000, b=0..1000000)
invariant InProduct: t in product(0..1000000, 0..1000000, 0..1000000)
invariant Nested: {"k": r} in maps({"k"}, records(a=0..1000000, b=0..1000000)) and [t] in seqs(product(0..1000000, 0..1000000, 0..1000000), 3)
invariant OutRecords: r in records(a=0..1000000, b=8..1000000)
invariant OutProduct: t in product(0..1000000, 0..1000000, 4..1000000)
model m:
    check InRecords
    check InProduct
    check Nested
    check OutRecords: violated
    check OutProduct: violated
    deadlock: ignore
"""
    spec = load(text)
    for p in ("InRecords", "InProduct", "Nested"):
        assert check(spec, "m", property=p).verdict == "ok", p
    for p in ("OutRecords", "OutProduct"):
        assert check(spec, "m", property=p).verdict == "violated", p


def test_any_with_several_binders_is_nested_any():
    several = load().process("Add").steps[0].body
    [outer] = several
    assert outer.binder.name == "m" and outer.cond is None
    [inner] = outer.body
    assert inner.binder.name == "v" and inner.cond is not None


def test_a_later_domain_may_use_an_earlier_pattern_name():
    text = """\
spec Dom
var seen: set[int] = set()
action A:
    any (p, q) in product({1, 2}, {3}), r in {p, q} if r not in seen:
        seen = seen | {r}
invariant Fine: forall (p, q) in product({1, 2}, {3}), r in {p + q}: r in 4..5
model m:
    check Fine
    deadlock: ignore
"""
    spec = load(text)
    assert check(spec, "m", property="Fine").distinct_states == 8  # subsets of {1, 2, 3}


# ---------------------------------------------------------------- the reference interpreter

@pytest.mark.parametrize("model", ["m", "one_value"])
def test_reference_interpreter_reaches_the_same_states(model):
    spec = load()
    ref = Reference(spec, model)
    assert ref.assumptions_hold()
    cm = compile_model(spec, model)
    seen = set(cm.initial_states())
    todo = list(seen)
    while todo:
        for t in cm.next_states(todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    assert {compiled_view(cm, s) for s in seen} == ref.reachable()


# ---------------------------------------------------------------- export, printer, traces

def test_export():
    text, _, _ = render_module(load())
    assert "MSGS" in text
    assert "/\\ last \\in [src : PROCS, val : {0}]" in text
    assert "\\E m \\in [src : {p}, val : VALS] :" in text
    assert "\\E p__q \\in (PROCS \\X PROCS) :" in text
    assert "NoSelfLoop == \\A p__q \\in edges : p__q[1] # p__q[2]" in text
    assert "{<<p__q[2], p__q[1]>> : p__q \\in edges}" in text
    assert "ASSUME EnoughValues ==" in text


def test_printer_round_trips():
    printed = format_spec(load())
    for line in ("const MSGS: set[record(src: Proc, val: int)] = records(src=PROCS, val=VALS)",
                 "    any (p, q) in product(PROCS, PROCS) if p != q and (p, q) not in edges:",
                 "    any m in msgs, v in VALS if m.val + v not in sums:",
                 "invariant NoSelfLoop: forall (p, q) in edges: p != q",
                 "{(q, p) for (p, q) in edges} == edges"):
        assert line in printed, line
    again = load(printed)
    assert format_spec(again) == printed
    assert check(again, "m", property="TypesOK").distinct_states == 904


def test_a_trace_shows_the_pattern():
    text = SPEC_PATH.read_text(encoding="utf-8").replace("invariant NotEverySum: len(sums) < 3",
                                                         "invariant NotEverySum: len(edges) < 1")
    spec = load(text)
    r = check(spec, "m", property="NotEverySum")
    lines = render_trace(r, spec)
    assert any("with (p, q) = (Proc.p1, Proc.p2)" in ln for ln in lines), lines


# ---------------------------------------------------------------- type rules

@pytest.mark.parametrize("body, message", [
    ("const C: int = len(records(P))", "4:20: records(...) takes field=set arguments only"),
    ("const C: int = len(records())", "4:20: records(...) takes field=set arguments only"),
    ("const C: int = len(records(a=1))", "4:30: records() needs a set for field 'a', got 'int'"),
    ("const C: int = len(records(a=P, a=P))", "4:33: field 'a' given twice"),
    ("const C: int = len(records(CHOOSE=P))", "4:28: cannot use 'CHOOSE' as a record field"),
    ("const C: int = len(product(P))", "4:20: product() takes two or more sets, got 1 argument"),
    ("const C: int = len(product(P, 3))", "4:31: product() needs sets, got 'int'"),
    ("const C: int = len(product(P, a=P))", "4:20: 'product' takes positional arguments only"),
    ("invariant I: forall (p, q) in P: p > q", "4:31: '(p, q) in ...' needs a set of 2-tuples, got 'set[int]'"),
    ("invariant I: forall (p, q, r) in product(P, P): p > q",
     "4:34: '(p, q, r) in ...' needs a set of 3-tuples, got 'set[tuple[int, int]]'"),
    ("invariant I: forall (p, p) in product(P, P): p > 0", "4:25: 'p' is bound twice in (p, p)"),
    ("invariant I: forall (p, P) in product(P, P): p > 0", "4:25: 'P' hides the declaration at line 2"),
    ("invariant I: len({p: 1 for (p, q) in product(P, P)}) > 0", "4:18: a map comprehension binds its keys"),
    ("invariant I: len([p for (p, q) in product(P, P)]) > 0", "4:25: a sequence comprehension binds one name"),
    ("action A((p, q) in product(P, P)):\n    x = p", "4:10: a tuple of names cannot be bound here"),
    ("process w:\n    s:\n        any (p, q) in P:\n            x = p",
     "6:23: 'any (p, q) in ...' needs a set of 2-tuples, got 'set[int]'"),
    ("process w:\n    s:\n        any p in P, q in 3:\n            x = p",
     "6:26: 'any q in ...' needs a set or a sequence, got 'int'"),
])
def test_type_rules_are_located(body, message):
    errs = errors(body)
    assert any(e.startswith(message) for e in errs), errs


# ---------------------------------------------------------------- TLC

@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")
@pytest.mark.parametrize("model", ["m", "one_value"])
def test_tlc_agrees(model):
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(), model, resolve(jar_path()))
    assert not problems, "\n".join(problems)


def test_fmt_keeps_the_space_before_a_tuple_pattern():
    from pyspec.language.formatter import format_source

    ugly = SPEC_PATH.read_text(encoding="utf-8").replace("forall (p, q) in edges", "forall ( p,q ) in edges") \
        .replace("any (p, q) in product(PROCS, PROCS)", "any (p,q) in product( PROCS,PROCS )") \
        .replace("for (p, q) in edges", "for (p,q) in edges").replace("any m in msgs, v in VALS", "any m in msgs,v in VALS")
    assert ugly != SPEC_PATH.read_text(encoding="utf-8")
    assert format_source(ugly, str(SPEC_PATH)) == SPEC_PATH.read_text(encoding="utf-8")
