"""Three habits of TLA+ writers the language accepts, each with TLA+'s meaning:

1. a quantifier after an operator on one line, its body running as far
   right as the expression goes (`x \\/ \\E m \\in S : p /\\ q`):
   `x or exists m in S: p and q` is `x or (exists m in S: (p and q))`;
2. a def's result alone on the lines below its header, without `return`
   (`F(n) ==` followed by its expression);
3. a lazy `let` (TLA+'s LET): a value that would be an error is no error
   where it is not read, in defs, properties and steps, in both engines,
   the reference interpreter and TLC; where it is read, the error is at
   the let's value.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import pytest

import pyspec
from pyspec import load_with_diagnostics
from pyspec.engines.embedded import check_model
from pyspec.ir import nodes as ir
from pyspec.printer import format_expr, format_spec
from pyspec.tla import export_spec

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from refinterp import Reference, RefError, compiled_view  # noqa: E402
from tlc_direct import jar_path  # noqa: E402

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set")


def load(text: str, name: str = "habits.pyspec") -> pyspec.Spec:
    spec, diags = load_with_diagnostics(name, text)
    assert spec is not None and not diags.errors, "\n".join(str(d) for d in diags.errors)
    return spec


def errors(text: str, name: str = "habits.pyspec") -> list[str]:
    _, diags = load_with_diagnostics(name, text)
    return [f"{d.span.line}:{d.span.col}: {d.message}" for d in diags.errors]


def same_ir(a: pyspec.Spec, b: pyspec.Spec) -> bool:
    return dataclasses.replace(a, path=b.path, files=b.files) == b


def tools():
    from pyspec.engines.tlc.jar import resolve

    return resolve(jar_path())


def tlc_agrees(spec: pyspec.Spec, model: str = "m") -> None:
    from pyspec.engines.crosscheck import compare_model

    problems = compare_model(spec, model, tools())
    assert not problems, "\n".join(problems)


def outcomes(spec: pyspec.Spec, engine: str) -> list[tuple]:
    return [(r.property, r.verdict, r.distinct_states, r.message) for r in check_model(spec, "m", engine=engine)]


def reachable_agrees_with_reference(spec: pyspec.Spec) -> int:
    """The compiled model's reachable states are the reference interpreter's."""
    from pyspec.compile import compile_model

    ref = Reference(spec, "m")
    cm = compile_model(spec, "m")
    seen = set(cm.initial_states())
    todo = list(seen)
    while todo:
        for t in cm.next_states(todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    states = ref.reachable(limit=20000)
    assert {compiled_view(cm, s) for s in seen} == states
    return len(states)


# ================================================================ 1. a quantifier after an operator

AFTER_OP = """\
spec AfterOp
const M: set[int] = {1, 2, 3}
var x: 0..3 = 0
var msgs: set[int] = set()
var b: 0..3 = 0
def seen(v: int) -> bool: v == 0 or exists m in msgs: m == v and m > 0
def pick() -> int: 0 if len(msgs) == 0 else 1 + choose m in msgs: forall k in msgs: m <= k
action Send(v in M):
    await x == 0 or exists m in msgs: m < v and not exists k in msgs: k == v
    msgs = msgs | {v}
    x = len(msgs)
action Bump:
    if b < 3 and forall m in msgs: m >= b:
        b = b + 1
invariant Seen: forall m in msgs: seen(m)
invariant Sizes: x == len(msgs) or exists m in msgs: m > 3
invariant Picked: len(msgs) > 0 implies pick() == 1 + choose m in msgs: forall k in msgs: m <= k
invariant Bracketed: (b == 0 or exists m in M: m <= b, 1) != (False, 2) and (x >= 0 or forall m in M: m > 9)
temporal Grows: x == 0 leads_to exists m in M: m == x
model m:
    check Seen
    check Sizes
    check Picked
    check Bracketed
    check Grows: violated
    deadlock: ignore
"""

#: the same spec with the brackets TLA+'s reading puts in
AFTER_OP_TWIN = """\
spec AfterOp
const M: set[int] = {1, 2, 3}
var x: 0..3 = 0
var msgs: set[int] = set()
var b: 0..3 = 0
def seen(v: int) -> bool: v == 0 or (exists m in msgs: (m == v and m > 0))
def pick() -> int: 0 if len(msgs) == 0 else 1 + (choose m in msgs: (forall k in msgs: m <= k))
action Send(v in M):
    await x == 0 or (exists m in msgs: (m < v and not (exists k in msgs: k == v)))
    msgs = msgs | {v}
    x = len(msgs)
action Bump:
    if b < 3 and (forall m in msgs: m >= b):
        b = b + 1
invariant Seen: forall m in msgs: seen(m)
invariant Sizes: x == len(msgs) or (exists m in msgs: m > 3)
invariant Picked: len(msgs) > 0 implies (pick() == 1 + (choose m in msgs: (forall k in msgs: m <= k)))
invariant Bracketed: (b == 0 or (exists m in M: m <= b), 1) != (False, 2) and (x >= 0 or (forall m in M: m > 9))
temporal Grows: x == 0 leads_to (exists m in M: m == x)
model m:
    check Seen
    check Sizes
    check Picked
    check Bracketed
    check Grows: violated
    deadlock: ignore
"""


def test_a_quantifier_after_an_operator_is_its_bracketed_twin():
    assert same_ir(load(AFTER_OP), load(AFTER_OP_TWIN))


@pytest.mark.parametrize("text,twin", [
    ("x == 0 or exists m in M: m > 0 and m < 3", "x == 0 or (exists m in M: (m > 0 and m < 3))"),
    ("not exists m in M: m > 5 or x > 0", "not (exists m in M: (m > 5 or x > 0))"),
    ("x > 0 implies forall m in M: m > 0 implies m > x", "x > 0 implies (forall m in M: (m > 0 implies m > x))"),
    ("x == 0 or exists m in M: x == 0 or forall k in M: k >= m",
     "x == 0 or (exists m in M: (x == 0 or (forall k in M: k >= m)))"),
    ("x if x > 0 or exists m in M: m > 2 else 1", "x if (x > 0 or (exists m in M: m > 2)) else 1"),
    ("{m for m in M if x == 0 or exists k in M: k > m}", "{m for m in M if (x == 0 or (exists k in M: k > m))}"),
    ("x + choose m in M: m > 1 and m < 3", "x + (choose m in M: (m > 1 and m < 3))"),
])
def test_the_body_runs_to_the_end_of_the_expression(text, twin):
    head = "spec E\nconst M: set[int] = {1, 2, 3}\nvar x: int = 0\n"
    tail = "\nprocess p:\n    s:\n        x = x\n"
    typ = "int" if text.startswith(("x +", "x if")) else ("set[int]" if text.startswith("{") else "bool")
    one = load(f"{head}def d() -> {typ}: {text}{tail}")
    two = load(f"{head}def d() -> {typ}: {twin}{tail}")
    assert same_ir(one, two)


def test_the_printer_brackets_the_quantifier_and_round_trips():
    spec = load(AFTER_OP)
    assert format_expr(spec.prop("Sizes").expr) == "x == len(msgs) or (exists m in msgs: m > 3)"
    printed = format_spec(spec)
    again = load(printed, "printed.pyspec")
    assert same_ir(again, spec)
    assert format_spec(again) == printed


def test_the_export_brackets_the_quantifier():
    tla = "\n".join(export_spec(load(AFTER_OP)).files.values())
    assert "(x = Cardinality(msgs)) \\/ (\\E m \\in msgs : m > 3)" in tla, tla
    assert "(x = 0) \\/ (\\E m \\in msgs : (m < v) /\\ (~(\\E k \\in msgs : k = v)))" in tla, tla


def test_the_engines_check_it():
    got = {r.property: (r.verdict, r.distinct_states) for r in check_model(load(AFTER_OP), "m", engine="python")}
    assert got["Seen"][0] == got["Sizes"][0] == got["Picked"][0] == got["Bracketed"][0] == "ok", got
    assert got["Grows"][0] == "violated", got


@needs_tlc
def test_tlc_agrees_on_a_quantifier_after_an_operator():
    tlc_agrees(load(AFTER_OP))


WHERE = """\
spec Where
const M: set[int] = {1, 2}
var q: set[int] = {1}
var x: int = 0
process p:
    s:
        await forall a in q: exists m in M: m >= a
    t:
        await (x == 0 or exists m in M: m > 0)
        goto s
"""


def test_a_quantifier_after_an_operator_in_brackets_below_another_one():
    """The corpus saw this refused at the 'exists' of line 7 (the last
    quantifier outside brackets), not at its own: it is now accepted."""
    twin = WHERE.replace("(x == 0 or exists m in M: m > 0)", "x == 0 or (exists m in M: m > 0)")
    assert same_ir(load(WHERE), load(twin))


def test_an_ambiguous_layout_points_at_its_own_quantifier():
    text = WHERE.replace("        await (x == 0 or exists m in M: m > 0)\n",
                         "        await x == 0\n              or exists m in M: m > 0\n              and x < 5\n")
    (err,) = errors(text)
    assert err.startswith("11:15: ambiguous layout: this 'and' continues the body of the 'exists' on line 10,"), err


@pytest.mark.parametrize("layout,message", [
    ("invariant I:\n    x > 0\n    and exists m in M: m > 0\n    and x < 5\n",
     "8:5: ambiguous layout: this 'and' continues the body of the 'exists' on line 7"),
    ("invariant I:\n    x > 0 or exists m in M: m > 0\n    or x < 5\n",
     "7:5: ambiguous layout: this 'or' continues the body of the 'exists' on line 6"),
    ("invariant I:\n    not exists m in M: m > 5\n    and x > 0\n",
     "7:5: ambiguous layout: this 'and' continues the body of the 'exists' on line 6"),
])
def test_a_bullet_after_a_one_line_body_stays_refused(layout, message):
    """As Bad2 of docs/language.md: the one-line body runs to the end, so a
    bullet not deeper than its quantifier would be read into it."""
    text = "spec B\nconst M: set[int] = {1, 2}\nvar x: int = 0\nvar y: int = 0\n" + layout
    (err,) = errors(text)
    assert err.startswith(message), err


def test_a_bullet_deeper_than_the_quantifier_continues_its_body():
    head = "spec B\nconst M: set[int] = {1, 2}\nvar x: int = 0\nprocess p:\n    s:\n        x = x\n"
    laid = load(head + "invariant I:\n    x > 0 or exists m in M: m > 0\n                        and x < 5\n")
    one = load(head + "invariant I: x > 0 or (exists m in M: m > 0 and x < 5)\n")
    assert same_ir(laid, one)


# ================================================================ 2. a def's result without return

DEF_HEAD = "spec D\nconst P: set[int] = {1, 2}\nvar x: int = 0\n"
DEF_TAIL = "process q:\n    s:\n        x = 1 - x\n"


@pytest.mark.parametrize("bare,twin", [
    ("def f(n: int) -> int:\n    n + 1\n", "def f(n: int) -> int: n + 1\n"),
    ("def f(n: int) -> int:\n    \"\"\"Doc.\"\"\"\n    let m = n * 2\n    let k = m + 1\n    m + k\n",
     "def f(n: int) -> int:\n    let m = n * 2\n    let k = m + 1\n    return m + k\n"),
    ("def f(n: int) -> bool:\n    n > 0\n    and n < 5\n    or n == 9\n", "def f(n: int) -> bool: n > 0 and n < 5 or n == 9\n"),
    ("def f(n: int) -> bool:\n    and n > 0\n    and forall p in P:\n        p != n\n",
     "def f(n: int) -> bool: n > 0 and (forall p in P: p != n)\n"),
    ("def f(n: int) -> bool:\n    let a = n + 1\n    and a > 0\n    and n < 3\n",
     "def f(n: int) -> bool:\n    let a = n + 1\n    return a > 0 and n < 3\n"),
    ("def f(n: int) -> bool:\n    n > 0 and\n        n < 3 or\n        n == 7\n", "def f(n: int) -> bool: n > 0 and n < 3 or n == 7\n"),
])
def test_a_bare_result_is_the_return_twin(bare, twin):
    use = "invariant I: f(x) == f(x)\n"
    assert same_ir(load(DEF_HEAD + bare + DEF_TAIL + use), load(DEF_HEAD + twin + DEF_TAIL + use))


@pytest.mark.parametrize("body,message", [
    ("    n + 1\n    n + 2\n", "6:5: a def's result is the last line of its block"),
    ("    n + 1\n    let m = 2\n", "6:5: a def's result is the last line of its block"),
    ("    return n\n    n + 1\n", "6:5: a def's result is the last line of its block"),
    ("    \"abc\"\n", "5:5: a string alone on the first line of a def's block is its docstring"),
    ("    await n > 0\n", "5:5: 'await' is a statement of a step; a def computes a value"),
])
def test_a_def_block_with_something_after_its_result_is_refused(body, message):
    (err,) = errors(DEF_HEAD + "def f(n: int) -> int:\n" + body + DEF_TAIL)
    assert err.startswith(message), err


def test_a_def_with_a_bare_result_checks():
    spec = load(DEF_HEAD + "def nxt(n: int) -> int:\n    let m = n + 1\n    m % 2\n" + DEF_TAIL
                + "invariant I: nxt(x) != x\nmodel m:\n    check I\n")
    (r, _) = check_model(spec, "m", engine="python")
    assert (r.verdict, r.distinct_states) == ("ok", 2)


# ================================================================ 3. a lazy let

#: single_lane_bridge's SeqFromSet, as the brief of the corpus wrote it
SEQ_FROM_SET = """\
spec SeqFromSet
var src: set[int] = {2, 1}
var out: seq[int] = []
def seq_from_set(s: set[int]) -> seq[int]:
    let x = choose y in s: True
    return [] if s == set() else [x] + seq_from_set(s - {x})
action Sort:
    await out == []
    out = seq_from_set(src)
invariant Sorted: len(out) == 0 or out == [1, 2]
model m:
    check Sorted
    deadlock: ignore
"""

#: lets whose value would be an error, read only where it is not
LAZY = """\
spec LazyLet
const K: set[int] = {0, 1}
var m: map[int, int] = {0: 5}
var d: 0..1 = 0
var x: int = 0
var q: seq[int] = []

def first_or(s: seq[int], dflt: int) -> int:
    let h = head(s)
    dflt if len(s) == 0 else h + h

def ratio(n: int) -> int:
    let r = n // d
    0 if d == 0 else r

action Step(k in K):
    let v = m[k]
    let w = 10 // d
    let once = m[k] + 1
    d = 1 - d
    if k in m and d == 0:
        x = v + v + w
    elif k in m:
        x = once
    else:
        x = first_or(q, 3) + ratio(4)
    q = append(q, x) if len(q) < 2 else q

invariant HeadOk:
    let h = head(q)
    let n = 7 // d
    len(q) == 0 or h >= 0 or n > 0

invariant InLoop:
    let h = head(q)
    forall i in K: len(q) <= i or h >= 0

action invariant NoShrink:
    let h2 = head(next(q))
    len(q) <= len(next(q)) and (len(next(q)) == 0 or h2 >= 0)

model m:
    check HeadOk
    check InLoop
    check NoShrink
    deadlock: ignore
"""


@pytest.mark.parametrize("text", [SEQ_FROM_SET, LAZY], ids=["seq_from_set", "lazy"])
def test_an_unread_let_is_no_error(text):
    spec = load(text)
    python = outcomes(spec, "python")
    assert all(v == "ok" for _, v, _, _ in python), python
    reachable_agrees_with_reference(spec)


@pytest.mark.parametrize("text", [SEQ_FROM_SET, LAZY], ids=["seq_from_set", "lazy"])
def test_the_compiled_engine_agrees(text):
    pytest.importorskip("numba", reason="numba is not installed: the compiled engine cannot run")
    spec = load(text)
    assert outcomes(spec, "compiled") == outcomes(spec, "python")


@needs_tlc
@pytest.mark.parametrize("text", [SEQ_FROM_SET, LAZY], ids=["seq_from_set", "lazy"])
def test_tlc_finds_no_error_either(text):
    tlc_agrees(load(text))


#: a read let whose value is an error: the error is at the value
READ = {
    "choose in a def": (
        "def pick(s: set[int]) -> int:\n    let c = choose y in s: y > 5\n    c + c if len(s) > 0 else c\n"
        "action A:\n    x = pick({x})\n", "6:13: choose found no element"),
    "map read in a step": (
        "action A:\n    let v = m[x]\n    await x < 2\n    if x >= 0:\n        x = v + v\n", "6:13: map applied outside its keys"),
    "division in an invariant": (
        "action A:\n    x = 1 - x\ninvariant J:\n    let r = 4 // x\n    x == 1 or r + r > 0\n",
        "8:13: '//' with right operand 0"),
}
READ_HEAD = "spec Read\nvar m: map[int, int] = {1: 5}\nvar x: int = 0\ninvariant I: x < 9\n"


@pytest.mark.parametrize("name", READ)
def test_a_read_let_fails_at_its_value(name):
    body, where = READ[name]
    text = READ_HEAD + body + "model m:\n    check I\n" + ("    check J\n" if "J:" in body else "") \
        + "    deadlock: ignore\n"
    spec = load(text, "read.pyspec")
    engines = ["python"]
    try:
        import numba  # noqa: F401
        engines.append("compiled")
    except ImportError:
        pass
    for engine in engines:
        reports = check_model(spec, "m", engine=engine)
        errs = [r for r in reports if r.verdict == "error"]
        assert errs and all(f"read.pyspec:{where}" in r.message for r in errs), (engine, reports)
    ref = Reference(spec, "m")
    with pytest.raises(RefError):
        for state in ref.reachable(limit=1000):
            for prop in ("I", "J") if "J:" in body else ("I",):
                ref.holds(prop, state)


@needs_tlc
def test_tlc_fails_where_the_let_is_read():
    from pyspec.engines.crosscheck import tlc_run

    body, _ = READ["map read in a step"]
    spec = load(READ_HEAD + body + "model m:\n    check I\n    deadlock: ignore\n", "read.pyspec")
    assert tlc_run(spec, spec.model("m"), ["I"], tools()).verdict == "error"


def test_a_let_every_path_reads_first_costs_nothing():
    """The generated step computes a let at once when the statements after
    it read it before they can stop, or when it cannot fail (``v = x +
    3``), and on first read otherwise (``w = 6 // x``: x may be 0)."""
    from pyspec.compile import compile_model
    from pyspec.compile.gen_exprs import always_reads, stmts_always_read

    spec = load("spec Cost\nvar x: int = 0\nvar y: int = 0\n"
                "action A:\n    let u = x + 1\n    y = u + u\n    x = (x + 1) % 3\n"
                "action B:\n    let w = 6 // x\n    let v = x + 3\n    await y > 0\n    y = w + v\n"
                "invariant I: y >= 0\nmodel m:\n    check I\n    deadlock: ignore\n")
    src = compile_model(spec, "m").codegen.source
    u_lines = re.findall(r"_l_u_\d+ = .*", src)
    w_lines = re.findall(r"_l_w_\d+ = .*", src)
    assert u_lines and w_lines, src
    v_lines = re.findall(r"_l_v_\d+ = .*", src)
    assert not any("_lazy" in line for line in u_lines + v_lines) and all("_lazy(" in line for line in w_lines), src
    a, b = (p.steps[0].body[0] for p in spec.processes if p.name in ("A", "B"))
    assert stmts_always_read(a.body, "u") and not stmts_always_read(b.body, "w")
    u = ir.BoundRef(None, None, "u")
    z = ir.Lit(None, None, 0)
    assert always_reads(ir.IfExpr(None, None, ir.Binary(None, None, "eq", u, z), z, z), "u")
    assert always_reads(ir.IfExpr(None, None, z, u, ir.Binary(None, None, "add", z, u)), "u")
    assert not always_reads(ir.IfExpr(None, None, z, u, z), "u")
    assert not always_reads(ir.Binary(None, None, "and", z, u), "u")
