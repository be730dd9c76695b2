"""Three things TLA+ users write with fairness and temporal properties:

1. a fairness argument that reads the state: ``fair Ret(c in CLIENTS):
   Return(c, alloc[c])`` is SimpleAllocator's ``\\A c \\in Clients :
   WF_vars(Return(c, alloc[c]))``, fairness of the one instance of
   ``Return(c, S)`` whose S is what c holds now (enabled when that instance
   is, met by a step of ``Return(c, v)`` with v the value in the step's
   first state);
2. fairness conditions as properties: ``weak_fair(A)`` / ``strong_fair(A)``
   in a temporal property, TLA+'s ``WF_vars(A)`` / ``SF_vars(A)`` in
   PROPERTIES (``[]<>~ENABLED <<A>>_vars \\/ []<><<A>>_vars``), the operand
   being what a fairness declaration names;
3. ``(always P) implies eventually Q`` (``[]P => <>Q``, nbacg_guer01's
   TerminationLtl) and ``(always P) implies always eventually Q``.

Each with both engines, the TLA+ export, the printer and, with a jar, TLC
on the export (tests/engines/test_temporal_forms.py checks the lassos of the
forms of 3 against a brute-force search and TLC).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.compile import CompiledModel
from pyspec.engines.embedded import check, check_model
from pyspec.ir.state import state_types
from pyspec.language.formatter import format_source
from pyspec.printer import format_spec
from pyspec.tla.export import render_module
from pyspec.values import from_itf

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")
ENGINES = ["python", "compiled"]


def load(text: str, name: str = "fairprops.pyspec") -> pyspec.Spec:
    return pyspec.load(name, text=text)


def errors(text: str) -> list[str]:
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    return [f"{d.span.line}:{d.span.col}: {d.message}" for d in diags.errors]


def tlc_agrees(spec: pyspec.Spec, model: str = "m") -> None:
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(spec, model, resolve(jar_path()))
    assert not problems, "\n".join(problems)


def verdicts(spec: pyspec.Spec, model: str = "m", engine: str = "python") -> dict[str, str]:
    return {r.property: r.verdict for r in check_model(spec, model, engine=engine)}


# ====================================================================== 1
# A fairness argument that reads the state

# SimpleAllocator.tla (tlaplus/Examples, specifications/allocator) with its
# own fairness of Return: spec/corpus/simple_allocator.pyspec writes the
# weaker fair(c) action Return (WF_vars(\E S : Return(c, S))).
ALLOCATOR = """\
spec SimpleAllocator
\"\"\"Merz's SimpleAllocator with WF_vars(Return(c, alloc[c])).\"\"\"
sort Client
sort Resource

const CLIENTS: set[Client] = {Client.c1, Client.c2, Client.c3}
const RESOURCES: set[Resource] = {Resource.r1, Resource.r2}

var unsat: map[Client, set[Resource]] = {c: set() for c in CLIENTS}
var alloc: map[Client, set[Resource]] = {c: set() for c in CLIENTS}

def available() -> set[Resource]: RESOURCES - unions({alloc[c] for c in CLIENTS})

action Request(c in CLIENTS, S in subsets(RESOURCES)):
    await unsat[c] == set() and alloc[c] == set()
    await S != set()
    unsat[c] = S

strong fair(c) action Allocate(c in CLIENTS, S in subsets(RESOURCES)):
    await S != set() and S <= available() & unsat[c]
    alloc[c] = alloc[c] | S
    unsat[c] = unsat[c] - S

action Return(c in CLIENTS, S in subsets(RESOURCES)):
    await S != set() and S <= alloc[c]
    alloc[c] = alloc[c] - S

FAIRNESS

invariant ResourceMutex:
    forall c1 in CLIENTS, c2 in CLIENTS: c1 != c2 implies alloc[c1] & alloc[c2] == set()

temporal ClientsWillReturn:
    forall c in CLIENTS: unsat[c] == set() leads_to alloc[c] == set()
temporal ClientsWillObtain:
    forall c in CLIENTS, r in RESOURCES: r in unsat[c] leads_to r in alloc[c]
temporal InfOftenSatisfied:
    forall c in CLIENTS: always eventually unsat[c] == set()

model original:
    check ResourceMutex
    check ClientsWillReturn: EXPECTED
    check ClientsWillObtain: EXPECTED
    check InfOftenSatisfied: EXPECTED
"""
RETURN_ALL = "fair Ret(c in CLIENTS): Return(c, alloc[c])"


def allocator(fairness: str = RETURN_ALL, expected: str = "holds") -> pyspec.Spec:
    return load(ALLOCATOR.replace("FAIRNESS", fairness).replace("EXPECTED", expected), "allocator.pyspec")


@pytest.mark.parametrize("engine", ENGINES)
def test_simple_allocator_with_its_own_fairness_of_return(engine):
    reports = check_model(allocator(), "original", engine=engine)
    assert {r.property: r.verdict for r in reports} == {
        "ResourceMutex": "ok", "deadlock": "ok", "ClientsWillReturn": "ok", "ClientsWillObtain": "ok",
        "InfOftenSatisfied": "ok"}
    assert all(r.distinct_states == 400 for r in reports)  # TLC's count on the original


def test_without_it_the_allocator_starves():
    got = verdicts(allocator("", "violated"), "original")
    assert got["ClientsWillReturn"] == got["ClientsWillObtain"] == got["InfOftenSatisfied"] == "violated"


def test_the_condition_names_the_instance_the_state_picks():
    cm = CompiledModel(allocator(), "original")
    ret = [f for f in cm.fairness if f.what.startswith("fair Ret")]
    assert len(ret) == 3 and all(f.at is not None for f in ret)
    f = ret[0]  # c1
    who = {a.aid: a.self_value for a in cm.actions}
    assert {who[a] for a in f.aids} == {(0, S) for S in (frozenset(), frozenset({0}), frozenset({1}),
                                                          frozenset({0, 1}))}
    s0 = cm.initial_states()[0]
    assert [who[a] for a in f.named(s0)] == [(0, frozenset())]  # alloc[c1] is empty: Return(c1, {})
    # in every reachable state, the one instance Return(c1, S) with S what c1 holds there
    seen, todo, sizes = {s0}, [s0], set()
    while todo:
        s = todo.pop()
        (aid,) = f.named(s)
        held = dict(cm.to_values(s)["alloc"].items())
        c1 = next(k for k in held if str(k).endswith("c1"))
        assert len(who[aid][1]) == len(held[c1])
        sizes.add(len(held[c1]))
        for t in cm.next_states(s):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    assert len(seen) == 400 and sizes == {0, 1, 2}


def test_export_writes_it_as_tla_does():
    module, _, _ = render_module(allocator())
    assert "/\\ \\A c \\in CLIENTS : WF_vars(Return(c, alloc[c]))\n" in module
    assert "Ret(c) ==" not in module  # one part, every argument given: no operator


@needs_tlc
def test_tlc_agrees_on_the_allocator():
    tlc_agrees(allocator(), "original")


# A holder takes resources (not fair) and returns some or all of them.
# Weak fairness of returning everything held (Return(held), the instance
# the state picks) empties it infinitely often; weak fairness of returning
# any part (Return(_)) is met by returning r1 and taking it back forever.
HOLD = """\
spec Hold
\"\"\"A holder that takes and returns resources.\"\"\"
sort Res
const RES: set[Res] = {Res.r1, Res.r2}
var held: set[Res] = set()

action Take(S in subsets(RES)):
    await S != set() and S & held == set()
    held = held | S
action Return(S in subsets(RES)):
    await S != set() and S <= held
    held = held - S

FAIRNESS

invariant Held: held <= RES
temporal Empties: always eventually held == set()

model m:
    check Held
    check Empties: EXPECTED
"""
HOLD_CASES = [
    ("fair Ret: Return(held)", "holds"),
    ("fair Ret: Return(_)", "violated"),
    ("strong fair Ret: Return(_)", "violated"),
    ("fair Ret: Return(RES - held)", "violated"),  # never enabled: no condition at all
    ("fair Ret: Return(held) or Take(RES - held)", "violated"),  # met by taking what is left
]


def hold(fairness: str, expected: str = "holds", extra: str = "") -> pyspec.Spec:
    return load(HOLD.replace("FAIRNESS", fairness).replace("EXPECTED", expected) + extra, "hold.pyspec")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fairness, expected", HOLD_CASES)
def test_the_state_picks_the_instance(fairness, expected, engine):
    rep = check(hold(fairness, expected), "m", property="Empties", engine=engine)
    assert rep.verdict == ("ok" if expected == "holds" else "violated"), rep.message
    assert rep.distinct_states == 4


def test_the_state_form_and_the_wildcard_form_differ():
    assert dict(HOLD_CASES)["fair Ret: Return(held)"] == "holds"
    assert dict(HOLD_CASES)["fair Ret: Return(_)"] == "violated"


def test_the_lasso_of_the_wildcard_form_returns_a_part_again_and_again():
    rep = check(hold("fair Ret: Return(_)", "violated"), "m", property="Empties")
    loop = rep.trace[rep.loop_start:]
    assert all(st.state["held"] for st in loop)
    steps = [st.process for st in loop[1:]] + ["(closing)"]
    assert "Return" in steps and "Take" in steps


@needs_tlc
@pytest.mark.parametrize("fairness, expected", HOLD_CASES)
def test_tlc_agrees_on_the_holder(fairness, expected):
    tlc_agrees(hold(fairness, expected))


# An instance of a process picked by the state: the worker whose turn it
# is.  Once one worker is done, the other's instance is enabled only every
# other state (the switcher is fair): weak fairness does not force it,
# strong fairness does.
TURNS = """\
spec Turns
\"\"\"Two workers, each with one job; a switcher passes the turn around.\"\"\"
var turn: 1..2 = 1
var done: map[1..2, bool] = {i: False for i in 1..2}

process worker(self in 1..2):
    go:
        done[self] = True

fair process switcher:
    while True:
        sw:
            turn = 3 - turn

FAIRNESS

temporal AllDone: forall i in 1..2: eventually done[i]

model m:
    check AllDone: EXPECTED
    deadlock: ignore
"""
TURNS_CASES = [
    ("fair F: worker[turn]", "violated"),
    ("strong fair F: worker[turn]", "holds"),
    ("fair F: worker[turn].go", "violated"),
    ("strong fair F: worker[turn].go", "holds"),
    ("fair F: worker[_]", "holds"),
]


@pytest.mark.parametrize("fairness, expected", TURNS_CASES)
def test_a_process_instance_picked_by_the_state(fairness, expected):
    s = load(TURNS.replace("FAIRNESS", fairness).replace("EXPECTED", expected), "turns.pyspec")
    assert check(s, "m", property="AllDone").verdict == ("ok" if expected == "holds" else "violated")


@needs_tlc
@pytest.mark.parametrize("fairness, expected", TURNS_CASES[:2])
def test_tlc_agrees_on_the_process_instance(fairness, expected):
    tlc_agrees(load(TURNS.replace("FAIRNESS", fairness).replace("EXPECTED", expected), "turns.pyspec"))


IMPL = """\
spec Impl
\"\"\"The holder again, under other names.\"\"\"
import hold as H
sort Res
const RES: set[Res] = {Res.r1, Res.r2}
var h: set[Res] = set()

action Grab(S in subsets(RES)):
    await S != set() and S & h == set()
    h = h | S
action Drop(S in subsets(RES)):
    await S != set() and S <= h
    h = h - S

FAIRNESS

refinement HSpec: H
    held = h

model m:
    check HSpec: EXPECTED
"""
IMPL_CASES = [("fair D: Drop(h)", "holds"), ("fair D: Drop(_)", "violated")]
RETURN_HELD = "fair Ret: Return(held)"


def impl(tmp_path, fairness: str, expected: str) -> pyspec.Spec:
    (tmp_path / "hold.pyspec").write_text(HOLD.replace("FAIRNESS", RETURN_HELD).replace("EXPECTED", "holds"))
    (tmp_path / "impl.pyspec").write_text(IMPL.replace("FAIRNESS", fairness).replace("EXPECTED", expected))
    return pyspec.load(str(tmp_path / "impl.pyspec"))


@pytest.mark.parametrize("fairness, expected", IMPL_CASES)
def test_refinement_of_a_spec_whose_fairness_reads_the_state(tmp_path, fairness, expected):
    """The abstract condition names, in each mapped state, the instance its
    argument picks there."""
    rep = check(impl(tmp_path, fairness, expected), "m", property="HSpec")
    assert rep.verdict == ("ok" if expected == "holds" else "violated"), rep.message
    if expected == "violated":
        assert "its 'fair Ret' (WF) is enabled in every state of the loop" in rep.message


@needs_tlc
@pytest.mark.parametrize("fairness, expected", IMPL_CASES)
def test_tlc_agrees_on_the_refinement(tmp_path, fairness, expected):
    tlc_agrees(impl(tmp_path, fairness, expected))


def test_a_value_outside_the_domain_is_an_error_of_the_run():
    text = """\
spec E
var x: 0..2 = 1
action Set(k in 1..2):
    x = k
action Zero:
    x = 0
fair F: Set(x)
temporal T: always eventually x == 2
model m:
    check T
"""
    for engine in ENGINES:
        rep = check(load(text), "m", property="T", engine=engine)
        assert rep.verdict == "error"
        assert rep.message.endswith(":7:13: 0 is not a value of parameter 'k' of action 'Set': no instance "
                                    "of fairness condition 'F' in this state")


def test_arguments_may_read_the_binders_the_state_and_defs():
    s = load(ALLOCATOR.replace("FAIRNESS", "def mine(c: Client) -> set[Resource]: alloc[c]\n"
                               "fair Ret(c in CLIENTS): Return(c, mine(c))").replace("EXPECTED", "holds"))
    assert verdicts(s, "original")["ClientsWillReturn"] == "ok"
    assert errors(ALLOCATOR.replace("FAIRNESS", "fair Ret(c in CLIENTS): Return(c, next(alloc[c]))")
                  .replace("EXPECTED", "holds")) == [
        "28:35: next(...) is only allowed in an 'action invariant' (TLA+'s [][A]_vars is 'action Name: A', "
        "without 'always')"]


def test_printer_and_formatter():
    s = allocator()
    printed = format_spec(s)
    assert "fair Ret(c in CLIENTS): Return(c, alloc[c])\n" in printed
    again = load(printed, "printed.pyspec")
    assert again.fairness == s.fairness and format_spec(again) == printed
    text = ALLOCATOR.replace("FAIRNESS", "fair Ret( c in CLIENTS ):Return( c,alloc[ c ] )").replace("EXPECTED", "holds")
    assert "fair Ret(c in CLIENTS): Return(c, alloc[c])\n" in format_source(text, "x.pyspec")


# ====================================================================== 2
# Fairness conditions as properties

# Take(c) is enabled only while turn[c] == 0 (and c has nothing); Spin(c)
# turns it over.
TOGGLE = """\
spec Toggle
\"\"\"A client that takes when its turn comes round.\"\"\"
sort Client
const CLIENTS: set[Client] = {Client.c1, Client.c2}
var got: map[Client, bool] = {c: False for c in CLIENTS}
var turn: map[Client, 0..1] = {c: 0 for c in CLIENTS}

action Take(c in CLIENTS):
    await not got[c] and turn[c] == 0
    got[c] = True
action Spin(c in CLIENTS):
    turn[c] = 1 - turn[c]

FAIRNESS

temporal WeakTake: forall c in CLIENTS: weak_fair(Take(c))
temporal StrongTake: forall c in CLIENTS: strong_fair(Take(c))
temporal Moves: forall c in CLIENTS: weak_fair(Take(c) or Spin(c)) and strong_fair(Spin(_))
temporal Steps: weak_fair(next)

model m:
    check WeakTake: WEAK
    check StrongTake: STRONG
    check Moves: MOVES
    check Steps: MOVES
"""
# (spec fairness, WeakTake, StrongTake, Moves and Steps)
TOGGLE_CASES = [
    # Spin fair: Take is never continuously enabled, infinitely often enabled
    ("fair S(c in CLIENTS): Spin(c)", "holds", "violated", "holds"),
    ("fair S(c in CLIENTS): Spin(c)\nstrong fair T(c in CLIENTS): Take(c)", "holds", "holds", "holds"),
    # only Take (weakly) fair: Spin may go on forever, or stop
    ("fair T(c in CLIENTS): Take(c)", "holds", "violated", "violated"),
    ("strong fair T(c in CLIENTS): Take(c)", "holds", "holds", "violated"),
    # nothing fair: the initial state may stutter forever
    ("", "violated", "violated", "violated"),
]


def toggle(fairness: str, weak: str, strong: str, moves: str) -> pyspec.Spec:
    return load(TOGGLE.replace("FAIRNESS", fairness).replace("WEAK", weak).replace("STRONG", strong)
                .replace("MOVES", moves), "toggle.pyspec")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", TOGGLE_CASES)
def test_fairness_as_a_property(case, engine):
    fairness, weak, strong, moves = case
    got = verdicts(toggle(*case), engine=engine)
    want = {"WeakTake": weak, "StrongTake": strong, "Moves": moves, "Steps": moves}
    assert {p: got[p] for p in want} == {p: "ok" if v == "holds" else "violated" for p, v in want.items()}


def test_the_lasso_of_strong_fairness():
    spec = toggle(*TOGGLE_CASES[0])
    rep = check(spec, "m", property="StrongTake")
    assert rep.message.startswith("violated: strong fair (StrongTake [c=Client.c1]): its steps are enabled in "
                                  "a state of the loop and no step of the loop is one of them; a lasso of ")
    loop = rep.trace[rep.loop_start:]
    assert all(st.process == "Spin" for st in loop[1:])

    def at(st, var):
        return dict(st.state[var]["#map"])["Client.c1"]

    assert any(at(st, "turn") == 0 and not at(st, "got") for st in loop)  # Take(c1) enabled there
    # the cycle is fair for the spec: each Spin(c) is taken on it
    cm = CompiledModel(spec, "m")
    types = state_types(spec)
    states = [cm.from_values({k: from_itf(v, types[k]) for k, v in st.state.items()}) for st in loop]
    taken = {(i.process, i.self) for a, b in zip(states, states[1:] + states[:1])
             for i, t in cm.successors(a) if t == b}
    assert {p for p, _ in taken} == {"Spin"} and len(taken) == 2


def test_the_lasso_of_weak_fairness():
    rep = check(toggle(*TOGGLE_CASES[4]), "m", property="WeakTake")
    assert rep.verdict == "violated" and len(rep.trace) == 1 and rep.loop_start == 0
    assert "its steps are enabled in every state of the loop" in rep.message


def test_a_state_dependent_argument_in_the_property():
    extra = "temporal FullReturns: weak_fair(Return(held))\n"
    for fairness, expected in [("fair Ret: Return(held)", "ok"), ("fair Ret: Return(_)", "violated")]:
        s = hold(fairness, "holds", extra)
        assert check(s, "m", property="FullReturns").verdict == expected
    module, _, _ = render_module(hold("fair Ret: Return(_)", "holds", extra))
    assert "FullReturns == WF_vars(Return(held))" in module


def test_export():
    module, _, _ = render_module(toggle(*TOGGLE_CASES[0]))
    assert "WeakTake == \\A c \\in CLIENTS : WF_vars(Take(c))\n" in module
    assert "StrongTake == \\A c \\in CLIENTS : SF_vars(Take(c))\n" in module
    assert ("Moves == \\A c \\in CLIENTS : WF_vars(Take(c) \\/ Spin(c)) /\\ "
            "SF_vars((\\E c_1_ \\in CLIENTS : Spin(c_1_)))\n") in module
    assert "Steps == WF_vars(Next)\n" in module


@needs_tlc
@pytest.mark.parametrize("case", TOGGLE_CASES)
def test_tlc_agrees_on_fairness_properties(case):
    tlc_agrees(toggle(*case))


@needs_tlc
def test_tlc_agrees_on_a_state_dependent_argument_in_the_property():
    extra = "temporal FullReturns: weak_fair(Return(held))\n"
    for fairness, expected in [("fair Ret: Return(held)", "holds"), ("fair Ret: Return(_)", "violated")]:
        text = HOLD.replace("FAIRNESS", fairness).replace("check Empties: EXPECTED", f"check FullReturns: {expected}")
        tlc_agrees(load(text.replace("temporal Empties", extra + "temporal Empties"), "hold.pyspec"))


def test_printer_round_trip_of_fairness_properties():
    s = toggle(*TOGGLE_CASES[0])
    printed = format_spec(s)
    assert "temporal Moves: forall c in CLIENTS: weak_fair(Take(c) or Spin(c)) and strong_fair(Spin(_))\n" \
        in printed
    assert "temporal Steps: weak_fair(next)\n" in printed
    again = load(printed, "printed.pyspec")
    assert again.properties == s.properties and format_spec(again) == printed


PRELUDE = """\
spec P
var x: 0..1 = 0
action A(p in 0..1):
    x = p
process w:
    s:
        x = 0
"""


@pytest.mark.parametrize("prop, message", [
    ("invariant I: weak_fair(A(0))", "9:14: 'weak_fair(...)' (TLA+'s WF_vars) is a temporal formula: it is "
                                     "only allowed in a 'temporal' property"),
    ("temporal T: not weak_fair(A(0))", "9:17: 'weak_fair(...)' cannot be used inside this expression"),
    ("temporal T: weak_fair(A(0)) or weak_fair(A(1))", "9:13: 'weak_fair(...)' cannot be used inside this "
                                                        "expression"),
    ("temporal T: always strong_fair(A(0))", "9:13: unsupported temporal formula"),
    ("temporal T: weak_fair(A(0), A(1))", "9:13: 'weak_fair' takes one argument"),
    ("temporal T: weak_fair(x)", "9:23: 'x' is a variable, not an action or a process"),
    ("temporal T: weak_fair(A(0, 1))", "9:23: action 'A' has 1 parameter (p), 2 arguments given"),
    ("temporal T: weak_fair(next or A)", "9:23: 'next' is every step of the spec: write it alone"),
    ("temporal T: weak_fair(w(1))", "9:23: 'w' is a process: name an instance with 'w[e]'"),
])
def test_errors(prop, message):
    errs = errors(PRELUDE + "fair F: w\n" + prop + "\n")
    assert any(e.startswith(message) for e in errs), errs


# ====================================================================== 3
# (always P) implies eventually Q

CORPUS = Path(__file__).parents[2] / "spec" / "corpus"

TERMINATION = """
temporal TerminationAsWritten:
    \"\"\"nbacg_guer01.tla's TerminationLtl as it is written there.\"\"\"
    (always (forall i in PROC: pc[i] != Status.BYZ and not someFail[i]))
    implies eventually (forall i in PROC: pc[i] in {Status.COMMIT, Status.ABORT})

model termination:
    check TerminationAsWritten
    deadlock: holds
"""


def nbacg() -> pyspec.Spec:
    return load((CORPUS / "nbacg_guer01.pyspec").read_text() + TERMINATION, "nbacg_guer01.pyspec")


def test_termination_ltl_as_written():
    s = nbacg()
    rep = check(s, "termination", property="TerminationAsWritten")
    assert rep.verdict == "ok" and rep.distinct_states == 24922  # TLC's count on the original
    module, _, _ = render_module(s)
    assert ("TerminationAsWritten == ([](\\A i \\in PROC : (pc[i] # \"BYZ\") /\\ (~someFail[i]))) => "
            "(<>(\\A i \\in PROC : pc[i] \\in {\"COMMIT\", \"ABORT\"}))") in module


@needs_tlc
def test_tlc_agrees_on_termination_ltl():
    tlc_agrees(nbacg(), "termination")


LAMP = """\
spec Lamp
\"\"\"A lamp that a fair switch turns on; a breaker (not fair) may cut it.\"\"\"
var on: bool = False
var cut: bool = False

action Switch:
    await not cut
    on = not on
action Break:
    await not cut
    cut = True
    on = False
fair S: Switch

temporal LitIfPowered: (always not cut) implies eventually on
temporal LitAgainIfPowered: (always not cut) implies always eventually on
temporal Lit: eventually on
temporal DarkIfPowered: (always not cut) implies eventually (on and cut)

model m:
    check LitIfPowered
    check LitAgainIfPowered
    check Lit: violated
    check DarkIfPowered: violated
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_the_premise_restricts_the_behaviours(engine):
    got = verdicts(load(LAMP), engine=engine)
    assert {p: got[p] for p in ("LitIfPowered", "LitAgainIfPowered", "Lit", "DarkIfPowered")} == {
        "LitIfPowered": "ok", "LitAgainIfPowered": "ok", "Lit": "violated", "DarkIfPowered": "violated"}


def test_a_counterexample_keeps_the_premise():
    rep = check(load(LAMP), "m", property="DarkIfPowered")
    assert rep.message.startswith("violated: always implies eventually (DarkIfPowered)")
    assert all(not st.state["cut"] for st in rep.trace)


def test_printer_round_trip_and_export_of_the_premise():
    s = load(LAMP)
    printed = format_spec(s)
    assert "temporal LitIfPowered: (always not cut) implies eventually on\n" in printed
    assert "temporal LitAgainIfPowered: (always not cut) implies always eventually on\n" in printed
    assert load(printed, "printed.pyspec").properties == s.properties
    module, _, _ = render_module(s)
    assert "LitIfPowered == ([](~cut)) => (<>on)" in module
    assert "LitAgainIfPowered == ([](~cut)) => ([](<>on))" in module


@needs_tlc
def test_tlc_agrees_on_the_lamp():
    tlc_agrees(load(LAMP))


@pytest.mark.parametrize("prop", [
    "temporal T: (eventually on) implies eventually cut",
    "temporal T: (always on) implies always cut",
    "temporal T: (always eventually on) implies eventually cut",
])
def test_other_premises_are_refused(prop):
    errs = errors(LAMP.split("temporal LitIfPowered")[0] + prop + "\n")
    assert errs and ("unsupported temporal formula" in errs[0] or "cannot be used inside" in errs[0]), errs
