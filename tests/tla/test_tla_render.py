"""IR -> TLA+ text: expressions, step bodies, names, byte stability."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from tla_helpers import example_paths, spec_paths

import pyspec
from pyspec.tla import ExportError, export_spec
from pyspec.tla.render import Atom, Conj, IfF, Renderer, layout


def load_text(text: str, name: str = "t.pyspec"):
    spec, diags = pyspec.load_with_diagnostics(name, text=textwrap.dedent(text))
    assert spec is not None, diags.render()
    return spec


def module_of(text: str) -> str:
    spec = load_text(text)
    return export_spec(spec).files[f"{spec.name}.tla"]


def expr_of(expr: str, decls: str = "") -> str:
    spec = load_text(f"spec T\nvar x: int = 0\nvar s: seq[int] = []\nvar m: map[int, int] = {{}}\n{decls}\n"
                     f"invariant P: {expr}\n")
    r = Renderer(spec)
    return r.expr(spec.prop("P").expr, r.ctx())


@pytest.mark.parametrize("src,tla", [
    ("x + 1 > 2", "(x + 1) > 2"),
    ("-7 // 2 == -4", "((-7) \\div 2) = (-4)"),
    ("x // x == 1", "Div_(x, x) = 1"),
    ("x % 3 == 1", "(x % 3) = 1"),
    ("2 ** x == 1", "Pow_(2, x) = 1"),
    ("x ** 2 == 1", "(x ^ 2) = 1"),
    ("x & 3 | 4 ^ ~x == 0", "BitOr(BitAnd(x, 3), BitXor(4, BitNot(x))) = 0"),
    ("x << 2 >> 1 == 0", "ShiftRight(ShiftLeft(x, 2), 1) = 0"),
    ("s[0] == s[x]", "s[1] = s[x + 1]"),
    ("len(s) == len({1})", "Len(s) = Cardinality({1})"),
    ("(m | {1: 2})[1] == 2", "((1 :> 2) @@ m)[1] = 2"),
    ("{1: 2, 1: 3}[1] == 3", "(1 :> 3 @@ 1 :> 2)[1] = 3"),
    ("1 in m and 2 not in {3}", "(1 \\in (DOMAIN m)) /\\ (2 \\notin {3})"),
    ("x == 1 or x == 2 or x == 3", "(x = 1) \\/ (x = 2) \\/ (x = 3)"),
    ("(x if x > 0 else -x) >= 0", "(IF x > 0 THEN x ELSE -x) >= 0"),
    ("{1} < {1, 2}", "{1} \\subseteq {1, 2} /\\ {1} # {1, 2}"),
    ('"a\\"b" != "c"', '"a\\"b" # "c"'),
])
def test_expression_rendering(src, tla):
    assert expr_of(src) == tla


def test_comprehensions_and_quantifiers():
    assert expr_of("{i * 2 for i in 0..2 if i != 1} == {0}") == \
        "{i * 2 : i \\in {i \\in (0..2) : i # 1}} = {0}"
    assert expr_of("{i for i in 0..2 if i > 0} == {1}") == "{i \\in (0..2) : i > 0} = {1}"
    assert expr_of("{(i, j) for i in 0..1 for j in i..1} == {(0, 0)}") == \
        "(UNION {{<<i, j>> : j \\in (i..1)} : i \\in (0..1)}) = {<<0, 0>>}"
    assert expr_of("forall i in 0..1, j in 0..i: i >= j") == "\\A i \\in (0..1) : \\A j \\in (0..i) : i >= j"
    assert expr_of("(choose i in 0..3: i > 1) == 2") == "(CHOOSE i \\in (0..3) : i > 1) = 2"


def test_bound_names_that_clash_with_generated_names_are_renamed():
    # TLA+ forbids a bound name equal to any declared name, generated ones included
    decls = "process p:\n    a:\n        x = 1\n"
    assert expr_of("forall pc_p in {1}: pc_p > 0", decls) == "\\A pc_p_1_ \\in {1} : pc_p_1_ > 0"
    assert expr_of("forall p_a in {1}: p_a > 0", decls) == "\\A p_a_1_ \\in {1} : p_a_1_ > 0"


def test_step_body_joins_branches_and_primes_reads_after_assignment():
    text = module_of("""\
        spec J
        var x: int = 0
        var y: int = 0
        var z: int = 0
        process p:
            a:
                if x > 0:
                    x = 1
                else:
                    y = 2
                z = x + y
        invariant I: x + y + z >= 0
        model m:
            check I
        """)
    body = text[text.index("p_a =="):text.index("\\* t.pyspec", text.index("p_a =="))]
    assert "IF x > 0" in body
    assert "THEN /\\ x' = 1\n               /\\ y' = y" in body
    assert "ELSE /\\ y' = 2\n               /\\ x' = x" in body
    assert "z' = x' + y'" in body
    assert "pc_p' = \"Done\"" in body


def test_goto_in_a_branch_copies_the_rest_into_the_other_branches():
    text = module_of("""\
        spec G
        var x: int = 0
        process p:
            a:
                if x > 2:
                    goto b
                x = x + 1
            b:
                x = 0
        invariant I: x >= 0
        model m:
            check I
        """)
    body = text[text.index("p_a =="):text.index("p_b ==")]
    assert "THEN /\\ UNCHANGED <<x>>\n               /\\ pc_p' = \"b\"" in body
    assert "ELSE /\\ x' = x + 1\n               /\\ pc_p' = \"b\"" in body


def test_loop_condition_is_evaluated_in_the_new_state():
    text = module_of("""\
        spec L
        var x: int = 0
        process p:
            while x < 3:
                a:
                    x = x + 1
        invariant I: x <= 3
        model m:
            check I
        """)
    assert "pc_p' = IF x' < 3 THEN \"a\" ELSE \"Done\"" in text
    assert "pc_p = IF x < 3 THEN \"a\" ELSE \"Done\"" in text


def test_def_reads_the_state_before_the_step_also_after_an_assignment():
    # docs/semantics.md: a def reads the state in which the step started (as
    # a PlusCal define); only its arguments are read where it is called
    text = module_of("""\
        spec D
        var x: int = 0
        var y: int = 0
        def twice() -> int: 2 * x
        def plus(k: int) -> int: x + k
        process p:
            a:
                x = 1
                y = twice() + plus(y)
        invariant I: y >= 0
        model m:
            check I
        """)
    assert "y' = twice + plus(y)" in text


def test_layout_aligns_bullets():
    f = Conj([Atom("a"), IfF("c", Conj([Atom("b"), Atom("d")]), Atom("e"))])
    lines = [t for t, _ in layout(f, 4)]
    assert lines == ["/\\ a", "    /\\ IF c", "          THEN /\\ b", "               /\\ d", "          ELSE e"]


@pytest.mark.parametrize("text,why", [
    ("spec TLC\nvar x: int = 0\ninvariant I: x >= 0\n", "1:6: error: cannot use 'TLC' as a spec name: 'TLC' is a TLA+ "
     "standard module"),
    ("spec R\nvar r: record(ELSE: int) = record(ELSE=1)\ninvariant I: r.ELSE >= 0\n",
     "2:15: error: cannot use 'ELSE' as a record field: 'ELSE' is a TLA+ reserved word"),
])
def test_names_tla_cannot_express_are_refused_at_their_position(text, why):
    spec, diags = pyspec.load_with_diagnostics("t.pyspec", text=text)
    assert spec is None and why in diags.render()


def test_record_fields_tla_cannot_express_are_refused_by_the_export():
    spec = load_text("spec R\nvar x: int = 0\ninvariant I: x >= 0\n")
    r = Renderer(spec)
    with pytest.raises(ExportError, match="reserved word"):
        r._check_ident("ELSE", "record field")


FREE = """\
spec Free
const Len: int = 2
const STATE: int = 1
var vars: int = 0
var Init: int = 0
var pc_p: int = 0
var MinOf: set[int] = {1, 2}
var a: int = 7
def Next(n: int) -> int: n + 1
process p:
    Spec:
        vars = Next(vars) + min(MinOf) + a // Len
        Init = STATE
        pc_p = 1
process Terminating:
    TypeOK:
        await True
invariant TypeOK: vars >= 0
invariant Fairness: Init <= STATE
action invariant Symmetry: next(vars) >= vars
temporal NoneValue: eventually vars > 0
"""


def test_generated_names_give_way_to_spec_names():
    text = module_of(FREE)
    # the spec's names stand as written; TLA+ words and standard operators are renamed
    for line in ("    vars,  \\* vars: int", "    Init,  \\* Init: int", "    pc_p,  \\* pc_p: int",
                 "Next(n) == n + 1", "TypeOK == vars >= 0", "Fairness == Init <= STATE_1_",
                 "    Len_1_,  \\* t.pyspec:2: int", "    STATE_1_  \\* t.pyspec:3: int", "Spec == Init_1_ /\\ "
                 "[][Next_1_]_vars_1_ /\\ Fairness_1_", "    /\\ vars' = (Next(vars) + MinOf_1_(MinOf)) + Div_(a, Len_1_)"):
        assert line in text.split("\n"), line
    # the export's own names are renamed around them, consistently
    for line in ("Init_1_ ==", "Next_1_ ==", "vars_1_ == <<vars, Init, pc_p, MinOf, a, pc_p_1_, pc_Terminating>>",
                 "TypeOK_1_ ==", "NoneValue == <>(vars > 0)",
                 "Terminating_1_ == pc_p_1_ = \"Done\" /\\ pc_Terminating = \"Done\" /\\ UNCHANGED vars_1_",
                 "Symmetry == [][(vars)' >= vars]_vars_1_",
                 "MinOf_1_(S) == CHOOSE x \\in S : \\A y \\in S : x <= y",
                 "Div_(a_1_, b) == IF b > 0 THEN a_1_ \\div b ELSE Assert(FALSE, \"// with a right operand <= 0\")",
                 "p_Spec ==", "Terminating_TypeOK ==", "    \\/ Terminating", "    \\/ Terminating_1_"):
        assert line in text.split("\n"), line
    assert "\\*   Init (generated) -> Init_1_" in text


def test_free_names_are_byte_stable_and_pass_sany(tmp_path, tlc_tools):
    spec = load_text(FREE.replace("process Terminating:", "model m:\n    constraint: vars < 3\n"
                                  "    check TypeOK\nprocess Terminating:"))
    files = export_spec(spec).files
    assert files == export_spec(spec).files
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert "StateConstraint == vars < 3" in files["MC_m.tla"]
    assert "SPECIFICATION Spec\n" in files["MC_m.cfg"] and "INVARIANT\n    TypeOK\n" in files["MC_m.cfg"]
    proc = subprocess.run(tlc_tools.command("tla2sany.SANY", "-error-codes", "Free.tla", "MC_m.tla"), cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "*** Errors" not in proc.stdout, proc.stdout
    assert "Semantic processing of module MC_m" in proc.stdout


@pytest.mark.parametrize("path", example_paths() + spec_paths())
def test_export_is_byte_stable(path):
    spec = pyspec.load(path)
    a = export_spec(spec).files
    b = export_spec(pyspec.load(path)).files
    assert a == b


def test_export_is_byte_stable_across_processes():
    # hash randomisation must not change the output
    code = ("import pyspec, hashlib; from pyspec.tla import export_spec; "
            "f = export_spec(pyspec.load('tests/tla/specs/constructs.pyspec')).files; "
            "print(hashlib.sha256(repr(sorted(f.items())).encode()).hexdigest())")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PYTHONPATH": "."}).stdout for seed in ("1", "2", "3")}
    assert len(outs) == 1


def test_every_operator_carries_its_spec_position():
    spec = pyspec.load("spec/examples/peterson.pyspec")
    text = export_spec(spec).files["Peterson.tla"].splitlines()
    for i, line in enumerate(text):
        if " ==" in line and not line.startswith((" ", "\\*")) and not line.startswith("RECURSIVE"):
            j = i - 1
            while text[j].startswith("\\*") and not text[j].startswith("\\* spec/"):
                j -= 1
            assert text[j].startswith("\\* spec/examples/peterson.pyspec:"), line
