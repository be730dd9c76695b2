"""Fairness by parameters: ``fair(c) action A(c in C, S in T)`` is one
fairness condition per value of ``c`` over the disjunction of the instances
that share it, TLA+'s ``\\A c \\in C : WF_vars(\\E S \\in T : A(c, S))``
(the resource allocator's ``SF_vars(\\E S \\in SUBSET Resources :
Allocate(c, S))``), not fairness of each instance ``(c, S)``.

Two small specs where the two give different verdicts, one in each
direction, checked by the embedded engine and, with a jar, by TLC on the
export; the errors of misuse; the export, the printer and the formatter.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.compile import CompiledModel
from pyspec.engines.embedded import check
from pyspec.language.formatter import format_source
from pyspec.printer import format_spec
from pyspec.report.text import render_trace
from pyspec.tla.export import render_module

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")

# Serve(c, k) is enabled only while side[c] == k, and Flip (not fair) may
# turn side[c] over at any time.  Per instance, neither Serve(c, 0) nor
# Serve(c, 1) need be continuously enabled (Flip keeps turning), so c may
# starve; per client (fair(c)), some Serve(c, _) is enabled in every state
# where c is not served: c is served.
FLIP = """\
spec Flip
\"\"\"A client served from whichever side it is on.\"\"\"
sort Client
const CLIENTS: set[Client] = {Client.c1, Client.c2}
var side: map[Client, 0..1] = {c: 0 for c in CLIENTS}
var served: map[Client, bool] = {c: False for c in CLIENTS}

action Flip(c in CLIENTS):
    side[c] = 1 - side[c]

FAIRNESS action Serve(c in CLIENTS, k in {0, 1}):
    await side[c] == k and not served[c]
    served[c] = True

temporal AllServed: forall c in CLIENTS: eventually served[c]

model m:
    check AllServed: EXPECTED
"""

# Take(c, 1) stays enabled until it is taken; Take(c, 0) and Drop(c) (not
# fair) may go round forever.  Per instance, Take(c, 1) must be taken; per
# client, Take(c, 0) meets c's fairness condition again and again.
DROP = """\
spec Drop
\"\"\"A client that may keep taking and dropping the wrong thing.\"\"\"
sort Client
const CLIENTS: set[Client] = {Client.c1, Client.c2}
var got: map[Client, set[0..1]] = {c: set() for c in CLIENTS}

action Drop(c in CLIENTS):
    await got[c] != set()
    got[c] = set()

FAIRNESS action Take(c in CLIENTS, k in {0, 1}):
    await k not in got[c]
    got[c] = got[c] | {k}

temporal GetsOne: forall c in CLIENTS: eventually 1 in got[c]

model m:
    check GetsOne: EXPECTED
"""

# (spec, fairness, expected verdict of its one temporal property)
CASES = [
    (FLIP, "fair", "violated"),
    (FLIP, "fair(c)", "holds"),
    (FLIP, "strong fair(c)", "holds"),
    (FLIP, "fair()", "holds"),
    (DROP, "fair", "holds"),
    (DROP, "strong fair", "holds"),
    (DROP, "fair(c)", "violated"),
    (DROP, "strong fair(c)", "violated"),
]
IDS = [f"{'flip' if s is FLIP else 'drop'}-{f.replace(' ', '_')}" for s, f, _ in CASES]


def text_of(spec: str, fairness: str, expected: str) -> str:
    return spec.replace("FAIRNESS", fairness).replace("EXPECTED", expected)


def load(text: str, name: str = "groups.pyspec") -> pyspec.Spec:
    return pyspec.load(name, text=text)


def errors(text: str) -> list[str]:
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    return [f"{d.span.line}:{d.span.col}: {d.message}" for d in diags.errors]


# ------------------------------------------------------------------ meaning

@pytest.mark.parametrize("spec, fairness, expected", CASES, ids=IDS)
def test_embedded_verdicts(spec, fairness, expected):
    s = load(text_of(spec, fairness, expected))
    prop = "AllServed" if spec is FLIP else "GetsOne"
    rep = check(s, "m", property=prop)
    assert rep.verdict == ("ok" if expected == "holds" else "violated"), rep.message
    assert rep.distinct_states == 16


def test_per_instance_and_per_client_differ_both_ways():
    """The point of fair(c): neither fairness implies the other for weak
    fairness, and the verdicts above differ in both directions."""
    verdicts = {(s is FLIP, f): e for s, f, e in CASES}
    assert verdicts[(True, "fair")] != verdicts[(True, "fair(c)")]
    assert verdicts[(False, "fair")] != verdicts[(False, "fair(c)")]


def test_the_starving_lasso_under_per_instance_fairness_flips_sides():
    s = load(text_of(FLIP, "fair", "violated"))
    rep = check(s, "m", property="AllServed")
    titles = [ln for ln in render_trace(rep, s) if ln.startswith("State ")]
    loop = [t for t in titles if "Flip(" in t]
    assert loop, titles  # the client starves while its side keeps turning


def test_the_lasso_under_group_fairness_takes_the_wrong_instance():
    s = load(text_of(DROP, "fair(c)", "violated"))
    rep = check(s, "m", property="GetsOne")
    lines = render_trace(rep, s)
    assert any("Take(Client.c1, 0)" in ln for ln in lines), lines
    assert any("Drop(Client.c1)" in ln for ln in lines), lines
    assert not any("Take(Client.c1, 1)" in ln for ln in lines), lines


def test_one_fairness_condition_per_group():
    s = load(text_of(DROP, "strong fair(c)", "violated"))
    cm = CompiledModel(s, "m")
    take = {a.aid: a.self_value for a in cm.actions if a.process == "Take"}
    assert len(take) == 4 and len(cm.fairness) == 2
    for f in cm.fairness:
        assert f.kind == "strong" and len(f.aids) == 2
        clients = {take[a][0] for a in f.aids}
        assert len(clients) == 1, "a group is the instances of one client"
    per_instance = CompiledModel(load(text_of(DROP, "strong fair", "holds")), "m")
    assert len(per_instance.fairness) == 4
    everything = CompiledModel(load(text_of(DROP, "fair()", "violated")), "m")
    assert len(everything.fairness) == 1 and len(everything.fairness[0].aids) == 4


# ------------------------------------------------------------------ export

def test_export_quantifies_the_named_parameters_outside():
    module, _, _ = render_module(load(text_of(FLIP, "fair(c)", "holds")))
    assert "\\A c \\in CLIENTS : WF_vars(\\E k \\in {0, 1} : Serve(c, k))" in module
    module, _, _ = render_module(load(text_of(DROP, "strong fair(c)", "violated")))
    assert "\\A c \\in CLIENTS : SF_vars(\\E k \\in {0, 1} : Take(c, k))" in module
    module, _, _ = render_module(load(text_of(FLIP, "fair()", "holds")))
    assert "WF_vars(\\E c \\in CLIENTS : \\E k \\in {0, 1} : Serve(c, k))" in module
    module, _, _ = render_module(load(text_of(FLIP, "fair(c, k)", "violated")))
    assert "\\A c \\in CLIENTS : \\A k \\in {0, 1} : WF_vars(Serve(c, k))" in module
    # per instance, as before
    module, _, _ = render_module(load(text_of(FLIP, "fair", "violated")))
    assert "\\A c \\in CLIENTS : \\A k \\in {0, 1} : WF_vars(Serve(c, k))" in module


def test_a_named_parameter_may_come_after_one_left_out():
    text = text_of(FLIP, "fair(c)", "holds").replace("Serve(c in CLIENTS, k in {0, 1})",
                                                       "Serve(k in {0, 1}, c in CLIENTS)")
    s = load(text)
    assert check(s, "m", property="AllServed").verdict == "ok"
    module, _, _ = render_module(s)
    assert "\\A c \\in CLIENTS : WF_vars(\\E k \\in {0, 1} : Serve(k, c))" in module


@needs_tlc
@pytest.mark.parametrize("spec, fairness, expected", CASES, ids=IDS)
def test_tlc_agrees(spec, fairness, expected):
    """TLC on the export gives the verdicts above (and the same 16 states)."""
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(text_of(spec, fairness, expected)), "m", resolve(jar_path()))
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ the allocator

ALLOCATOR = Path(__file__).parents[2] / "spec" / "corpus" / "simple_allocator.pyspec"


def test_the_allocator_says_what_simple_allocator_tla_says():
    """SimpleAllocator.tla's SF_vars(\\E S \\in SUBSET Resources: Allocate(c, S))
    and WF_vars(Return(c, alloc[c])), as written."""
    s = pyspec.load(str(ALLOCATOR))
    module, _, _ = render_module(s)
    assert "\\A c \\in CLIENTS : SF_vars(\\E S \\in (SUBSET RESOURCES) : Allocate(c, S))" in module
    assert "\\A c \\in CLIENTS : WF_vars(Return(c, alloc[c]))" in module
    for prop in ("ClientsWillObtain", "InfOftenSatisfied"):
        rep = check(s, "original", property=prop)
        assert rep.verdict == "ok" and rep.distinct_states == 400  # TLC on the original: 400
    # weak fairness per client is not enough: the resources a client waits
    # for may be taken by others each time they are free
    weak = pyspec.load(str(ALLOCATOR), text=ALLOCATOR.read_text().replace(
        "strong fair(c) action Allocate", "fair(c) action Allocate"))
    assert check(weak, "original", property="ClientsWillObtain").verdict == "violated"


# ------------------------------------------------------------------ language

def test_printer_round_trips_fairness_by_parameters():
    s = load(text_of(DROP, "strong fair(c)", "violated"))
    printed = format_spec(s)
    assert "strong fair(c) action Take(c in CLIENTS, k in {0, 1}):" in printed
    again = load(printed, "printed.pyspec")
    assert format_spec(again) == printed
    assert again.process("Take").fair_by == ("c",)
    assert load(text_of(DROP, "fair()", "violated")).process("Take").fair_by == ()
    assert load(text_of(DROP, "fair", "holds")).process("Take").fair_by is None


def test_formatter_keeps_the_parentheses_against_fair():
    text = text_of(DROP, "strong  fair( c )", "violated")
    assert "strong fair(c) action Take(" in format_source(text, "x.pyspec")


SPEC = "spec S\nvar x: int = 0\n"
TAIL = "model m:\n    deadlock: ignore\n"


@pytest.mark.parametrize("body, message", [
    ("fair(d) action A(c in 1..2, k in 1..2):\n    x = c + k\n",
     "3:6: 'd' is not a parameter of action 'A' (its parameters: 'c', 'k')"),
    ("fair(c, c) action A(c in 1..2, k in 1..2):\n    x = c + k\n",
     "3:9: 'c' is named twice in 'fair(...)'"),
    ("strong fair(c) action A:\n    x = 1\n",
     "3:12: 'fair(...)' groups the instances of an action by parameters, and action 'A' has none"),
    ("fair(q) action A(p in 1..2, q in {1, 2, 3} - {p}):\n    x = p + q\n",
     "3:6: 'q' is named in 'fair(...)' but its domain reads 'p', which is not"),
    ("fair(p) process P(self in 1..2):\n    s:\n        x = 1\n",
     "3:5: 'fair(...)' names parameters of an action (one fairness condition per value of them); "
     "the fairness of a process is per instance"),
    ("fair process P(self in 1..2):\n    strong fair(self) s:\n        x = 1\n",
     "4:16: 'fair(...)' names parameters of an action (one fairness condition per value of them); "
     "the fairness of a step is per instance"),
])
def test_errors(body, message):
    errs = errors(SPEC + body + TAIL)
    assert any(message in e for e in errs), errs


def test_a_named_parameter_whose_domain_reads_another_named_one_is_fine():
    assert errors(SPEC + "fair(p, q) action A(p in 1..2, q in {1, 2, 3} - {p}):\n    x = p + q\n"
                  + "action B(p in 1..2, q in {1, 2, 3} - {p}):\n    x = p\n" + TAIL) == []
    assert errors(SPEC + "fair(p) action A(p in 1..2, q in {1, 2, 3} - {p}):\n    x = p + q\n" + TAIL) == []


def test_unfair_takes_no_parameters():
    errs = errors(SPEC + "unfair(c) action A(c in 1..2):\n    x = c\n" + TAIL)
    assert errs and errs[0].startswith("3:7: unexpected '('"), errs


def test_highlighting_reads_fair_c_as_a_modifier():
    from pygments.lexers import get_lexer_by_name
    from pygments.token import Keyword, Name, Punctuation

    lx = get_lexer_by_name("pyspec", stripnl=False, ensurenl=False)
    toks = [(t, v) for t, v in lx.get_tokens("strong fair(c, k) action Take(c in C, k in K):\n    x = 1\n")
            if v.strip()]
    assert toks[:9] == [(Keyword, "strong"), (Keyword, "fair"), (Punctuation, "("), (Name, "c"),
                        (Punctuation, ","), (Name, "k"), (Punctuation, ")"), (Keyword, "action"),
                        (Name.Function, "Take")]


def test_hover_shows_the_group():
    from pyspec.editor.analysis import analyse

    text = text_of(DROP, "strong fair(c)", "violated")
    a = analyse("groups.pyspec", text)
    lines = text.splitlines()
    line = next(i for i, x in enumerate(lines, 1) if "action Take" in x)
    assert "strong fair(c) action Take(c, k)" in a.hover(line, lines[line - 1].index("Take") + 2)
