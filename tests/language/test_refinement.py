"""Refinement: ``import tcommit as TC`` and ``refinement TCSpec: TC``, TLA+'s
``TC == INSTANCE TCommit`` and ``PROPERTY TC!TCSpec`` (docs/language.md,
Refinement; docs/semantics.md, Refinement).

Every behaviour of the spec, mapped onto the abstract spec, must be one of
its behaviours: each initial state maps to an initial state, each step to a
step of the abstract spec or a stutter, and the abstract spec's fairness
holds on the mapped behaviours.  Checked here: a refinement that holds
(TwoPhase refines TCommit, from the corpus), a broken implementation (an
RM commits after another aborted) reported with its trace, an initial
state that maps outside, fairness that holds and fails (weak and strong),
both engines, TLC on the export (with a jar), the located errors of bad
mappings and the CLI's exit code, the export, the printer and simulation.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.cli import main
from pyspec.engines.embedded import check, check_model, simulate
from pyspec.printer import format_spec
from pyspec.tla.export import export_spec

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")

CORPUS = Path(__file__).parents[2] / "spec" / "corpus"
TWO_PHASE = CORPUS / "two_phase.pyspec"


def tlc_problems(spec: pyspec.Spec, model: str) -> list[str]:
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    return compare_model(spec, model, resolve(jar_path()))


def two_phase_variant(tmp_path: Path, name: str, edit) -> pyspec.Spec:
    """The corpus TwoPhase, edited, next to a copy of TCommit."""
    shutil.copy(CORPUS / "tcommit.pyspec", tmp_path / "tcommit.pyspec")
    text = edit(TWO_PHASE.read_text(encoding="utf-8").replace("spec TwoPhase\n", f"spec {name}\n"))
    path = tmp_path / f"{name.lower()}.pyspec"
    path.write_text(text, encoding="utf-8")
    return pyspec.load(str(path))


# The bug: a prepared RM commits on its own once another has aborted.
MUTANT_ACTION = '''
action RMCommitAnyway(rm in RM):
    """Commits without the TM's Commit message, after another RM aborted."""
    await rm_state[rm] == RMState.prepared and exists r in RM: rm_state[r] == RMState.aborted
    rm_state[rm] = RMState.committed

refinement TCSpec: TC
'''


def mutant(tmp_path: Path) -> pyspec.Spec:
    def edit(text: str) -> str:
        text = text.replace("refinement TCSpec: TC\n", MUTANT_ACTION)
        return text + "\nmodel broken:\n    check TCSpec: violated\n    deadlock: ignore\n" \
            "\nmodel broken_sym:\n    symmetry: RM\n    check TCSpec: violated\n    deadlock: ignore\n"
    return two_phase_variant(tmp_path, "TwoPhaseMutant", edit)


def bad_init(tmp_path: Path) -> pyspec.Spec:
    def edit(text: str) -> str:
        text = text.replace("{rm: RMState.working for rm in RM}",
                            "{rm: RMState.prepared if rm == RM.r1 else RMState.working for rm in RM}")
        return text + "\nmodel started:\n    check TCSpec: violated\n    deadlock: ignore\n"
    return two_phase_variant(tmp_path, "TwoPhaseStarted", edit)


# ------------------------------------------------------------------ init and steps

@pytest.mark.parametrize("engine", ["python", "compiled"])
def test_two_phase_refines_tcommit(engine):
    spec = pyspec.load(str(TWO_PHASE))
    assert spec.prop("TCSpec").kind == "refinement"
    reports = check_model(spec, "refines_tcommit", engine=engine)
    assert {r.property: r.verdict for r in reports} == {"TCSpec": "ok", "deadlock": "ok"}
    assert all(r.distinct_states == 288 for r in reports)  # TLC's count on the original


def _report_fields(r):
    return (r.property, r.verdict, r.kind, r.distinct_states, r.generated_states, r.depth, r.message,
            [(s.process, s.label, s.params, s.state) for s in r.trace])


@pytest.mark.parametrize("variant,model", [(None, "refines_tcommit"), ("mutant", "broken"),
                                           ("mutant", "broken_sym"), ("bad_init", "started")])
def test_the_compiled_engine_checks_refinements_itself(tmp_path, variant, model):
    """The compiled loop checks a refinement's steps as an action property
    keyed by the bits the mapping reads: no hand-over to the Python engine
    (no note), and the Python engine's reports, traces included."""
    pytest.importorskip("numba", reason="numba is not installed: the compiled engine cannot run")
    from pyspec.engines.compiled import search

    spec = {None: lambda _: pyspec.load(str(TWO_PHASE)), "mutant": mutant, "bad_init": bad_init}[variant](tmp_path)
    searched, real = [], search._Search.run

    def spy(self):
        searched.append(any(name == "TCSpec" for name, *_ in self.tb.aparts))
        return real(self)

    notes: list[str] = []
    search._Search.run = spy
    try:
        compiled = check_model(spec, model, engine="compiled", note=notes.append)
    finally:
        search._Search.run = real
    assert notes == [] and searched == [True]
    assert [_report_fields(r) for r in compiled] == \
        [_report_fields(r) for r in check_model(spec, model, engine="python")]


@pytest.mark.parametrize("engine", ["python", "compiled"])
def test_a_broken_implementation_is_reported_with_its_trace(tmp_path, engine):
    spec = mutant(tmp_path)
    rep = check(spec, "broken", property="TCSpec", engine=engine)
    assert rep.verdict == "violated" and rep.kind == "action"
    assert [s.process for s in rep.trace] == [None, "RMPrepare", "RMChooseToAbort", "RMCommitAnyway"]
    assert rep.message.startswith("the step RMCommitAnyway(RM.r1) (")
    assert "maps to no step of TCommit: no action of TCommit allows " \
           "rm_state[RM.r1]: RMState.prepared -> RMState.committed" in rep.message


def test_with_symmetry_the_trace_is_a_real_behaviour(tmp_path):
    spec = mutant(tmp_path)
    rep = check(spec, "broken_sym", property="TCSpec")
    assert rep.verdict == "violated" and len(rep.trace) == 4 and rep.distinct_states < 55
    last = rep.trace[-1]
    assert last.process == "RMCommitAnyway"


def test_an_initial_state_that_maps_outside(tmp_path):
    spec = bad_init(tmp_path)
    rep = check(spec, "started", property="TCSpec")
    assert rep.verdict == "violated" and rep.kind == "invariant" and len(rep.trace) == 1
    assert rep.message == ("an initial state maps to a state that is not an initial state of TCommit: "
                           "rm_state = {RM.r1: RMState.prepared, RM.r2: RMState.working, RM.r3: RMState.working}")


def test_simulation_checks_initial_states_and_steps(tmp_path):
    rep = simulate(mutant(tmp_path), "broken", runs=200, seed=1)
    assert rep.verdict == "violated" and rep.property == "TCSpec" and rep.kind == "action"
    assert "maps to no step of TCommit" in rep.message


@needs_tlc
def test_tlc_agrees_on_two_phase():
    assert tlc_problems(pyspec.load(str(TWO_PHASE)), "refines_tcommit") == []


@needs_tlc
@pytest.mark.parametrize("model", ["broken", "broken_sym"])
def test_tlc_agrees_on_the_broken_implementation(tmp_path, model):
    assert tlc_problems(mutant(tmp_path), model) == []


@needs_tlc
def test_tlc_agrees_on_the_initial_state(tmp_path):
    assert tlc_problems(bad_init(tmp_path), "started") == []


@needs_tlc
def test_tlc_reports_the_refinement_in_the_specs_words(tmp_path):
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model as tlc_check_model

    spec = mutant(tmp_path)
    ((_, rep),) = tlc_check_model(spec, spec.model("broken"), resolve(jar_path()))
    assert rep.verdict == "violated" and rep.property == "TCSpec" and rep.kind == "action"
    assert [s.process for s in rep.trace] == [None, "RMPrepare", "RMChooseToAbort", "RMCommitAnyway"]


# ------------------------------------------------------------------ fairness

# The abstract spec: a switch flips until it is finished, from on; Finish
# is fair (FAIR: 'fair' or 'strong fair').
SWITCH = '''\
spec Switch
"""A switch that flips until it is finished, from on."""
var x: 0..1 = 0
var done: bool = False

action Flip:
    await not done
    x = 1 - x

FAIR action Finish:
    await x == 1 and not done
    done = True
'''

# The implementation: a lamp, dark or lit, finished from lit (its own
# fairness: FLIP, FINISH); the mapping is not the identity.
LAMP = '''\
spec Lamp
import switch as S
enum Phase: dark, lit, finished
var phase: Phase = Phase.dark

FLIP action Toggle:
    await phase != Phase.finished
    phase = Phase.lit if phase == Phase.dark else Phase.dark

FINISH action Finish:
    await phase == Phase.lit
    phase = Phase.finished

refinement Refines: S
    x = 0 if phase == Phase.dark else 1
    done = phase == Phase.finished

model m:
    check Refines: EXPECTED
    deadlock: ignore
'''

# (abstract Finish, the lamp's Finish, the lamp's Toggle, expected)
FAIRNESS = [
    ("fair", "fair", "fair", "holds"),
    ("fair", "", "", "violated"),  # stutters lit forever: Finish stays enabled
    ("fair", "", "fair", "holds"),  # toggles forever: Finish is not continuously enabled
    ("strong fair", "strong fair", "fair", "holds"),
    ("strong fair", "fair", "fair", "violated"),  # enabled every other state, never taken
    ("strong fair", "", "fair", "violated"),
]
FAIR_IDS = [f"{a or 'unfair'}-{b or 'unfair'}-{c or 'unfair'}" for a, b, c, _ in FAIRNESS]


def lamp(tmp_path: Path, abstract: str, finish: str, toggle: str, expected: str) -> pyspec.Spec:
    (tmp_path / "switch.pyspec").write_text(SWITCH.replace("FAIR ", abstract + " "), encoding="utf-8")
    text = LAMP.replace("FINISH ", finish + " " if finish else "").replace("FLIP ", toggle + " " if toggle else "")
    (tmp_path / "lamp.pyspec").write_text(text.replace("EXPECTED", expected), encoding="utf-8")
    return pyspec.load(str(tmp_path / "lamp.pyspec"))


@pytest.mark.parametrize("abstract, finish, toggle, expected", FAIRNESS, ids=FAIR_IDS)
def test_the_abstract_specs_fairness(tmp_path, abstract, finish, toggle, expected):
    spec = lamp(tmp_path, abstract, finish, toggle, expected)
    for engine in ("python", "compiled"):
        rep = check(spec, "m", property="Refines", engine=engine)
        assert rep.verdict == ("ok" if expected == "holds" else "violated"), rep.message
        assert rep.distinct_states == 3
        if expected == "violated":
            kw = "WF" if abstract == "fair" else "SF"
            assert rep.kind == "liveness" and rep.loop_start is not None
            assert rep.message.startswith(f"violated: the fairness of Switch fails on the mapped behaviour: its "
                                          f"'{abstract} action Finish' ({kw}) is enabled in ")


def test_ewd840_implements_sync_termination_detection():
    spec = pyspec.load(str(CORPUS / "ewd840.pyspec"))
    rep = check(spec, "original", property="TDSpec")
    assert rep.verdict == "ok" and rep.distinct_states == 302 and rep.kind == "liveness"


def test_ewd840_without_its_fairness_does_not(tmp_path):
    shutil.copy(CORPUS / "sync_termination_detection.pyspec", tmp_path)
    text = (CORPUS / "ewd840.pyspec").read_text(encoding="utf-8")
    text = text.replace("fair System: InitiateProbe or PassToken", "").replace("    check Liveness\n", "")
    (tmp_path / "ewd840.pyspec").write_text(text, encoding="utf-8")
    rep = check(pyspec.load(str(tmp_path / "ewd840.pyspec")), "original", property="TDSpec")
    assert rep.verdict == "violated" and rep.kind == "liveness"
    assert "'fair action DetectTermination' (WF)" in rep.message
    # terminated from the start, and the token never comes back: detection never happens
    assert rep.trace[rep.loop_start].state["active"] == {"#map": [[0, False], [1, False], [2, False]]}


@needs_tlc
@pytest.mark.parametrize("abstract, finish, toggle, expected", FAIRNESS, ids=FAIR_IDS)
def test_tlc_agrees_on_fairness(tmp_path, abstract, finish, toggle, expected):
    assert tlc_problems(lamp(tmp_path, abstract, finish, toggle, expected), "m") == []


@needs_tlc
def test_tlc_agrees_on_ewd840():
    assert tlc_problems(pyspec.load(str(CORPUS / "ewd840.pyspec")), "original") == []


# ------------------------------------------------------------------ errors

ABSTRACT = '''\
spec Abstract
enum Phase: a, b
const K: int = 2
var n: 0..3 = 0
var phase: Phase = Phase.a
action Up:
    await n < K
    n = n + 1
'''

CONCRETE = '''\
spec Concrete
import abstract as A
enum Phase: a, b
const K: int = 2
var n: 0..3 = 0
var phase: Phase = Phase.a
var m: int = 0
action Up:
    await n < K
    n = n + 1
refinement R: A
BINDINGS
model m:
    check R
    deadlock: ignore
'''


def errors(tmp_path: Path, bindings: str = "", abstract: str = ABSTRACT, concrete: str = CONCRETE) -> list[str]:
    (tmp_path / "abstract.pyspec").write_text(abstract, encoding="utf-8")
    (tmp_path / "concrete.pyspec").write_text(concrete.replace("BINDINGS\n", bindings), encoding="utf-8")
    _, diags = pyspec.load_with_diagnostics(str(tmp_path / "concrete.pyspec"))
    return [f"{Path(d.span.file).name}:{d.span.line}:{d.span.col}: {d.message}" for d in diags.errors]


def test_names_map_to_their_namesakes(tmp_path):
    assert errors(tmp_path) == []
    spec = pyspec.load(str(tmp_path / "concrete.pyspec"))
    ref = spec.prop("R").refinement
    assert [n for n, _ in ref.variables] == ["n", "phase"] and [n for n, _ in ref.constants] == ["K"]
    assert check(spec, "m").verdict == "ok"


@pytest.mark.parametrize("bindings, message", [
    ("    phse = phase\n", "concrete.pyspec:12:5: Abstract has no variable or constant 'phse' (did you mean "
                           "'phase'?): a refinement maps the variables and constants of Abstract"),
    ("    n = phase\n", "concrete.pyspec:12:9: type mismatch: the variable 'n' of Abstract has type 'int', the "
                       "expression mapped to it has type 'Phase'"),
    ("    K = m\n", "concrete.pyspec:12:9: the constant 'K' of Abstract is bound to an expression that reads "
                   "variable 'm': bind it to a constant expression (constants, defs of constants)"),
    ("    n = next(m)\n", None),  # next() is no state expression: the checker's own message
    ("    n = m\n    n = 0\n", "concrete.pyspec:13:5: 'n' is mapped twice in refinement 'R'"),
])
def test_bad_mappings_are_located(tmp_path, bindings, message):
    errs = errors(tmp_path, bindings)
    assert len(errs) == 1, errs
    if message is not None:
        assert errs == [message]
    else:
        assert errs[0].startswith("concrete.pyspec:12:")


def test_an_enum_with_other_values_is_another_type(tmp_path):
    concrete = CONCRETE.replace("enum Phase: a, b", "enum Phase: a, c")
    assert errors(tmp_path, concrete=concrete) == [
        "concrete.pyspec:11:12: type mismatch: the variable 'phase' of Abstract has type 'Phase', this spec's "
        "variable 'phase' (mapped to it by name) has type 'Phase' (enum Phase has values a, b in Abstract, a, c "
        "here): map it explicitly ('phase = ...')"]


def test_unmapped_names(tmp_path):
    concrete = CONCRETE.replace("var phase: Phase = Phase.a\n", "").replace("const K: int = 2\n", "") \
        .replace("n < K", "n < 2")
    assert errors(tmp_path, concrete=concrete) == [
        "concrete.pyspec:9:12: refinement 'R' does not map the variable 'phase' of Abstract: map it on a line of "
        "its own below ('phase = <expression over this spec's state>'), or declare a variable 'phase'",
        "concrete.pyspec:9:12: refinement 'R' does not bind the constant 'K' of Abstract: bind it on a line of its "
        "own below ('K = <constant expression>'), or declare a constant 'K'"]


def test_what_can_be_refined(tmp_path):
    assert errors(tmp_path, concrete=CONCRETE.replace("refinement R: A", "refinement R: B")) == [
        "concrete.pyspec:11:15: refinement 'R' refines 'B', which names no spec imported with 'import <spec> as B'"]
    with_process = ABSTRACT + "process p:\n    s:\n        n = 0\n"
    assert errors(tmp_path, abstract=with_process) == [
        "concrete.pyspec:11:15: cannot refine Abstract: it has processes (p), whose program counters and locals "
        "a refinement cannot map; write the abstract spec with actions (its state is then its variables)"]
    assert errors(tmp_path, concrete=CONCRETE.replace("import abstract as A", "import nothing as A")) == [
        "concrete.pyspec:2:8: cannot find spec 'nothing' ('nothing.pyspec' next to this file)"]


def test_errors_of_the_abstract_spec_are_reported_where_they_are(tmp_path):
    assert errors(tmp_path, abstract=ABSTRACT.replace("n = n + 1", "n = undefined_name")) == [
        "abstract.pyspec:8:9: undefined name 'undefined_name'",
        "concrete.pyspec:2:8: the spec 'abstract' imported as A has errors"]


def test_a_cycle_of_imports(tmp_path):
    abstract = ABSTRACT.replace("spec Abstract\n", "spec Abstract\nimport concrete as C\n")
    errs = errors(tmp_path, abstract=abstract)
    assert "abstract.pyspec:2:8: circular 'import ... as': concrete.pyspec -> abstract.pyspec -> concrete.pyspec" \
        in errs


def test_the_cli_exits_with_2_on_a_bad_mapping(tmp_path, capsys):
    errors(tmp_path, "    K = m\n")
    assert main(["lint", str(tmp_path / "concrete.pyspec")]) == 2
    assert main(["check", str(tmp_path / "concrete.pyspec")]) == 2
    assert "bind it to a constant expression" in capsys.readouterr().err


# ------------------------------------------------------------------ export, printer

def test_the_export_instantiates_the_abstract_module():
    exp = export_spec(pyspec.load(str(TWO_PHASE)))
    assert set(exp.files) == {"TwoPhase.tla", "TCommit.tla", "MC_original.tla", "MC_original.cfg",
                              "MC_refines_tcommit.tla", "MC_refines_tcommit.cfg"}
    module = exp.files["TwoPhase.tla"]
    assert "TC == INSTANCE TCommit WITH\n    rm_state <- rm_state,\n    RM <- RM\n" in module
    assert "\nTCSpec == TC!Spec\n" in module
    assert "PROPERTY\n    TCSpec\n" in exp.files["MC_refines_tcommit.cfg"]
    assert exp.files["TCommit.tla"] == export_spec(pyspec.load(str(CORPUS / "tcommit.pyspec"))).files["TCommit.tla"]


def test_the_printer_writes_the_import_and_every_mapping(tmp_path):
    spec = pyspec.load(str(CORPUS / "ewd840.pyspec"))
    printed = format_spec(spec)
    assert printed.startswith("spec EWD840\n") and "\nimport sync_termination_detection as TD\n" in printed
    assert ("refinement TDSpec: TD\n    active = active\n    termination_detected = termination_detected()\n"
            "    N = N\n    NODES = NODES\n") in printed
