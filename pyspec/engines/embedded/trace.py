"""Counterexamples as spec-level traces (report TraceSteps).

A path of packed states becomes a list of :class:`~pyspec.report.TraceStep`:
each state in ITF JSON keyed by the spec's names, and each step with the
process, instance, label, ``any`` choices and ``file:line`` of the step that
produced it (found by re-running the checked successor function).

With symmetry the search stores canonical representatives, and consecutive
representatives need not be successors of each other; :func:`concretize`
turns such a path into a real behaviour (same orbits, step by step).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...compile import CompiledModel, StepInfo
from ...ir import nodes as ir
from ...ir.state import state_types
from ...report import TraceStep
from ...values import format_typed, from_itf, to_itf


def concretize(model: CompiledModel, canon: Callable[[int], int], reps: list[int],
               last_ok: Callable[[int, int], bool] | None = None) -> list[int]:
    """A behaviour whose i-th state is in the orbit of ``reps[i]``.

    ``last_ok(prev, t)`` further constrains the final step (an action
    property must be violated by it, for instance)."""
    if not reps:
        return []
    init = model.initial_states()
    first = next((s for s in init if s == reps[0]), None)
    if first is None:
        first = next((s for s in init if canon(s) == reps[0]), reps[0])
    out = [first]
    for k, rep in enumerate(reps[1:], start=1):
        cur = out[-1]
        final = k == len(reps) - 1
        pick = None
        for _, t in model.successors(cur):
            if canon(t) == rep and (not final or last_ok is None or last_ok(cur, t)):
                pick = t
                break
        if pick is None:  # pragma: no cover - the spec is not symmetric
            pick = rep
        out.append(pick)
    return out


def build_trace(model: CompiledModel, states: list[int], aids: list[int] | None = None) -> list[TraceStep]:
    """TraceSteps of a behaviour (``aids[i]`` optionally names the step
    instance that reaches ``states[i]``, to choose between equal successors)."""
    types = state_types(model.spec)
    steps: list[TraceStep] = []
    for i, s in enumerate(states):
        info: StepInfo | None = None
        if i > 0:
            want = aids[i] if aids is not None and i < len(aids) else -1
            found = None
            for si, t in model.successors(states[i - 1]):
                if t == s and (want < 0 or si.aid == want):
                    found = si
                    break
                if t == s and found is None:
                    found = si
            info = found
        steps.append(TraceStep(
            step=i,
            process=info.process if info else None,
            self=_itf_self(model, info) if info else None,
            label=info.label if info else None,
            params={k: to_itf(v) for k, v in info.params.items()} if info else {},
            source=_source(info) if info else None,
            state=state_itf(model, s, types),
            display=_display(info) if info else {},
        ))
    return steps


def replay_params(model: CompiledModel, trace: list[TraceStep]) -> None:
    """Fill in the ``any`` choices (``params``, ``display``) and the instances
    of actions of a trace whose engine does not report them (TLC): each step is found again among the
    successors of the previous state, with the same process, instance,
    label and next state.  Steps not found are left as they are."""
    types = state_types(model.spec)
    prev = None
    for st in trace:
        s = model.from_values({k: from_itf(v, types[k]) for k, v in st.state.items()})
        if prev is not None and st.process is not None:
            # an action's instance is its arguments, which TLC's trace does
            # not name (no program counter tells them): found here too
            open_self = st.self is None and _is_indexed_action(model.spec, st.process)
            for info, t in model.successors(prev):
                if t == s and info.process == st.process and info.label == st.label and \
                        (open_self or _itf_self(model, info) == st.self):
                    st.params = {k: to_itf(v) for k, v in info.params.items()}
                    st.display = _display(info)
                    if open_self:
                        st.self = _itf_self(model, info)
                    break
        prev = s


def _display(info: StepInfo) -> dict[str, str]:
    """The ``any`` choices of a step in spec syntax, typed (``Msg.Promise(...)``)."""
    return {k: format_typed(v, info.param_types.get(k)) for k, v in info.params.items()}


def _is_indexed_action(spec: ir.Spec, process: str) -> bool:
    try:
        p = spec.process(process)
    except (KeyError, ValueError):
        return False
    return p.is_action and p.index is not None


def state_itf(model: CompiledModel, s: int, types: dict[str, ir.Type] | None = None) -> dict[str, Any]:
    types = types or state_types(model.spec)
    return {k: to_itf(v, types.get(k)) for k, v in model.to_values(s).items()}


def _itf_self(model: CompiledModel, info: StepInfo) -> Any:
    if info.self is None:
        return None
    proc = model.spec.process(info.process)
    ty = proc.index_set.type.elem if proc.index_set is not None else None
    return to_itf(info.self, ty)


def _source(info: StepInfo) -> str | None:
    if info.span is None:
        return None
    return f"{info.span.file}:{info.span.line}"
