"""A set of model values and its sort share a name, as in TLA+ (docs/language.md,
"A set of model values and its sort share a name"): ``sort RM`` with ``const
RM: set[RM]`` is TLA+'s ``CONSTANT RM``.

In a type the name is the sort, in an expression the constant (quantifiers,
``maps(RM, ...)``, ``subsets(RM)``), in a model the constant (bindings,
``symmetry:``); ``RM.r1`` is still a model value of the sort.  Checked here:
the IR, both engines, the models, the export (one TLA+ name, TLC's counts
equal with a jar), the printer, refinement by name, extends and import,
the editor's hover and definition, lint, and the located errors of a name
that would mean two unrelated things.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.cli import main
from pyspec.editor.analysis import analyse
from pyspec.engines.embedded import check_model
from pyspec.ir import nodes as ir
from pyspec.printer import format_spec
from pyspec.tla.export import export_spec

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

CORPUS = Path(__file__).parents[2] / "spec" / "corpus"

SHARED = '''\
spec Shared
sort RM
enum St: working, prepared, committed
const RM: set[RM] = {RM.r1, RM.r2, RM.r3}
const FIRST: set[RM] = {r for r in RM if r != RM.r3}

var st: map[RM, St] = {r: St.working for r in RM}
var seen: set[RM] = set()

def prepared(r: RM) -> bool: st[r] == St.prepared
def none_working(rs: set[RM]) -> bool: forall r in rs: st[r] != St.working

action Prepare(r in RM):
    await st[r] == St.working
    st[r] = St.prepared
    seen = seen | {r}

action Commit:
    await none_working(RM) and exists r in RM: prepared(r)
    st = {r: St.committed for r in RM}

invariant Typed: st in maps(RM, {St.working, St.prepared, St.committed}) and seen in subsets(RM)
invariant Together:
    forall r1 in RM, r2 in RM: not (st[r1] == St.committed and st[r2] == St.working)
invariant FirstSeen: FIRST <= RM

model three:
    check Typed
    check Together
    check FirstSeen
    deadlock: ignore

model two:
    RM = {RM.r1, RM.r2}
    FIRST = {RM.r1}
    check Typed
    check Together
    deadlock: ignore

model sym extends three:
    symmetry: RM
'''

# states: each RM working or prepared (seen = the prepared ones), then all committed
COUNTS = {"three": 2 ** 3 + 1, "two": 2 ** 2 + 1, "sym": 4 + 1}


def load(text: str, path: str = "shared.pyspec") -> pyspec.Spec:
    return pyspec.load(path, text=text)


def errors(text: str, path: str = "bad.pyspec") -> list[str]:
    spec, diags = pyspec.load_with_diagnostics(path, text)
    assert spec is None
    return [f"{d.span}: error: {d.message}" for d in diags.sorted() if d.severity == "error"]


# ------------------------------------------------------------------ the checked IR

def test_the_name_is_the_sort_in_a_type_and_the_constant_in_an_expression():
    spec = load(SHARED)
    rm = ir.SortType("RM")
    assert [s.name for s in spec.sorts] == ["RM"]
    const = next(c for c in spec.consts if c.name == "RM")
    assert const.type == ir.SetType(rm)
    assert [e.name for e in const.default.elems] == ["r1", "r2", "r3"]
    assert all(isinstance(e, ir.SortValue) and e.sort == "RM" for e in const.default.elems)
    st = next(v for v in spec.vars if v.name == "st")
    assert st.type.key == rm
    assert next(v for v in spec.vars if v.name == "seen").type == ir.SetType(rm)
    # the comprehension over the constant
    assert isinstance(st.init, ir.MapComp) and st.init.binder.domain == ir.ConstRef(
        st.init.binder.domain.span, ir.SetType(rm), "RM")
    prepared = next(d for d in spec.defs if d.name == "prepared")
    assert prepared.params[0].type == rm
    # an action's parameter ranges over the constant
    prep = next(p for p in spec.processes if p.name == "Prepare")
    assert isinstance(prep.index_set, ir.ConstRef) and prep.index_set.name == "RM"
    assert prep.index_set.type == ir.SetType(rm)


@pytest.mark.parametrize("engine", ["python", "compiled"])
def test_both_engines_check_every_model(engine):
    if engine == "compiled":
        pytest.importorskip("numba", reason="numba is not installed: the compiled engine cannot run")
    spec = load(SHARED)
    for model, count in COUNTS.items():
        reports = check_model(spec, model, engine=engine)
        assert all(r.verdict == "ok" for r in reports), [(r.property, r.verdict, r.message) for r in reports]
        assert {r.distinct_states for r in reports} == {count}, model


def test_a_model_binds_the_constant_and_names_it_as_a_symmetry_set():
    spec = load(SHARED)
    models = {m.name: m for m in spec.models}
    two = dict(models["two"].constants)
    assert [e.name for e in two["RM"].elems] == ["r1", "r2"]
    assert models["sym"].symmetry == ("RM",)
    assert models["three"].symmetry == ()


# ------------------------------------------------------------------ TLA+

def test_the_export_has_one_name_the_constant():
    exp = export_spec(load(SHARED))
    module = exp.files["Shared.tla"]
    constants = module.split("CONSTANTS\n", 1)[1].split("\n\n", 1)[0]
    assert [line.split(",")[0].split()[0] for line in constants.splitlines()] == \
        ["RM__r1", "RM__r2", "RM__r3", "RM_values_", "RM", "FIRST"]
    assert "(\\E r \\in RM : Prepare(r))" in module
    assert "\\A r1 \\in RM : \\A r2 \\in RM :" in module
    assert "[RM -> {\"working\", \"prepared\", \"committed\"}]" in module
    assert "SUBSET RM" in module
    assert "RM <- const_RM_" in exp.files["MC_two.cfg"]
    assert "const_RM_ == {RM__r1, RM__r2}" in exp.files["MC_two.tla"]
    assert "Symmetry == Permutations(RM)" in exp.files["MC_sym.tla"]


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC on the export skipped")
@pytest.mark.parametrize("model", list(COUNTS))
def test_tlc_agrees_on_the_export(model):
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(SHARED), model, resolve(jar_path()))
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ printer

def test_the_printer_round_trips_the_shared_name(tmp_path):
    spec = load(SHARED, str(tmp_path / "shared.pyspec"))
    printed = format_spec(spec)
    assert "\nsort RM\n" in printed
    assert "\nconst RM: set[RM] = {RM.r1, RM.r2, RM.r3}\n" in printed
    again = load(printed, str(tmp_path / "printed.pyspec"))
    assert dataclasses.replace(again, path=spec.path, files=spec.files) == spec
    assert format_spec(again) == printed


# ------------------------------------------------------------------ refinement, extends, import

def test_the_corpus_two_phase_refines_tcommit_by_the_name_rm():
    spec = pyspec.load(str(CORPUS / "two_phase.pyspec"))
    ref = next(p for p in spec.properties if p.name == "TCSpec").refinement
    assert [(n, type(e).__name__, e.name) for n, e in ref.constants] == [("RM", "ConstRef", "RM")]
    assert [c.name for c in ref.abstract.consts] == ["RM"]
    reports = check_model(spec, "refines_tcommit")
    assert {r.property: (r.verdict, r.distinct_states) for r in reports} == \
        {"TCSpec": ("ok", 288), "deadlock": ("ok", 288)}


ABSTRACT = '''\
spec Abs
sort RM
const RM: set[RM] = {RM.r1, RM.r2}
var done: set[RM] = set()
action Finish(r in RM):
    await r notin done
    done = done | {r}
'''


def test_a_spec_with_two_names_refines_one_with_the_shared_name(tmp_path):
    """The other spelling keeps working: it maps the abstract RM explicitly."""
    (tmp_path / "abs.pyspec").write_text(ABSTRACT, encoding="utf-8")
    concrete = '''\
spec Conc
import abs as A
sort RM
const RMS: set[RM] = {RM.r1, RM.r2}
var finished: set[RM] = set()
action Go(r in RMS):
    await r notin finished
    finished = finished | {r}
refinement R: A
    done = finished
    RM = RMS
model m:
    check R
    deadlock: ignore
'''
    spec = pyspec.load(str(tmp_path / "conc.pyspec"), text=concrete)
    assert [(r.property, r.verdict, r.distinct_states) for r in check_model(spec, "m")] == [("R", "ok", 4)]
    # without the mapping: the abstract constant RM has no constant of its name here
    msgs = errors(concrete.replace("    RM = RMS\n", ""), str(tmp_path / "conc.pyspec"))
    assert msgs == [f"{tmp_path / 'conc.pyspec'}:9:12: error: refinement 'R' does not bind the constant 'RM' "
                    f"of Abs: bind it on a line of its own below ('RM = <constant expression>'), or declare "
                    f"a constant 'RM'"]


def test_the_sort_may_come_from_a_base_or_an_import(tmp_path):
    (tmp_path / "base.pyspec").write_text("spec Base\nsort RM\n", encoding="utf-8")
    for how in ("extends base", "import base"):
        text = f"spec Derived\n{how}\nconst RM: set[RM] = {{RM.a, RM.b}}\nvar x: set[RM] = RM\n" \
               "model m:\n    deadlock: ignore\n"
        spec = pyspec.load(str(tmp_path / "derived.pyspec"), text=text)
        assert [(c.name, c.type) for c in spec.consts] == [("RM", ir.SetType(ir.SortType("RM")))]
        assert [r.distinct_states for r in check_model(spec, "m")] == [1]


# ------------------------------------------------------------------ errors

BAD = [
    # a constant of the sort's name that is not a set of it: RM would mean two things
    ("sort RM\nconst RM: int = 1\n", 3, 7,
     "constant 'RM' has the name of the sort 'RM' (at line 2): a constant may share a sort's name only as a "
     "set of that sort's model values, 'const RM: set[RM]', not 'int'"),
    ("sort RM\nsort S\nconst RM: set[S] = {S.a}\n", 4, 7,
     "constant 'RM' has the name of the sort 'RM' (at line 2): a constant may share a sort's name only as a "
     "set of that sort's model values, 'const RM: set[RM]', not 'set[S]'"),
    ("sort RM\nconst RM: map[RM, int] = {RM.a: 1}\n", 3, 7,
     "constant 'RM' has the name of the sort 'RM' (at line 2): a constant may share a sort's name only as a "
     "set of that sort's model values, 'const RM: set[RM]', not 'map[RM, int]'"),
    # only a constant may share a sort's name
    ("sort RM\nvar RM: set[RM] = set()\n", 3, 5,
     "'RM' is already defined at line 2 (only a constant may share a sort's name: const RM: set[RM])"),
    ("def RM() -> int: 1\nsort RM\n", 3, 6,
     "'RM' is already defined at line 2 (only a constant may share a sort's name: const RM: set[RM])"),
    # one constant per name
    ("sort RM\nconst RM: set[RM] = {RM.a}\nconst RM: set[RM] = {RM.b}\n", 4, 7,
     "'RM' is already defined at line 3"),
    # the constant used before its declaration (the name there is not the sort)
    ("sort RM\nconst ALL: set[RM] = RM\nconst RM: set[RM] = {RM.a}\n", 3, 22,
     "constant 'RM' is used before its declaration at line 4"),
]


@pytest.mark.parametrize("text, line, col, message", BAD)
def test_a_name_with_two_unrelated_meanings_is_a_located_error(text, line, col, message):
    assert errors("spec Bad\n" + text) == [f"bad.pyspec:{line}:{col}: error: {message}"]


def test_the_error_is_reported_by_lint_with_its_place(tmp_path, capsys):
    path = tmp_path / "bad.pyspec"
    path.write_text("spec Bad\nsort RM\nconst RM: int = 1\n", encoding="utf-8")
    assert main(["lint", str(path)]) == 2
    assert f"{path}:3:7: error: constant 'RM' has the name of the sort 'RM'" in capsys.readouterr().err


def test_lint_is_clean(tmp_path):
    path = tmp_path / "shared.pyspec"
    path.write_text(SHARED, encoding="utf-8")
    assert main(["lint", "--strict", str(path)]) == 0


# ------------------------------------------------------------------ editor

def test_hover_and_definition_tell_the_sort_from_the_constant(tmp_path):
    path = str(tmp_path / "shared.pyspec")
    a = analyse(path, SHARED)
    lines = SHARED.splitlines()

    def at(line_text: str, nth: int = 0):
        line = lines.index(line_text) + 1
        col = -1
        for _ in range(nth + 1):
            col = lines[line - 1].index("RM", col + 1)
        loc = a.definition(line, col + 1)
        return a.hover(line, col + 1).split("\n")[1], (loc.line, loc.col)

    sort = ("sort RM", (2, 6))
    const = ("const RM: set[RM] = {RM.r1, RM.r2, RM.r3}", (4, 7))
    assert at("sort RM") == sort
    assert at("const RM: set[RM] = {RM.r1, RM.r2, RM.r3}", 0) == const   # the constant's own name
    assert at("const RM: set[RM] = {RM.r1, RM.r2, RM.r3}", 1) == sort    # set[RM]
    assert at("const RM: set[RM] = {RM.r1, RM.r2, RM.r3}", 2) == sort    # RM.r1
    assert at("var st: map[RM, St] = {r: St.working for r in RM}", 0) == sort
    assert at("var st: map[RM, St] = {r: St.working for r in RM}", 1) == const
    assert at("def prepared(r: RM) -> bool: st[r] == St.prepared") == sort
    assert at("action Prepare(r in RM):") == const
    assert at("    symmetry: RM") == const
    assert at("    RM = {RM.r1, RM.r2}", 0) == const
    assert "the set of model values of sort RM" in a.hover(4, 7)
    assert [(d.name, d.kind) for d in a.symbols()][:3] == [("RM", "sort"), ("St", "enum"), ("RM", "const")]
