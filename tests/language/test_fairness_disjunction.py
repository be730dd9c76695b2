"""Fairness of a disjunction of different actions or steps: ``fair Name(p in
S): A(p) or B(p, _) or proc[p].l`` (``strong fair``, ``fair Name: next``) is
one fairness condition per value of the binders over the disjunction of the
step instances it names, TLA+'s ``\\A p \\in S : WF_vars(A(p) \\/ \\E q :
B(p, q) \\/ ...)`` and ``WF_vars(Next)``, not fairness of each action.

Two small specs where the disjunction's fairness and per-action fairness
give different verdicts, one in each direction, checked by the embedded
engine and, with a jar, by TLC on the export; the errors of misuse; the
export, the printer, the formatter and the editor.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.compile import CompiledModel
from pyspec.compile.codegen import CompileError
from pyspec.engines.embedded import check
from pyspec.language.formatter import format_source
from pyspec.printer import format_spec
from pyspec.tla.export import render_module

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")

# A client is served from the side it is on, and Flip (not fair) may turn
# it over at any time.  Neither ServeLeft(c) nor ServeRight(c) need be
# continuously enabled, so with weak fairness of each, c may starve; their
# disjunction is enabled in every state where c is not served: c is served.
TURNS = """\
spec Turns
\"\"\"A client served from whichever side it is on.\"\"\"
sort Client
const CLIENTS: set[Client] = {Client.c1, Client.c2}
var side: map[Client, 0..1] = {c: 0 for c in CLIENTS}
var served: map[Client, bool] = {c: False for c in CLIENTS}

action Flip(c in CLIENTS):
    side[c] = 1 - side[c]
action ServeLeft(c in CLIENTS):
    await side[c] == 0 and not served[c]
    served[c] = True
action ServeRight(c in CLIENTS):
    await side[c] == 1 and not served[c]
    served[c] = True

FAIRNESS

temporal AllServed: forall c in CLIENTS: eventually served[c]

model m:
    check AllServed: EXPECTED
"""

# Take(c) stays enabled until it is taken; Spin(c) may go on forever.  Weak
# fairness of Take(c) alone forces the take; of Take(c) or Spin(c), a Spin
# step meets the condition again and again.
SPIN = """\
spec Spin
\"\"\"A client that may keep spinning instead of taking.\"\"\"
sort Client
const CLIENTS: set[Client] = {Client.c1, Client.c2}
var got: map[Client, bool] = {c: False for c in CLIENTS}
var turn: map[Client, 0..1] = {c: 0 for c in CLIENTS}

action Take(c in CLIENTS):
    await not got[c]
    got[c] = True
action Spin(c in CLIENTS):
    turn[c] = 1 - turn[c]

FAIRNESS

temporal GetsIt: forall c in CLIENTS: eventually got[c]

model m:
    check GetsIt: EXPECTED
"""

# (spec, fairness declarations, expected verdict of its one temporal property)
CASES = [
    (TURNS, "fair Serve(c in CLIENTS): ServeLeft(c) or ServeRight(c)", "holds"),
    (TURNS, "fair Left(c in CLIENTS): ServeLeft(c)\nfair Right(c in CLIENTS): ServeRight(c)", "violated"),
    (TURNS, "fair Serving: ServeLeft or ServeRight", "holds"),
    (TURNS, "strong fair Left(c in CLIENTS): ServeLeft(c)\nstrong fair Right(c in CLIENTS): ServeRight(c)", "holds"),
    (TURNS, "fair Everything: next", "violated"),
    (SPIN, "fair Busy(c in CLIENTS): Take(c) or Spin(c)", "violated"),
    (SPIN, "fair Taking(c in CLIENTS): Take(c)", "holds"),
    (SPIN, "fair Taking: Take", "holds"),
    (SPIN, "strong fair Busy(c in CLIENTS): Take(c) or Spin(c)", "violated"),
    (SPIN, "fair Everything: next", "violated"),
]
IDS = [f"{'turns' if s is TURNS else 'spin'}-{i}" for i, (s, _, _) in enumerate(CASES)]


def text_of(spec: str, fairness: str, expected: str) -> str:
    return spec.replace("FAIRNESS", fairness).replace("EXPECTED", expected)


def load(text: str, name: str = "disjunction.pyspec") -> pyspec.Spec:
    return pyspec.load(name, text=text)


def errors(text: str) -> list[str]:
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    return [f"{d.span.line}:{d.span.col}: {d.message}" for d in diags.errors]


# ------------------------------------------------------------------ meaning

@pytest.mark.parametrize("spec, fairness, expected", CASES, ids=IDS)
def test_embedded_verdicts(spec, fairness, expected):
    s = load(text_of(spec, fairness, expected))
    prop = "AllServed" if spec is TURNS else "GetsIt"
    rep = check(s, "m", property=prop)
    assert rep.verdict == ("ok" if expected == "holds" else "violated"), rep.message
    assert rep.distinct_states == 16


def test_the_disjunction_and_each_action_differ_both_ways():
    verdicts = {f: e for _, f, e in CASES}
    # weak fairness of the disjunction is stronger here ...
    assert verdicts["fair Serve(c in CLIENTS): ServeLeft(c) or ServeRight(c)"] == "holds"
    assert verdicts["fair Left(c in CLIENTS): ServeLeft(c)\nfair Right(c in CLIENTS): ServeRight(c)"] == "violated"
    # ... and weaker there
    assert verdicts["fair Busy(c in CLIENTS): Take(c) or Spin(c)"] == "violated"
    assert verdicts["fair Taking(c in CLIENTS): Take(c)"] == "holds"


def test_the_same_fairness_as_fair_actions():
    """A declaration with one action per condition is 'fair action'."""
    per_action = load(text_of(SPIN, "", "holds").replace("action Take(", "fair action Take("))
    declared = load(text_of(SPIN, "fair Taking(c in CLIENTS): Take(c)", "holds"))
    a, b = CompiledModel(per_action, "m"), CompiledModel(declared, "m")
    assert sorted(sorted(f.aids) for f in a.fairness) == sorted(sorted(f.aids) for f in b.fairness)


def test_one_condition_per_value_of_the_binders():
    cm = CompiledModel(load(text_of(TURNS, "fair Serve(c in CLIENTS): ServeLeft(c) or ServeRight(c)",
                                    "holds")), "m")
    who = {a.aid: (a.process, a.self_value) for a in cm.actions}
    assert len(cm.fairness) == 2
    for f in cm.fairness:
        assert f.kind == "weak" and len(f.aids) == 2
        assert {who[a][0] for a in f.aids} == {"ServeLeft", "ServeRight"}
        assert len({who[a][1] for a in f.aids}) == 1, "one client per condition"
        assert f.what.startswith("fair Serve(c=Client.c")
    everything = CompiledModel(load(text_of(TURNS, "strong fair Everything: next", "violated")), "m")
    assert [(f.kind, len(f.aids)) for f in everything.fairness] == [("strong", 6)]
    all_serves = CompiledModel(load(text_of(TURNS, "fair S: ServeLeft or ServeRight", "holds")), "m")
    assert [len(f.aids) for f in all_serves.fairness] == [4]


MIXED = """\
spec Mixed
var x: 0..3 = 0
action A(p in 1..2):
    x = p
action B(p in 1..2, q in {1, 2, 3} - {p}):
    x = q
process w(self in 1..2):
    s1:
        x = 1
    s2:
        x = 2
process one:
    t:
        x = 0
FAIRNESS
model m:
    deadlock: ignore
"""


def _parts(fairness: str) -> list[set[tuple]]:
    cm = CompiledModel(load(MIXED.replace("FAIRNESS", fairness)), "m")
    return [{(cm.actions[a].process, cm.actions[a].self_value, cm.actions[a].label) for a in f.aids}
            for f in cm.fairness]


def test_parts_name_instances_steps_and_processes():
    assert _parts("fair F(p in 1..2): A(p) or B(p, _) or w[p].s1") == [
        {("A", 1, "A"), ("B", (1, 2), "B"), ("B", (1, 3), "B"), ("w", 1, "s1")},
        {("A", 2, "A"), ("B", (2, 1), "B"), ("B", (2, 3), "B"), ("w", 2, "s1")},
    ]
    assert _parts("fair F: w or one.t") == [
        {("w", 1, "s1"), ("w", 1, "s2"), ("w", 2, "s1"), ("w", 2, "s2"), ("one", None, "t")}]
    assert _parts("fair F: w.s2 or w[_].s2 or B(2, _) or A(1 + 1)") == [
        {("w", 1, "s2"), ("w", 2, "s2"), ("B", (2, 1), "B"), ("B", (2, 3), "B"), ("A", 2, "A")}]
    assert _parts("fair F: next") == [
        {("A", 1, "A"), ("A", 2, "A")} | {("B", pq, "B") for pq in [(1, 2), (1, 3), (2, 1), (2, 3)]}
        | {("w", i, lab) for i in (1, 2) for lab in ("s1", "s2")} | {("one", None, "t")}]


def test_an_argument_outside_the_domain_is_an_error_of_the_model():
    with pytest.raises(CompileError, match=r":15:22: 3 is not a value of parameter 'p' of action 'A'"):
        CompiledModel(load(MIXED.replace("FAIRNESS", "fair F(p in 1..3): A(p)")), "m")


# ------------------------------------------------------------------ export

def test_export_defines_the_disjunction_and_takes_its_fairness():
    module, _, _ = render_module(load(text_of(TURNS, "fair Serve(c in CLIENTS): ServeLeft(c) or ServeRight(c)",
                                              "holds")))
    assert "Serve(c) ==\n    \\/ ServeLeft(c)\n    \\/ ServeRight(c)\n" in module
    assert "\\A c \\in CLIENTS : WF_vars(Serve(c))" in module
    module, _, _ = render_module(load(text_of(TURNS, "strong fair Everything: next", "violated")))
    assert "/\\ SF_vars(Next)" in module and "Everything ==" not in module
    module, _, _ = render_module(load(MIXED.replace(
        "FAIRNESS", "fair F(p in 1..2): A(p) or B(p, _) or w[p].s1 or one\nfair G: B or w[_].s2 or B(1, _)")))
    assert ("F(p) ==\n    \\/ A(p)\n    \\/ (\\E q \\in ({1, 2, 3} \\ {p}) : B(p, q))\n    \\/ w_s1(p)\n"
            "    \\/ one\n") in module
    assert ("G ==\n    \\/ (\\E p \\in (1..2) : \\E q \\in ({1, 2, 3} \\ {p}) : B(p, q))\n"
            "    \\/ (\\E self_1_ \\in (1..2) : w_s2(self_1_))\n"
            "    \\/ (\\E q \\in ({1, 2, 3} \\ {1}) : B(1, q))\n") in module
    assert "/\\ \\A p \\in (1..2) : WF_vars(F(p))\n    /\\ WF_vars(G)" in module


def test_a_binder_named_like_a_parameter_left_out_is_renamed():
    module, _, _ = render_module(load(MIXED.replace("FAIRNESS", "fair F(q in 1..2): B(q, _)")))
    assert "F(q) == (\\E q_1_ \\in ({1, 2, 3} \\ {q}) : B(q, q_1_))" in module


@needs_tlc
@pytest.mark.parametrize("spec, fairness, expected", CASES, ids=IDS)
def test_tlc_agrees(spec, fairness, expected):
    """TLC on the export gives the verdicts above (and the same 16 states)."""
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(text_of(spec, fairness, expected)), "m", resolve(jar_path()))
    assert not problems, "\n".join(problems)


@needs_tlc
def test_tlc_agrees_on_steps_of_processes():
    """Weak fairness of the disjunction of steps of two processes, each
    enabled only on one side of a flag an unfair process flips."""
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    text = """\
spec Sides
var side: 0..1 = 0
var done: map[1..2, bool] = {i: False for i in 1..2}
process flipper:
    while True:
        flip:
            side = 1 - side
process lefty(self in 1..2):
    while True:
        go:
            await side == 0
            done[self] = True
process righty(self in 1..2):
    while True:
        go:
            await side == 1
            done[self] = True
FAIRNESS
temporal Done: forall i in 1..2: eventually done[i]
model m:
    check Done: EXPECTED
"""
    for fairness, expected in [("fair Work(i in 1..2): lefty[i] or righty[i].go", "holds"),
                               ("fair L(i in 1..2): lefty[i].go\nfair R(i in 1..2): righty[i]", "violated")]:
        s = load(text.replace("FAIRNESS", fairness).replace("EXPECTED", expected))
        assert check(s, "m", property="Done").verdict == ("ok" if expected == "holds" else "violated")
        problems = compare_model(s, "m", resolve(jar_path()))
        assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ the corpus

CORPUS = Path(__file__).parents[2] / "spec" / "corpus"


def test_the_corpus_says_what_the_originals_say():
    """EWD840's WF_vars(System), ACP_SB's fairness, ACP_NB_WRONG's override
    of it: written as in the TLA+ (counts and verdicts: tests/corpus)."""
    module, _, _ = render_module(pyspec.load(str(CORPUS / "ewd840.pyspec")))
    assert "System ==\n    \\/ InitiateProbe\n    \\/ (\\E i \\in (NODES \\ {0}) : PassToken(i))" in module
    assert "Fairness ==\n    /\\ WF_vars(System)\n\n" in module
    module, _, _ = render_module(pyspec.load(str(CORPUS / "acp_nb_wrong.pyspec")))
    assert "\\/ (\\E j \\in (PARTICIPANTS \\ {i}) : forward(i, j))" in module
    assert "/\\ \\A i \\in PARTICIPANTS : WF_vars(parProg(i))\n    /\\ WF_vars(coordProgB)" in module


# ------------------------------------------------------------------ language

def test_printer_round_trips_fairness_declarations():
    text = MIXED.replace("FAIRNESS", 'fair F(p in 1..2): A(p) or B(p, _) or w[p].s1 or one\n'
                         'strong fair G:\n    """Everything."""\n    next\nfair H: B or w[_].s2 or w.s1 or B(1, _)')
    s = load(text)
    printed = format_spec(s)
    assert "fair F(p in 1..2): A(p) or B(p, _) or w[p].s1 or one\n" in printed
    assert 'strong fair G:\n    "Everything."\n    next\n' in printed
    assert "fair H: B or w[_].s2 or w.s1 or B(1, _)\n" in printed
    again = load(printed, "printed.pyspec")
    assert again.fairness == s.fairness
    assert format_spec(again) == printed


def test_formatter_lays_out_a_declaration():
    text = text_of(TURNS, "strong  fair Serve( c in CLIENTS ):ServeLeft( c )or  ServeRight(c)", "holds")
    assert "strong fair Serve(c in CLIENTS): ServeLeft(c) or ServeRight(c)\n" in format_source(text, "x.pyspec")


def test_a_multi_line_declaration_with_bullets():
    s = load(text_of(TURNS, "fair Serve(c in CLIENTS):\n    or ServeLeft(c)\n    or ServeRight(c)", "holds"))
    assert [p.process for p in s.fairness[0].parts] == ["ServeLeft", "ServeRight"]


def test_an_extending_spec_overrides_a_declaration(tmp_path):
    (tmp_path / "base.pyspec").write_text(text_of(TURNS, "fair Serve(c in CLIENTS): ServeLeft(c)", "violated"))
    (tmp_path / "ext.pyspec").write_text(
        "spec Ext\nextends base\noverride fair Serve(c in CLIENTS): ServeLeft(c) or ServeRight(c)\n"
        "model m2:\n    check AllServed\n")
    s = pyspec.load(str(tmp_path / "ext.pyspec"))
    assert [p.process for p in s.fairness[0].parts] == ["ServeLeft", "ServeRight"]
    assert check(s, "m2", property="AllServed").verdict == "ok"
    (tmp_path / "ext2.pyspec").write_text(
        "spec Ext2\nextends base\nfair Serve(c in CLIENTS): ServeRight(c)\nmodel m2:\n    check AllServed\n")
    _, diags = pyspec.load_with_diagnostics(str(tmp_path / "ext2.pyspec"))
    assert any("write 'override' to replace it" in d.message for d in diags.errors)



@pytest.mark.parametrize("fairness, message", [
    ("fair X: C", "15:9: 'C' is not an action or a process"),
    ("fair X: Aa", "15:9: 'Aa' is not an action or a process"),
    ("fair X: x", "15:9: 'x' is a variable, not an action or a process"),
    ("fair X: A(1, 2)", "15:9: action 'A' has 1 parameter (p), 2 arguments given ('_' for any value)"),
    ("fair X: B(1)", "15:9: action 'B' has 2 parameters (p, q), 1 argument given ('_' for any value)"),
    ("fair X: A(True)", "15:11: type mismatch: the argument for parameter 'p' of action 'A' has type 'bool', "
                        "expected 'int'"),
    ("fair X: A(next(x))", "15:11: next(...) is only allowed in an 'action invariant'"),
    ("fair X: B(_, 3)", "15:14: the domain of parameter 'q' of action 'B' reads 'p', which is left out ('_'): "
                        "give 'p' too, or leave 'q' out"),
    ("fair X: A[1]", "15:11: 'A' is an action: name an instance with its arguments, 'A(...)'"),
    ("fair X: A.A", "15:11: 'A' is an action, a single step: write 'A'"),
    ("fair X: w(1)", "15:9: 'w' is a process: name an instance with 'w[e]', a step with 'w.label'"),
    ("fair X: one[1]", "15:13: process 'one' has one instance: write 'one'"),
    ("fair X: w[True]", "15:11: type mismatch: the instance of process 'w' has type 'bool', expected 'int'"),
    ("fair X: w.s3", "15:11: process 'w' has no step 's3'"),
    ("fair X: A and A", "15:9: a part of a fairness condition is an action"),
    ("fair X: next or A", "15:9: 'next' is every step of the spec: write it alone"),
    ("fair X(p in 1..2): next", "15:8: 'next' does not depend on 'p'"),
    ("unfair X: A", "15:1: fairness condition 'X' is 'fair' (weak) or 'strong fair'"),
    ("fair(p) X: A", "15:5: 'fair(...)' groups the instances of one action; a fairness condition binds its own "
                     "names: 'fair X(c in C): A(c, _) or B(c)'"),
    ("fair A: A", "15:6: 'A' is already defined at line 3"),
    ("fair X:\n    let y = 1\n    A", "16:5: 'let' is not allowed in a fairness condition"),
])
def test_errors(fairness, message):
    errs = errors(MIXED.replace("FAIRNESS", fairness))
    assert any(message in e for e in errs), errs


def test_a_binder_no_part_reads_is_a_warning():
    _, diags = pyspec.load_with_diagnostics("w.pyspec", text=MIXED.replace("FAIRNESS", "fair X(p in 1..2): A"))
    assert not diags.errors
    assert any("'p' is bound but no part of fairness condition 'X' reads it" in d.message for d in diags.warnings)


def test_hover_and_highlighting():
    from pygments.lexers import get_lexer_by_name
    from pygments.token import Keyword, Name

    from pyspec.editor.analysis import analyse

    text = text_of(TURNS, "strong fair Serve(c in CLIENTS): ServeLeft(c) or ServeRight(c)", "holds")
    a = analyse("turns.pyspec", text)
    lines = text.splitlines()
    line = next(i for i, x in enumerate(lines, 1) if x.startswith("strong fair Serve"))
    assert "strong fair Serve(c in CLIENTS): ServeLeft(c) or ServeRight(c)" in a.hover(line, 14)
    lx = get_lexer_by_name("pyspec", stripnl=False, ensurenl=False)
    toks = [(t, v) for t, v in lx.get_tokens(lines[line - 1] + "\n") if v.strip()]
    assert toks[:3] == [(Keyword, "strong"), (Keyword, "fair"), (Name.Function, "Serve")]
