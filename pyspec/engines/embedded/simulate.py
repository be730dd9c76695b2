"""Random walks (``pyspec simulate``), as TLC's ``-simulate``.

Each run starts in an initial state chosen at random and takes up to
``depth`` states, choosing each successor uniformly among the successors of
the current state.  Invariants are checked on every state, action
properties on every step that changes the state, and a state without
successors that is not terminal is a deadlock.  The first violation ends the
simulation with its walk as the counterexample.  With the same seed the
walks, and so the report, are the same: successors come in a deterministic
order and the random generator is seeded.

Temporal properties are not checked by simulation (they need the state
graph); use ``pyspec check``.
"""

from __future__ import annotations

import random
import time

from ...compile import CompileError
from ...ir import nodes as ir
from ...report import Report
from .runner import ENGINE, _expected, compiled
from .trace import build_trace


def simulate(spec: ir.Spec, model_name: str, runs: int = 100, depth: int = 100, seed: int | None = 0,
             property: str | None = None, deadlock: bool = True, progress=None) -> Report:
    model = spec.model(model_name)
    t0 = time.monotonic()
    if property is not None:
        props = [property]
    else:
        props = [c.property for c in model.checks]
    check_deadlock = property == "deadlock" or (property is None and deadlock and model.deadlock != "ignore")
    props = [p for p in props if p != "deadlock"]
    kinds = {p: spec.prop(p).kind for p in props}
    invs = [p for p in props if kinds[p] == "invariant"]
    acts = [p for p in props if kinds[p] == "action"]
    skipped = [p for p in props if kinds[p] == "temporal"]
    refs = [p for p in props if kinds[p] == "refinement"]  # initial states and steps (not fairness)
    checked = invs + acts + refs + (["deadlock"] if check_deadlock else [])
    base = dict(engine=ENGINE, spec=spec.path, model=model.name, properties=checked)
    try:
        cm = compiled(spec, model_name)
    except CompileError as e:
        return Report(verdict="error", message=str(e), seconds=time.monotonic() - t0, **base)
    rng = random.Random(seed)
    inv_fns = [(n, cm.invariants[n][0]) for n in invs]
    act_fns = [(n, cm.action_properties[n][0]) for n in acts]
    try:
        from ...compile.refinement import refinement_map

        ref_maps = [(n, refinement_map(cm, n)) for n in refs]
    except CompileError as e:
        return Report(verdict="error", message=str(e), seconds=time.monotonic() - t0, **base)
    constraint = cm.constraint
    init = cm.initial_states()
    seen: set[int] = set()
    generated = 0
    longest = 0
    out: list[int] = []

    def violated(prop: str, kind: str, walk: list[int], message: str | None = None) -> Report:
        trace = build_trace(cm, walk)
        return Report(verdict="violated" if kind != "error" else "error", property=prop if kind != "error" else None,
                      kind=kind if kind != "error" else None, distinct_states=len(seen), generated_states=generated,
                      depth=len(trace), seconds=time.monotonic() - t0, trace=trace,
                      expected=_expected(model, prop), message=message, **base)

    try:
        for run in range(runs):
            if not init:
                break
            s = init[rng.randrange(len(init))]
            generated += 1
            walk = [s]
            for name, rm in ref_maps:
                if not rm.init_ok(s):
                    return violated(name, "invariant", walk, f"an initial state maps to a state that is not an "
                                                              f"initial state of {rm.abstract.name}")
            while True:
                seen.add(s)
                for name, f in inv_fns:
                    if not f(s):
                        return violated(name, "invariant", walk)
                if len(walk) >= depth or (constraint is not None and not constraint(s)):
                    break
                out.clear()
                cm.next_fast(s, out.append)
                generated += len(out)
                if not out:
                    if check_deadlock and not cm.is_terminal(s):
                        return violated("deadlock", "deadlock", walk)
                    break
                t = out[rng.randrange(len(out))]
                if t != s:
                    for name, f in act_fns:
                        if not f(s, t):
                            walk.append(t)
                            return violated(name, "action", walk)
                    for name, rm in ref_maps:
                        if not rm.step_ok(s, t):
                            walk.append(t)
                            return violated(name, "action", walk, f"the last step maps to no step of "
                                                                   f"{rm.abstract.name}: {rm.describe(s, t)}")
                walk.append(t)
                s = t
            longest = max(longest, len(walk))
            if progress is not None:
                progress.update(distinct=len(seen), generated=generated, queue=runs - run - 1, depth=longest,
                                seconds=time.monotonic() - t0)
    except KeyboardInterrupt:
        return Report(verdict="incomplete", distinct_states=len(seen), generated_states=generated, depth=longest,
                      seconds=time.monotonic() - t0, message="interrupted", **base)
    except Exception as e:  # noqa: BLE001 - an evaluation error of the spec
        from ...compile.runtime import EvalError

        msg = _explain(cm, walk[-1], [n for n, _ in inv_fns], [n for n, _ in act_fns]) or \
            (str(e) if isinstance(e, EvalError) else f"{type(e).__name__}: {e}")
        return violated("error", "error", walk, msg)
    msg = f"simulation: {runs} runs of at most {depth} states found no violation (not exhaustive)"
    if skipped:
        msg += f"; temporal properties not checked by simulation: {', '.join(skipped)}"
    live = [n for n, rm in ref_maps if rm.fairness]
    if live:
        msg += f"; the fairness of refinements is not checked by simulation: {', '.join(live)}"
    return Report(verdict="ok", distinct_states=len(seen), generated_states=generated, depth=longest,
                  seconds=time.monotonic() - t0, message=msg,
                  expected="holds" if all(_expected(model, p) in ("holds", None) for p in checked) else None,
                  **base)


def _explain(cm, s: int, invariants: list[str], actions: list[str]) -> str:
    """Which evaluation failed at state ``s`` (an invariant, the constraint,
    a step, an action property on a step), with its spec position: the
    checked variants say where."""
    for n in invariants:
        m = cm.explain(cm.invariants[n][1], s)
        if m:
            return f"evaluating {n}: {m}"
    if cm.constraint_checked is not None:
        m = cm.explain(cm.constraint_checked, s)
        if m:
            return f"evaluating the state constraint: {m}"
    m = cm.explain(cm.next_full, s, lambda x: None)
    if m:
        return m
    for n in actions:
        for _, t in cm.successors(s):
            m = cm.explain(cm.action_properties[n][1], s, t)
            if m:
                return f"evaluating {n}: {m}"
    return ""
