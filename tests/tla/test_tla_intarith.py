"""The TLA+ rendering of integer expressions means what Python means.

Random expressions over + - * // % ** & | ^ ~ << >>, comparisons and
if-else are written as spec defs, exported, and evaluated by TLC (one
``ASSUME`` that prints each value); every value must equal Python's.
Values stay well inside TLC's 32-bit integers.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import pyspec
from pyspec.engines.tlc.tlavalues import parse_tla
from pyspec.tla import export_spec

BOUND = 1 << 20


def _clamp(text: str, value: int) -> tuple[str, int]:
    if -BOUND <= value <= BOUND:
        return text, value
    return f"({text} % 1000)", value % 1000


@st.composite
def int_expr(draw, depth: int = 3):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        v = draw(st.integers(-40, 40))
        return (f"({v})" if v < 0 else str(v)), v
    kind = draw(st.sampled_from(["add", "sub", "mul", "floordiv", "mod", "pow", "and", "or", "xor", "not",
                                 "neg", "shl", "shr", "if", "abs"]))
    a, av = draw(int_expr(depth - 1))
    if kind in ("neg", "not", "abs"):
        text, v = {"neg": (f"(-{a})", -av), "not": (f"(~{a})", ~av), "abs": (f"abs({a})", abs(av))}[kind]
        return _clamp(text, v)
    b, bv = draw(int_expr(depth - 1))
    if kind in ("floordiv", "mod"):
        b, bv = f"(abs({b}) + 1)", abs(bv) + 1
    if kind == "pow":
        b, bv = f"(abs({b}) % 4)", abs(bv) % 4
        a, av = _clamp(f"({a} % 50)", av % 50)
    if kind in ("shl", "shr"):
        b, bv = f"(abs({b}) % 8)", abs(bv) % 8
    if kind == "if":
        c, cv = draw(bool_expr(depth - 1))
        return f"({a} if {c} else {b})", (av if cv else bv)
    ops = {"add": ("+", lambda: av + bv), "sub": ("-", lambda: av - bv), "mul": ("*", lambda: av * bv),
           "floordiv": ("//", lambda: av // bv), "mod": ("%", lambda: av % bv), "pow": ("**", lambda: av ** bv),
           "and": ("&", lambda: av & bv), "or": ("|", lambda: av | bv), "xor": ("^", lambda: av ^ bv),
           "shl": ("<<", lambda: av << bv), "shr": (">>", lambda: av >> bv)}
    op, fn = ops[kind]
    return _clamp(f"({a} {op} {b})", fn())


@st.composite
def bool_expr(draw, depth: int = 2):
    kind = draw(st.sampled_from(["lt", "le", "eq", "ne", "gt", "ge", "not", "and", "or"]))
    if kind in ("not", "and", "or") and depth > 0:
        p, pv = draw(bool_expr(depth - 1))
        if kind == "not":
            return f"(not {p})", not pv
        q, qv = draw(bool_expr(depth - 1))
        return (f"({p} and {q})", pv and qv) if kind == "and" else (f"({p} or {q})", pv or qv)
    a, av = draw(int_expr(max(depth - 1, 0)))
    b, bv = draw(int_expr(max(depth - 1, 0)))
    op, v = {"lt": ("<", av < bv), "le": ("<=", av <= bv), "eq": ("==", av == bv), "ne": ("!=", av != bv),
             "gt": (">", av > bv), "ge": (">=", av >= bv)}.get(kind, ("<", av < bv))
    return f"({a} {op} {b})", v


def evaluate_in_tlc(exprs: list[tuple[str, str]], tools, tmp: Path) -> list:
    """exprs: (type, spec expression); TLC's values, in order."""
    defs = "\n".join(f"def e{i}() -> {ty}: {text}" for i, (ty, text) in enumerate(exprs))
    uses = " and ".join(f"e{i}() == e{i}()" for i in range(len(exprs)))
    src = f"spec IntCheck\nvar v: int = 0\n{defs}\ninvariant Uses: v == 0 and ({uses})\nmodel m:\n    check Uses\n"
    spec, diags = pyspec.load_with_diagnostics(str(tmp / "intcheck.pyspec"), text=src)
    assert spec is not None, diags.render()
    files = export_spec(spec).files
    for name, text in files.items():
        (tmp / name).write_text(text)
    names = ", ".join(f"e{i}" for i in range(len(exprs)))
    (tmp / "Eval.tla").write_text(textwrap.dedent(f"""\
        ---- MODULE Eval ----
        EXTENDS IntCheck
        Results == <<{names}>>
        ASSUME \\A i \\in 1..Len(Results) : PrintT(<<"R", i, Results[i]>>)
        ====
        """))
    (tmp / "Eval.cfg").write_text("SPECIFICATION Spec\nINVARIANT Uses\n")
    proc = subprocess.run(tools.command("tlc2.TLC", "-config", "Eval.cfg", "-metadir", str(tmp / "states"),
                                        "-noGenerateSpecTE", "-workers", "1", "Eval.tla"),
                          cwd=tmp, capture_output=True, text=True, timeout=600)
    values = {}
    for ln in proc.stdout.splitlines():
        if ln.startswith('<<"R", '):
            _, i, v = parse_tla(ln)
            values[i] = v
    assert len(values) == len(exprs), proc.stdout[-3000:]
    return [values[i + 1] for i in range(len(exprs))]


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck),
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(st.lists(st.one_of(int_expr().map(lambda x: ("int", *x)), bool_expr().map(lambda x: ("bool", *x))),
                min_size=60, max_size=60))
def test_int_semantics_match_python(tlc_tools, tmp_path_factory, cases):
    tmp = tmp_path_factory.mktemp("intarith")
    got = evaluate_in_tlc([(ty, text) for ty, text, _ in cases], tlc_tools, tmp)
    assert len(got) == len(cases)
    for (_, text, want), value in zip(cases, got):
        assert value == want, f"{text}: TLC says {value}, Python {want}"


@pytest.mark.parametrize("a", [-9, -8, -5, -1, 0, 1, 6, 255, -256, 1 << 29, -(1 << 29)])
@pytest.mark.parametrize("b", [-7, -1, 0, 3, 12, -(1 << 20)])
def test_python_reference_identities(a, b):
    # the recursions BitAnd/BitOr/BitXor implement, checked in Python on the
    # same inputs: floor division by 2 and % 2 decompose two's complement
    def band(x, y):
        if x == 0 or y == 0:
            return 0
        if x == -1:
            return y
        if y == -1:
            return x
        return 2 * band(x // 2, y // 2) + (x % 2) * (y % 2)

    def bxor(x, y):
        if x == 0:
            return y
        if y == 0:
            return x
        if x == -1:
            return -y - 1
        if y == -1:
            return -x - 1
        return 2 * bxor(x // 2, y // 2) + ((x % 2) + (y % 2)) % 2

    def bor(x, y):
        if x == -1 or y == -1:
            return -1
        if x == 0:
            return y
        if y == 0:
            return x
        return 2 * bor(x // 2, y // 2) + (1 if x % 2 == 1 or y % 2 == 1 else 0)

    assert band(a, b) == a & b
    assert bor(a, b) == a | b
    assert bxor(a, b) == a ^ b


def test_fixed_edge_cases(tlc_tools, tmp_path):
    cases = ["(-7) // 2", "(-7) % 2", "7 // 2", "0 ** 0", "(-3) ** 3", "(-1) >> 5", "(-8) >> 1", "(-1) << 4",
             "~0", "~(-1)", "(-6) & 5", "(-6) | 5", "(-6) ^ 5", "(-6) ^ (-5)", "abs(-4)", "5 % 3", "(-5) % 3"]
    got = evaluate_in_tlc([("int", c) for c in cases], tlc_tools, tmp_path)
    assert got == [eval(c) for c in cases]  # noqa: S307 - the spec syntax of these is Python's
