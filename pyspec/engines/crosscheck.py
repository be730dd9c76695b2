"""The embedded engine against TLC, property by property.

Both engines answer the same questions (docs/semantics.md is the contract);
this module runs both on a model and lists where they disagree:

- the verdict of every property (and of deadlock when the model checks it);
- for a property that holds, the number of distinct states (TLC counts
  orbits under symmetry, and so does the embedded engine);
- for a violated property, that TLC reports that property, with a
  counterexample of the same length for safety properties (both engines
  give shortest ones); lassos of temporal properties may differ in length.

:func:`compare_model` is what the cross-check test runs (few TLC runs: one
for everything the embedded engine says holds, one per violated property,
one of the whole model as TLC checks it by default); :func:`property_rows`
runs each property alone in both engines and times each run
(``bench/crosscheck.py`` writes them to ``bench/results/crosscheck.md``).
TLC runs through the TLC runner (:mod:`pyspec.engines.tlc.run`), so its
counterexamples are the runner's spec-level traces.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..ir import nodes as ir
from ..report import Report
from ..tla.export import ModelRun, checks_liveness
from .embedded.runner import check, check_model, compiled
from .tlc.jar import Tools
from .tlc.run import DEADLOCK, Job, Options, run_job

SAFETY = ("invariant", "action", "deadlock")


@dataclass
class Answer:
    """One engine's answer to one property (or to a whole model)."""

    verdict: str  # ok | violated | error | incomplete
    property: str | None  # the violated property (or "deadlock")
    kind: str | None
    distinct: int
    trace_len: int | None  # states in the counterexample (None: no counterexample)
    seconds: float
    message: str | None = None

    @classmethod
    def of(cls, rep: Report, seconds: float | None = None) -> Answer:
        trace = len(rep.trace) if rep.verdict == "violated" and rep.trace else None
        return cls(rep.verdict, rep.property if rep.verdict == "violated" else None, rep.kind,
                   rep.distinct_states, trace, rep.seconds if seconds is None else seconds, rep.message)


@dataclass
class Row:
    """Both engines on one property of one model."""

    spec: str
    model: str
    property: str
    kind: str  # invariant | action | liveness | deadlock
    emb: Answer
    tlc: Answer
    problems: list[str] = field(default_factory=list)


def prop_kind(spec: ir.Spec, name: str) -> str:
    if name == DEADLOCK:
        return "deadlock"
    prop = spec.prop(name)
    if prop.kind == "refinement":  # its initial states and steps, and the abstract spec's fairness
        from ..tla.refinement import is_liveness

        return "liveness" if is_liveness(prop) else "action"
    return {"invariant": "invariant", "action": "action", "temporal": "liveness"}[prop.kind]


def model_properties(spec: ir.Spec, model: ir.Model) -> list[str]:
    """The model's declared checks, then deadlock unless the model ignores it."""
    props = [c.property for c in model.checks]
    if model.deadlock != "ignore":
        props.append(DEADLOCK)
    return props


def _job(spec: ir.Spec, props: list[str], deadlock: bool, name: str) -> Job:
    run = ModelRun(check_deadlock=deadlock)
    for p in props:
        (run.invariants if spec.prop(p).kind == "invariant" else run.properties).append(p)
    run.expected = [f"cross-check: {name}"]
    run.symmetry = not checks_liveness(spec, run.properties)
    return Job(name, run)


def tlc_run(spec: ir.Spec, model: ir.Model, props: list[str], tools: Tools, workers: int = 1,
            timeout: float | None = None) -> Report:
    """One TLC run checking ``props`` ("deadlock" among them turns deadlock checking on)."""
    others = [p for p in props if p != DEADLOCK]
    job = _job(spec, others, DEADLOCK in props, "+".join(props) or "nothing")
    return run_job(spec, model, job, tools, Options(workers=str(workers), timeout=timeout))


def agree(kind: str, emb: Answer, tlc: Answer, prop: str | None = None) -> list[str]:
    """How the two answers (to one property, or to a whole model run) disagree."""
    what = prop or "the model"
    if tlc.verdict == "error" and emb.verdict != "error":
        return [f"{what}: TLC failed: {tlc.message}"]
    if emb.verdict != tlc.verdict:
        return [f"{what}: embedded {emb.verdict} ({emb.property}), TLC {tlc.verdict} ({tlc.property})"]
    out = []
    if emb.verdict == "ok" and emb.distinct != tlc.distinct:
        out.append(f"{what}: distinct states: embedded {emb.distinct:,}, TLC {tlc.distinct:,}")
    if emb.verdict == "violated":
        if prop is not None and tlc.property != prop:
            out.append(f"{what}: TLC reports {tlc.property} violated instead")
        if kind in SAFETY and emb.trace_len != tlc.trace_len:
            out.append(f"{what}: counterexample length: embedded {emb.trace_len}, TLC {tlc.trace_len}")
    return out


def compare_model(spec: ir.Spec, model_name: str, tools: Tools, timeout: float | None = None) -> list[str]:
    """Every disagreement between the engines on one model (empty: they agree).

    Runs the embedded engine once per model (one exploration for every
    safety property, one state-graph pass for the temporal ones) and TLC:

    1. on everything the embedded engine says holds, in one run: TLC must
       find no violation and the same number of distinct states;
    2. on each property the embedded engine says is violated, alone: TLC
       must report that property, and for safety properties a
       counterexample of the same length;
    3. when some safety property is violated, on the whole model as TLC
       checks it by default (every property and deadlock, stopping at the
       first violation): the same violated property, or, when several fail
       at the same depth, one the embedded engine also reports violated
       at that depth.
    """
    model = spec.model(model_name)
    props = model_properties(spec, model)
    reports = {r.property or DEADLOCK: r for r in check_model(spec, model_name)}
    problems = []
    for p in props:
        r = reports.get(p)
        if r is None:
            problems.append(f"{p}: the embedded engine gave no report")
        elif r.verdict not in ("ok", "violated"):
            problems.append(f"{p}: embedded {r.verdict}: {r.message}")
    if problems:
        return problems
    holds = [p for p in props if reports[p].verdict == "ok"]
    violated = [p for p in props if reports[p].verdict == "violated"]
    # with symmetry, liveness runs without it in both engines: its own TLC run
    groups = [holds] if holds else []
    if model.symmetry:
        live = [p for p in holds if prop_kind(spec, p) == "liveness"]
        groups = [g for g in ([p for p in holds if p not in live], live) if g]
    for group in groups:
        tlc = Answer.of(tlc_run(spec, model, group, tools, timeout=timeout))
        emb = Answer.of(reports[group[0]])
        if tlc.verdict == "violated" and tlc.property in group:
            problems.append(f"{tlc.property}: embedded ok, TLC violated")
        else:
            problems += agree("invariant", emb, tlc, " + ".join(group))
    for p in violated:
        tlc = Answer.of(tlc_run(spec, model, [p], tools, timeout=timeout))
        problems += agree(reports[p].kind, Answer.of(reports[p]), tlc, p)
    # a temporal property whose 'always' (or initial) part fails is violated
    # like an invariant (report kind "invariant"): both engines find it in the
    # breadth-first search, with a shortest counterexample
    safety_violated = [p for p in violated if reports[p].kind in SAFETY]
    if safety_violated and len(props) > 1:
        tlc = Answer.of(tlc_run(spec, model, props, tools, timeout=timeout))
        if tlc.verdict != "violated" or tlc.property not in violated:
            problems.append(f"whole model: TLC {tlc.verdict} ({tlc.property}); embedded violates "
                            f"{', '.join(violated)}")
        else:
            # TLC stops at the first violation of its breadth-first search: a
            # shortest one among the violated properties (when several fail at
            # the same depth, either may come first, in either engine)
            first = min(len(reports[p].trace) for p in safety_violated)
            emb = Answer.of(check(spec, model_name))
            if emb.trace_len != first:
                problems.append(f"whole model: embedded stops at {emb.property} (length {emb.trace_len}), "
                                f"its shortest safety violation has length {first}")
            if tlc.property in safety_violated:
                if tlc.trace_len != first or len(reports[tlc.property].trace) != first:
                    problems.append(f"whole model: TLC stops at {tlc.property} (length {tlc.trace_len}), "
                                    f"embedded at {emb.property} (length {emb.trace_len})")
            else:
                problems.append(f"whole model: TLC stops at the temporal property {tlc.property}, embedded "
                                f"at {emb.property}")
    return problems


def property_rows(spec: ir.Spec, model_name: str, tools: Tools, timeout: float | None = None,
                  props: list[str] | None = None, on_row=None) -> list[Row]:
    """Each property of a model checked alone by each engine, timed.

    Embedded times are wall clock of ``check(..., property=p)`` with the model
    already compiled (the compilation is timed once per model, see
    :func:`compile_seconds`); TLC times are wall clock of one TLC run (JVM
    start-up, parsing and the search)."""
    model = spec.model(model_name)
    rows = []
    for p in props if props is not None else model_properties(spec, model):
        kind = prop_kind(spec, p)
        t0 = time.monotonic()
        er = check(spec, model_name, property=p)
        emb = Answer.of(er, time.monotonic() - t0)
        tr = tlc_run(spec, model, [p], tools, timeout=timeout)
        tlc = Answer.of(tr)
        if tr.verdict == "error" and tr.message and "did not finish within" in tr.message:
            tlc.verdict = "timeout"
        row = Row(spec.path, model_name, p, kind, emb, tlc)
        row.problems = [] if tlc.verdict == "timeout" else agree(kind, emb, tlc, p)
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


def compile_seconds(spec: ir.Spec, model_name: str) -> float:
    """Compile the model (once per process): seconds taken, 0 when cached."""
    t0 = time.monotonic()
    compiled(spec, model_name)
    return time.monotonic() - t0
