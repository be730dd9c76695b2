"""Checking a model: explorations -> reports.

- :func:`check` answers one question the way TLC does: check one property
  (or every property of the model and deadlock) and stop at the first
  violation; one :class:`~pyspec.report.Report`.
- :func:`check_model` answers every declared check of a model (and deadlock)
  with as few explorations as possible: one breadth-first exploration for
  all safety properties (a property is dropped once violated, the run goes
  on for the others) and one state-graph pass for all temporal properties;
  one report per property.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from ...compile import CompiledModel, CompileError, compile_model
from ...compile.refinement import refinement_map
from ...ir import nodes as ir
from ...report import Report
from .bfs import ExploreResult, Options, Violation, explore, no_cyclic_gc
from .checkpoint import Checkpoint
from .trace import build_trace, concretize

ENGINE = "embedded"


@dataclass
class RunSettings:
    workers: int = 1
    max_states: int | None = None
    max_depth: int | None = None
    deadlock: bool = True  # False: --no-deadlock
    checkpoint: str | None = None
    checkpoint_every: float = 60.0
    recover: str | None = None
    progress: object = None
    seed: int | None = None
    engine: str = "auto"  # auto | compiled | python (docs/checker.md)
    note: object = None  # called with one line when the compiled engine cannot run a search


_CACHE: dict = {}


def compiled(spec: ir.Spec, model_name: str) -> CompiledModel:
    """Compile a model once per process (keyed by the spec object)."""
    key = (id(spec), model_name)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    cm = compile_model(spec, model_name)
    _CACHE[key] = (spec, cm)
    return cm


def _expected(model: ir.Model, prop: str | None) -> str | None:
    if prop is None:
        return None
    if prop == "deadlock":
        return model.deadlock if model.deadlock != "ignore" else None
    for c in model.checks:
        if c.property == prop:
            return c.expected
    return None


def _kind(spec: ir.Spec, prop: str) -> str:
    if prop == "deadlock":
        return "deadlock"
    k = spec.prop(prop).kind
    return {"invariant": "invariant", "action": "action", "temporal": "liveness", "refinement": "action"}[k]


def _base(spec: ir.Spec, model: ir.Model, **kw) -> Report:
    return Report(engine=ENGINE, spec=spec.path, model=model.name, **kw)


def _symmetry(cm: CompiledModel):
    if not cm.model.symmetry:
        return None
    from .symmetry import symmetry_of

    return symmetry_of(cm).canonical


_NOTED: set[int] = set()


#: ``--engine auto``: the Python engine starts (no start-up cost for the
#: many small models) and hands a search still running after this many
#: seconds (about the compiled engine's start-up: the module built ahead of
#: time, its tables, its first fills; a search that turns out short pays at
#: most twice) to the compiled engine at the next level boundary, unless its
#: levels shrink so fast that what is left would take less than that again
#: (bfs._hand_over).  With the module built ahead of time (library.py) the
#: corpus rows of 20,000 states and more gain from 0.05 s against 0.4 s
#: (same run, fresh processes, best of 3): acp_sb 0.69 -> 0.37-0.44 s,
#: dijkstra_mutex 0.42 -> 0.31-0.32, disruptor_mpmc 0.95 -> 0.57-0.70,
#: nbacg_guer01 0.41 -> 0.31-0.33, slush 1.10 -> 0.89-0.96, v2 small 1.24 ->
#: 1.02-1.20, lamport_mutex 2.40 -> 2.16-2.24; readers_writers 0.36 ->
#: 0.41-0.44 (its 0.3 s search gains less than the start-up) ...
HANDOVER_SECONDS = 0.05
#: ... or sooner, at the first level boundary where the level about to be
#: expanded would take the Python engine this many seconds at its rate so
#: far: the compiled engine's start-up is then paid back by that level
#: alone (the compiled loop expands states 3-10x faster), and the levels
#: after it only add to the gain; a model whose levels stay small never
#: loads the compiled engine.
HANDOVER_AHEAD = 0.1
#: ... or at one where the levels grow by bfs.HANDOVER_GROWTH (1.5) or more
#: and the next would take this many seconds: with the two after it, more
#: than numba's start-up (bfs._hand_over), and more than enough for the
#: module built ahead of time
HANDOVER_GROWING = 0.1
#: ... unless the Python engine's steps missed their memo more than this many
#: times per state expanded (a count per step instance): then the compiled
#: loop calls the Python steps for most states and runs no faster, after
#: numba's start-up.  Below it the compiled engine pays: disruptor_mpmc
#: 0.16, lamport_mutex 0.07.  Not asked of a model whose compiled steps are
#: keyed by projections of a message set (paxos, multi_paxos, slush): the
#: Python engine's memo, keyed by the whole set, misses far more often than
#: the compiled one (paxos without symmetry: about 40 misses per state in
#: Python, 2 compiled).
HANDOVER_MISSES = 8.0
#: HANDOVER_SECONDS and HANDOVER_AHEAD are this many times longer where the
#: compiled functions are numba's JIT (no module built ahead of time:
#: numba's start-up, about 0.45 s, is paid at the hand-over: 0.4 s and
#: 0.8 s).
JIT_STARTUP_FACTOR = 8.0
#: ``--workers N`` with ``auto``: what each worker process of the Python
#: engine adds to one process's rate (v2 big3: 1.57x with two workers,
#: docs/checker.md).  The compiled engine, in one process, keeps a search
#: handed over to it only while it expands states faster than N such
#: workers would (``WORKER_GAIN * N`` times the Python engine's rate);
#: otherwise the workers go on from the level boundary.
WORKER_GAIN = 0.75


def _explore(cm: CompiledModel, opts: Options, settings: RunSettings) -> ExploreResult:
    """The search, by the engine ``settings.engine`` asks for (docs/checker.md)."""
    workers = settings.workers or 1
    engine = settings.engine

    def note(why: str) -> None:
        if settings.note is not None:
            settings.note(f"{cm.spec.name}.{cm.model.name}: searching with the Python engine: {why}")

    if engine == "python":
        return _explore_python(cm, opts, settings)
    from ..compiled import unsupported_reason  # (no numba import: small models never pay it)

    why = unsupported_reason(cm)
    if why is not None:
        if engine == "compiled":
            note(why)
        res = _explore_python(cm, opts, settings)
        if engine == "auto" and res.seconds >= HANDOVER_SECONDS:
            note(why)  # said only of searches long enough to care
        return res
    if engine == "compiled":
        if workers > 1:
            _note_once(cm, f"--workers {workers} ignored: the compiled engine searches in one process")
        out = _compiled_run(cm, opts)
        if isinstance(out, ExploreResult) and out.stopped == "fallback":
            note(f"{out.fallback} (from depth {out.depth} on)")
            return _go_on(cm, opts, out, settings)
        if isinstance(out, ExploreResult):
            return out
        note(out)
        return _explore_python(cm, opts, settings)
    # auto: the Python engine first (one process: most models end before
    # worker processes would have started), the compiled one for what
    # takes longer, or the Python engine's workers when it measures slower
    slower = _startup_factor()
    opts.handover, opts.handover_ahead, opts.handover_growing = (HANDOVER_SECONDS * slower, HANDOVER_AHEAD * slower,
                                                                  HANDOVER_GROWING)
    try:
        res = explore(cm, opts)
    finally:
        opts.handover = opts.handover_ahead = opts.handover_growing = None
    if res.stopped != "handover":
        return res
    from ..compiled import available

    opts.resume = _handed_over(res, res.store)
    expanded = len(res.store) - res.queue
    if cm.codegen.memo_fills() > HANDOVER_MISSES * max(expanded, 1) and not cm.codegen.projects_a_set():
        # the compiled loop would call the Python steps for most states
        # (each miss: the Python call and a round trip out of the loop) and
        # pay numba's start-up on top: the Python engine goes on
        try:
            return _explore_python(cm, opts, settings)
        finally:
            opts.resume = None
    # the compiled engine hands the search back if it expands states more
    # slowly than the Python engine did (steps missing their memo at every
    # state), or than its workers would
    rate = (len(res.store) - res.queue) / max(res.seconds, 1e-3)
    try:
        missing = available()
        if missing is not None:  # the Python engine goes on from the level boundary
            note(missing)
            return _explore_python(cm, opts, settings)
        from ..compiled.search import HANDBACK_FACTOR

        gain = WORKER_GAIN * workers if _workers_search(cm, opts, workers) else 0.0
        opts.handback_rate = rate * max(HANDBACK_FACTOR, gain)
        if gain:
            _note_once(cm, f"--workers {workers}: the compiled engine searches in one process while it is "
                           f"faster than {workers} processes of the Python engine would be")
        out = _compiled_run(cm, opts)
        if isinstance(out, ExploreResult) and out.stopped in ("handback", "fallback"):
            if out.stopped == "fallback":
                note(f"{out.fallback} (from depth {out.depth} on)")
            return _go_on(cm, opts, out, settings)
    finally:
        opts.resume = None
        opts.handback_rate = None
    if isinstance(out, ExploreResult):
        return out
    note(out)
    return _explore_python(cm, opts, settings)  # from the start: the same result


def _startup_factor() -> float:
    """1, or JIT_STARTUP_FACTOR where the compiled functions will be numba's JIT."""
    from ..compiled.library import ready  # (imports nothing of numba)

    return 1.0 if ready() else JIT_STARTUP_FACTOR


def _go_on(cm: CompiledModel, opts: Options, res: ExploreResult, settings: RunSettings) -> ExploreResult:
    """The Python engine (its workers with ``--workers N``) goes on from the
    level boundary where the compiled engine gave the search back
    (``res.stopped``: handback or fallback)."""
    opts.resume = _handed_over(res, res.store.owned())
    try:
        return _explore_python(cm, opts, settings)
    finally:
        opts.resume = None


def _workers_search(cm: CompiledModel, opts: Options, workers: int) -> bool:
    """Does ``--workers N`` search with N processes here (see _explore_python)?"""
    return workers > 1 and not opts.extra_actions and not cm.layout.interns


def _note_once(cm: CompiledModel, text: str) -> None:
    if id(cm) not in _NOTED:
        _NOTED.add(id(cm))
        print(f"note: {cm.spec.name}.{cm.model.name}: {text}", file=sys.stderr)


def _handed_over(res: ExploreResult, store) -> Checkpoint:
    """Where a search stopped at a level boundary (a hand-over between the
    engines) goes on from: its store, cursor, counts and violations."""
    return Checkpoint(store, len(store) - res.queue, res.generated, res.depth, res.seconds, dict(res.violations))


def _explore_python(cm: CompiledModel, opts: Options, settings: RunSettings) -> ExploreResult:
    workers = settings.workers or 1
    if workers > 1 and opts.extra_actions:
        _note_once(cm, f"--workers {settings.workers} ignored: refinement properties are checked in one process; "
                       "searching with one process")
    elif workers > 1 and cm.layout.interns:
        # Interned codes are numbered per process (pyspec.compile.layout.
        # InternCodec): workers would not agree on them.
        _note_once(cm, f"--workers {settings.workers} ignored: the model interns compound values (sets of records, "
                       "maps over large domains), which the parallel search does not support yet; searching with "
                       "one process")
    elif workers > 1:
        from .parallel import explore_parallel

        return explore_parallel(cm, opts, settings.workers)
    return explore(cm, opts)


def _compiled_run(cm: CompiledModel, opts: Options) -> ExploreResult | str:
    """The compiled engine's result, or why it could not finish (the
    Python engine then runs the search from the start: same result)."""
    from ..compiled import available

    why = available()
    if why is not None:
        return why
    from ..compiled.search import Fallback
    from ..compiled.search import explore as compiled_explore

    try:
        return compiled_explore(cm, opts)
    except Fallback as e:
        return str(e)


def _violation_trace(cm: CompiledModel, res: ExploreResult, v: Violation, canon, steps: dict | None = None) -> list:
    return build_trace(cm, _violation_states(cm, res, v, canon, steps))


def _violation_states(cm: CompiledModel, res: ExploreResult, v: Violation, canon,
                      steps: dict | None = None) -> list[int]:
    """The states of a counterexample (with symmetry: concrete states, each
    step a real step; ``steps``: step checks of refinements, by name)."""
    store = res.store
    idx = store.path(v.index) if v.index >= 0 else []
    reps = [store.state(j) for j in idx]
    if v.state is not None:
        reps.append(v.state)
    if canon is not None and reps:
        last_ok = None
        if v.kind == "action":
            act = (steps or {}).get(v.prop) or cm.action_properties[v.prop][0]

            def last_ok(s, t, act=act):
                return s != t and not act(s, t)

            if v.state is not None:
                reps[-1] = canon(reps[-1])
        states = concretize(cm, canon, reps, last_ok)
    else:
        states = reps
    return states


def _stopped_message(res: ExploreResult) -> str | None:
    return {
        "max-states": "stopped at --max-states: the state space was not explored completely",
        "max-depth": "stopped at --max-depth: the state space was not explored completely",
        "interrupted": "interrupted: the state space was not explored completely",
    }.get(res.stopped or "")


ENGINES = ("auto", "compiled", "python")


def _engine_name(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")
    return engine


def check(spec: ir.Spec, model_name: str, property: str | None = None, workers: int = 1,
          seed: int | None = None, max_states: int | None = None, max_depth: int | None = None,
          deadlock: bool = True, checkpoint: str | None = None, recover: str | None = None,
          progress=None, checkpoint_every: float = 60.0, engine: str = "auto", note=None) -> Report:
    """Check ``property`` (or every property of the model, and deadlock)
    and stop at the first violation, as TLC does.  ``engine``: auto (the
    compiled search when it can run the model, else the Python one),
    compiled, python; ``note(line)`` hears why the compiled one could not."""
    settings = RunSettings(workers, max_states, max_depth, deadlock, checkpoint, checkpoint_every, recover,
                           progress, seed, _engine_name(engine), note)
    model = spec.model(model_name)
    t0 = time.monotonic()
    if property is not None:
        props = [property]
        if property != "deadlock":
            spec.prop(property)  # KeyError for an unknown property
    else:
        props = [c.property for c in model.checks]
    check_deadlock = (property == "deadlock") or (property is None and deadlock and model.deadlock != "ignore")
    names = [p for p in props if p != "deadlock"] + (["deadlock"] if check_deadlock else [])
    try:
        cm = compiled(spec, model_name)
    except CompileError as e:
        return _base(spec, model, verdict="error", message=str(e), properties=names,
                     seconds=time.monotonic() - t0)
    reports = _run(spec, cm, props, check_deadlock, settings, stop_first=True)
    # the first violation (in the order found), else the summary
    bad = [r for r in reports if r.verdict in ("violated", "error")]
    if bad:
        r = min(bad, key=lambda r: (r.seconds, len(r.trace)))
        if property is None:
            r.properties = names
        return r
    r = reports[0] if reports else _base(spec, model, verdict="ok")
    if property is None:
        incomplete = [x for x in reports if x.verdict == "incomplete"]
        summary = incomplete[0] if incomplete else r
        out = _base(spec, model, verdict=summary.verdict, distinct_states=summary.distinct_states,
                    generated_states=summary.generated_states, depth=summary.depth,
                    seconds=time.monotonic() - t0, properties=names, message=summary.message)
        out.expected = "holds" if all(_expected(model, n) in ("holds", None) for n in names) else None
        return out
    r.seconds = time.monotonic() - t0
    return r


def check_model(spec: ir.Spec, model_name: str, workers: int = 1, max_states: int | None = None,
                max_depth: int | None = None, deadlock: bool = True, progress=None,
                checkpoint: str | None = None, recover: str | None = None,
                checkpoint_every: float = 60.0, engine: str = "auto", note=None) -> list[Report]:
    """One report per declared check of the model (and one for deadlock
    unless ignored): one exploration for all safety properties, one
    state-graph pass for all temporal properties.  ``engine`` and ``note``
    as for :func:`check`."""
    settings = RunSettings(workers, max_states, max_depth, deadlock, checkpoint, checkpoint_every, recover, progress,
                           None, _engine_name(engine), note)
    model = spec.model(model_name)
    props = [c.property for c in model.checks]
    check_deadlock = deadlock and model.deadlock != "ignore"
    t0 = time.monotonic()
    try:
        cm = compiled(spec, model_name)
    except CompileError as e:
        names = props + (["deadlock"] if check_deadlock else [])
        if not names:  # nothing to check, but the model does not even start
            return [_base(spec, model, verdict="error", message=str(e), seconds=time.monotonic() - t0)]
        return [_base(spec, model, verdict="error", property=n, kind=_kind(spec, n), message=str(e),
                      expected=_expected(model, n), properties=[n], seconds=time.monotonic() - t0)
                for n in names]
    return _run(spec, cm, props, check_deadlock, settings, stop_first=False)


def _run(spec: ir.Spec, cm: CompiledModel, props: list[str], check_deadlock: bool, settings: RunSettings,
         stop_first: bool) -> list[Report]:
    """Safety first (one BFS: invariants, action properties, deadlock and the
    ``always``/initial parts of temporal properties, as TLC checks them),
    then one state-graph pass for the remaining liveness conjuncts."""
    model = cm.model
    kinds = {p: (spec.prop(p).kind if p != "deadlock" else "deadlock") for p in props}
    invs = [p for p in props if kinds[p] == "invariant"]
    acts = [p for p in props if kinds[p] == "action"]
    temps = [p for p in props if kinds[p] == "temporal"]
    refs = [p for p in props if kinds[p] == "refinement"]
    deadlock = check_deadlock or "deadlock" in props
    canon = _symmetry(cm)
    reports: list[Report] = []
    extra, init_extra, live = [], [], {}
    # refinements (docs/semantics.md, Refinement): their initial states and
    # steps are checked by the search, their fairness on the state graph
    maps, extra_acts = {}, []
    for p in refs:
        try:
            rm = maps[p] = refinement_map(cm, p)
        except CompileError as e:
            reports.append(_base(spec, model, verdict="error", property=p, kind="action", message=str(e),
                                 expected=_expected(model, p), properties=[p]))
            continue
        init_extra.append((p, rm.init_ok, rm.init_checked))
        extra_acts.append((p, rm.step_ok, rm.step_checked, rm.read_mask))
    refs = list(maps)
    try:
        for p in temps:
            always, initially, leaves = cm.implied_invariants(spec.prop(p))
            if always is not None:
                extra.append((p, always[0], always[1]))
            if initially is not None:
                init_extra.append((p, initially[0], initially[1]))
            live[p] = leaves
    except Exception as e:  # noqa: BLE001 - a temporal predicate does not compile
        return [_base(spec, model, verdict="error", property=p, kind="liveness", message=str(e),
                      expected=_expected(model, p), properties=[p]) for p in temps]
    safety = invs + acts + (["deadlock"] if deadlock else [])
    implied = [p for p in temps if any(x[0] == p for x in extra + init_extra)]
    if temps and not safety and not implied and not refs and canon is None and not settings.checkpoint \
            and not settings.recover:
        # nothing for a safety pass to check: the state graph alone (its
        # counts are the safety pass's: no symmetry).  An evaluation error
        # while building it: the safety pass below finds and reports it.
        try:
            return _liveness_reports(spec, cm, temps, live, settings, None, stop_first)
        except Exception:  # noqa: BLE001 - diagnosed by the exploration below
            pass
    opts = Options(invariants=invs, actions=acts, deadlock=deadlock, stop_first=stop_first, symmetry=canon,
                   max_states=settings.max_states, max_depth=settings.max_depth, progress=settings.progress,
                   checkpoint=settings.checkpoint, checkpoint_every=settings.checkpoint_every,
                   recover=settings.recover, extra_invariants=extra, init_invariants=init_extra,
                   extra_actions=extra_acts)
    res = _explore(cm, opts, settings)
    for p in safety:
        reports.append(_safety_report(spec, cm, res, p, canon))
    ref_live = {}
    for p in refs:
        if p in res.violations:
            reports.append(_refinement_violation(spec, cm, res, p, canon, maps[p]))
        elif res.error is not None or not (res.complete or res.stopped == "all-violated") or not maps[p].fairness:
            reports.append(_safety_report(spec, cm, res, p, canon))
        else:
            ref_live[p] = maps[p]
    for p in implied:
        if p in res.violations or res.error is not None:
            r = _safety_report(spec, cm, res, p, canon)
            r.kind = "invariant" if r.verdict == "violated" else "liveness"
            if r.verdict == "violated":
                r.message = "an 'always' (or initial) part of the temporal property is false in a reachable state"
            reports.append(r)
    if res.error is not None and not safety and not implied and not refs:
        reports.append(_summary(spec, cm, res, None, canon))
    if stop_first and (res.order or res.error):
        return reports
    if res.error is not None or (res.stopped and res.stopped not in ("all-violated",)):
        for p in temps:
            if not any(r.property == p for r in reports):
                reports.append(_unfinished(spec, cm, res, p))
        if not safety and not temps and res.error is None:
            reports.append(_summary(spec, cm, res, None))
        return reports
    if not temps and not safety and not refs:
        reports.append(_summary(spec, cm, res, None))
    pending = [p for p in temps if p not in res.violations]
    if pending or ref_live:
        try:
            reports.extend(_liveness_reports(spec, cm, pending, live, settings, res, stop_first, ref_live))
        except Exception:  # noqa: BLE001 - diagnosed by the exploration below
            if res.complete:
                raise
            # the safety pass stopped early (every safety property violated)
            # and the state graph met an evaluation error beyond: a search
            # without the properties finds and reports it
            again = _explore(cm, Options(max_states=settings.max_states, max_depth=settings.max_depth), settings)
            if again.error is None:
                raise
            reports.extend(_unfinished(spec, cm, again, p) for p in pending + list(ref_live))
    return reports


def _summary(spec, cm, res: ExploreResult, prop, canon=None) -> Report:
    verdict = "ok" if res.complete or res.stopped == "all-violated" else \
        ("error" if res.error else "incomplete")
    trace = []
    if res.error is not None and (res.error.index >= 0 or res.error.state is not None):
        trace = _violation_trace(cm, res, res.error, canon)
    return _base(spec, cm.model, verdict=verdict, distinct_states=res.distinct, generated_states=res.generated,
                 depth=res.depth, seconds=res.seconds, trace=trace, message=_stopped_message(res) or
                 (res.error.message if res.error else None))


def _safety_report(spec, cm: CompiledModel, res: ExploreResult, prop: str, canon) -> Report:
    model = cm.model
    kind = _kind(spec, prop)
    common = dict(property=prop, kind=kind, expected=_expected(model, prop), properties=[prop])
    v = res.violations.get(prop)
    if v is not None:
        trace = _violation_trace(cm, res, v, canon)
        return _base(spec, model, verdict="violated", distinct_states=v.distinct, generated_states=v.generated,
                     depth=len(trace), seconds=v.seconds, trace=trace, **common)
    if res.error is not None:
        e = res.error
        trace = _violation_trace(cm, res, e, canon) if (e.index >= 0 or e.state is not None) else []
        return _base(spec, model, verdict="error", distinct_states=e.distinct, generated_states=e.generated,
                     depth=len(trace), seconds=e.seconds, trace=trace, message=e.message, **common)
    complete = res.complete or res.stopped == "all-violated"
    if res.stopped == "first-violation":
        # another property ended the run first: this one was not decided
        return _base(spec, model, verdict="incomplete", distinct_states=res.distinct,
                     generated_states=res.generated, depth=res.depth, seconds=res.seconds,
                     message="not decided: the run stopped at another property's violation", **common)
    return _base(spec, model, verdict="ok" if complete else "incomplete", distinct_states=res.distinct,
                 generated_states=res.generated, depth=res.depth, seconds=res.seconds,
                 message=None if complete else _stopped_message(res), **common)


def _unfinished(spec, cm, res: ExploreResult, prop: str) -> Report:
    verdict = "error" if res.error else "incomplete"
    msg = res.error.message if res.error else _stopped_message(res)
    return _base(spec, cm.model, verdict=verdict, property=prop, kind="liveness", expected=_expected(cm.model, prop),
                 properties=[prop], distinct_states=res.distinct, generated_states=res.generated, depth=res.depth,
                 seconds=res.seconds, message=msg)


def _liveness_reports(spec, cm: CompiledModel, temps: list[str], live: dict, settings: RunSettings,
                      res: ExploreResult | None, stop_first: bool, refs: dict | None = None) -> list[Report]:
    # The state graph and the component lists are many container objects that
    # live until the end: the cyclic garbage collector would traverse them
    # over and over (a quarter of the time), and there is no cycle to collect.
    with no_cyclic_gc():
        return _liveness_reports_nogc(spec, cm, temps, live, settings, res, stop_first, refs or {})


def _liveness_reports_nogc(spec, cm: CompiledModel, temps: list[str], live: dict, settings: RunSettings,
                           res: ExploreResult | None, stop_first: bool, refs: dict) -> list[Report]:
    from ...compile.runtime import EvalError
    from .liveness import FairGraph, check_leaf

    model = cm.model
    t0 = time.monotonic()
    if res is not None and res.complete and not cm.model.symmetry and not any(live.get(p) for p in temps) \
            and not refs:
        # only always/initial parts, all held in the safety pass
        return [_base(spec, model, verdict="ok", property=p, kind="liveness", expected=_expected(model, p),
                      properties=[p], distinct_states=res.distinct, generated_states=res.generated,
                      depth=res.depth, seconds=res.seconds) for p in temps]
    g = _state_graph(cm, settings, res)
    counts = dict(distinct_states=len(g), generated_states=g.generated, depth=len(g.level_ends or []))
    if res is not None and res.complete and not cm.model.symmetry:  # the same states as the graph's
        counts = dict(distinct_states=res.distinct, generated_states=res.generated, depth=res.depth)
    try:
        fg = FairGraph(g, cm.fairness, compiled_sccs=_compiled_sccs(settings, len(g)),
                       parts=cm.codegen.predicate_parts)
    except EvalError as e:  # a fairness argument that reads the state, evaluated on the graph's states
        return [_base(spec, model, verdict="error", seconds=time.monotonic() - t0, message=str(e), property=p,
                      kind="liveness", expected=_expected(model, p), properties=[p], **counts)
                for p in [*temps, *refs]]
    # With symmetry, liveness is checked on the full graph (docs/semantics.md,
    # Models): its counts are the graph's, as TLC's liveness run without
    # SYMMETRY counts them.
    note = "checked without symmetry (liveness)" if cm.model.symmetry else None
    out: list = []

    def report(p, find, error_message, violation_message) -> bool:
        """Append the outcome of one liveness property whose lasso ``find()``
        looks for; True when the run stops here (first violation or error)."""
        common = dict(property=p, kind="liveness", expected=_expected(model, p), properties=[p])
        if not g.complete:
            why = ("interrupted: liveness needs the whole state graph" if g.interrupted else
                   "stopped at --max-states: liveness needs the whole state graph")
            out.append(_base(spec, model, verdict="incomplete", seconds=time.monotonic() - t0, message=why,
                             **{**counts, "distinct_states": len(g), "generated_states": g.generated}, **common))
            return False
        try:
            found = find()
        except Exception as e:  # noqa: BLE001 - evaluation errors in the predicates or the abstract spec
            out.append(_base(spec, model, verdict="error", seconds=time.monotonic() - t0,
                             message=error_message(e), **counts, **common))
            return stop_first
        if found is None:
            out.append(_base(spec, model, verdict="ok", seconds=time.monotonic() - t0 + (res.seconds if res else 0),
                             message=note, **counts, **common))
            return False
        what, lasso = found
        trace = build_trace(cm, [g.states[u] for u, _ in lasso.nodes], [a for _, a in lasso.nodes])
        loop = len(trace) - lasso.loop_start
        tail = (f"a lasso of {len(trace)} state{'s' if len(trace) != 1 else ''}, the last {loop} repeating"
                + (f"; {note}" if note else ""))
        out.append(_base(spec, model, verdict="violated", seconds=time.monotonic() - t0, trace=trace,
                         loop_start=lasso.loop_start, message=violation_message(what, tail), **counts, **common))
        return stop_first

    def first_leaf_lasso(leaves):
        for leaf in leaves:
            lasso = check_leaf(fg, leaf)
            if lasso is not None:
                return leaf, lasso
        return None

    def leaf_violation(leaf, tail):
        how = ""
        if leaf.fairness is not None:
            how = (": its steps are enabled in every state of the loop" if leaf.form == "weak_fair" else
                   ": its steps are enabled in a state of the loop") + " and no step of the loop is one of them"
        return f"violated: {leaf.form.replace('_', ' ')} ({leaf.text}){how}; {tail}"

    for p in temps:
        leaves = live.get(p, [])
        if report(p, lambda leaves=leaves: first_leaf_lasso(leaves),
                  lambda e, leaves=leaves: _leaf_error(g, leaves, e), leaf_violation):
            return out
    for p, rm in refs.items():
        def fairness_violation(f, tail, rm=rm):
            how = "in every state of the loop" if f.kind == "weak" else "in a state of the loop"
            return (f"violated: the fairness of {rm.abstract.name} fails on the mapped behaviour: its "
                    f"'{rm.what(f)}' ({'WF' if f.kind == 'weak' else 'SF'}) is enabled {how} (in the mapped "
                    f"states) and no step of the loop is one of its steps; {tail}")

        if report(p, lambda rm=rm: _refinement_fairness(fg, rm), lambda e, rm=rm: _refinement_error(g, rm, e),
                  fairness_violation):
            return out
    return out


#: ``--engine auto``: a liveness check whose safety search found at least
#: this many states builds its state graph with the compiled loop at once
GRAPH_COMPILED_STATES = 100_000


def _state_graph(cm: CompiledModel, settings: RunSettings, res: ExploreResult | None = None):
    """The state graph of a liveness check, by the engine ``settings.engine``
    asks for: ``auto`` builds it with the compiled loop when the safety
    search ``res`` found GRAPH_COMPILED_STATES states or more, else in
    Python, handing a build still running after HANDOVER_SECONDS to the
    compiled loop (which starts over: the same graph); ``compiled`` builds
    it there from the start (a note says when it cannot, and Python builds it)."""
    from ..compiled import available, unsupported_reason  # (neither imports numba)
    from .liveness import Handover, build_graph

    engine = settings.engine
    if engine == "python":
        return build_graph(cm, settings.max_states, settings.progress)
    why = unsupported_reason(cm)
    if why is None and (engine == "compiled" or res is not None and res.distinct >= GRAPH_COMPILED_STATES):
        why = available()
    elif why is None:  # auto: Python first (no numba import for the many small graphs)
        try:
            return build_graph(cm, settings.max_states, settings.progress,
                               handover=HANDOVER_SECONDS * _startup_factor())
        except Handover:
            why = available()
    if why is not None:
        if engine == "compiled" and settings.note is not None:
            settings.note(f"{cm.spec.name}.{cm.model.name}: building the state graph in Python: {why}")
        return build_graph(cm, settings.max_states, settings.progress)
    from ..compiled import Fallback, Unsupported
    from ..compiled.graph import build_graph as compiled_graph

    try:
        return compiled_graph(cm, settings.max_states, settings.progress)
    except (Fallback, Unsupported) as e:  # an evaluation error: the Python builder reports it
        if engine == "compiled" and settings.note is not None:
            settings.note(f"{cm.spec.name}.{cm.model.name}: building the state graph in Python: {e}")
        return build_graph(cm, settings.max_states, settings.progress)


#: a state graph of at least this many states has its components found in
#: compiled code (unless ``--engine python``): below, numba's import costs more
SCC_COMPILED_STATES = 20_000


def _compiled_sccs(settings: RunSettings, n: int) -> bool:
    if settings.engine == "python" or (settings.engine == "auto" and n < SCC_COMPILED_STATES):
        return False
    from ..compiled import available

    return available() is None


def _refinement_fairness(fg, rm):
    """The first fairness condition of the abstract spec that some fair
    behaviour of this model violates, mapped, with its lasso (None: all hold)."""
    from .liveness import unfair_lasso

    g = fg.g
    states = g.states
    st, to = g.start, g.to
    for f in rm.fairness:
        enabled = bytearray(rm.enabled(s, f) for s in states)
        taken = bytearray(len(to))
        for u, s in enumerate(states):
            for k in range(st[u], st[u + 1]):
                taken[k] = rm.takes(s, states[to[k]], f)
        lasso = unfair_lasso(fg, enabled, taken, f.kind == "strong")
        if lasso is not None:
            return f, lasso
    return None


def _refinement_error(g, rm, e: Exception) -> str:
    """The located message of an evaluation error met while mapping states
    or taking abstract steps on them."""
    from ...compile.runtime import EvalError

    if isinstance(e, EvalError):
        return str(e)
    for s in g.states:
        try:
            a = rm.image_checked(s)
            rm.acm.next_full(a, lambda x: None)
        except EvalError as err:
            return str(err)
        except Exception:  # noqa: BLE001 - not this state's error
            continue
    return f"{type(e).__name__}: {e}"


def _refinement_violation(spec, cm: CompiledModel, res: ExploreResult, prop: str, canon, rm) -> Report:
    """An initial state or a step of the model that the refinement ``prop``
    maps to no initial state or step of the abstract spec."""
    from ...report.text import step_title
    from ...values import format_typed

    model = cm.model
    v = res.violations[prop]
    states = _violation_states(cm, res, v, canon, {prop: rm.step_ok})
    trace = build_trace(cm, states)
    types = {x.name: x.type for x in rm.abstract.vars}

    def shown(s: int) -> str:
        return ", ".join(f"{k} = {format_typed(x, types.get(k))}" for k, x in rm.values(rm.image(s)).items())

    name = rm.abstract.name
    if v.kind == "invariant":
        msg = f"an initial state maps to a state that is not an initial state of {name}: {shown(states[-1])}"
    else:
        s, t = states[-2], states[-1]
        last = trace[-1] if trace else None
        step = f"{step_title(last, cm.spec)} ({last.source})" if last is not None and last.process else "a step"
        msg = (f"the step {step} maps to no step of {name}: no action of {name} allows "
               f"{rm.describe(s, t)} (in the mapped state {shown(s)})")
    return _base(spec, model, verdict="violated", distinct_states=v.distinct, generated_states=v.generated,
                 depth=len(trace), seconds=v.seconds, trace=trace, message=msg, property=prop, kind=v.kind,
                 expected=_expected(model, prop), properties=[prop])


def _leaf_error(g, leaves, e: Exception) -> str:
    """The located message of an error raised by a temporal predicate: the
    fast predicates raise bare exceptions (a KeyError for a map applied
    outside its keys); their checked variants, run on the graph's states,
    name the position as the invariants' do."""
    from ...compile.runtime import EvalError

    if isinstance(e, EvalError):
        return str(e)
    for leaf in leaves:
        for fn in (leaf.p_checked, leaf.q_checked):
            if fn is None:
                continue
            for s in g.states:
                try:
                    fn(s)
                except EvalError as err:
                    return str(err)
                except Exception:  # noqa: BLE001 - not this predicate's error
                    break
    return f"{type(e).__name__}: {e}"
